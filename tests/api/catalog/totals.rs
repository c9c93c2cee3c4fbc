//! Summaries from the per-dataset, per-date totals equal the aggregate over the objects, through imports,
//! re-imports that change files, and later imports.

use std::time::Duration;

use regards_order::catalog::search;
use regards_order::domain::access::Scope;
use serde_json::json;

use super::fixture::{app_with_fixture, archive_file, item};
use crate::helpers::TestApp;

#[tokio::test]
async fn totals_and_object_scans_give_the_same_summaries() {
    let app = app_with_fixture().await;
    let first = app.state.clock.now();
    app.state.clock.advance(Duration::from_secs(600));
    reimport_two_objects_with_other_files_and_add_one(&app).await;

    let store = app.state.store.as_ref();
    let now = app.state.clock.now();
    let radar = store
        .datasets()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.provider_id == "radar")
        .unwrap()
        .id;
    let queries = [
        String::new(),
        format!("creationDate:[* TO {}]", now.to_iso()),
        format!("creationDate:[* TO {}]", first.to_iso()),
        format!("creationDate:{{{} TO *]", first.to_iso()),
        "dataset:optical".to_owned(),
        "NOT dataset:radar".to_owned(),
        format!(
            "(dataset:radar AND creationDate:[* TO {}]) OR dataset:optical",
            first.to_iso()
        ),
    ];
    for q in &queries {
        let condition = search::condition(store, q).await.unwrap();
        assert!(condition.dataset_and_date_only, "{q}");
        for dataset in [Scope::All, Scope::Only(vec![radar])] {
            let from_totals = store.summary(&condition, &dataset, true).await.unwrap();
            let from_objects = store.summary(&condition, &dataset, false).await.unwrap();
            assert_eq!(from_totals, from_objects, "{q} in {dataset:?}");
        }
    }
    the_changes_show_in_the_radar_totals(&app, radar).await;
}

/// Re-imports `opt-1` and `rad-2` with other files (64 bytes each), and adds `new-1` to radar.
async fn reimport_two_objects_with_other_files_and_add_one(app: &TestApp) {
    let folder = app.data_dir().join("stac-changes");
    std::fs::create_dir_all(&folder).unwrap();
    let raw = archive_file(app, "online", "changes/1.dat", &[1; 64]);
    let lines = [
        item(
            "opt-1",
            "optical",
            json!({"title": "Sentinel-2 tile A"}),
            json!({"data": {"href": raw.clone()}}),
        ),
        item(
            "rad-2",
            "radar",
            json!({"title": "Radar swath two"}),
            json!({"data": {"href": raw.clone()}, "ql": {"href": raw.clone(), "roles": ["visual"]}}),
        ),
        item(
            "new-1",
            "radar",
            json!({"title": "New"}),
            json!({"data": {"href": raw}}),
        ),
    ];
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(folder.join("changes.ndjson"), text.join("\n")).unwrap();
    let report = super::fixture::import_folder(app, &folder).await;
    assert_eq!(
        (report.imported, report.updated),
        (1, 2),
        "{:?}",
        report.problems
    );
}

/// rad-2 and new-1 now count in radar, each with its files.
async fn the_changes_show_in_the_radar_totals(app: &TestApp, radar: i64) {
    let store = app.state.store.as_ref();
    let condition = search::condition(store, "").await.unwrap();
    let radar_row = store
        .summary(&condition, &Scope::Only(vec![radar]), true)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        radar_row.counters.objects, 3,
        "objects with orderable files"
    );
    assert_eq!(
        (
            radar_row.counters.by_type[0].files,
            radar_row.counters.by_type[0].bytes
        ),
        (3, 300 + 64 + 64),
        "RAWDATA"
    );
    assert_eq!(
        (
            radar_row.counters.by_type[2].files,
            radar_row.counters.by_type[2].bytes
        ),
        (1, 64),
        "QUICKLOOK_MD"
    );
}
