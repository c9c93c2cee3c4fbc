//! `regards-order catalog import PATH|URL...` and `regards-order catalog generate ...`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail};
use clap::Subcommand;

use super::ConfigArgs;
use crate::catalog::generate::{GenerateOptions, generate};
use crate::catalog::import::ImportReport;
use crate::catalog::sources::{self, ImportOptions, Imported};
use crate::config::Config;
use crate::outbound::HttpClients;
use crate::time::Clock;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Import STAC Collections, Items, ItemCollections and NDJSON (files or folders, recursive), or
    /// harvest a STAC API (an http(s) URL of a search or items endpoint, followed page by page).
    Import {
        #[arg(required = true, value_name = "PATH|URL")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Write a deterministic synthetic STAC catalog with real files (online and nearline roots).
    Generate {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        datasets: u32,
        /// Objects in all.
        #[arg(long, default_value_t = 100)]
        objects: u64,
        /// One RAWDATA file plus quicklooks.
        #[arg(long, default_value_t = 2)]
        files_per_object: u32,
        /// Bytes per file (0 writes real empty files).
        #[arg(long, default_value_t = 1024)]
        file_size: u64,
        /// Share of objects placed in the nearline root.
        #[arg(long, default_value_t = 0.5)]
        nearline_share: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

impl CatalogCommand {
    pub fn config_args(&self) -> Option<&ConfigArgs> {
        match self {
            CatalogCommand::Import { config, .. } => Some(config),
            CatalogCommand::Generate { .. } => None,
        }
    }
}

pub async fn run(command: CatalogCommand, config: Config) -> anyhow::Result<()> {
    match command {
        CatalogCommand::Import { paths, .. } => import(&paths, &config).await,
        CatalogCommand::Generate {
            out,
            datasets,
            objects,
            files_per_object,
            file_size,
            nearline_share,
            seed,
        } => {
            let options = GenerateOptions {
                out,
                datasets,
                objects,
                files_per_object,
                file_size,
                nearline_share,
                seed,
            };
            generate_catalog(options).await
        }
    }
}

async fn import(paths: &[PathBuf], config: &Config) -> anyhow::Result<()> {
    let sources = paths
        .iter()
        .map(|path| sources::Source::parse(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| anyhow!(message))?;
    let clients = HttpClients::from_config(&config.http_client)?;
    let store =
        crate::store::connect_with(&config.database.url, config.database.statement_timeout).await?;
    store.migrate().await?;
    let options = ImportOptions {
        show_progress: std::io::stderr().is_terminal(),
        ..ImportOptions::default()
    };
    let now = Clock::default().now();
    let imported =
        sources::import_sources(store.clone(), config, &clients, &sources, now, &options).await;
    store.close().await;
    let Imported { report, stopped } = imported?;
    print_report(&report, config);
    if let Some(reason) = stopped {
        bail!("{reason}; what was read before is imported");
    }
    if report.rejected > 0 {
        bail!("{} items could not be imported", report.rejected);
    }
    if report.files == 0 && report.outside_roots > 0 {
        bail!("no file was imported: every local file is outside the storage roots");
    }
    Ok(())
}

async fn generate_catalog(options: GenerateOptions) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&options.nearline_share) {
        bail!("--nearline-share must be between 0 and 1");
    }
    let out = options.out.clone();
    let started = Instant::now();
    let generated = tokio::task::spawn_blocking(move || {
        generate(&options, |done| {
            eprint!("\rgenerated {done} objects");
            let _ = std::io::stderr().flush();
        })
    })
    .await??;
    eprintln!();
    println!(
        "generated {} objects ({} nearline), {} files, {} bytes in {} in {:.1} s; \
         storage roots: {}/online and {}/nearline",
        generated.objects,
        generated.nearline_objects,
        generated.files,
        generated.bytes,
        out.join("stac").display(),
        started.elapsed().as_secs_f64(),
        out.display(),
        out.display()
    );
    Ok(())
}

/// The problems on stderr (and how many more there were), the summary line on stdout; when every local
/// file was outside the storage roots, which roots are configured and how to point them elsewhere.
fn print_report(report: &ImportReport, config: &Config) {
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    let noted = report.rejected + report.assets_skipped + report.checksums_dropped;
    if noted > report.problems.len() as u64 {
        eprintln!("... and {} more", noted - report.problems.len() as u64);
    }
    if report.files == 0 && report.outside_roots > 0 {
        let roots: Vec<String> = config
            .storages
            .iter()
            .map(|s| format!("  {} ({:?}): {}", s.name, s.kind, s.root.display()))
            .collect();
        eprintln!(
            "None of the files is under a configured storage root. The storages are:\n{}\n\
             Point [[storages]] at the folders that hold the files (in a configuration file, or as \
             JSON in REGARDS_ORDER__STORAGES). For a catalog written by `catalog generate --out DIR`:\n\
             [[storages]]\nname = \"online\"\nkind = \"online\"\nroot = \"DIR/online\"\n\
             [[storages]]\nname = \"nearline\"\nkind = \"nearline\"\nroot = \"DIR/nearline\"",
            roots.join("\n")
        );
    }
    println!("{}", report.summary_line());
}
