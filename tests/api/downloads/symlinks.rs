//! A symbolic link swapped into a storage root after the import never leads a download, a zip or a
//! staging out of the root (it once served the service's own signing secret); links inside are fine.

use serde_json::Value;

use super::zip::entries;
use super::{file_id, get, processed_order, source};
use crate::helpers::TestApp;
use crate::orders::{app_with_orders_catalog, files_in, id_of, order_of};
use regards_order::auth::Role;

fn swap_for_link(app: &TestApp, name: &str, target: &std::path::Path) {
    let path = app.data_dir().join("archive/online").join(name);
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(target, &path).unwrap();
}

#[tokio::test]
async fn links_out_of_the_root_are_refused_when_serving_zipping_and_staging() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let secret = app.data_dir().join("secret");
    let secret_bytes = std::fs::read(&secret).unwrap();
    let zipped = processed_order(&app, &token, "dataset:alpha").await;
    // Another user's order (each user stages two sub-orders at a time).
    let other = app.token("other@example.org", Role::RegisteredUser);
    let served = processed_order(&app, &other, "dataset:alpha").await;
    // After the import and the staging: alpha/1.dat becomes a link to the signing secret, alpha/2.dat a
    // link to alpha/3.dat (inside the root).
    swap_for_link(&app, "alpha/1.dat", &secret);
    swap_for_link(
        &app,
        "alpha/2.dat",
        &app.data_dir().join("archive/online/alpha/3.dat"),
    );

    the_zip_leaves_the_link_out_with_a_notice(&app, &token, zipped, &secret_bytes).await;
    serving_refuses_the_link_out_and_follows_the_link_in(&app, &other, served).await;

    // An order staged after the swap: its staging refuses the link.
    let third = app.token("third@example.org", Role::RegisteredUser);
    let staged = id_of(&order_of(&app, &third, "dataset:alpha").await);
    app.run_pending_jobs().await;
    let error: String = sqlx::query_scalar(
        "SELECT error FROM order_files WHERE order_id = $1 AND provider_id = 'alpha-1'",
    )
    .bind(staged)
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    assert!(error.contains("leads out of its folder"), "{error}");
}

async fn the_zip_leaves_the_link_out_with_a_notice(
    app: &TestApp,
    token: &str,
    id: i64,
    secret_bytes: &[u8],
) {
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
    let entries = entries(&zip);
    for (name, content) in &entries {
        assert!(*content != secret_bytes, "{name} is the secret");
    }
    let notice = entries
        .iter()
        .find(|(name, _)| name == "NOTICE.txt")
        .unwrap();
    let notice = String::from_utf8_lossy(&notice.1);
    assert!(
        notice.contains("(1.dat)") && notice.contains("leads out of its folder"),
        "{notice}"
    );
}

async fn serving_refuses_the_link_out_and_follows_the_link_in(app: &TestApp, token: &str, id: i64) {
    let outside = file_id(app, id, "alpha-1").await;
    let response = get(app, &format!("/orders/files/{outside}"), Some(token), &[]).await;
    assert_eq!(response.status(), 410);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["messages"][0]
            .as_str()
            .unwrap()
            .contains("leads out of its folder"),
        "{body}"
    );
    assert!(files_in(app, id, "DOWNLOAD_ERROR").await.contains(&outside));
    let inside = file_id(app, id, "alpha-2").await;
    let response = get(app, &format!("/orders/files/{inside}"), Some(token), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.unwrap(),
        source(app, "online", "alpha/3.dat")
    );
}
