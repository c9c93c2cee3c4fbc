//! STAC import: from folders (as the CLI) and over HTTP; idempotence; frozen creation dates; rejects.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::fixture::{archive_file, collection, import_folder, item, matching, write_fixture};
use crate::helpers::{TestApp, spawn_app};

/// (providerId, ipId, creationDate, lastUpdate) of every object.
async fn objects(app: &crate::helpers::TestApp) -> Vec<(String, String, String, String)> {
    let body: Value = app
        .get_as(&app.user_token(), "/catalog/search", &[("size", "1000")])
        .await
        .json()
        .await
        .unwrap();
    let mut rows: Vec<_> = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let o = &r["content"];
            let text = |k: &str| o[k].as_str().unwrap().to_owned();
            (
                text("providerId"),
                text("ipId"),
                text("creationDate"),
                text("lastUpdate"),
            )
        })
        .collect();
    rows.sort();
    rows
}

async fn summary(app: &crate::helpers::TestApp) -> Value {
    let body: Value = app
        .get_as(&app.user_token(), "/catalog/summary", &[])
        .await
        .json()
        .await
        .unwrap();
    body["content"].clone()
}

#[tokio::test]
async fn importing_the_same_folder_twice_updates_in_place() {
    let app = spawn_app().await;
    let folder = write_fixture(&app);
    let first = import_folder(&app, &folder).await;
    assert_eq!(
        (
            first.imported,
            first.updated,
            first.rejected,
            first.datasets
        ),
        (5, 0, 0, 2)
    );
    let before = objects(&app).await;
    let summary_before = summary(&app).await;

    app.state.clock.advance(Duration::from_secs(60));
    let second = import_folder(&app, &folder).await;
    assert_eq!(
        (second.imported, second.updated, second.rejected),
        (0, 5, 0)
    );
    let after = objects(&app).await;
    assert_eq!(summary(&app).await, summary_before, "same counts");
    assert_eq!(before.len(), after.len());
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            (&old.0, &old.1, &old.2),
            (&new.0, &new.1, &new.2),
            "same ipId and creationDate"
        );
        assert!(new.3 > old.3, "later lastUpdate: {} then {}", old.3, new.3);
    }
}

#[tokio::test]
async fn objects_imported_after_a_date_are_excluded_by_a_frozen_query() {
    let app = spawn_app().await;
    import_folder(&app, &write_fixture(&app)).await;
    app.state.clock.advance(Duration::from_secs(1800));
    let frozen = app.state.clock.now();
    app.state.clock.advance(Duration::from_secs(1800));

    let later = app.data_dir().join("stac-later");
    std::fs::create_dir_all(&later).unwrap();
    let items: Vec<String> = (1..=2)
        .map(|n| {
            let href = archive_file(&app, "online", &format!("later/{n}.dat"), b"later");
            item(
                &format!("late-{n}"),
                "optical",
                json!({"title": "Late"}),
                json!({"data": {"href": href}}),
            )
            .to_string()
        })
        .collect();
    std::fs::write(later.join("items.ndjson"), items.join("\n")).unwrap();
    let report = import_folder(&app, &later).await;
    assert_eq!(report.imported, 2);

    let q = format!(
        "dataset:optical AND creationDate:[* TO {}]",
        frozen.to_iso()
    );
    assert_eq!(matching(&app, &q).await, ["opt-1", "opt-2", "opt-3"]);
    assert_eq!(
        matching(&app, "dataset:optical").await,
        ["late-1", "late-2", "opt-1", "opt-2", "opt-3"]
    );
}

#[tokio::test]
async fn bad_items_are_reported_with_their_place_and_the_import_goes_on() {
    let app = spawn_app().await;
    let folder = app.data_dir().join("stac-bad");
    std::fs::create_dir_all(&folder).unwrap();
    let good = archive_file(&app, "online", "ok.dat", b"ok");
    let missing = app
        .data_dir()
        .join("archive/online/missing.dat")
        .display()
        .to_string();
    let lines = [
        item("good", "c", json!({}), json!({"data": {"href": good}})).to_string(),
        "{\"type\": \"Feature\", \"id\": ".to_owned(),
        item("lost", "c", json!({}), json!({"data": {"href": missing}})).to_string(),
        json!({"type": "Feature", "id": "orphan"}).to_string(),
        String::new(),
        item(
            "outside",
            "c",
            json!({}),
            json!({"data": {"href": "/etc/hostname"}}),
        )
        .to_string(),
    ];
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    std::fs::write(folder.join("broken.json"), "{not json").unwrap();
    let report = import_folder(&app, &folder).await;
    assert_eq!(
        (report.imported, report.rejected, report.assets_skipped),
        (3, 3, 2),
        "{:#?}",
        report.problems
    );
    let problems = report.problems.join("\n");
    assert!(
        problems.contains("broken.json: malformed JSON: key must be a string at line 1 column 2"),
        "{problems}"
    );
    assert!(
        problems.contains("items.ndjson:2: malformed JSON"),
        "{problems}"
    );
    assert!(
        problems.contains("items.ndjson:3: lost: asset data skipped: file"),
        "{problems}"
    );
    assert!(problems.contains("is missing or unreadable"), "{problems}");
    assert!(
        problems.contains("items.ndjson:4: item \"orphan\": missing \"collection\""),
        "{problems}"
    );
    assert!(
        problems.contains("items.ndjson:6: outside: asset data skipped")
            && problems.contains("under no storage root"),
        "{problems}"
    );
    // Items whose assets were all skipped are still objects (with their metadata), without files.
    assert_eq!(matching(&app, "").await, ["good", "lost", "outside"]);
}

