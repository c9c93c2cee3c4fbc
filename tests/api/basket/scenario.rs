//! A selection frozen at its date, against a catalog that grows (acceptance scenario).

use std::time::Duration;

use serde_json::{Value, json};

use super::{add_ok, delete, shape};
use crate::catalog::fixture::{app_with_fixture, archive_file, import_folder, item};
use crate::helpers::TestApp;

/// (objectsCount, filesCount, filesSize) of a selection.
fn counts(selection: &Value) -> (Option<i64>, Option<i64>, Option<i64>) {
    (
        selection["objectsCount"].as_i64(),
        selection["filesCount"].as_i64(),
        selection["filesSize"].as_i64(),
    )
}

#[tokio::test]
async fn later_objects_join_only_later_selections_and_shared_objects_count_once() {
    // Catalog A: the fixture. The query matches objects of two datasets.
    let app = app_with_fixture().await;
    let token = app.user_token();
    let query = json!({"selectAllOpenSearchRequest": "platform:SENTINEL*"});
    let first = add_ok(&app, &token, query.clone()).await;
    assert_eq!(
        shape(&first),
        [
            ("Optical L1".to_owned(), 2, 3, 320, 1),
            ("Radar swath".to_owned(), 1, 1, 300, 1)
        ]
    );

    app.state.clock.advance(Duration::from_secs(60));
    import_catalog_b(&app).await;

    app.state.clock.advance(Duration::from_secs(60));
    let second = add_ok(&app, &token, query).await;
    let optical = &second["content"]["datasetSelections"][0];
    let items = optical["itemsSelections"].as_array().unwrap();
    assert_eq!(
        counts(&items[0]),
        (Some(2), Some(3), Some(320)),
        "the first selection did not change"
    );
    assert_eq!(
        counts(&items[1]),
        (Some(4), Some(5), Some(2320)),
        "the second includes B's objects"
    );
    assert_eq!(
        counts(optical),
        (Some(4), Some(5), Some(2320)),
        "objects in both count once"
    );
    assert_eq!(shape(&second)[1], ("Radar swath".to_owned(), 1, 1, 300, 2));

    // Without the first selection, the totals are the second's.
    let id = optical["id"].as_i64().unwrap();
    let date = items[0]["date"].as_str().unwrap();
    let (status, text) = delete(&app, &token, &format!("/order/basket/dataset/{id}/{date}")).await;
    assert_eq!(status, 200);
    let after: Value = serde_json::from_str(&text).unwrap();
    let optical = &after["content"]["datasetSelections"][0];
    assert_eq!(counts(optical), counts(&optical["itemsSelections"][0]));
    assert_eq!(counts(optical), (Some(4), Some(5), Some(2320)));
}

/// Catalog B: two more matching objects in the optical dataset.
async fn import_catalog_b(app: &TestApp) {
    let folder = app.data_dir().join("stac-b");
    std::fs::create_dir_all(&folder).unwrap();
    let lines: Vec<String> = (1..=2)
        .map(|n| {
            let href = archive_file(app, "online", &format!("b/{n}.dat"), &[0; 1000]);
            let properties = json!({"title": format!("B {n}"), "platform": "SENTINEL-2C"});
            item(
                &format!("b-{n}"),
                "optical",
                properties,
                json!({"data": {"href": href}}),
            )
            .to_string()
        })
        .collect();
    std::fs::write(folder.join("b.ndjson"), lines.join("\n")).unwrap();
    assert_eq!(import_folder(app, &folder).await.imported, 2);
}
