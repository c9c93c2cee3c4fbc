//! S3 storages against moto's server: import from `s3://` and `http` hrefs, online orders served from
//! the bucket (zip, whole file, ranges, redirects), nearline restores of archived objects.

mod moto;

use std::path::Path;
use std::time::Duration;

use regards_order::config::{Config, DownloadMode, StorageBackend, StorageConfig, StorageKind};
use serde_json::{Value, json};

use crate::catalog::fixture::{collection, import_folder, item};
use crate::downloads::{file_id, get, processed_order};
use crate::helpers::{TestApp, spawn_app_with};
pub use moto::Moto;

/// An S3 storage of moto's bucket `archive` under `prefix`.
fn s3_storage(moto: &Moto, name: &str, kind: StorageKind, prefix: &str) -> StorageConfig {
    let mut storage = StorageConfig::local(name, kind, Default::default());
    storage.backend = StorageBackend::S3;
    storage.bucket = "archive".into();
    storage.prefix = prefix.into();
    storage.endpoint = moto.endpoint.clone();
    storage.region = "us-east-1".into();
    storage.path_style = true;
    storage.access_key_id = moto::KEY_ID.into();
    storage.secret_access_key = moto::SECRET.into();
    storage.restore_poll_interval = Duration::from_millis(50);
    storage
}

/// An app with the S3 storages `configure` gives.
async fn app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with(|config| {
        config.orders.suborder_max_bytes = 10 << 20;
        configure(config);
    })
    .await
}

/// Imports `items` of collection `s3` (as NDJSON in a folder).
async fn import(app: &TestApp, items: Vec<Value>) -> regards_order::catalog::import::ImportReport {
    let folder = app.data_dir().join("stac-s3");
    std::fs::create_dir_all(&folder).unwrap();
    let mut lines = vec![collection("s3", "S3").to_string()];
    lines.extend(items.iter().map(Value::to_string));
    std::fs::write(folder.join("catalog.ndjson"), lines.join("\n")).unwrap();
    import_folder(app, Path::new(&folder)).await
}

fn asset_item(id: &str, n: u64, asset: Value) -> Value {
    item(
        id,
        "s3",
        json!({"datetime": format!("2020-01-0{n}T00:00:00Z")}),
        json!({"data": asset}),
    )
}

/// `n` bytes that differ from one offset to the next.
fn content(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn md5_multihash(bytes: &[u8]) -> String {
    use md5::Digest as _;
    let digest = md5::Md5::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("d50110{hex}")
}

async fn file_state(app: &TestApp, file: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT state, error FROM order_files WHERE id = $1")
        .bind(file)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

mod log;
mod nearline;
mod online;
