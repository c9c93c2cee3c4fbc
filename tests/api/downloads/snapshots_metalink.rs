//! Snapshots of the metalinks (3.0 and 4) of a processed order: the whole document, with the test
//! server's address, the order token and the file ids replaced (`crate::snapshot`).

use super::{get, processed_order};
use crate::helpers::TestApp;
use crate::orders::{app_with_orders_catalog, download_available, progress};

/// The redactions of the order's metalinks: each file id becomes the object it comes from, so the
/// snapshot still says which URL serves which file.
async fn settings_for(app: &TestApp, order: i64) -> insta::Settings {
    let mut settings = crate::snapshot::settings();
    crate::snapshot::id_after(&mut settings, "order_", order, "[order id]");
    let files: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, provider_id FROM order_files WHERE order_id = $1 ORDER BY id")
            .bind(order)
            .fetch_all(app.state.store.pool())
            .await
            .unwrap();
    for (id, provider) in files {
        crate::snapshot::id_after(
            &mut settings,
            "/orders/public/files/",
            id,
            &format!("[file of {provider}]"),
        );
    }
    settings
}

/// The order token of every URL of a metalink, checked to open this order.
fn check_token(app: &TestApp, xml: &str, order: i64) {
    let tokens: std::collections::BTreeSet<&str> = xml
        .split("orderToken=")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap())
        .collect();
    assert_eq!(tokens.len(), 1, "one token for the whole order: {tokens:?}");
    let token = tokens.first().unwrap();
    let grant = app
        .state
        .keys
        .verify_order(token, app.state.clock.now())
        .unwrap();
    assert_eq!(
        (grant.owner.as_str(), grant.order_id),
        ("user@example.org", order)
    );
}

#[tokio::test]
async fn the_metalinks_of_an_order_list_its_files_as_the_snapshots_show() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "").await;
    // Every sub-order made available in turn, so the files found wrong (beta-2's checksum, gamma-2
    // deleted) are in ERROR and left out.
    for _ in 0..6 {
        download_available(&app, id).await;
        app.run_pending_jobs().await;
    }
    let (status, ..) = progress(&app, &token, id).await;
    assert_eq!(status, "DONE_WITH_WARNING");
    let errors: Vec<String> = sqlx::query_scalar(
        "SELECT provider_id FROM order_files WHERE order_id = $1 AND state = 'ERROR' ORDER BY provider_id",
    )
    .bind(id)
    .fetch_all(app.state.store.pool())
    .await
    .unwrap();
    assert_eq!(errors, ["beta-2", "gamma-2"]);
    let path = format!("/user/orders/{id}/metalink/download");

    let v3 = crate::snapshot::document(get(&app, &path, Some(&token), &[]).await).await;
    check_token(&app, &v3, id);
    let v4_path = format!("{path}?format=meta4");
    let v4 = crate::snapshot::document(get(&app, &v4_path, Some(&token), &[]).await).await;
    check_token(&app, &v4, id);

    let settings = settings_for(&app, id).await;
    settings.bind(|| {
        insta::assert_snapshot!("metalink_3", v3);
        insta::assert_snapshot!("metalink_4", v4);
    });
}
