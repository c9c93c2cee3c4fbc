//! Migrations on a database that already holds data (the tests otherwise start from empty ones).

use regards_order::store;

/// 0006 rebuilds the SQLite `orders` table (a nullable expiration date): rows, ids, children and foreign
/// keys survive, and ids keep growing from the old sequence.
#[tokio::test]
async fn the_orders_rebuild_keeps_orders_their_children_and_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let store = store::connect(&url).await.unwrap();
    let migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.run_to(5, store.pool()).await.unwrap();
    let pool = store.pool();
    for (id, label) in [(1, "kept"), (2, "removed"), (3, "kept too")] {
        sqlx::query(
            "INSERT INTO orders (id, owner, label, creation_date, expiration_date, status, status_date)
             VALUES ($1, 'a@b.c', $2, 10, 20, 'DONE', 10)",
        )
        .bind(id)
        .bind(label)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO dataset_tasks (order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request)
             VALUES ($1, 1, 'URN:DATASET', 'D', '')",
        )
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    }
    // The highest id was removed: the sequence is above every row.
    sqlx::query("DELETE FROM orders WHERE id = 3")
        .execute(pool)
        .await
        .unwrap();

    store.migrate().await.unwrap();

    let orders: Vec<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, label, expiration_date FROM orders ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        orders,
        [
            (1, "kept".into(), Some(20)),
            (2, "removed".into(), Some(20))
        ]
    );
    let tasks: Vec<i64> =
        sqlx::query_scalar("SELECT order_id FROM dataset_tasks ORDER BY order_id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        tasks,
        [1, 2],
        "the children of the rebuilt table are all there"
    );
    let new_id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (owner, label, creation_date, expiration_date, status, status_date)
         VALUES ('a@b.c', 'never expires', 30, NULL, 'RUNNING', 30) RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(new_id, 4, "ids are not reused");
    // Foreign keys hold again: removing an order removes its tasks.
    sqlx::query("DELETE FROM orders WHERE id = 1")
        .execute(pool)
        .await
        .unwrap();
    let tasks: Vec<i64> =
        sqlx::query_scalar("SELECT order_id FROM dataset_tasks ORDER BY order_id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(tasks, [2]);
    let broken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(broken, 0);
}
