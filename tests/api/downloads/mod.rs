//! Downloads: zip, metalink, single files, listings.

mod external;
mod file_access;
mod files;
mod links;
pub mod metalink;
mod names;
mod private_addresses;
pub mod quotas;
mod servers;
mod snapshots_metalink;
mod symlinks;
mod timeouts;
mod tls;
pub mod zip;
mod zip64;

use crate::helpers::TestApp;
use crate::orders::{id_of, order_of};

/// An order of `query`, processed: its id.
pub async fn processed_order(app: &TestApp, token: &str, query: &str) -> i64 {
    let id = id_of(&order_of(app, token, query).await);
    app.run_pending_jobs().await;
    id
}

pub async fn get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The id of an order's file, by its object's provider id.
pub async fn file_id(app: &crate::helpers::TestApp, order: i64, provider: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM order_files WHERE order_id = $1 AND provider_id = $2")
        .bind(order)
        .bind(provider)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

/// The content of the catalog file `tier/name` of the orders fixture.
pub fn source(app: &TestApp, tier: &str, name: &str) -> Vec<u8> {
    std::fs::read(app.data_dir().join("archive").join(tier).join(name)).unwrap()
}
