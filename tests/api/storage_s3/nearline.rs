//! A nearline S3 storage: archived (GLACIER) objects restored, copied into the cache with their checksum
//! checked; a corrupt one in ERROR with its reason; secrets never logged.

use serde_json::json;

use super::*;

#[tokio::test]
async fn archived_objects_are_restored_into_the_cache_and_a_corrupt_one_is_an_error() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("archive").await;
    let (good, bad) = (content(5000, 3), content(4000, 4));
    moto.put("archive", "tape/good.dat", &good, Some("GLACIER"))
        .await;
    moto.put("archive", "tape/bad.dat", &bad, Some("GLACIER"))
        .await;
    moto.put("archive", "tape/ready.dat", b"ready", None).await;
    let mut storage = s3_storage(&moto, "tape", StorageKind::Nearline, "tape");
    let app = app_with(|config| {
        storage.cache_dir = Some(config.data_dir.join("cache").join("tape"));
        config.storages.push(storage)
    })
    .await;
    let report = import(&app, vec![
        asset_item("n-good", 1, json!({"href": "s3://archive/tape/good.dat", "file:checksum": md5_multihash(&good)})),
        asset_item("n-bad", 2, json!({"href": "s3://archive/tape/bad.dat", "file:checksum": md5_multihash(b"other")})),
        asset_item("n-ready", 3, json!({"href": "s3://archive/tape/ready.dat"})),
    ])
    .await;
    assert_eq!(
        (report.files, report.assets_skipped),
        (3, 0),
        "{:?}",
        report.problems
    );
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:s3").await;
    let good_id = file_id(&app, id, "n-good").await;
    assert_eq!(file_state(&app, good_id).await, ("AVAILABLE".into(), None));
    let ready = file_id(&app, id, "n-ready").await;
    assert_eq!(file_state(&app, ready).await.0, "AVAILABLE");
    let (state, error) = file_state(&app, file_id(&app, id, "n-bad").await).await;
    assert_eq!(state, "ERROR");
    assert!(error.unwrap_or_default().contains("checksum mismatch"));

    let served = get(&app, &format!("/orders/files/{good_id}"), Some(&token), &[]).await;
    assert_eq!(served.status(), 200);
    assert!(
        served.bytes().await.unwrap() == good,
        "restored bytes differ"
    );
    let copies = crate::helpers::files_in(
        &app.data_dir()
            .join("cache")
            .join("tape")
            .join(id.to_string()),
    );
    assert_eq!(copies.len(), 2, "{copies:?}");
}

#[tokio::test]
async fn an_archived_object_gone_is_an_error_with_the_store_reason() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("archive").await;
    let mut storage = s3_storage(&moto, "tape", StorageKind::Nearline, "tape");
    let app = app_with(|config| {
        storage.cache_dir = Some(config.data_dir.join("cache").join("tape"));
        config.storages.push(storage)
    })
    .await;
    let report = import(
        &app,
        vec![asset_item(
            "n-gone",
            1,
            json!({"href": "s3://archive/tape/gone.dat", "file:size": 10}),
        )],
    )
    .await;
    assert_eq!(report.files, 1, "{:?}", report.problems);
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:s3").await;
    let (state, error) = file_state(&app, file_id(&app, id, "n-gone").await).await;
    assert_eq!(state, "ERROR");
    let error = error.unwrap_or_default();
    assert!(error.contains("s3://archive/tape/gone.dat"), "{error}");
}
