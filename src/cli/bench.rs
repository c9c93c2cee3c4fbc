//! `regards-order bench catalog`: generates a large catalog, imports it into a fresh SQLite database
//! (and a fresh PostgreSQL database with `--postgres`), and times the import and the queries the basket
//! runs. Query times are printed as ratios to a plain `SELECT count(*)` of the same objects, measured in
//! the same run: figures that compare across machines. "summary" is what the endpoint does (from the
//! per-dataset, per-date totals when the query only reads datasets and dates); "scan" is the aggregate
//! over the object rows that every other query takes. Then two basket adds of a selection matching ~all
//! objects, each against the catalog summary of the same query.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use sqlx::Connection;

use crate::basket;
use crate::catalog::generate::{GenerateOptions, generate};
use crate::catalog::search;
use crate::config::{Config, StorageConfig, StorageKind};
use crate::domain::selection::{SeedSelection, Selection};
use crate::store::Store;
use crate::time::Clock;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Catalog import rate, and summary and search times against count(*).
    Catalog {
        #[arg(long, default_value_t = 1_000_000)]
        objects: u64,
        #[arg(long, default_value_t = 4)]
        datasets: u32,
        #[arg(long, default_value_t = 2)]
        files_per_object: u32,
        /// Where the generated catalog (kept between runs) and the SQLite database go.
        #[arg(long, default_value = "./bench-data")]
        work_dir: PathBuf,
        /// A PostgreSQL server URL: a fresh database is created there for the run, then dropped.
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Timed runs of each query (the median is shown).
        #[arg(long, default_value_t = 5)]
        repeat: u32,
    },
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::Catalog {
        objects,
        datasets,
        files_per_object,
        work_dir,
        postgres,
        repeat,
    } = command;
    std::fs::create_dir_all(&work_dir)?;
    let work_dir = work_dir.canonicalize()?;
    let catalog = work_dir.join("catalog");
    let options = GenerateOptions {
        out: catalog.clone(),
        datasets,
        objects,
        files_per_object,
        file_size: 0,
        nearline_share: 0.5,
        seed: 1,
    };
    ensure_generated(&options).await?;

    let sqlite = work_dir.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite.display()));
    }
    let mut backends = vec![(
        "SQLite".to_owned(),
        format!("sqlite://{}", sqlite.display()),
        None,
    )];
    if let Some(server) = &postgres {
        let name = format!("regards_bench_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .context("cannot reach --postgres")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        let mut url = url::Url::parse(server)?;
        url.set_path(&name);
        backends.push((
            "PostgreSQL".to_owned(),
            url.to_string(),
            Some((server.clone(), name)),
        ));
    }
    let per_dataset = objects / u64::from(datasets);
    for (label, url, drop) in backends {
        let result = bench_backend(&label, &url, &work_dir, &catalog, per_dataset, repeat).await;
        if let Some((server, name)) = drop {
            let mut admin = sqlx::PgConnection::connect(&server).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await?;
        }
        result?;
    }
    Ok(())
}

