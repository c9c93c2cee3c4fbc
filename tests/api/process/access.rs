//! `regards-order access set|show` and `token --group`, as processes.

use super::*;
use crate::access::{USERS, app_with_rights, get_json};

async fn access(app: &TestApp, args: &[&str]) -> std::process::Output {
    let data_dir = app.data_dir();
    let mut all = vec!["access"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ]);
    regards_order(&all).output().await.unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn the_access_command_sets_and_shows_rights_by_collection_id() {
    let app = app_with_rights().await;
    let set = access(
        &app,
        &[
            "set",
            "closed",
            "--group",
            "B",
            "--level",
            "RESTRICTED_ACCESS",
        ],
    )
    .await;
    assert!(
        stdout(&set).contains("(closed): B=RESTRICTED_ACCESS"),
        "{}",
        stdout(&set)
    );
    // User B now sees the dataset's objects, and still cannot order them.
    let b = USERS[2].token(&app);
    let (_, page) = get_json(&app, &b, "/catalog/search", &[("q", "dataset:closed")]).await;
    assert_eq!(page["metadata"]["totalElements"], 4);
    let response = crate::basket::add(
        &app,
        &b,
        r#"{"selectAllOpenSearchRequest": "dataset:closed"}"#,
    )
    .await;
    assert_eq!(response.status(), 204);

    let shown = stdout(&access(&app, &["show"]).await);
    assert_eq!(shown.lines().count(), 4, "{shown}");
    assert!(shown.contains("(open): open"), "{shown}");
    assert!(shown.contains("(afull): A=FULL_ACCESS"), "{shown}");
    let open = stdout(&access(&app, &["set", "afull", "--open"]).await);
    assert!(open.contains("(afull): open"), "{open}");
    let bad = access(
        &app,
        &[
            "set",
            "afull",
            "--group",
            "A",
            "--group",
            "B",
            "--level",
            "FULL_ACCESS",
        ],
    )
    .await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("one --level per --group"));
    let unknown = access(&app, &["show", "nope"]).await;
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("Dataset nope is unknown"));
}

#[tokio::test]
async fn token_group_mints_a_token_with_access_groups() {
    let app = app_with_rights().await;
    let data_dir = app.data_dir();
    let output = regards_order(&[
        "token",
        "--email",
        "g@example.org",
        "--group",
        "A",
        "--group",
        "B",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ])
    .output()
    .await
    .unwrap();
    let token = stdout(&output).trim().to_owned();
    let (status, page) = get_json(&app, &token, "/catalog/datasets", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(page["metadata"]["totalElements"], 3, "{page}");
}
