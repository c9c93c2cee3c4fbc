//! Migrations on a database that already holds data (the tests otherwise start from empty ones).

use regards_order::store;
use sqlx::AnyPool;

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
    three_orders_with_a_task_each_the_last_removed(pool).await;

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
    assert_eq!(
        task_orders(pool).await,
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
    assert_eq!(task_orders(pool).await, [2]);
    let broken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(broken, 0);
}

/// Orders 1, 2 and 3 with a dataset task each; then order 3 removed, so that the sequence is above every
/// row.
async fn three_orders_with_a_task_each_the_last_removed(pool: &AnyPool) {
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
    sqlx::query("DELETE FROM orders WHERE id = 3")
        .execute(pool)
        .await
        .unwrap();
}

/// The orders of the dataset tasks.
async fn task_orders(pool: &AnyPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT order_id FROM dataset_tasks ORDER BY order_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// 0007 makes every status column take only its state machine's values (SQLite rebuilds three tables):
/// rows, ids and children survive on both backends, and a value no machine knows is refused.
#[tokio::test]
async fn status_checks_keep_the_rows_and_refuse_unknown_values() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::helpers::TestDatabase::create(dir.path()).await;
    let store = store::connect(&database.url).await.unwrap();
    let pool = store.pool();
    let migrator = if database.is_postgres() {
        sqlx::migrate!("./migrations/postgres")
    } else {
        sqlx::migrate!("./migrations/sqlite")
    };
    migrator.run_to(6, pool).await.unwrap();
    an_order_a_sub_order_and_a_file_in_old_states(pool, database.is_postgres()).await;

    store.migrate().await.unwrap();

    let kept: (String, String, String, Option<String>) = sqlx::query_as(
        "SELECT o.status, s.state, f.state, f.sent_ranges FROM orders o
         JOIN sub_orders s ON s.order_id = o.id JOIN order_files f ON f.sub_order_id = s.id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        kept,
        (
            "DONE_WITH_WARNING".into(),
            "DONE".into(),
            "DOWNLOAD_ERROR".into(),
            Some("0-5".into())
        )
    );
    let next_order: i64 = sqlx::query_scalar(
        "INSERT INTO orders (owner, label, creation_date, status, status_date)
         VALUES ('a@b.c', 'new', 20, 'RUNNING', 20) RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(next_order, 8, "ids are not reused");
    unknown_values_are_refused_and_cascades_hold(pool).await;
    store.close().await;
}

/// Order 7, its sub-order 5 and its file 9; on PostgreSQL, the id sequences moved past them.
async fn an_order_a_sub_order_and_a_file_in_old_states(pool: &AnyPool, postgres: bool) {
    let statements = [
        "INSERT INTO orders (id, owner, label, creation_date, expiration_date, status, status_date)
         VALUES (7, 'a@b.c', 'old', 10, NULL, 'DONE_WITH_WARNING', 10)",
        "INSERT INTO sub_orders (id, order_id, dataset_task_id, owner, storage, state, files_count)
         VALUES (5, 7, 1, 'a@b.c', 'online', 'DONE', 2)",
        "INSERT INTO order_files (id, order_id, sub_order_id, dataset_task_id, object_ip_id, provider_id,
             data_type, filename, mime_type, uri, state, state_date, sent_ranges)
         VALUES (9, 7, 5, 1, 'URN:O', 'o', 'RAWDATA', 'f', 'x/y', 'file:///f', 'DOWNLOAD_ERROR', 10, '0-5')",
    ];
    for statement in statements {
        sqlx::query(statement).execute(pool).await.unwrap();
    }
    if postgres {
        for (table, next) in [("orders", 8), ("sub_orders", 6), ("order_files", 10)] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), {})",
                next - 1
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

async fn unknown_values_are_refused_and_cascades_hold(pool: &AnyPool) {
    for refused in [
        "UPDATE orders SET status = 'STAGING' WHERE id = 7",
        "UPDATE sub_orders SET state = 'done' WHERE id = 5",
        "UPDATE order_files SET state = 'LOST' WHERE id = 9",
    ] {
        assert!(
            sqlx::query(refused).execute(pool).await.is_err(),
            "{refused}"
        );
    }
    // A cascade still holds: removing the order removes its sub-orders.
    sqlx::query("DELETE FROM orders WHERE id = 7")
        .execute(pool)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sub_orders")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// 0011 adds the stored-RAWDATA counter and fills it from the files already imported: external
/// references and quicklooks left out, the totals summed again.
#[tokio::test]
async fn the_stored_rawdata_counter_is_filled_for_objects_imported_before() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let store = store::connect(&url).await.unwrap();
    let migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.run_to(10, store.pool()).await.unwrap();
    let pool = store.pool();
    for sql in [
        "INSERT INTO datasets (id, ip_id, provider_id, label, creation_date, last_update)
         VALUES (1, 'D', 'd', 'D', 0, 0)",
        "INSERT INTO data_objects (id, ip_id, provider_id, label, label_words, dataset_id, creation_date,
                                   last_update, properties, has_orderable, raw_count, ql_hd_count)
         VALUES (1, 'O1', 'o1', 'o1', ' o1 ', 1, 5, 5, '{}', 1, 2, 1),
                (2, 'O2', 'o2', 'o2', ' o2 ', 1, 5, 5, '{}', 1, 1, 0)",
        "INSERT INTO object_totals (dataset_id, creation_date, has_orderable, raw_count, ql_hd_count)
         VALUES (1, 5, 2, 3, 1)",
        "INSERT INTO files (object_id, asset_key, data_type, filename, mime_type, uri, reference) VALUES
            (1, 'a', 'RAWDATA', 'a.dat', 'x', 'file:///a', 0),
            (1, 'b', 'RAWDATA', 'b.dat', 'x', 'https://e.org/b', 1),
            (1, 'q', 'QUICKLOOK_HD', 'q.png', 'x', 'file:///q', 0),
            (2, 'c', 'RAWDATA', 'c.dat', 'x', 'file:///c', 0)",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }

    store.migrate().await.unwrap();

    let objects: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, raw_stored_count FROM data_objects ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(objects, [(1, 1), (2, 1)]);
    let total: i64 = sqlx::query_scalar("SELECT raw_stored_count FROM object_totals")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(total, 2);
}
