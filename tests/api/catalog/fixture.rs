//! A small hand-written STAC catalog whose every value a query test relies on is known.

use std::path::{Path, PathBuf};

use regards_order::catalog::import::ImportReport;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Writes `content` under the app's storage `tier` and returns its absolute path.
pub fn archive_file(app: &TestApp, tier: &str, name: &str, content: &[u8]) -> String {
    let path = app.data_dir().join("archive").join(tier).join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

pub fn collection(id: &str, title: &str) -> Value {
    json!({"type": "Collection", "stac_version": "1.0.0", "id": id, "title": title, "description": "test",
           "license": "proprietary", "extent": {}, "links": []})
}

pub fn item(id: &str, collection: &str, properties: Value, assets: Value) -> Value {
    json!({"type": "Feature", "stac_version": "1.0.0", "id": id, "collection": collection, "geometry": null,
           "properties": properties, "assets": assets, "links": []})
}

fn data(href: String, roles: &[&str]) -> Value {
    json!({"href": href, "roles": roles})
}

/// The five items of the query tests, in two collections.
pub fn fixture_items(app: &TestApp) -> Vec<Value> {
    let file =
        |tier: &str, name: &str, size: usize| archive_file(app, tier, name, &vec![b'x'; size]);
    vec![
        item(
            "opt-1",
            "optical",
            json!({"title": "Sentinel-2 tile A", "platform": "SENTINEL-2A", "level": 1, "cloud_cover": 10.5,
                   "datetime": "2020-01-01T00:00:00Z", "keywords": ["optical", "free"], "quality": 5}),
            json!({
                "data": data(file("online", "opt/1.tif", 100), &["data"]),
                "thumbnail": data(file("online", "opt/1_thumb.png", 10), &["thumbnail"]),
                "overview": data(file("online", "opt/1_ql.png", 20), &["overview"]),
            }),
        ),
        item(
            "opt-2",
            "optical",
            json!({"title": "Sentinel-2 tile B", "platform": "SENTINEL-2B", "level": 2, "cloud_cover": 50,
                   "datetime": "2020-06-01T12:30:00.250Z", "keywords": ["optical"], "quality": "good"}),
            json!({"data": data(file("nearline", "opt/2.tif", 200), &["data"])}),
        ),
        item(
            "opt-3",
            "optical",
            json!({"title": "Spot scene", "platform": "SPOT-6", "level": 3, "cloud_cover": 0,
                   "datetime": "2021-01-01T00:00:00+02:00", "name": "a*b", "code": "x:y"}),
            json!({"data": {"href": "https://data.example.org/spot/3.tif", "roles": ["data"], "file:size": 500}}),
        ),
        item(
            "rad-1",
            "radar",
            json!({"title": "Radar swath one", "platform": "SENTINEL-1A", "orbit": 42,
                   "datetime": "2019-03-03T00:00:00Z", "keywords": ["sar"]}),
            json!({
                "data": data(file("online", "rad/1.nc", 300), &["data"]),
                "metadata": data(file("online", "rad/1.xml", 5), &["metadata"]),
            }),
        ),
        item(
            "rad-2",
            "radar",
            json!({"title": "Radar swath two", "platform": "SENTINEL-1B", "orbit": 43}),
            json!({"thumbnail": data(file("online", "rad/2.png", 7), &["thumbnail"])}),
        ),
    ]
}

/// Writes the fixture as a STAC folder (two collection files and an NDJSON of items) and returns it.
pub fn write_fixture(app: &TestApp) -> PathBuf {
    let folder = app.data_dir().join("stac-fixture");
    std::fs::create_dir_all(folder.join("collections")).unwrap();
    let optical = collection("optical", "Optical L1");
    let radar = collection("radar", "Radar swath");
    std::fs::write(folder.join("collections/optical.json"), optical.to_string()).unwrap();
    std::fs::write(folder.join("collections/radar.json"), radar.to_string()).unwrap();
    let lines: Vec<String> = fixture_items(app).iter().map(Value::to_string).collect();
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    folder
}

/// Imports a folder as the CLI does, at the app's clock.
pub async fn import_folder(app: &TestApp, folder: &Path) -> ImportReport {
    regards_order::catalog::sources::import_paths(
        app.state.store.clone(),
        &app.state.config,
        &[folder.to_path_buf()],
        app.state.clock.now(),
        false,
    )
    .await
    .unwrap()
}

/// An app with the fixture imported.
pub async fn app_with_fixture() -> TestApp {
    app_with_fixture_and(|_| {}).await
}

/// An app configured by `configure`, with the fixture imported.
pub async fn app_with_fixture_and(
    configure: impl FnOnce(&mut regards_order::config::Config),
) -> TestApp {
    let app = crate::helpers::spawn_app_with(configure).await;
    let folder = write_fixture(&app);
    let report = import_folder(&app, &folder).await;
    assert_eq!(report.problems, Vec::<String>::new());
    app
}

/// The providerIds of every object matching `q`, sorted; panics on anything but 200.
pub async fn matching(app: &TestApp, q: &str) -> Vec<String> {
    let response = app
        .get_as(
            &app.user_token(),
            "/catalog/search",
            &[("q", q), ("size", "1000")],
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{q}: {body}");
    let mut ids: Vec<String> = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"]["providerId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

pub fn dataset_ip_id(collection: &str) -> String {
    regards_order::catalog::ids::dataset_ip_id("PROJECT", collection)
}

pub fn object_ip_id(collection: &str, item: &str) -> String {
    regards_order::catalog::ids::object_ip_id("PROJECT", collection, item)
}