/// Generates the catalog unless the same one is already there.
async fn ensure_generated(options: &GenerateOptions) -> anyhow::Result<()> {
    let marker = options.out.join("generated.txt");
    let wanted = format!("{options:?}");
    if std::fs::read_to_string(&marker).is_ok_and(|found| found == wanted) {
        println!("catalog: reusing {}", options.out.display());
        return Ok(());
    }
    if options.out.exists() {
        std::fs::remove_dir_all(&options.out)?;
    }
    let started = Instant::now();
    let copy = options.clone();
    let generated = tokio::task::spawn_blocking(move || generate(&copy, |_| {})).await??;
    std::fs::write(marker, wanted)?;
    println!(
        "catalog: generated {} objects, {} files in {:.1} s",
        generated.objects,
        generated.files,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn bench_backend(
    label: &str,
    url: &str,
    work_dir: &Path,
    catalog: &Path,
    per_dataset: u64,
    repeat: u32,
) -> anyhow::Result<()> {
    println!("\n== {label}");
    let store = crate::store::connect(url).await?;
    store.migrate().await?;
    let mut config = Config::with_data_dir(work_dir)?;
    config.database.url = url.to_owned();
    config.storages = [
        ("online", StorageKind::Online),
        ("nearline", StorageKind::Nearline),
    ]
    .into_iter()
    .map(|(name, kind)| StorageConfig {
        name: name.into(),
        kind,
        root: catalog.join(name),
        cache_dir: Some(work_dir.join("cache")),
        cache_bytes: 1 << 30,
        restore_parallelism: 1,
    })
    .collect();

    let started = Instant::now();
    let report = super::import_paths(
        store.clone(),
        &config,
        &[catalog.join("stac")],
        Clock::default().now(),
        true,
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "import: {} in {seconds:.1} s = {:.0} objects/s",
        report.summary_line(),
        (report.imported + report.updated) as f64 / seconds
    );

    let now = Clock::default().now();
    let queries = [
        ("~all", format!("creationDate:[* TO {}]", now.to_iso())),
        (
            "~10%",
            format!("index:[0 TO {}]", (per_dataset / 10).saturating_sub(1)),
        ),
        ("1 object", "providerId:\"synthetic-1-0000042\"".to_owned()),
    ];
    println!(
        "{:<9} {:>9} {:>11} {:>11} {:>7} {:>11} {:>7} {:>11} {:>7}",
        "query",
        "objects",
        "count(*) ms",
        "summary ms",
        "ratio",
        "scan ms",
        "ratio",
        "search ms",
        "ratio"
    );
    for (name, q) in queries {
        let condition = search::condition(store.as_ref(), &q).await?;
        let matches = store.count_objects(&condition, None).await?;
        let count = median(repeat, || {
            let (store, condition) = (store.clone(), condition.clone());
            async move {
                store
                    .count_objects(&condition, None)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            }
        })
        .await?;
        let summary = median(repeat, || {
            let (store, condition) = (store.clone(), condition.clone());
            async move {
                search::summary_of(store.as_ref(), &condition, None)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            }
        })
        .await?;
        // The same aggregate over the object rows, as for queries that read more than datasets and dates.
        let scan = median(repeat, || {
            let (store, condition) = (store.clone(), condition.clone());
            async move {
                store
                    .summary(&condition, &[], false)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            }
        })
        .await?;
        let first_page = median(repeat, || {
            let (store, q) = (store.clone(), q.clone());
            async move {
                search::search(store.as_ref(), &q, 0, 20)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            }
        })
        .await?;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let ratio = |d: Duration| ms(d) / ms(count).max(0.001);
        println!(
            "{name:<9} {matches:>9} {:>11.2} {:>11.2} {:>6.2}x {:>11.2} {:>6.2}x {:>11.2} {:>6.2}x",
            ms(count),
            ms(summary),
            ratio(summary),
            ms(scan),
            ratio(scan),
            ms(first_page),
            ratio(first_page)
        );
    }
    bench_basket(&config, repeat).await?;
    close(store).await;
    Ok(())
}

/// Two basket adds of the same selection (the second makes a second dated item in every dataset
/// selection), each against the catalog summary of the same query.
async fn bench_basket(config: &Config, repeat: u32) -> anyhow::Result<()> {
    let state = crate::app::AppState::open(config.clone(), None, Clock::default()).await?;
    println!(
        "{:<31} {:>11} {:>10} {:>7} {:>10} {:>7}",
        "basket add", "summary ms", "add 1 ms", "ratio", "add 2 ms", "ratio"
    );
    for (name, q) in [
        ("everything (\"\")", ""),
        ("~all by property", "cloud_cover:[0 TO 100]"),
    ] {
        let summary = median(repeat, || {
            let state = state.clone();
            async move {
                search::summary(state.store.as_ref(), q, None)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            }
        })
        .await?;
        let selection = Selection::Seed(SeedSelection {
            select_all_open_search_request: Some(q.to_owned()),
            ip_ids: vec![],
        });
        let owner = format!("bench-{name}");
        let mut adds = Vec::new();
        for _ in 0..2 {
            let started = Instant::now();
            basket::add_selection(&state, &owner, &selection).await?;
            adds.push(started.elapsed());
            state.clock.advance(Duration::from_millis(1));
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:<31} {:>11.2} {:>10.2} {:>6.2}x {:>10.2} {:>6.2}x",
            ms(summary),
            ms(adds[0]),
            ms(adds[0]) / ms(summary).max(0.001),
            ms(adds[1]),
            ms(adds[1]) / ms(summary).max(0.001)
        );
    }
    state.store.close().await;
    Ok(())
}

async fn close(store: Arc<dyn Store>) {
    store.close().await;
}

/// The median duration of `repeat` runs, after one warm-up run.
async fn median<F, Fut>(repeat: u32, mut run: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    run().await?;
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        run().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}
