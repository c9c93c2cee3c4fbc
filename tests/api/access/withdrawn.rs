//! Rights withdrawn after an order: the order keeps its owner's groups of the time, and every download
//! re-checks the dataset's current rights against them.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{USERS, app_with_rights, file_names_of, put_rights, zip_of};
use crate::downloads::get;
use crate::downloads::metalink::files_of;
use crate::helpers::TestApp;

/// An order of everything by user A (groups A): files of "open" and "afull".
async fn order_of_user_a(app: &TestApp) -> (String, i64) {
    let token = USERS[1].token(app);
    crate::orders::select(app, &token, "").await;
    let order: Value = crate::orders::create(app, &token, None)
        .await
        .json()
        .await
        .unwrap();
    app.run_pending_jobs().await;
    (token, crate::orders::id_of(&order))
}

#[tokio::test]
async fn files_of_a_dataset_withdrawn_after_the_order_are_refused_everywhere() {
    let app = app_with_rights().await;
    let (token, order) = order_of_user_a(&app).await;
    let afull = crate::downloads::file_id(&app, order, "afull-0").await;
    let open = crate::downloads::file_id(&app, order, "open-0").await;
    let rights = json!({"rights": [{"group": "B", "level": "FULL_ACCESS"}]});
    assert_eq!(
        put_rights(&app, &app.admin_token(), "afull", &rights.to_string())
            .await
            .0,
        200
    );
    // The zip first: it holds the files not downloaded yet.
    zip_names_the_withdrawn_files(&app, &token, order).await;
    let path = format!("/user/orders/{order}/metalink/download");
    let metalink = get(&app, &path, Some(&token), &[]).await;
    let metalink = metalink.text().await.unwrap();
    let listed: Vec<(String, String)> = files_of(&metalink);
    assert_eq!(listed.len(), 1, "{metalink}");
    assert_eq!(listed[0].0, "open-0.dat");
    public_token_is_refused_too(&app, &metalink, afull).await;
    let file = get(&app, &format!("/orders/files/{afull}"), Some(&token), &[]).await;
    assert_eq!(file.status(), 403);
    let message = file.text().await.unwrap();
    assert!(
        message.contains("Access to data file") && message.contains("withdrawn"),
        "{message}"
    );
    let file = get(&app, &format!("/orders/files/{open}"), Some(&token), &[]).await;
    assert_eq!(file.status(), 200);
}

/// The zip holds the files still allowed; NOTICE.txt names each withdrawn one.
async fn zip_names_the_withdrawn_files(app: &TestApp, token: &str, order: i64) {
    let (names, notice) = zip_of(app, token, order).await;
    assert_eq!(names, file_names_of(&BTreeSet::from(["open"])));
    assert_eq!(notice.lines().count(), 2, "{notice}");
    assert!(
        notice.contains("File not included (afull-1.dat): access to dataset"),
        "{notice}"
    );
}

/// The public URL of a withdrawn file (its order token taken from the metalink) is a 403 as well.
async fn public_token_is_refused_too(app: &TestApp, metalink: &str, file: i64) {
    let (_, url) = files_of(metalink).remove(0);
    let token = url
        .split("orderToken=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let path = format!("/orders/public/files/{file}?orderToken={token}");
    let response = get(app, &path, None, &[]).await;
    assert_eq!(response.status(), 403);
    let message = response.text().await.unwrap();
    assert!(message.contains("withdrawn"), "{message}");
}

#[tokio::test]
async fn an_order_keeps_the_groups_of_its_creation_and_may_end_with_nothing_to_order() {
    let app = app_with_rights().await;
    let nobody = USERS[0].token(&app);
    crate::orders::select(&app, &nobody, "dataset:open").await;
    // The dataset closes between the basket and the expansion: the order finds nothing it may order.
    let (status, _) = put_rights(&app, &app.admin_token(), "open", r#"{"rights": []}"#).await;
    assert_eq!(status, 200);
    let order: Value = crate::orders::create(&app, &nobody, None)
        .await
        .json()
        .await
        .unwrap();
    let id = crate::orders::id_of(&order);
    app.run_pending_jobs().await;
    let (_, order) = crate::orders::get_order(&app, &nobody, id).await;
    assert_eq!(order["content"]["status"], "DONE_WITH_WARNING");
    let message = order["content"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("access groups"), "{order}");
    // The admin's token bypasses rights, and an admin's order keeps the bypass.
    let admin = app.admin_token();
    crate::orders::select(&app, &admin, "dataset:open").await;
    let order: Value = crate::orders::create(&app, &admin, None)
        .await
        .json()
        .await
        .unwrap();
    app.run_pending_jobs().await;
    let (_, order) = crate::orders::get_order(&app, &admin, crate::orders::id_of(&order)).await;
    assert_eq!(order["content"]["availableFilesCount"], 1, "{order}");
}
