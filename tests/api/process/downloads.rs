//! Real clients against a running `serve`: aria2c downloads an order's Metalink (3 and 4) with integrity
//! checks and resumes a file cut in half; curl fetches the zip and `unzip -t` validates it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use super::start_serve;
use crate::catalog::fixture::{archive_file, collection, import_folder, item};
use crate::helpers::{TestApp, spawn_app};
use crate::orders::{files_in, id_of, order_of};

/// Deterministic bytes that differ from file to file.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

pub fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "{name} is needed by this test (apt-get install -y aria2 unzip curl)"
    );
    Command::new(name)
}

pub fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Four files, two of them named `data.bin`, one nearline, one with a non-ASCII name; the order of
/// all of them, processed. Returns the order id and, by file id, (file name, content).
async fn order_to_download(app: &TestApp) -> (i64, BTreeMap<i64, (String, Vec<u8>)>) {
    let files = [
        ("a", "online", "a/data.bin", noise(1, 3 * 1024 * 1024 + 17)),
        ("b", "online", "b/data.bin", noise(2, 200 * 1024)),
        ("c", "nearline", "c/notes.txt", noise(3, 10 * 1024)),
        ("d", "online", "d/été 2024.dat", noise(4, 1000)),
    ];
    let mut lines = vec![collection("dl", "Downloads").to_string()];
    let mut sources = BTreeMap::new();
    for (id, tier, name, content) in &files {
        let href = archive_file(app, tier, name, content);
        lines.push(item(id, "dl", json!({}), json!({"data": {"href": href}})).to_string());
        sources.insert(id.to_string(), content.clone());
    }
    let folder = app.data_dir().join("stac-dl");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    import_folder(app, &folder).await;
    let order = id_of(&order_of(app, &app.user_token(), "dataset:dl").await);
    app.run_pending_jobs().await;
    assert_eq!(files_in(app, order, "AVAILABLE").await.len(), 4);
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, provider_id, filename FROM order_files WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(app.state.store.pool())
    .await
    .unwrap();
    let by_id = rows
        .into_iter()
        .map(|(id, provider, name)| (id, (name, sources[&provider].clone())))
        .collect();
    (order, by_id)
}

