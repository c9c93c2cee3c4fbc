//! Download quotas (docs/decisions.md "Download quotas"): the admin and user endpoints, RAWDATA files
//! counted each time they are delivered whole (ranges once they cover the file), 429s for the quota and
//! the rate, zips, public tokens, the window, leases, and concurrency.

use std::time::Duration;

use regards_order::auth::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::files::{get_file, read_the_first_mib_and_leave, state_of};
use super::{file_id, get, processed_order};
use crate::helpers::{TestApp, spawn_app_with, wait_until};
use crate::orders::app_with_orders_catalog;

const USER: &str = "user@example.org";

pub async fn set_quota(app: &TestApp, user: &str, body: Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/quotas/{user}")))
        .bearer_auth(app.admin_token())
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn limit(app: &TestApp, max_quota: i64, rate_limit: i64) {
    let body = json!({"maxQuota": max_quota, "rateLimit": rate_limit});
    assert_eq!(set_quota(app, USER, body).await.status(), 200);
}

/// `GET /user/quota` for the user of the tests (a token made now: tests move the clock).
pub async fn usage(app: &TestApp) -> Value {
    let response = get(app, "/user/quota", Some(&app.user_token()), &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn quota_reaches(app: &TestApp, used: i64) {
    wait_until(Duration::from_secs(10), "the quota's count", || async {
        usage(app).await["currentQuota"] == used
    })
    .await;
}

async fn message(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["messages"][0].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn admins_set_a_users_limits_and_users_read_theirs() {
    let app = spawn_app_with(|config| {
        config.quotas.max_quota = 10;
        config.quotas.rate_limit = 3;
    })
    .await;
    let defaults = json!({"maxQuota": 10, "rateLimit": 3, "currentQuota": 0, "currentRate": 0});
    assert_eq!(
        usage(&app).await,
        defaults,
        "a user never seen has the defaults"
    );
    let admin = app.admin_token();
    let read = get(&app, "/quotas/someone@example.org", Some(&admin), &[]).await;
    assert_eq!(read.json::<Value>().await.unwrap(), defaults);
    let user = app.user_token();
    let refused = get(&app, "/quotas/someone@example.org", Some(&user), &[]).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(get(&app, "/quotas/x", None, &[]).await.status(), 401);

    let set = set_quota(&app, USER, json!({"maxQuota": 2, "rateLimit": -1})).await;
    assert_eq!(set.status(), 200);
    let expected = json!({"maxQuota": 2, "rateLimit": -1, "currentQuota": 0, "currentRate": 0});
    assert_eq!(set.json::<Value>().await.unwrap(), expected);
    assert_eq!(usage(&app).await, expected);

    bad_limits_are_refused(&app).await;
    assert_eq!(
        usage(&app).await,
        expected,
        "refused changes changed nothing"
    );
}

/// 422 for a wrong value, 400 for what is not JSON.
async fn bad_limits_are_refused(app: &TestApp) {
    for (body, status, says) in [
        (
            json!({"maxQuota": -2, "rateLimit": 1}),
            422,
            "maxQuota must be -1 (no limit) or more",
        ),
        (
            json!({"maxQuota": 1}),
            422,
            "Give both \"maxQuota\" and \"rateLimit\"",
        ),
        (
            json!({"maxQuota": 1, "rateLimit": 1, "other": 1}),
            422,
            "unknown field `other`",
        ),
        (json!({"maxQuota": "many", "rateLimit": 1}), 422, "maxQuota"),
        (json!("nope"), 422, "Invalid request body"),
    ] {
        let response = set_quota(app, USER, body.clone()).await;
        assert_eq!(response.status(), status, "{body}");
        let text = message(response).await;
        assert!(text.contains(says), "{body}: {text}");
    }
    let malformed = app
        .client
        .put(app.url(&format!("/quotas/{USER}")))
        .bearer_auth(app.admin_token())
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn whole_downloads_count_each_time_ranges_once_and_a_used_up_quota_is_refused() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let [one, two, three, external] = ["alpha-1", "alpha-2", "alpha-3", "alpha-ext"];
    let (one, two) = (
        file_id(&app, order, one).await,
        file_id(&app, order, two).await,
    );
    let three = file_id(&app, order, three).await;
    let external = file_id(&app, order, external).await;
    limit(&app, 3, -1).await;

    // The same file whole twice counts twice.
    for used in 1..=2 {
        let whole = get_file(&app, &token, one, &[]).await;
        assert_eq!(whole.status(), 200);
        assert_eq!(whole.bytes().await.unwrap().len(), 100);
        quota_reaches(&app, used).await;
    }
    // Two ranges count once, when they cover the file.
    let first = get_file(&app, &token, two, &[("range", "bytes=0-49")]).await;
    assert_eq!(first.status(), 206);
    first.bytes().await.unwrap();
    wait_until(
        Duration::from_secs(10),
        "the range to be recorded",
        || async { coverage(&app, two).await.as_deref() == Some("0-50") },
    )
    .await;
    assert_eq!(usage(&app).await["currentQuota"], 2);
    let second = get_file(&app, &token, two, &[("range", "bytes=50-")]).await;
    assert_eq!(second.status(), 206);
    second.bytes().await.unwrap();
    quota_reaches(&app, 3).await;
    assert_eq!(coverage(&app, two).await, None, "its ranges start again");

    // Used up: 429 without Retry-After (waiting does not help); HEAD is still answered.
    let refused = get_file(&app, &token, three, &[]).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_none());
    let said = message(refused).await;
    assert!(
        said.starts_with("Download quota exceeded: user@example.org may download 3 RAWDATA files"),
        "{said}"
    );
    assert_eq!(state_of(&app, three).await, "AVAILABLE");
    let head = app.client.head(app.url(&format!("/orders/files/{three}")));
    assert_eq!(head.bearer_auth(&token).send().await.unwrap().status(), 200);
    // External files never count: this one fails on its own server, not on the quota.
    let outside = get_file(&app, &token, external, &[]).await;
    assert_eq!(outside.status(), 502);

    // A public order token downloads with its owner's quota.
    let expires = app.state.clock.now().plus(Duration::from_secs(3600));
    let order_token = app.state.keys.order_token(USER, order, Some(expires));
    let public = format!("/orders/public/files/{three}?orderToken={order_token}");
    assert_eq!(get(&app, &public, None, &[]).await.status(), 429);
    limit(&app, 4, -1).await;
    let allowed = get(&app, &public, None, &[]).await;
    assert_eq!(allowed.status(), 200);
    allowed.bytes().await.unwrap();
    quota_reaches(&app, 4).await;
    // An admin downloading the order spends its owner's quota too.
    let four = file_id(&app, order, "alpha-4").await;
    let by_admin = get_file(&app, &app.admin_token(), four, &[]).await;
    assert_eq!(by_admin.status(), 429);
}

/// The ranges of a file delivered to the user towards a whole delivery.
async fn coverage(app: &TestApp, file: i64) -> Option<String> {
    sqlx::query_scalar("SELECT ranges FROM quota_coverage WHERE owner = $1 AND file_id = $2")
        .bind(USER)
        .bind(file)
        .fetch_optional(app.state.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_zip_is_one_download_and_names_the_files_over_the_quota() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    limit(&app, 2, -1).await;
    let zip = get(
        &app,
        &format!("/user/orders/{order}/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(zip.status(), 200);
    let entries = super::zip::entries(&zip.bytes().await.unwrap());
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["1.dat", "2.dat", "NOTICE.txt"]);
    let notice = String::from_utf8(entries[2].1.clone()).unwrap();
    let over: Vec<&str> = notice
        .lines()
        .filter(|line| line.ends_with(": Download failed due to exceeded quota."))
        .collect();
    assert_eq!(
        over,
        [
            "Failed to download file (3.dat): Download failed due to exceeded quota.",
            "Failed to download file (4.dat): Download failed due to exceeded quota.",
        ],
        "{notice}"
    );
    quota_reaches(&app, 2).await;
    for (provider, state) in [("alpha-1", "DOWNLOADED"), ("alpha-4", "DOWNLOAD_ERROR")] {
        let file = file_id(&app, order, provider).await;
        wait_until(Duration::from_secs(10), state, || async {
            state_of(&app, file).await == state
        })
        .await;
    }
    assert_eq!(
        usage(&app).await["currentRate"],
        0,
        "the zip gave its slot back"
    );
}

#[tokio::test]
async fn downloads_count_for_the_window_only() {
    let app = crate::orders::app_with_orders_catalog_and(|config| {
        config.quotas.window = Some(Duration::from_secs(3600));
    })
    .await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let (one, two) = (
        file_id(&app, order, "alpha-1").await,
        file_id(&app, order, "alpha-2").await,
    );
    limit(&app, 1, -1).await;
    get_file(&app, &token, one, &[])
        .await
        .bytes()
        .await
        .unwrap();
    quota_reaches(&app, 1).await;
    let refused = get_file(&app, &token, two, &[]).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (3590..=3600).contains(&retry),
        "the first download leaves the window then: {retry}"
    );
    let said = message(refused).await;
    assert!(
        said.contains("1 RAWDATA files in the last 1 hour"),
        "{said}"
    );

    app.state.clock.advance(Duration::from_secs(3601));
    assert_eq!(usage(&app).await["currentQuota"], 0, "the window let it go");
    let token = app.user_token();
    assert_eq!(get_file(&app, &token, two, &[]).await.status(), 200);
}

#[tokio::test]
async fn concurrent_downloads_never_pass_the_quota() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let mut files = vec![];
    for provider in ["alpha-1", "alpha-2", "alpha-3", "alpha-4"] {
        files.push(file_id(&app, order, provider).await);
    }
    limit(&app, 2, -1).await;
    let downloads = files.iter().map(|file| {
        let (app, token) = (&app, &token);
        async move {
            let response = get_file(app, token, *file, &[]).await;
            let status = response.status().as_u16();
            response.bytes().await.unwrap();
            status
        }
    });
    let mut statuses = futures::future::join_all(downloads).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429, 429]);
    quota_reaches(&app, 2).await;
}

#[tokio::test]
async fn a_slot_whose_lease_ended_is_free_again() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let file = file_id(&app, order, "alpha-1").await;
    limit(&app, -1, 1).await;
    // A process that died while downloading: its slot's lease ran out a moment ago.
    let ended = app.state.clock.now().millis() - 1;
    sqlx::query(
        "INSERT INTO running_downloads (owner, file_id, reserved, lease_until) VALUES ($1, 999, 1, $2)",
    )
    .bind(USER)
    .bind(ended)
    .execute(app.state.store.pool())
    .await
    .unwrap();
    assert_eq!(usage(&app).await["currentRate"], 0);
    assert_eq!(get_file(&app, &token, file, &[]).await.status(), 200);
}

