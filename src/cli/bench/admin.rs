//! `regards-order bench admin`: the operators' reads on many orders, from a real `serve` process — the CSV
//! of every order (streamed) and a 1000-order page of the search — each against one plain `SELECT` of the
//! same rows timed in the same run; and the server's memory above idle while it streams the CSV.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;

use super::{BenchDatabase, Serve, fresh_databases, median};
use crate::config::Config;

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
    let (csv_rows, page_rows) = baselines(&database.url, orders, repeat).await?;
    let server = Serve::start(root, &config, &[]).await?;
    let secret = crate::auth::load_or_create_secret(&config)?;
    let keys = crate::auth::TokenKeys::new(&secret, &config.auth.tenant);
    let token = keys.access_token(
        "ops@example.org",
        crate::auth::Role::Exploit,
        Duration::from_secs(3600),
        crate::time::Clock::default().now(),
    );
    let idle_kb = server.memory_kb("VmRSS").context("no VmRSS (Linux only)")?;
    let (csv, lines) = time_csv(&server, &token, repeat).await?;
    let peak_kb = server.memory_kb("VmHWM").context("no VmHWM")?;
    let page = time_search_page(&server, &token, repeat).await?;
    server.stop().await?;
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

/// Inserts the orders, then times the baselines: the same rows read by one statement (CSV, page).
async fn baselines(url: &str, orders: u64, repeat: u32) -> anyhow::Result<(Duration, Duration)> {
    let store = crate::store::connect(url).await?;
    store.migrate().await?;
    let started = Instant::now();
    crate::store::bench::insert_done_orders(store.pool(), orders).await?;
    println!(
        "{orders} orders (two dataset tasks each) inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let csv_rows = median(repeat, || async {
        let rows = crate::store::bench::read_csv_rows(store.pool()).await?;
        anyhow::ensure!(rows as u64 == orders, "{rows} rows");
        Ok(())
    })
    .await?;
    let page_rows = median(repeat, || async {
        let rows = crate::store::bench::read_order_page(store.pool()).await?;
        anyhow::ensure!(rows > 0, "no rows");
        Ok(())
    })
    .await?;
    store.close().await;
    Ok((csv_rows, page_rows))
}

/// The whole CSV of every order, streamed: its time and how many lines it had.
async fn time_csv(server: &Serve, token: &str, repeat: u32) -> anyhow::Result<(Duration, usize)> {
    let client = reqwest::Client::new();
    let lines = std::cell::Cell::new(0);
    let csv = median(repeat, || async {
        let response = client
            .post(format!("{}/orders/csv", server.address))
            .bearer_auth(token)
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
    Ok((csv, lines.get()))
}

/// A search page of 1000 orders.
async fn time_search_page(server: &Serve, token: &str, repeat: u32) -> anyhow::Result<Duration> {
    let client = reqwest::Client::new();
    median(repeat, || async {
        let response = client
            .post(format!("{}/orders/search?size=1000", server.address))
            .bearer_auth(token)
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
    .await
}
