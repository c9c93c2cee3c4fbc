//! Orders survive their processes: killed during expansion and during staging, the work resumes in
//! another process and ends with every file exactly once.

use std::time::Duration;

use regards_order::catalog::generate::{GenerateOptions, generate};

use super::{signal, start_serve_with, wait_exit};
use crate::helpers::{TestApp, spawn_app, wait_until};

const ENV: &[(&str, &str)] = &[
    ("REGARDS_ORDER__JOBS__LEASE", "2s"),
    ("REGARDS_ORDER__JOBS__POLL_INTERVAL", "100ms"),
    ("REGARDS_ORDER__JOBS__WORKERS", "2"),
    ("REGARDS_ORDER__ORDERS__SUBORDER_MAX_FILES", "100"),
    (
        "REGARDS_ORDER__ORDERS__MAX_RUNNING_SUBORDERS_PER_USER",
        "1000",
    ),
];

/// An app with a generated catalog of 10,000 objects (20,000 empty files, half nearline) and an order of
/// all of it, not yet expanded; returns the order id and its number of files.
async fn big_order() -> (TestApp, i64, i64) {
    let app = spawn_app().await;
    let options = GenerateOptions {
        out: app.data_dir().join("archive"),
        datasets: 2,
        objects: 10_000,
        files_per_object: 2,
        file_size: 0,
        nearline_share: 0.5,
        seed: 3,
    };
    tokio::task::spawn_blocking(move || generate(&options, |_| {}))
        .await
        .unwrap()
        .unwrap();
    let stac = app.data_dir().join("archive/stac");
    crate::catalog::fixture::import_folder(&app, &stac).await;
    let order = crate::orders::order_of(&app, &app.user_token(), "").await;
    (app, crate::orders::id_of(&order), 20_000)
}

async fn scalar(app: &TestApp, sql: &str, order_id: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(order_id)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

/// Every file exactly once, in sub-orders that respect the bounds, the last of each (dataset, storage)
/// alone not full; the order DONE with exact counts.
async fn check_complete(app: &TestApp, order_id: i64, files: i64) {
    assert_eq!(
        scalar(
            app,
            "SELECT COUNT(*) FROM order_files WHERE order_id = $1",
            order_id
        )
        .await,
        files
    );
    let distinct = "SELECT COUNT(*) FROM (SELECT DISTINCT object_ip_id, filename FROM order_files WHERE order_id = $1) AS d";
    assert_eq!(
        scalar(app, distinct, order_id).await,
        files,
        "no file twice"
    );
    let in_sub_orders =
        "SELECT CAST(COALESCE(SUM(files_count), 0) AS BIGINT) FROM sub_orders WHERE order_id = $1";
    assert_eq!(
        scalar(app, in_sub_orders, order_id).await,
        files,
        "each file in one sub-order"
    );
    assert_eq!(
        scalar(
            app,
            "SELECT COUNT(*) FROM sub_orders WHERE order_id = $1 AND files_count > 100",
            order_id
        )
        .await,
        0
    );
    let partial = "SELECT COUNT(*) FROM (SELECT dataset_task_id, storage FROM sub_orders
                   WHERE order_id = $1 AND files_count < 100 GROUP BY dataset_task_id, storage HAVING COUNT(*) > 1) AS p";
    assert_eq!(
        scalar(app, partial, order_id).await,
        0,
        "no sub-order made twice"
    );
    let counted = "SELECT COUNT(*) FROM order_files f JOIN sub_orders s ON s.id = f.sub_order_id WHERE f.order_id = $1";
    assert_eq!(scalar(app, counted, order_id).await, files);
    let order = app.state.store.order(order_id).await.unwrap().unwrap();
    assert_eq!(
        (
            order.status.as_str(),
            order.total_files,
            order.available_files,
            order.treated_files
        ),
        ("DONE", files, files, files)
    );
    let sub_orders = scalar(
        app,
        "SELECT COUNT(*) FROM sub_orders WHERE order_id = $1",
        order_id,
    )
    .await;
    assert!(sub_orders >= 200, "{sub_orders} sub-orders");
}

async fn wait_for(app: &TestApp, what: &str, sql: &'static str, order_id: i64) {
    wait_until(Duration::from_secs(120), what, || async {
        scalar(app, sql, order_id).await > 0
    })
    .await;
}

#[tokio::test]
async fn an_order_killed_during_expansion_and_staging_completes_exactly() {
    let (app, order_id, files) = big_order().await;
    let data_dir = app.data_dir();

    let (mut first, _) = start_serve_with(&data_dir, app.database_url(), ENV).await;
    wait_for(
        &app,
        "the expansion to be half-way",
        "SELECT COUNT(*) FROM orders o WHERE id = $1 AND expanded = 0
         AND EXISTS (SELECT 1 FROM dataset_tasks t WHERE t.order_id = o.id AND t.cursor > 0)",
        order_id,
    )
    .await;
    signal(&first, "-KILL");
    wait_exit(&mut first, Duration::from_secs(10)).await;
    assert_eq!(
        scalar(&app, "SELECT expanded FROM orders WHERE id = $1", order_id).await,
        0,
        "killed during expansion"
    );

    let (mut second, _) = start_serve_with(&data_dir, app.database_url(), ENV).await;
    wait_for(&app, "staging to be half-way", "SELECT COUNT(*) FROM orders o WHERE id = $1 AND expanded = 1
         AND EXISTS (SELECT 1 FROM sub_orders s WHERE s.order_id = o.id AND s.state = 'DONE' AND s.storage IS NOT NULL)
         AND EXISTS (SELECT 1 FROM sub_orders s WHERE s.order_id = o.id AND s.state IN ('WAITING', 'RUNNING'))", order_id)
    .await;
    signal(&second, "-KILL");
    wait_exit(&mut second, Duration::from_secs(10)).await;

    let (mut third, _) = start_serve_with(&data_dir, app.database_url(), ENV).await;
    wait_for(
        &app,
        "the order to end",
        "SELECT COUNT(*) FROM orders WHERE id = $1 AND status <> 'RUNNING'",
        order_id,
    )
    .await;
    check_complete(&app, order_id, files).await;
    signal(&third, "-TERM");
    wait_exit(&mut third, Duration::from_secs(20)).await;
}

#[tokio::test]
async fn of_two_processes_sharing_the_database_the_survivor_finishes_the_work() {
    let (app, order_id, files) = big_order().await;
    let data_dir = app.data_dir();
    let (mut first, _) = start_serve_with(&data_dir, app.database_url(), ENV).await;
    let (mut second, _) = start_serve_with(&data_dir, app.database_url(), ENV).await;
    wait_for(&app, "staging to be under way", "SELECT COUNT(*) FROM orders o WHERE id = $1 AND expanded = 1
         AND EXISTS (SELECT 1 FROM sub_orders s WHERE s.order_id = o.id AND s.state = 'DONE' AND s.storage IS NOT NULL)", order_id)
    .await;
    signal(&first, "-KILL");
    wait_exit(&mut first, Duration::from_secs(10)).await;
    wait_for(
        &app,
        "the order to end",
        "SELECT COUNT(*) FROM orders WHERE id = $1 AND status <> 'RUNNING'",
        order_id,
    )
    .await;
    check_complete(&app, order_id, files).await;
    signal(&second, "-TERM");
    wait_exit(&mut second, Duration::from_secs(20)).await;
}
