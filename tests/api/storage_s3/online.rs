//! An online S3 storage: import, then zip, whole file, ranges and redirects from the bucket.

use serde_json::json;

use super::*;
use crate::downloads::zip::entries;

/// moto with `archive/online/a.dat` (300 KiB), `online/b.dat`, `online-extra/c.dat`; an app whose
/// storage `s3` is `archive/online` (download as `mode` says), with `a` (`s3://`, size and checksum
/// declared) and `b` (an `http` href under the endpoint, size from a HEAD) imported.
async fn online_order(mode: DownloadMode) -> Option<(Moto, TestApp, Vec<u8>, Vec<u8>)> {
    let moto = Moto::start().await?;
    moto.create_bucket("archive").await;
    let (a, b) = (content(300 * 1024, 1), content(1000, 2));
    moto.put("archive", "online/a.dat", &a, None).await;
    moto.put("archive", "online/b.dat", &b, None).await;
    moto.put("archive", "online-extra/c.dat", b"c", None).await;
    let mut storage = s3_storage(&moto, "s3", StorageKind::Online, "online");
    storage.download = mode;
    let app = app_with(|config| config.storages.push(storage)).await;
    let report = import(
        &app,
        vec![
            asset_item(
                "s3-a",
                1,
                json!({"href": "s3://archive/online/a.dat", "file:size": a.len(),
                                     "file:checksum": md5_multihash(&a)}),
            ),
            asset_item(
                "s3-b",
                2,
                json!({"href": format!("{}/archive/online/b.dat", moto.endpoint)}),
            ),
            asset_item(
                "s3-c",
                3,
                json!({"href": "s3://archive/online-extra/c.dat"}),
            ),
            asset_item("s3-d", 4, json!({"href": "s3://elsewhere/online/d.dat"})),
        ],
    )
    .await;
    assert_eq!(
        (report.imported, report.rejected, report.files),
        (4, 0, 2),
        "{:?}",
        report.problems
    );
    assert_eq!(report.assets_skipped, 2, "{:?}", report.problems);
    let problems = report.problems.join("\n");
    assert!(
        problems.contains("s3://archive/online-extra/c.dat is under no storage bucket"),
        "{problems}"
    );
    assert!(
        problems.contains("s3://elsewhere/online/d.dat"),
        "{problems}"
    );
    Some((moto, app, a, b))
}

#[tokio::test]
async fn s3_hrefs_import_into_the_storage_of_their_bucket_and_prefix() {
    let Some((_moto, app, a, b)) = online_order(DownloadMode::Proxy).await else {
        return;
    };
    let rows: Vec<(String, String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT uri, storage, size, checksum FROM files ORDER BY uri")
            .fetch_all(app.state.store.pool())
            .await
            .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].0, "s3://archive/online/a.dat");
    assert_eq!(
        (rows[0].1.as_str(), rows[0].2),
        ("s3", Some(a.len() as i64))
    );
    assert!(rows[0].3.is_some(), "declared checksum kept");
    assert_eq!(rows[1].0, "s3://archive/online/b.dat");
    assert_eq!(rows[1].2, Some(b.len() as i64), "size from a HEAD");
    assert_eq!(rows[1].3, None, "never a checksum from an ETag");
}

#[tokio::test]
async fn an_online_s3_order_is_served_from_the_bucket_as_zip_file_and_ranges() {
    let Some((_moto, app, a, b)) = online_order(DownloadMode::Proxy).await else {
        return;
    };
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:s3").await;
    let (fa, fb) = (
        file_id(&app, id, "s3-a").await,
        file_id(&app, id, "s3-b").await,
    );
    assert_eq!(file_state(&app, fa).await.0, "AVAILABLE");

    let zip = get(
        &app,
        &format!("/user/orders/{id}/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(zip.status(), 200);
    let mut zipped = entries(&zip.bytes().await.unwrap());
    zipped.sort();
    let names: Vec<(&str, usize)> = zipped.iter().map(|(n, c)| (n.as_str(), c.len())).collect();
    assert_eq!(names, [("a.dat", a.len()), ("b.dat", b.len())]);
    assert!(zipped[0].1 == a && zipped[1].1 == b, "zipped bytes differ");
    // Files zipped are DOWNLOADED, and may be fetched again.
    let whole = get(&app, &format!("/orders/files/{fb}"), Some(&token), &[]).await;
    assert_eq!(whole.status(), 200);
    assert!(whole.bytes().await.unwrap() == b, "whole file differs");
    let range = [("range", "bytes=1000-70999")];
    let part = get(&app, &format!("/orders/files/{fa}"), Some(&token), &range).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-70999/{}", a.len())
    );
    assert_eq!(
        part.bytes().await.unwrap().to_vec(),
        a[1000..71000].to_vec()
    );
}

#[tokio::test]
async fn under_redirect_a_file_is_a_presigned_url_and_downloaded_when_sent() {
    let Some((_moto, app, a, _)) = online_order(DownloadMode::Redirect).await else {
        return;
    };
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:s3").await;
    let fa = file_id(&app, id, "s3-a").await;
    let head = app
        .client
        .head(app.url(&format!("/orders/files/{fa}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200, "HEAD is answered by the service");
    assert_eq!(head.headers()["content-length"], a.len().to_string());
    assert_eq!(
        file_state(&app, fa).await.0,
        "AVAILABLE",
        "HEAD never counts"
    );

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client
        .get(app.url(&format!("/orders/files/{fa}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 307);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("X-Amz-Signature="), "{location}");
    let fetched = client.get(&location).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert!(
        fetched.bytes().await.unwrap() == a,
        "presigned bytes differ"
    );
    crate::helpers::wait_until(std::time::Duration::from_secs(10), "DOWNLOADED", || async {
        file_state(&app, fa).await.0 == "DOWNLOADED"
    })
    .await;
    // The redirect counts toward the owner's quota, and its slot is given back at once.
    crate::helpers::wait_until(std::time::Duration::from_secs(10), "counted", || async {
        let usage = crate::downloads::quotas::usage(&app).await;
        usage["currentQuota"] == 1 && usage["currentRate"] == 0
    })
    .await;
    let body = serde_json::json!({"maxQuota": 1, "rateLimit": -1});
    crate::downloads::quotas::set_quota(&app, "user@example.org", body).await;
    app.state.clock.advance(std::time::Duration::from_secs(61));
    let over = client
        .get(app.url(&format!("/orders/files/{fa}")))
        .bearer_auth(app.user_token())
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 429, "no redirect over the quota");
}
