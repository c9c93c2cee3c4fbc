//! `regards-order bench catalog`: generates a large catalog, imports it into a fresh SQLite database
//! (and a fresh PostgreSQL database with `--postgres`), and times the import and the queries the basket
//! runs. Query times are printed as ratios to a plain `SELECT count(*)` of the same objects, measured in
//! the same run: figures that compare across machines. "summary" is what the endpoint does (from the
//! per-dataset, per-date totals when the query only reads datasets and dates); "scan" is the aggregate
//! over the object rows that every other query takes. Then two basket adds of a selection matching ~all
//! objects, each against the catalog summary of the same query. Last, the same queries for a user in two
//! groups against an admin (`rights.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::basket;
use crate::catalog::generate::GenerateOptions;
use crate::catalog::search;
use crate::config::{Config, StorageConfig, StorageKind};
use crate::domain::access::{Scope, Viewer};
use crate::domain::selection::{SeedSelection, Selection};
use crate::store::Store;
use crate::time::Clock;

pub async fn run(
    objects: u64,
    datasets: u32,
    files_per_object: u32,
    work_dir: PathBuf,
    postgres: Option<String>,
    repeat: u32,
) -> anyhow::Result<()> {
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
    super::ensure_generated(&options).await?;

    let backends = super::fresh_databases(&work_dir, postgres.as_deref()).await?;
    let per_dataset = objects / u64::from(datasets);
    for database in backends {
        let result = bench_backend(
            &database.label,
            &database.url,
            &work_dir,
            &catalog,
            per_dataset,
            repeat,
        )
        .await;
        database.drop().await?;
        result?;
    }
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
    let config = bench_config(url, work_dir, catalog)?;
    let started = Instant::now();
    let report = crate::catalog::sources::import_paths(
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
    for (name, q) in &queries {
        bench_query(&store, name, q, repeat).await?;
    }
    bench_basket(&config, repeat).await?;
    super::filter::bench_filter(&config, per_dataset, repeat).await?;
    super::rights::bench_rights(&store, &queries, repeat).await?;
    store.close().await;
    Ok(())
}

/// The configuration of a run: its database, its two storages on the generated catalog.
fn bench_config(url: &str, work_dir: &Path, catalog: &Path) -> anyhow::Result<Config> {
    let mut config = Config::with_data_dir(work_dir)?;
    config.database.url = url.to_owned();
    config.storages = [
        ("online", StorageKind::Online),
        ("nearline", StorageKind::Nearline),
    ]
    .into_iter()
    .map(|(name, kind)| StorageConfig {
        cache_dir: Some(work_dir.join("cache")),
        cache_bytes: 1 << 30,
        restore_parallelism: 1,
        ..StorageConfig::local(name, kind, catalog.join(name))
    })
    .collect();
    Ok(config)
}

/// One line of the table: a query's count, summary, scan and first page, against the count.
async fn bench_query(
    store: &Arc<dyn Store>,
    name: &str,
    q: &str,
    repeat: u32,
) -> anyhow::Result<()> {
    let condition = search::condition(store.as_ref(), q).await?;
    let matches = store.count_objects(&condition, &Scope::All).await?;
    let timed = |what: Measured| {
        let (store, condition, q) = (store.clone(), condition.clone(), q.to_owned());
        async move {
            match what {
                Measured::Count => store
                    .count_objects(&condition, &Scope::All)
                    .await
                    .map(drop)?,
                Measured::Summary => search::summary_of(store.as_ref(), &condition, &Scope::All)
                    .await
                    .map(drop)?,
                // The same aggregate over the object rows, as for queries that read more than
                // datasets and dates.
                Measured::Scan => store
                    .summary(&condition, &Scope::All, false)
                    .await
                    .map(drop)?,
                Measured::FirstPage => search::search(store.as_ref(), &q, &Scope::All, 0, 20)
                    .await
                    .map(drop)?,
            }
            Ok(())
        }
    };
    let count = super::median(repeat, || timed(Measured::Count)).await?;
    let summary = super::median(repeat, || timed(Measured::Summary)).await?;
    let scan = super::median(repeat, || timed(Measured::Scan)).await?;
    let first_page = super::median(repeat, || timed(Measured::FirstPage)).await?;
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
    Ok(())
}

/// What a line of the table times.
#[derive(Clone, Copy)]
enum Measured {
    Count,
    Summary,
    Scan,
    FirstPage,
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
        let summary = super::median(repeat, || {
            let state = state.clone();
            async move {
                search::summary(state.store.as_ref(), q, &Scope::All)
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
            basket::add_selection(&state, &owner, &Viewer::All, &selection).await?;
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
