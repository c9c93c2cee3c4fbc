//! `regards-order bench admin`: the operators' reads on many orders, from a real `serve` process — the CSV
//! of every order (streamed) and a 1000-order page of the search — each against one plain `SELECT` of the
//! same rows timed in the same run; and the server's memory above idle while it streams the CSV.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;

use super::{BenchDatabase, Serve, fresh_databases, median};
use crate::config::Config;
use crate::store::Store;

pub async fn run(
    orders: u64,
    work_dir: PathBuf,
    postgres: Option<String>,
    repeat: u32,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&work_dir)?;
    let root = work_dir.canonicalize()?.join("admin-bench");
    std::fs::create_dir_all(&root)?;
    for database in fresh_databases(&root, postgres.as_deref()).await? {
        let result = bench_backend(&root, &database, orders, repeat).await;
        database.drop().await?;
        result?;
    }
    Ok(())
}

async fn bench_backend(
    root: &Path,
    database: &BenchDatabase,
    orders: u64,
    repeat: u32,
) -> anyhow::Result<()> {
    println!("\n== {}", database.label);
    let mut config = Config::with_data_dir(root)?;
    config.database.url = database.url.clone();
    let store = crate::store::connect(&database.url).await?;
    store.migrate().await?;
    let started = Instant::now();
    insert_orders(store.as_ref(), orders).await?;
    println!(
        "{orders} orders (two dataset tasks each) inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The baselines: the same rows, read by the bench in one statement.
    let csv_rows = median(repeat, || async {
        let rows = sqlx::query(
            "SELECT o.id, o.creation_date, o.expiration_date, o.owner, o.status, o.status_date,
                    o.total_bytes, o.treated_bytes, o.error_files,
                    (SELECT CAST(SUM(t.files_size) AS BIGINT) FROM dataset_tasks t WHERE t.order_id = o.id),
                    (SELECT CAST(SUM(t.files_count) AS BIGINT) FROM dataset_tasks t WHERE t.order_id = o.id)
             FROM orders o ORDER BY o.id",
        )
        .fetch_all(store.pool())
        .await?;
        anyhow::ensure!(rows.len() as u64 == orders, "{} rows", rows.len());
        Ok(())
    })
    .await?;
    let page_rows = median(repeat, || async {
        let rows = sqlx::query(
            "SELECT o.*, t.* FROM (SELECT * FROM orders ORDER BY creation_date DESC, id DESC LIMIT 1000) o
             JOIN dataset_tasks t ON t.order_id = o.id",
        )
        .fetch_all(store.pool())
        .await?;
        anyhow::ensure!(!rows.is_empty(), "no rows");
        Ok(())
    })
    .await?;
    store.close().await;

    let server = Serve::start(root, &config, &[]).await?;
    let secret = crate::auth::load_or_create_secret(&config)?;
    let keys = crate::auth::TokenKeys::new(&secret, &config.auth.tenant);
    let token = keys.access_token(
        "ops@example.org",
        crate::auth::Role::Exploit,
        Duration::from_secs(3600),
        crate::time::Clock::default().now(),
    );
    let client = reqwest::Client::new();
    let idle_kb = server.memory_kb("VmRSS").context("no VmRSS (Linux only)")?;
    let lines = std::cell::Cell::new(0);
    let csv = median(repeat, || async {
        let response = client
            .post(format!("{}/orders/csv", server.address))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "CSV: {}", response.status());
        let mut body = response.bytes_stream();
        let mut count = 0;
        while let Some(chunk) = body.next().await {
            count += chunk?.iter().filter(|b| **b == b'\n').count();
        }
        lines.set(count);
        Ok(())
    })
    .await?;
    let peak_kb = server.memory_kb("VmHWM").context("no VmHWM")?;
    let page = median(repeat, || async {
        let response = client
            .post(format!("{}/orders/search?size=1000", server.address))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "search: {}",
            response.status()
        );
        response.bytes().await?;
        Ok(())
    })
    .await?;
    server.stop().await?;

    let lines = lines.get();
    anyhow::ensure!(lines as u64 == orders + 1, "the CSV has {lines} lines");
    println!(
        "CSV of {orders} orders: {:.2} s = {:.1}x one SELECT of the same rows ({:.2} s); server RSS idle {} MiB, \
         peak {} MiB: {} MiB above idle",
        csv.as_secs_f64(),
        csv.as_secs_f64() / csv_rows.as_secs_f64().max(0.000_001),
        csv_rows.as_secs_f64(),
        idle_kb / 1024,
        peak_kb / 1024,
        peak_kb.saturating_sub(idle_kb) / 1024
    );
    println!(
        "search, a page of 1000 orders: {:.1} ms = {:.1}x one SELECT of those orders and tasks ({:.1} ms)",
        page.as_secs_f64() * 1000.0,
        page.as_secs_f64() / page_rows.as_secs_f64().max(0.000_001),
        page_rows.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// `orders` DONE orders of 100 users, a minute apart, each with two dataset tasks; one statement each.
async fn insert_orders(store: &dyn Store, orders: u64) -> anyhow::Result<()> {
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO orders (owner, label, creation_date, expiration_date, status, status_date, expanded,
                             total_files, total_bytes, treated_files, treated_bytes)
         SELECT 'user' || (i % 100) || '@example.org', 'order ' || i, 1700000000000 + CAST(i AS BIGINT) * 60000,
                1700259200000 + CAST(i AS BIGINT) * 60000, 'DONE', 1700000000000 + CAST(i AS BIGINT) * 60000,
                1, 4, 4000, 4, 4000
         FROM n",
    )
    .bind(orders as i64)
    .execute(store.pool())
    .await?;
    for dataset in 1..=2 {
        sqlx::query(
            "INSERT INTO dataset_tasks (order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request,
                                        objects_count, files_count, files_size)
             SELECT id, $1, 'URN:AIP:DATASET:BENCH:' || $1, 'Dataset ' || $1, '', 1, 2, 2000 FROM orders",
        )
        .bind(dataset)
        .execute(store.pool())
        .await?;
    }
    Ok(())
}
