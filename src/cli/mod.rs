//! The command line (docs/decisions.md; scripts and tests depend on it).

mod access;
mod bench;
mod catalog;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::auth::{Role, TokenKeys, load_or_create_secret};
use crate::config::{self, Config, Flags, Loaded, Sources};
use crate::time::Clock;

#[derive(Debug, Parser)]
#[command(
    name = "regards-order",
    version,
    about = "A REGARDS-compatible basket and order service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and run the job workers in one process.
    Serve {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print ready-to-use tokens and curl lines for trying the service.
        #[arg(long)]
        demo: bool,
        /// Serve HTTP only; jobs are left to `regards-order worker` processes.
        #[arg(long)]
        no_workers: bool,
    },
    /// Run the job workers only.
    Worker {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Import or generate STAC catalogs.
    Catalog {
        #[command(subcommand)]
        command: catalog::CatalogCommand,
    },
    /// Show or set the access rights of datasets (see README, "Restricted data").
    Access {
        #[command(subcommand)]
        command: access::AccessCommand,
    },
    /// Measure the service on generated data (see README, "Benchmarks").
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// Print an access token valid for this configuration.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "REGISTERED_USER")]
        role: Role,
        /// An access group of the user (the `accessGroups` claim); repeat for several.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// How long the token is valid: "90s", "15m", "24h", "3d".
        #[arg(long, default_value = "24h", value_parser = config::parse_duration)]
        ttl: Duration,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

/// The options every command takes to find its configuration.
#[derive(Debug, Default, Args)]
pub struct ConfigArgs {
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (http.bind).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Folder for the database, secret, outbox, archive and caches (data_dir).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB (database.url).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl Command {
    /// The configuration options given to this command (none for the commands that need none).
    pub fn config_args(&self) -> Option<&ConfigArgs> {
        match self {
            Command::Serve { config, .. }
            | Command::Worker { config }
            | Command::Migrate { config }
            | Command::Token { config, .. } => Some(config),
            Command::Catalog { command } => command.config_args(),
            Command::Access { command } => Some(command.config_args()),
            Command::Bench { .. } => None,
        }
    }
}

impl ConfigArgs {
    /// Defaults, then the file, then `REGARDS_ORDER__*` variables, then these flags.
    pub fn load(&self) -> Result<Loaded, config::ConfigError> {
        Config::load(&Sources {
            file: self.config.clone(),
            env: std::env::vars().collect(),
            flags: Flags {
                bind: self.bind.clone(),
                data_dir: self.data_dir.clone(),
                database_url: self.database_url.clone(),
            },
        })
    }
}

/// Runs a command with its loaded configuration.
pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            demo, no_workers, ..
        } => serve(config, demo, no_workers).await,
        Command::Worker { .. } => worker(config).await,
        Command::Migrate { .. } => migrate(config).await,
        Command::Catalog { command } => catalog::run(command, config).await,
        Command::Access { command } => access::run(command, config).await,
        Command::Bench { command } => bench::run(command).await,
        Command::Token {
            email,
            role,
            groups,
            ttl,
            ..
        } => {
            let secret = load_or_create_secret(&config)?;
            let keys = TokenKeys::new(&secret, &config.auth.tenant);
            println!(
                "{}",
                keys.access_token_in_groups(&email, role, &groups, ttl, Clock::default().now())
            );
            Ok(())
        }
    }
}

async fn serve(config: Config, demo: bool, no_workers: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.http.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.http.bind))?;
    let bound = listener.local_addr()?;
    let workers = if no_workers { 0 } else { config.jobs.workers };
    let config = if demo {
        crate::demo::with_demo_storages(config)
    } else {
        config
    };
    let mut state = AppState::open(config, Some(bound), Clock::default()).await?;
    if demo {
        state.demo = true;
        crate::demo::prepare(&state).await?;
    }
    tracing::info!(
        database = %crate::config::redact_url(&state.config.database.url),
        workers,
        "regards-order listening on http://{bound}"
    );
    println!("regards-order listening on http://{bound}");
    if let Some(identity) = state.identity.clone() {
        // Its keys are fetched now so the log says at once whether it answers; down, it stops nothing
        // (its tokens get a 401 naming the cause until it answers: docs/decisions.md).
        tokio::spawn(async move { identity.prefetch().await });
    }
    if demo {
        crate::demo::print_welcome(&state);
    }
    crate::server::run(state, Some(listener), workers, shutdown_on_signals()).await
}

async fn worker(config: Config) -> anyhow::Result<()> {
    let workers = config.jobs.workers.max(1);
    let state = AppState::open(config, None, Clock::default()).await?;
    tracing::info!(workers, "regards-order workers started");
    crate::server::run(state, None, workers, shutdown_on_signals()).await
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let store = crate::store::connect(&config.database.url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                crate::config::redact_url(&config.database.url)
            )
        })?;
    store.migrate().await?;
    store.close().await;
    println!(
        "database {} is up to date",
        crate::config::redact_url(&config.database.url)
    );
    Ok(())
}

/// Fires on SIGINT (Ctrl-C) or SIGTERM.
fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let fired = token.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM can be listened to");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("stopping: finishing in-flight requests and releasing jobs");
        fired.cancel();
    });
    token
}
