//! `serve --demo`: on an empty data dir, a small generated catalog in both storage tiers; every time,
//! tokens and curl lines to try the service at once.

use std::time::Duration;

use anyhow::Context;

use crate::app::AppState;
use crate::auth::Role;
use crate::catalog::generate::{GenerateOptions, generate};
use crate::config::{Config, StorageKind, default_storages};

pub const DEMO_USER: &str = "demo-user@regards.local";
pub const DEMO_ADMIN: &str = "demo-admin@regards.local";
const TOKEN_TTL: Duration = Duration::from_secs(30 * 86_400);

/// The demo catalog lives under `<data_dir>/archive`: make sure an online and a nearline storage have
/// their roots there (the defaults do).
pub fn with_demo_storages(mut config: Config) -> Config {
    for default in default_storages(&config.data_dir) {
        let covered = config
            .storages
            .iter()
            .any(|s| s.kind == default.kind && s.root == default.root);
        if !covered {
            let name_taken = config.storages.iter().any(|s| s.name == default.name);
            let mut storage = default;
            if name_taken {
                storage.name = format!("demo-{}", storage.name);
            }
            if storage.kind == StorageKind::Nearline {
                storage.cache_dir = Some(config.data_dir.join("cache").join(&storage.name));
            }
            config.storages.push(storage);
        }
    }
    config
}

/// Generates and imports the demo catalog when the catalog is empty.
pub async fn prepare(state: &AppState) -> anyhow::Result<()> {
    if !state.store.datasets().await?.is_empty() {
        return Ok(());
    }
    let options = GenerateOptions {
        out: state.config.data_dir.join("archive"),
        datasets: 2,
        objects: 300,
        files_per_object: 2,
        file_size: 16 * 1024,
        nearline_share: 0.3,
        seed: 1,
    };
    let stac = options.out.join("stac");
    tokio::task::spawn_blocking(move || generate(&options, |_| {}))
        .await?
        .context("cannot generate the demo catalog")?;
    let report = crate::catalog::sources::import_paths(
        state.store.clone(),
        &state.config,
        &[stac],
        state.clock.now(),
        false,
    )
    .await?;
    tracing::info!(summary = %report.summary_line(), "demo catalog imported");
    println!("demo catalog: {}", report.summary_line());
    Ok(())
}

/// The demo user's (REGISTERED_USER) and the demo admin's (ADMIN) tokens.
pub fn tokens(state: &AppState) -> (String, String) {
    let now = state.clock.now();
    let keys = &state.keys;
    (
        keys.access_token(DEMO_USER, Role::RegisteredUser, TOKEN_TTL, now),
        keys.access_token(DEMO_ADMIN, Role::Admin, TOKEN_TTL, now),
    )
}

/// Prints a REGISTERED_USER token, an ADMIN token and curl lines to paste, and the web application's
/// address.
pub fn print_welcome(state: &AppState) {
    let (user, admin) = tokens(state);
    let base = &state.public_url;
    println!("\nOpen {base}/ in a browser (Demo user / Demo admin sign you in).");
    println!(
        "\nDemo tokens (valid 30 days):\n\
         \x20 export USER_TOKEN={user}\n\
         \x20 export ADMIN_TOKEN={admin}\n\n\
         Try:\n\
         \x20 curl -s -H \"Authorization: Bearer $USER_TOKEN\" {base}/catalog/datasets\n\
         \x20 curl -s -H \"Authorization: Bearer $USER_TOKEN\" --get {base}/catalog/search --data-urlencode 'q=platform:SENTINEL*' -d size=2\n\
         \x20 curl -s -H \"Authorization: Bearer $USER_TOKEN\" --get {base}/catalog/summary --data-urlencode 'q=cloud_cover:[0 TO 20]'\n"
    );
}