/// Two sparse files of [`super::files::BIG`] bytes in dataset `big` (`big-1`, `big-2`); their order,
/// processed, and its files' ids.
pub async fn big_order(app: &TestApp) -> (i64, i64, i64) {
    let mut lines = vec![crate::catalog::fixture::collection("big", "Big").to_string()];
    for n in 1..=2 {
        let path = app.data_dir().join(format!("archive/online/big/{n}.dat"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(super::files::BIG).unwrap();
        let data = json!({"data": {"href": path.display().to_string()}});
        let item = crate::catalog::fixture::item(&format!("big-{n}"), "big", json!({}), data);
        lines.push(item.to_string());
    }
    let folder = app.data_dir().join("stac-big");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    crate::catalog::fixture::import_folder(app, &folder).await;
    let order = processed_order(app, &app.user_token(), "dataset:big").await;
    let first = file_id(app, order, "big-1").await;
    (order, first, file_id(app, order, "big-2").await)
}

/// Starts downloading `path` from `base` (`http://host:port`) on a raw connection and reads only the
/// status line: the download runs (its server blocked on a full socket) until the connection is dropped.
pub async fn hold(base: &str, token: &str, path: &str) -> tokio::net::TcpStream {
    let address = base.trim_start_matches("http://").trim_end_matches('/');
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    socket.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "{path}");
    socket
}

#[tokio::test]
async fn a_download_cut_short_does_not_count_and_the_rate_limit_holds_while_one_runs() {
    let app = spawn_app_with(|_| {}).await;
    let (order, first, second) = big_order(&app).await;
    let token = app.user_token();
    limit(&app, 1, 1).await;

    read_the_first_mib_and_leave(&app, &token, first).await;
    wait_until(
        Duration::from_secs(10),
        "the slot to be given back",
        || async { usage(&app).await["currentRate"] == 0 },
    )
    .await;
    assert_eq!(
        usage(&app).await["currentQuota"],
        0,
        "a download cut short does not count"
    );

    let base = app.url("");
    let held = hold(&base, &token, &format!("/orders/files/{first}")).await;
    assert_eq!(usage(&app).await["currentRate"], 1);
    let refused = get_file(&app, &token, second, &[]).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "10");
    let said = message(refused).await;
    assert!(said.starts_with("Too many downloads at the same time: user@example.org may run 1"));
    let zip = get(
        &app,
        &format!("/user/orders/{order}/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(zip.status(), 429, "a zip is a download too");
    // Another range of the file being downloaded is the same download (a split download).
    let range = get_file(&app, &token, first, &[("range", "bytes=0-9")]).await;
    assert_eq!(range.status(), 206);
    range.bytes().await.unwrap();

    drop(held);
    wait_until(
        Duration::from_secs(10),
        "the held slot to be given back",
        || async { usage(&app).await["currentRate"] == 0 },
    )
    .await;
    let whole = get_file(&app, &token, second, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().len() as u64, super::files::BIG);
    quota_reaches(&app, 1).await;
    let used_up = get_file(&app, &token, first, &[]).await;
    assert_eq!(used_up.status(), 429);
    let other = app.token("other@example.org", Role::RegisteredUser);
    let not_theirs = get_file(&app, &other, first, &[]).await;
    assert_eq!(not_theirs.status(), 403, "rights come before quotas");
}

#[tokio::test]
async fn a_file_just_delivered_may_be_asked_again_for_a_minute() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let file = file_id(&app, order, "alpha-1").await;
    limit(&app, 1, -1).await;
    get_file(&app, &token, file, &[])
        .await
        .bytes()
        .await
        .unwrap();
    quota_reaches(&app, 1).await;
    // A download manager asking for the last pieces the server already wrote to a cut connection.
    let piece = get_file(&app, &token, file, &[("range", "bytes=90-")]).await;
    assert_eq!(piece.status(), 206);
    piece.bytes().await.unwrap();
    // A minute later, it is a new download, over the quota.
    app.state.clock.advance(Duration::from_secs(61));
    let token = app.user_token();
    assert_eq!(get_file(&app, &token, file, &[]).await.status(), 429);
    assert_eq!(
        usage(&app).await["currentQuota"],
        1,
        "the piece alone did not count"
    );
}