/// The files of `dir`, by name.
pub fn downloaded(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn aria2c_downloads_the_metalinks_and_unzip_checks_the_zip() {
    let app = spawn_app().await;
    let (order, files) = order_to_download(&app).await;
    let (_serve, address) = start_serve(&app.data_dir(), app.database_url()).await;
    let work = app.data_dir().join("clients");
    std::fs::create_dir_all(&work).unwrap();
    // curl fetches the zip, unzip checks it.
    let zip = work.join("order.zip");
    let user = app.user_token();
    run(tool("curl")
        .args(["--silent", "--fail", "--output"])
        .arg(&zip)
        .arg("--header")
        .arg(format!("Authorization: Bearer {user}"))
        .arg(format!("{address}/user/orders/{order}/download")));
    run(tool("unzip").arg("-tq").arg(&zip));
    crate::helpers::wait_until(
        Duration::from_secs(10),
        "the zip to be recorded",
        || async { files_in(&app, order, "DOWNLOADED").await.len() == 4 },
    )
    .await;

    // aria2c downloads every file of the Metalink 3 and of the Metalink 4, checking each hash.
    let mut expected_names = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for (name, _) in files.values() {
        expected_names.push(regards_order::download::unique_name(&mut taken, name));
    }
    for (format, extension) in [("", "metalink"), ("?format=meta4", "meta4")] {
        let metalink = work.join(format!("order.{extension}"));
        let url = format!("{address}/user/orders/{order}/metalink/download{format}");
        save(&url, &user, &metalink).await;
        let out = work.join(extension);
        run(tool("aria2c")
            .args([
                "--quiet=true",
                "--check-integrity=true",
                "--auto-file-renaming=false",
            ])
            .arg(format!("--dir={}", out.display()))
            .arg("--metalink-file")
            .arg(&metalink));
        let got = downloaded(&out);
        let mut names: Vec<&String> = got.keys().collect();
        names.sort();
        let mut want: Vec<&String> = expected_names.iter().collect();
        want.sort();
        assert_eq!(names, want, "{extension}");
        for ((_, content), name) in files.values().zip(&expected_names) {
            assert!(
                &got[name] == content,
                "{extension}: {name} differs from its source"
            );
        }
    }
}

/// Writes to `path` what `url` sends to the bearer of `token`.
async fn save(url: &str, token: &str, path: &Path) {
    let body = crate::helpers::http_client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    std::fs::write(path, &body).unwrap();
}

#[tokio::test]
async fn aria2c_resumes_a_file_cut_in_half_and_only_what_it_was_sent_counts() {
    let app = spawn_app().await;
    // Far larger than socket buffers, so that what aria2c's first request was written stays well below
    // the half it already has.
    let content = noise(9, 32 * 1024 * 1024 + 17);
    let (order, big) = order_of_one_big_file(&app, &content).await;
    let (_serve, address) = start_serve(&app.data_dir(), app.database_url()).await;
    let expiry = app.state.clock.now().plus(Duration::from_secs(3600));
    let order_token = app
        .state
        .keys
        .order_token("user@example.org", order, Some(expiry));

    // `aria2c -c` resumes a file of which the first half is already there: it asks for the rest only.
    let name = "big.bin";
    let resume = app.data_dir().join("clients/resume");
    std::fs::create_dir_all(&resume).unwrap();
    let half = content.len() / 2;
    std::fs::write(resume.join(name), &content[..half]).unwrap();
    let md5: String = sqlx::query_scalar("SELECT checksum FROM order_files WHERE id = $1")
        .bind(big)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    let url = format!("{address}/orders/public/files/{big}?orderToken={order_token}");
    run(tool("aria2c")
        .args([
            "-c",
            "--quiet=true",
            "--allow-overwrite=false",
            "--auto-file-renaming=false",
        ])
        .arg(format!("--checksum=md5={md5}"))
        .arg(format!("--dir={}", resume.display()))
        .arg(format!("--out={name}"))
        .arg(&url));
    assert!(std::fs::read(resume.join(name)).unwrap() == content);
    let (state, sent) = state_once_resumed_to_the_end(&app, big, content.len()).await;
    // The resumed range, and at most the prefix of aria2c's first request that was written before it
    // closed that connection (its probe): together they do not cover the file.
    assert_eq!(state, "AVAILABLE", "{sent:?}");
    let sent = sent.unwrap();
    let parsed: Vec<(usize, usize)> = sent
        .split(',')
        .map(|range| {
            let (start, end) = range.split_once('-').unwrap();
            (start.parse().unwrap(), end.parse().unwrap())
        })
        .collect();
    let (resumed_from, resumed_to) = *parsed.last().unwrap();
    assert!(
        resumed_from > 0 && resumed_from <= half && resumed_to == content.len(),
        "resumed at the piece boundary before the cut ({half}): {sent}"
    );
    match parsed.as_slice() {
        [_] => {}
        [(0, probe_end), _] => assert!(*probe_end < resumed_from, "{sent}"),
        _ => panic!("unexpected ranges {sent}"),
    }
}

/// The processed order of the dataset `big`, whose one object has a file of `content`: the order's id
/// and the file's.
async fn order_of_one_big_file(app: &TestApp, content: &[u8]) -> (i64, i64) {
    let href = archive_file(app, "online", "big/big.bin", content);
    let lines = [
        collection("big", "Big").to_string(),
        item("big", "big", json!({}), json!({"data": {"href": href}})).to_string(),
    ];
    let folder = app.data_dir().join("stac-big");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    import_folder(app, &folder).await;
    let order = id_of(&order_of(app, &app.user_token(), "dataset:big").await);
    app.run_pending_jobs().await;
    let big = files_in(app, order, "AVAILABLE").await[0];
    (order, big)
}

/// (state, sent_ranges) of the file, once the ranges sent reach its end (`len`).
async fn state_once_resumed_to_the_end(
    app: &TestApp,
    file: i64,
    len: usize,
) -> (String, Option<String>) {
    let ranges = || async {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT state, sent_ranges FROM order_files WHERE id = $1",
        )
        .bind(file)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
    };
    let end = format!("-{len}");
    crate::helpers::wait_until(
        Duration::from_secs(10),
        "the resumed range to be recorded",
        || async { ranges().await.1.is_some_and(|sent| sent.ends_with(&end)) },
    )
    .await;
    ranges().await
}
