//! Expiry, emails and reminders, and an order whose job runs out of attempts.

use std::time::Duration;

use super::{app_with_orders_catalog, get_order, id_of, order_of, progress, sub_orders};
use crate::helpers::files_in;

fn mails(app: &crate::helpers::TestApp) -> Vec<String> {
    app.outbox_files()
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

/// The text of a quoted-printable mail, unfolded.
fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

#[tokio::test]
async fn the_creation_mail_carries_a_metalink_link_with_a_token_for_that_order() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = order_of(&app, &token, "dataset:gamma").await;
    let id = id_of(&order);
    app.run_pending_jobs().await;
    let created: Vec<String> = mails(&app)
        .into_iter()
        .filter(|m| m.contains("is confirmed"))
        .collect();
    assert_eq!(created.len(), 1);
    let mail = unfolded(&created[0]);
    assert!(
        mail.contains(&format!("Subject: Order number {id} is confirmed")),
        "{mail}"
    );
    assert!(mail.contains("To: user@example.org"), "{mail}");
    let prefix = format!("{}/user/orders/metalink/download?orderToken=", app.address);
    let start = mail
        .find(&prefix)
        .unwrap_or_else(|| panic!("no metalink link in {mail}"))
        + prefix.len();
    let order_token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    let grant = app
        .state
        .keys
        .verify_order(&order_token, app.state.clock.now())
        .unwrap();
    assert_eq!(
        (grant.owner.as_str(), grant.order_id),
        ("user@example.org", id)
    );
    assert!(
        mails(&app)
            .iter()
            .any(|m| m.contains(&format!("Subject: Files of order number {id} are ready")))
    );
}

#[tokio::test]
async fn an_order_expires_at_its_date_with_its_copies_and_slots_freed() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:beta").await);
    app.run_pending_jobs().await;
    let cache = app.data_dir().join("cache/nearline").join(id.to_string());
    assert_eq!(
        files_in(&cache).len(),
        2,
        "beta-1 and beta-3 restored (beta-2 corrupt frees its slot)"
    );
    let reserved: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(reserved_bytes) AS BIGINT) FROM sub_orders WHERE order_id = $1",
    )
    .bind(id)
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    assert!(reserved > 0);

    app.state
        .clock
        .advance(Duration::from_secs(3 * 86_400 - 60));
    app.run_pending_jobs().await;
    let token = app.user_token();
    assert_eq!(
        progress(&app, &token, id).await.0,
        "DONE_WITH_WARNING",
        "not expired yet"
    );
    app.state.clock.advance(Duration::from_secs(61));
    app.run_pending_jobs().await;
    let (_, body) = get_order(&app, &token, id).await;
    assert_eq!(body["content"]["status"], "EXPIRED");
    assert_eq!(body["content"]["availableFilesCount"], 0);
    assert_eq!(body["content"]["waitingForUser"], false);
    assert!(files_in(&cache).is_empty(), "copies removed");
    assert!(
        sub_orders(&app, id)
            .await
            .iter()
            .all(|s| s.2 == "CANCELLED")
    );
    let reserved: i64 = sqlx::query_scalar("SELECT CAST(SUM(reserved_bytes + evictable_bytes) AS BIGINT) FROM sub_orders WHERE order_id = $1")
        .bind(id)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(reserved, 0);
    assert!(
        mails(&app)
            .iter()
            .any(|m| m.contains(&format!("Subject: Order number {id} has expired")))
    );

    // Its slots are free: the next order of the user runs.
    let next = id_of(&order_of(&app, &token, "dataset:alpha").await);
    app.run_pending_jobs().await;
    assert!(progress(&app, &token, next).await.2 > 0);
}

#[tokio::test]
async fn owners_are_reminded_of_files_waiting_too_long() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:gamma").await);
    app.run_pending_jobs().await;
    let reminders = |app: &crate::helpers::TestApp| {
        mails(app)
            .iter()
            .filter(|m| m.contains("Reminder: some orders"))
            .count()
    };
    regards_order::orders::lifecycle::queue_remind(&app.state, app.state.clock.now())
        .await
        .unwrap();
    app.run_pending_jobs().await;
    assert_eq!(reminders(&app), 0, "not waiting long enough");
    app.state.clock.advance(Duration::from_secs(49 * 3600));
    app.run_pending_jobs().await;
    assert_eq!(reminders(&app), 1);
    let mail = mails(&app)
        .into_iter()
        .find(|m| m.contains("Reminder: some orders"))
        .unwrap();
    assert!(
        unfolded(&mail).contains(&format!("(number {id}) have been waiting for you since")),
        "{mail}"
    );
    app.state.clock.advance(Duration::from_secs(3600));
    app.run_pending_jobs().await;
    assert_eq!(reminders(&app), 1, "once per delay");
}

#[tokio::test]
async fn an_order_whose_expansion_runs_out_of_attempts_fails_with_the_error() {
    let app = crate::helpers::spawn_app_with(|config| config.jobs.max_attempts = 2).await;
    crate::catalog::fixture::import_folder(&app, &crate::catalog::fixture::write_fixture(&app))
        .await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:radar").await);
    // The files table is gone: every expansion attempt fails.
    sqlx::query("ALTER TABLE order_files RENAME TO order_files_away")
        .execute(app.state.store.pool())
        .await
        .unwrap();
    app.run_pending_jobs().await;
    app.state.clock.advance(Duration::from_secs(5));
    app.run_pending_jobs().await;
    sqlx::query("ALTER TABLE order_files_away RENAME TO order_files")
        .execute(app.state.store.pool())
        .await
        .unwrap();
    let (_, body) = get_order(&app, &token, id).await;
    assert_eq!(body["content"]["status"], "FAILED");
    let message = body["content"]["message"].as_str().unwrap();
    assert!(message.starts_with("Processing failed: "), "{message}");
}
