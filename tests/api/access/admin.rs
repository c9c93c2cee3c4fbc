//! The admin API of rights, the `regards:access` of a re-import, and the default for datasets never given
//! rights.

use regards_order::auth::Role;
use serde_json::json;

use super::{app_with_rights, get_json, put_rights};
use crate::catalog::fixture::{collection, import_folder};

#[tokio::test]
async fn admins_read_and_replace_rights_and_others_are_refused() {
    let app = app_with_rights().await;
    let admin = app.admin_token();
    let (status, page) = get_json(&app, &admin, "/access/datasets", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(page["metadata"]["totalElements"], 4);
    let (status, one) = get_json(&app, &admin, "/access/datasets/arbf", &[]).await;
    assert_eq!(status, 200, "{one}");
    let ip_id = one["content"]["datasetIpId"].as_str().unwrap().to_owned();
    assert_eq!(
        one["content"]["rights"],
        json!([{"group": "A", "level": "RESTRICTED_ACCESS"}, {"group": "B", "level": "FULL_ACCESS"}])
    );
    let (status, by_ip) = get_json(&app, &admin, &format!("/access/datasets/{ip_id}"), &[]).await;
    assert_eq!((status, &by_ip["content"]), (200, &one["content"]));

    let (status, changed) = put_rights(&app, &admin, &ip_id, r#"{"open": true}"#).await;
    assert_eq!(status, 200);
    assert_eq!(
        changed["content"],
        json!({"datasetIpId": ip_id, "open": true, "rights": []})
    );
    let (status, body) = put_rights(
        &app,
        &admin,
        &ip_id,
        r#"{"rights": [{"group": "A", "level": "ALL"}]}"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = put_rights(
        &app,
        &admin,
        "URN:AIP:DATASET:PROJECT:nope:V1",
        r#"{"open": true}"#,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = put_rights(&app, &admin, &ip_id, r#"{}"#).await;
    assert_eq!(status, 422);
    let exploit = app.token("ops@example.org", Role::Exploit);
    let (status, _) = get_json(&app, &exploit, "/access/datasets", &[]).await;
    assert_eq!(status, 403);
    let (status, _) = put_rights(&app, &exploit, &ip_id, r#"{"open": true}"#).await;
    assert_eq!(status, 403);
}

/// A re-import applies `regards:access` only to datasets without rights: an admin's change stays.
#[tokio::test]
async fn a_reimport_never_overwrites_an_admins_rights() {
    let app = app_with_rights().await;
    let admin = app.admin_token();
    let (status, _) = put_rights(
        &app,
        &admin,
        "afull",
        r#"{"rights": [{"group": "C", "level": "FULL_ACCESS"}]}"#,
    )
    .await;
    assert_eq!(status, 200);
    let folder = app.data_dir().join("stac-again");
    std::fs::create_dir_all(&folder).unwrap();
    let mut doc = collection("afull", "Dataset afull");
    doc["regards:access"] = json!("open");
    let mut fresh = collection("fresh", "Dataset fresh");
    fresh["regards:access"] = json!([{"group": "A", "level": "FULL_ACCESS"}]);
    std::fs::write(folder.join("c.ndjson"), format!("{doc}\n{fresh}")).unwrap();
    let report = import_folder(&app, &folder).await;
    assert_eq!(report.problems, Vec::<String>::new());
    let (_, afull) = get_json(&app, &admin, "/access/datasets/afull", &[]).await;
    assert_eq!(
        afull["content"]["rights"],
        json!([{"group": "C", "level": "FULL_ACCESS"}])
    );
    let (_, fresh) = get_json(&app, &admin, "/access/datasets/fresh", &[]).await;
    assert_eq!(fresh["content"]["open"], false);
    assert_eq!(
        fresh["content"]["rights"],
        json!([{"group": "A", "level": "FULL_ACCESS"}])
    );
}

/// Datasets never given rights follow `[access] default`; unreadable rights close a dataset.
#[tokio::test]
async fn datasets_without_rights_follow_the_default_and_bad_rights_close() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.access.default = regards_order::config::DefaultAccess::Closed;
    })
    .await;
    let folder = app.data_dir().join("stac-default");
    std::fs::create_dir_all(&folder).unwrap();
    let unset = collection("unset", "Dataset unset");
    let mut bad = collection("bad", "Dataset bad");
    bad["regards:access"] = json!([{"group": "A"}]);
    std::fs::write(folder.join("c.ndjson"), format!("{unset}\n{bad}")).unwrap();
    let report = import_folder(&app, &folder).await;
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].contains("collection bad: regards:access unreadable"));
    let user = app.user_token();
    let (_, page) = get_json(&app, &user, "/catalog/datasets", &[]).await;
    assert_eq!(page["metadata"]["totalElements"], 0, "{page}");
    let admin = app.admin_token();
    let (_, unset) = get_json(&app, &admin, "/access/datasets/unset", &[]).await;
    assert_eq!(unset["content"]["open"], false);
    assert_eq!(unset["content"]["rights"], json!([]));
    let (_, page) = get_json(&app, &admin, "/catalog/datasets", &[]).await;
    assert_eq!(page["metadata"]["totalElements"], 2);
}
