//! Download managers split files over several connections and cut the ones they no longer need: every
//! byte range a client received counts, so a file fetched that way is DOWNLOADED however it was split.

use std::time::Duration;

use serde_json::json;

use super::downloads::{downloaded, noise, run, tool};
use super::start_serve;
use crate::catalog::fixture::{archive_file, collection, import_folder, item};
use crate::helpers::{TestApp, spawn_app, wait_until};
use crate::orders::{files_in, id_of, order_of};

/// Three online files of several MiB (sizes not multiples of the 1 MiB pieces).
async fn split_catalog(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let sizes = [
        6 * 1024 * 1024 + 5,
        5 * 1024 * 1024 - 3,
        4 * 1024 * 1024 + 1234,
    ];
    let mut lines = vec![collection("split", "Split downloads").to_string()];
    let mut files = Vec::new();
    for (n, size) in sizes.into_iter().enumerate() {
        let name = format!("s{n}.bin");
        let content = noise(10 + n as u64, size);
        let href = archive_file(app, "online", &format!("split/{name}"), &content);
        let data = json!({"data": {"href": href}});
        lines.push(item(&format!("s{n}"), "split", json!({}), data).to_string());
        files.push((name, content));
    }
    let folder = app.data_dir().join("stac-split");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    import_folder(app, &folder).await;
    files
}

#[tokio::test]
async fn aria2c_split_downloads_leave_every_file_downloaded_ten_times_over() {
    let app = spawn_app().await;
    let files = split_catalog(&app).await;
    let (_serve, address) = start_serve(&app.data_dir(), app.database_url()).await;
    let user = app.user_token();
    // Exactly enough for ten runs, three files at a time: the split connections of one file are one
    // download, counted once when their ranges cover it (docs/decisions.md "Download quotas").
    let quota = json!({"maxQuota": 30, "rateLimit": 3});
    let set = crate::downloads::quotas::set_quota(&app, "user@example.org", quota).await;
    assert_eq!(set.status(), 200);
    for run_number in 0..10 {
        // A fresh order each time, processed by the serve process's own workers.
        let order = id_of(&order_of(&app, &user, "dataset:split").await);
        wait_until(
            Duration::from_secs(30),
            "the order to be staged",
            || async { files_in(&app, order, "AVAILABLE").await.len() == files.len() },
        )
        .await;
        let got = split_download(&app, &address, order, run_number).await;
        for (name, content) in &files {
            assert!(got.get(name) == Some(content), "run {run_number}: {name}");
        }
        // Each file's state is recorded within 5 s after its connections closed.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while files_in(&app, order, "DOWNLOADED").await.len() < files.len()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let states = file_states(&app, order).await;
        assert!(
            states.iter().all(|(state, _, _)| state == "DOWNLOADED"),
            "run {run_number}, order {order}: {states:?}"
        );
        let counted = 3 * (run_number + 1);
        let what = format!("run {run_number}: each file counted once, every slot given back");
        wait_until(Duration::from_secs(5), &what, || async {
            let usage = crate::downloads::quotas::usage(&app).await;
            usage["currentQuota"] == counted && usage["currentRate"] == 0
        })
        .await;
    }
}

/// aria2c fetches the order's metalink with 4 connections per file, in 1 MiB pieces: the files it got.
async fn split_download(
    app: &TestApp,
    address: &str,
    order: i64,
    run_number: usize,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let (client, user) = (reqwest::Client::new(), app.user_token());
    let metalink = client
        .get(format!("{address}/user/orders/{order}/metalink/download"))
        .bearer_auth(&user)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let work = app.data_dir().join(format!("split-{run_number}"));
    std::fs::create_dir_all(&work).unwrap();
    let metalink_file = work.join("order.metalink");
    std::fs::write(&metalink_file, &metalink).unwrap();
    let out = work.join("files");
    run(tool("aria2c")
        .args([
            "--quiet=true",
            "-x4",
            "-s4",
            "-k1M",
            "--min-split-size=1M",
            "--check-integrity=true",
            "--auto-file-renaming=false",
        ])
        .arg(format!("--dir={}", out.display()))
        .arg("--metalink-file")
        .arg(&metalink_file));
    downloaded(&out)
}

/// State, size and ranges sent of each file of the order.
async fn file_states(app: &TestApp, order: i64) -> Vec<(String, Option<i64>, Option<String>)> {
    sqlx::query_as(
        "SELECT state, size, sent_ranges FROM order_files WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(app.state.store.pool())
    .await
    .unwrap()
}
