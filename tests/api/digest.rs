//! Mails stay few: "files ready" news of one owner go out as one mail per `[mail] digest` window, and a
//! reminder lists every order of the owner with files waiting.

use std::time::Duration;

use regards_order::catalog::generate::{GenerateOptions, generate};

use crate::catalog::fixture::import_folder;
use crate::helpers::{TestApp, spawn_app_with};
use crate::mails::{Mail, outbox};
use crate::orders::{id_of, order_of};

fn ready_mails(app: &TestApp) -> Vec<Mail> {
    outbox(app)
        .into_iter()
        .filter(|mail| mail.subject.contains("are ready"))
        .collect()
}

/// The files each ready mail says are ready, summed.
fn files_announced(mails: &[Mail]) -> i64 {
    mails
        .iter()
        .flat_map(|mail| mail.text.lines())
        .filter_map(|line| line.split_once(" files of your order "))
        .map(|(count, _)| count.trim().parse::<i64>().unwrap())
        .sum()
}

/// An app whose catalog holds `objects` objects of one online file each, in one dataset.
async fn app_with_objects(
    objects: u64,
    configure: impl FnOnce(&mut regards_order::config::Config),
) -> TestApp {
    let app = spawn_app_with(|config| {
        config.orders.suborder_max_files = 1;
        config.orders.max_running_suborders_per_user = 10_000;
        configure(config);
    })
    .await;
    let options = GenerateOptions {
        out: app.data_dir().join("archive"),
        datasets: 1,
        objects,
        files_per_object: 1,
        file_size: 0,
        nearline_share: 0.0,
        seed: 9,
    };
    generate(&options, |_| {}).unwrap();
    import_folder(&app, &app.data_dir().join("archive/stac")).await;
    app
}

#[tokio::test]
async fn a_thousand_sub_orders_send_one_ready_mail_per_window() {
    let app = app_with_objects(1000, |config| config.mail.digest = Duration::from_secs(900)).await;
    let token = app.user_token();
    let order = id_of(&order_of(&app, &token, "").await);
    app.run_pending_jobs().await;
    let sub_orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sub_orders WHERE order_id = $1")
        .bind(order)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(sub_orders, 1000);
    let first = ready_mails(&app);
    assert_eq!(
        first.len(),
        1,
        "the first may go at once, then none within the window"
    );
    let announced = files_announced(&first);
    assert!((1..=1000).contains(&announced), "{announced}");

    // Just before the window (from the first mail) closes: still one.
    let sent: i64 = sqlx::query_scalar("SELECT last_sent FROM mail_digests")
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    let before_end = sent + 895_000 - app.state.clock.now().millis();
    app.state
        .clock
        .advance(Duration::from_millis(before_end.max(0) as u64));
    app.run_pending_jobs().await;
    assert_eq!(ready_mails(&app).len(), 1);
    app.state.clock.advance(Duration::from_secs(10));
    app.run_pending_jobs().await;
    let mails = ready_mails(&app);
    let expected = if announced == 1000 { 1 } else { 2 };
    assert_eq!(
        mails.len(),
        expected,
        "the rest in one mail when the window closes"
    );
    assert_eq!(files_announced(&mails), 1000, "every file announced once");
    assert!(mails.iter().all(|mail| mail.to == "user@example.org"));
}

#[tokio::test]
async fn one_reminder_per_owner_lists_all_their_waiting_orders() {
    let app = app_with_objects(4, |_| {}).await;
    let token = app.user_token();
    let first = id_of(&order_of(&app, &token, "").await);
    let second = id_of(&order_of(&app, &token, "").await);
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    let third = id_of(&order_of(&app, &other, "").await);
    app.run_pending_jobs().await;
    regards_order::orders::lifecycle::queue_remind(&app.state, app.state.clock.now())
        .await
        .unwrap();
    app.state.clock.advance(Duration::from_secs(49 * 3600));
    app.run_pending_jobs().await;
    let reminders: Vec<Mail> = outbox(&app)
        .into_iter()
        .filter(|mail| mail.subject.starts_with("Reminder"))
        .collect();
    assert_eq!(reminders.len(), 2, "one per owner: {reminders:#?}");
    let mine = reminders
        .iter()
        .find(|m| m.to == "user@example.org")
        .unwrap();
    for id in [first, second] {
        assert!(
            mine.text.contains(&format!("(number {id})")),
            "{}",
            mine.text
        );
    }
    assert!(!mine.text.contains(&format!("(number {third})")));
}
