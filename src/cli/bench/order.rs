//! `regards-order bench order`: an order of a million online files (a generated catalog of empty files),
//! from `POST /user/orders` on a real `serve` process to every file AVAILABLE, with the server's peak
//! memory; against one bulk `INSERT … SELECT` of the same rows, timed in the same run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{BenchDatabase, Serve, ensure_generated, fresh_databases};
use crate::catalog::generate::GenerateOptions;
use crate::config::Config;
use crate::time::Clock;

pub async fn run(files: u64, work_dir: PathBuf, postgres: Option<String>) -> anyhow::Result<()> {
    std::fs::create_dir_all(&work_dir)?;
    let root = work_dir.canonicalize()?.join("order-bench");
    std::fs::create_dir_all(&root)?;
    let options = GenerateOptions {
        out: root.join("archive"),
        datasets: 1,
        objects: files.div_ceil(2),
        files_per_object: 2,
        file_size: 0,
        nearline_share: 0.0,
        seed: 2,
    };
    ensure_generated(&options).await?;
    for database in fresh_databases(&root, postgres.as_deref()).await? {
        let result = bench_backend(&root, &database).await;
        database.drop().await?;
        result?;
    }
    Ok(())
}

async fn bench_backend(root: &Path, database: &BenchDatabase) -> anyhow::Result<()> {
    println!("\n== {}", database.label);
    let mut config = Config::with_data_dir(root)?;
    config.database.url = database.url.clone();
    let store = crate::store::connect(&database.url).await?;
    store.migrate().await?;
    let report = crate::catalog::sources::import_paths(
        store.clone(),
        &config,
        &[root.join("archive/stac")],
        Clock::default().now(),
        true,
    )
    .await?;
    println!("catalog: {}", report.summary_line());

    // The baseline: the same rows, copied from the catalog by one statement.
    let (copied, baseline) = crate::store::bench::copy_orderable_files(store.pool()).await?;
    store.close().await;

    let (elapsed, peak_rss_kb) = order_on_server(root, &config).await?;
    println!(
        "order of {copied} files: bulk INSERT {:.2} s; POST → all AVAILABLE {:.2} s = {:.1}x; server peak RSS {} MiB",
        baseline.as_secs_f64(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / baseline.as_secs_f64().max(0.001),
        peak_rss_kb / 1024
    );
    Ok(())
}

/// Starts `serve` on the data dir, orders everything, and waits for every file to be AVAILABLE; returns
/// the time that took and the server's peak resident memory (kB).
async fn order_on_server(root: &Path, config: &Config) -> anyhow::Result<(Duration, u64)> {
    let server = Serve::start(
        root,
        config,
        &[(
            "REGARDS_ORDER__ORDERS__MAX_RUNNING_SUBORDERS_PER_USER",
            "1000000",
        )],
    )
    .await?;
    let (_, elapsed) = server.order_all().await?;
    let peak = server.memory_kb("VmHWM").unwrap_or(0);
    server.stop().await?;
    Ok((elapsed, peak))
}