#[tokio::test]
async fn one_bad_asset_is_skipped_and_reported_and_its_item_kept() {
    let app = spawn_app().await;
    let folder = write_an_item_with_bad_assets(&app);
    let report = import_folder(&app, &folder).await;
    assert_eq!(
        (
            report.imported,
            report.rejected,
            report.files,
            report.assets_skipped,
            report.checksums_dropped
        ),
        (1, 0, 2, 5, 1),
        "{:#?}",
        report.problems
    );
    let problems = report.problems.join("\n");
    for expected in [
        "mixed: asset overview skipped: file",
        "mixed: asset visual skipped: unsupported href scheme ftp://",
        "mixed: asset thumbnail skipped: missing field `href`",
        "mixed: asset size skipped: invalid type: string \"three\"",
        "mixed: asset typed skipped: unknown data type \"PICTURE\"",
        "mixed: asset checksum: checksum dropped: file:checksum \"not hex\" is not a hex multihash",
    ] {
        assert!(problems.contains(expected), "{expected}\n{problems}");
    }
    assert!(
        report
            .summary_line()
            .ends_with("5 assets skipped, 1 checksums dropped"),
        "{}",
        report.summary_line()
    );
    the_good_assets_are_kept_with_their_checksums(&app).await;
}

/// A folder with the item `mixed`: a sound data asset, a sound one whose checksum is dropped, and five
/// bad ones.
fn write_an_item_with_bad_assets(app: &TestApp) -> PathBuf {
    let folder = app.data_dir().join("stac-assets");
    std::fs::create_dir_all(&folder).unwrap();
    let data = archive_file(app, "online", "mixed/data.dat", b"data bytes");
    let quicklook = archive_file(app, "online", "mixed/ql.png", b"png");
    let outside = app.data_dir().join("elsewhere.png");
    std::fs::write(&outside, b"not in a root").unwrap();
    let assets = json!({
        "data": {"href": data, "roles": ["data"], "file:checksum": "d50110ffffffffffffffffffffffffffffffff"},
        "overview": {"href": outside.display().to_string(), "roles": ["overview"]},
        "visual": {"href": "ftp://ftp.example.org/visual.png", "roles": ["visual"]},
        "thumbnail": {"roles": ["thumbnail"]},
        "size": {"href": quicklook, "roles": ["overview"], "file:size": "three"},
        "typed": {"href": quicklook, "regards:data_type": "PICTURE"},
        "checksum": {"href": quicklook, "roles": ["overview"], "file:checksum": "not hex"},
    });
    let line = item("mixed", "c", json!({"title": "Mixed"}), assets).to_string();
    std::fs::write(folder.join("items.ndjson"), line).unwrap();
    folder
}

async fn the_good_assets_are_kept_with_their_checksums(app: &TestApp) {
    let (files, checksums): (Vec<String>, Vec<Option<String>>) =
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT f.asset_key, f.checksum FROM files f JOIN data_objects o ON o.id = f.object_id \
         WHERE o.provider_id = 'mixed' ORDER BY f.asset_key",
        )
        .fetch_all(app.state.store.pool())
        .await
        .unwrap()
        .into_iter()
        .unzip();
    assert_eq!(files, ["checksum", "data"]);
    // The dropped checksum was computed again from the file; the declared one was kept as given.
    assert_eq!(
        checksums,
        [
            Some(format!("{:032x}", md5_of(b"png"))),
            Some("ffffffffffffffffffffffffffffffff".to_owned())
        ]
    );
}

fn md5_of(bytes: &[u8]) -> u128 {
    use md5::Digest;
    u128::from_be_bytes(md5::Md5::digest(bytes).into())
}

async fn post_import(
    app: &crate::helpers::TestApp,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/catalog/import"))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn http_import_takes_json_and_streamed_ndjson_for_admins_only() {
    let app = spawn_app().await;
    let href = archive_file(&app, "nearline", "h/1.dat", b"12345");
    let body = json!({"type": "FeatureCollection", "features": [
        item("h-1", "web", json!({"title": "From HTTP"}), json!({"data": {"href": href}})),
        item("h-2", "web", json!({}), json!({"data": {"href": "relative/x.dat"}})),
    ]});
    let (admin, user) = (app.admin_token(), app.user_token());
    let json = "application/json";
    let response = post_import(&app, Some(&admin), json, body.to_string()).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["content"]["imported"], 2);
    assert_eq!(report["content"]["rejected"], 0);
    assert_eq!(report["content"]["assetsSkipped"], 1);
    let problem = report["content"]["problems"][0].as_str().unwrap();
    assert!(
        problem.contains("h-2: asset data skipped") && problem.contains("relative href"),
        "{problem}"
    );

    let collection = collection("web", "Web collection").to_string();
    let second = item("h-3", "web", json!({}), json!({"data": {"href": href}})).to_string();
    let ndjson = format!("{collection}\n{{oops\n{second}\n");
    let response = post_import(&app, Some(&admin), "application/x-ndjson", ndjson).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["content"]["imported"], 1);
    assert_eq!(report["content"]["datasets"], 1);
    assert!(
        report["content"]["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("line 2: malformed JSON")
    );
    assert_eq!(matching(&app, "dataset:web").await, ["h-1", "h-2", "h-3"]);
    let datasets: Value = app
        .get_as(&app.user_token(), "/catalog/datasets", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(datasets["content"][0]["content"]["label"], "Web collection");

    let as_user = post_import(&app, Some(&user), json, body.to_string()).await;
    assert_eq!(as_user.status(), 403);
    let anonymous = post_import(&app, None, json, body.to_string()).await;
    assert_eq!(anonymous.status(), 401);
    let garbage = post_import(&app, Some(&admin), "text/plain", "[1, 2".into()).await;
    assert_eq!(garbage.status(), 200);
    let report: Value = garbage.json().await.unwrap();
    assert_eq!(report["content"]["rejected"], 1);
}
