//! The keys of S3 storages never reach the log: the binary, at its most verbose level, imports, restores,
//! proxies and presigns with keys from its configuration and from the `AWS_*` variables, and everything
//! it wrote is searched for them.

use std::time::Duration;

use serde_json::json;

use super::moto::{KEY_ID, SECRET};
use super::*;
use crate::helpers::{http_client, spawn_app, wait_until};
use crate::process::{regards_order, start_serve_logging};

const ENV_SECRET: &str = "env-s3cr3t-never-in-logs-9876543210";
const SESSION_TOKEN: &str = "session-token-never-in-logs-5555";

/// Two storages of moto's bucket: `s3` (online, redirects, its own keys) and `tape` (nearline, keys
/// and session token from the environment).
fn environment(moto: &Moto) -> Vec<(&'static str, String)> {
    let storages = json!([
        {"name": "s3", "kind": "online", "backend": "s3", "bucket": "archive", "prefix": "online",
         "endpoint": moto.endpoint, "path_style": true, "download": "redirect",
         "access_key_id": KEY_ID, "secret_access_key": SECRET},
        {"name": "tape", "kind": "nearline", "backend": "s3", "bucket": "archive", "prefix": "tape",
         "endpoint": moto.endpoint, "path_style": true, "restore_poll_interval": "50ms"},
    ]);
    vec![
        ("REGARDS_ORDER__STORAGES", storages.to_string()),
        ("REGARDS_ORDER__LOG__LEVEL", "trace".into()),
        ("REGARDS_ORDER__JOBS__POLL_INTERVAL", "100ms".into()),
        ("AWS_ACCESS_KEY_ID", "AKIAFROMTHEENVIRONMENT".into()),
        ("AWS_SECRET_ACCESS_KEY", ENV_SECRET.into()),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN.into()),
    ]
}

/// `catalog import` run as a process: an online object by `s3://` href, an archived one by its
/// endpoint URL (size from a HEAD), and an archived one whose checksum is wrong. Returns its output.
async fn import_with_the_binary(app: &TestApp, env: &[(&str, String)], endpoint: &str) -> String {
    let folder = app.data_dir().join("stac-s3");
    std::fs::create_dir_all(&folder).unwrap();
    let tape = |key: &str| format!("{endpoint}/archive/tape/{key}");
    let lines = [
        collection("s3", "S3"),
        asset_item("online-a", 1, json!({"href": "s3://archive/online/a.dat"})),
        asset_item("tape-b", 2, json!({"href": tape("b.dat")})),
        asset_item(
            "tape-bad",
            3,
            json!({"href": tape("bad.dat"), "file:checksum": md5_multihash(b"other")}),
        ),
    ];
    let lines: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(folder.join("catalog.ndjson"), lines.join("\n")).unwrap();
    let data_dir = app.data_dir();
    let mut command = regards_order(&[
        "catalog",
        "import",
        folder.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ]);
    command.envs(env.iter().map(|(name, value)| (*name, value.as_str())));
    let output = command.output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    text
}

/// Orders everything through the running service and waits for the order to be done.
async fn order_everything(base: &str, token: &str) -> i64 {
    let client = http_client();
    let selected = client
        .post(format!("{base}/order/basket/selection"))
        .bearer_auth(token)
        .json(&json!({"selectAllOpenSearchRequest": "dataset:s3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(selected.status(), 200);
    let order = client
        .post(format!("{base}/user/orders"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 200);
    let id = crate::orders::id_of(&order.json().await.unwrap());
    let url = format!("{base}/user/orders/{id}");
    wait_until(Duration::from_secs(60), "the order to be done", || async {
        let order = crate::process::fetch_json(&url, token).await;
        order["content"]["status"]
            .as_str()
            .is_some_and(|s| s.starts_with("DONE"))
    })
    .await;
    id
}

/// The zip (the two good objects), and the online object by its presigned URL.
async fn download_everything(app: &TestApp, base: &str, token: &str, id: i64, a: &[u8]) {
    let client = http_client();
    let zip = client
        .get(format!("{base}/user/orders/{id}/download"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let mut names: Vec<String> = crate::downloads::zip::entries(&zip.bytes().await.unwrap())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    names.sort();
    assert_eq!(names, ["a.dat", "b.dat"], "the corrupt object is in no zip");
    let online = file_id(app, id, "online-a").await;
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirect
        .get(format!("{base}/orders/files/{online}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 307);
    let presigned = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        client
            .get(&presigned)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            == a
    );
    let (state, error) = file_state(app, file_id(app, id, "tape-bad").await).await;
    assert_eq!(state, "ERROR", "{error:?}");
}

#[tokio::test]
async fn s3_keys_never_reach_the_log() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("archive").await;
    let (a, b) = (content(200 * 1024, 5), content(3000, 6));
    moto.put("archive", "online/a.dat", &a, None).await;
    moto.put("archive", "tape/b.dat", &b, Some("GLACIER")).await;
    moto.put("archive", "tape/bad.dat", b"bad", Some("GLACIER"))
        .await;
    let app = spawn_app().await;
    let env = environment(&moto);
    let mut log = import_with_the_binary(&app, &env, &moto.endpoint).await;

    let log_path = app.data_dir().join("serve.log");
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let file = std::fs::File::create(&log_path).unwrap();
    let (serve, address) =
        start_serve_logging(&app.data_dir(), app.database_url(), &env_refs, file).await;
    let base = address;
    let token = app.user_token();
    let id = order_everything(&base, &token).await;

    download_everything(&app, &base, &token, id, &a).await;

    drop(serve);
    log.push_str(&std::fs::read_to_string(&log_path).unwrap());
    assert!(
        log.contains("configuration in effect") && log.contains(&moto.endpoint),
        "the log does not show the configuration of the storages:\n{log}"
    );
    for secret in [SECRET, ENV_SECRET, SESSION_TOKEN] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
}
