#![forbid(unsafe_code)]

use clap::Parser;
use regards_order::cli::{self, Cli};
use regards_order::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    regards_order::outbound::install_crypto_provider();
    let cli = Cli::parse();
    let default_args = cli::ConfigArgs::default();
    let loaded = match cli.command.config_args().unwrap_or(&default_args).load() {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("regards-order: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(&loaded.config.log);
    for key in &loaded.unknown_keys {
        tracing::warn!(key = %key, "unknown configuration key ignored");
    }
    match cli::run(cli.command, loaded.config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("regards-order: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing(log: &LogConfig) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}
