//! File names from outside (a URL's last segment, a STAC written by anyone) never climb out of the folder
//! a zip or a metalink is unpacked into.

use serde_json::{Value, json};

use super::metalink::files_of;
use super::zip::entries;
use super::{file_id, get, processed_order};
use crate::catalog::fixture::{collection, import_folder, item};
use crate::helpers::TestApp;
use crate::orders::app_with_orders_catalog;

#[tokio::test]
async fn zip_entries_metalink_names_and_attachments_have_no_path_in_them() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    an_external_name_decoding_to_a_path_is_made_safe_at_import(&app, &token).await;

    // Names already in the database (an older import) are made safe on the way out.
    let id = processed_order(&app, &token, "dataset:alpha").await;
    for (provider, name) in [
        ("alpha-1", "../../../tmp/evil.sh"),
        ("alpha-2", "..\\up\u{1}.dat"),
        ("alpha-3", ".."),
    ] {
        sqlx::query(
            "UPDATE order_files SET filename = $1 WHERE order_id = $2 AND provider_id = $3",
        )
        .bind(name)
        .bind(id)
        .bind(provider)
        .execute(app.state.store.pool())
        .await
        .unwrap();
    }
    for names in names_in_the_metalink_and_the_zip(&app, &token, id).await {
        assert!(
            names.contains(&".._.._.._tmp_evil.sh".to_owned()),
            "{names:?}"
        );
        assert!(names.contains(&".._up_.dat".to_owned()), "{names:?}");
        assert!(names.contains(&"_".to_owned()), "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| !n.contains('/') && !n.contains('\\') && n != ".."),
            "{names:?}"
        );
    }
    let file = file_id(&app, id, "alpha-1").await;
    let single = get(&app, &format!("/orders/files/{file}"), Some(&token), &[]).await;
    let disposition = single.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\".._.._.._tmp_evil.sh\"")
            && !disposition.contains("%2F"),
        "{disposition}"
    );
}

/// An external asset whose last URL segment decodes to a path.
async fn an_external_name_decoding_to_a_path_is_made_safe_at_import(app: &TestApp, token: &str) {
    let folder = app.data_dir().join("stac-names");
    std::fs::create_dir_all(&folder).unwrap();
    let href = "http://127.0.0.1:9/x/..%2F..%2F..%2Ftmp%2Fevil.sh";
    let lines = [
        collection("names", "Names").to_string(),
        item(
            "n-1",
            "names",
            json!({}),
            json!({"data": {"href": href, "file:size": 3}}),
        )
        .to_string(),
    ];
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    import_folder(app, &folder).await;
    let search: Value = app
        .get_as(token, "/catalog/search", &[("q", "dataset:names")])
        .await
        .json()
        .await
        .unwrap();
    let files = search["content"][0]["content"]["files"].to_string();
    assert!(files.contains(".._.._.._tmp_evil.sh"), "{files}");
}

/// The file names of the order's metalink, and its zip's entries, each sorted.
async fn names_in_the_metalink_and_the_zip(
    app: &TestApp,
    token: &str,
    id: i64,
) -> [Vec<String>; 2] {
    let metalink = get(
        app,
        &format!("/user/orders/{id}/metalink/download"),
        Some(token),
        &[],
    )
    .await
    .text()
    .await
    .unwrap();
    let mut metalink_names: Vec<String> = files_of(&metalink).into_iter().map(|(n, _)| n).collect();
    metalink_names.sort();
    let zip = get(
        app,
        &format!("/user/orders/{id}/download"),
        Some(token),
        &[],
    )
    .await
    .bytes()
    .await
    .unwrap();
    let mut zip_names: Vec<String> = entries(&zip).into_iter().map(|(n, _)| n).collect();
    zip_names.sort();
    [metalink_names, zip_names]
}
