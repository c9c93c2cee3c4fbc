//! An order across three datasets, online and nearline, with a corrupt and a missing file, in small
//! sub-orders staged two at a time for one user (acceptance scenario).

use super::{app_with_orders_catalog, download_available, id_of, order_of, progress, sub_orders};
use crate::helpers::TestApp;

#[tokio::test]
async fn sub_orders_start_as_files_are_downloaded_and_the_order_ends_with_a_warning() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = order_of(&app, &token, "").await;
    let id = id_of(&order);
    assert_eq!(order["content"]["status"], "RUNNING");

    app.run_pending_jobs().await;
    two_sub_orders_are_staged_and_the_others_wait(&app, &token, id).await;
    each_download_starts_the_next_sub_orders_until_the_end(&app, &token, id).await;
    the_order_ends_with_a_warning_and_the_reasons_of_its_errors(&app, &token, id).await;
}

async fn two_sub_orders_are_staged_and_the_others_wait(app: &TestApp, token: &str, id: i64) {
    let subs = sub_orders(app, id).await;
    // alpha: 4 × 100 B in sub-orders of ≤ 250 B → 2, plus its external file; beta: 3 × 200 B → 3;
    // gamma: 2 × 150 B → 2.
    assert_eq!(subs.len(), 8, "{subs:?}");
    let external: Vec<_> = subs.iter().filter(|s| s.1.is_none()).collect();
    assert_eq!(external.len(), 1);
    assert_eq!(
        (external[0].2.as_str(), external[0].5),
        ("DONE", 1),
        "external files are available at once"
    );
    let running: Vec<_> = subs
        .iter()
        .filter(|s| s.1.is_some() && s.2 != "WAITING")
        .collect();
    assert_eq!(running.len(), 2, "two slots: {subs:?}");
    assert!(
        running.iter().all(|s| s.2 == "DONE" && s.4 == 0 && s.5 > 0),
        "{subs:?}"
    );
    let (status, _, available, errors, waiting) = progress(app, token, id).await;
    assert_eq!((status.as_str(), errors, waiting), ("RUNNING", 0, true));
    let third_waits = subs.iter().filter(|s| s.2 == "WAITING").count();
    assert_eq!(third_waits, 5, "the others wait for a slot");
    assert!(available >= 3);
}

/// Each round: the user downloads what is available; the next sub-orders start.
async fn each_download_starts_the_next_sub_orders_until_the_end(
    app: &TestApp,
    token: &str,
    id: i64,
) {
    let mut rounds = 0;
    loop {
        let downloaded = download_available(app, id).await;
        app.run_pending_jobs().await;
        rounds += 1;
        let (status, percent, ..) = progress(app, token, id).await;
        if status != "RUNNING" {
            assert_eq!(percent, 100);
            break;
        }
        assert!(
            downloaded > 0 || rounds < 10,
            "stuck at {percent} %: {:?}",
            sub_orders(app, id).await
        );
        assert!(rounds < 10);
    }
}

async fn the_order_ends_with_a_warning_and_the_reasons_of_its_errors(
    app: &TestApp,
    token: &str,
    id: i64,
) {
    let (status, percent, _, errors, _) = progress(app, token, id).await;
    assert_eq!(
        (status.as_str(), percent, errors),
        ("DONE_WITH_WARNING", 100, 2)
    );
    let (_, body) = super::get_order(app, token, id).await;
    let message = body["content"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("2 of 10 files could not be made available"),
        "{message}"
    );
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT error FROM order_files WHERE order_id = $1 AND state = 'ERROR' ORDER BY id",
    )
    .bind(id)
    .fetch_all(app.state.store.pool())
    .await
    .unwrap();
    assert!(
        reasons[0].starts_with("checksum mismatch: expected MD5 00000000000000000000000000000000"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("file missing on storage online"),
        "{reasons:?}"
    );
}
