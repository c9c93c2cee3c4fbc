//! `regards-order bench s3`: an order of online objects in an S3 store (1 GiB by default), its zip
//! streamed by a real `serve` process from the store, against a plain client (curl on presigned URLs)
//! fetching the same objects straight from the store, one after the other, in the same run. Also the
//! server's peak memory above its idle level while it streams.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use super::Serve;
use super::download::{Fetched, curl, gib};
use crate::config::{Config, StorageBackend, StorageConfig, StorageKind};
use crate::storage::s3::S3Bucket;
use crate::time::Clock;

/// What the bench reads and writes in the store.
pub struct Target {
    pub endpoint: String,
    pub bucket: String,
    pub files: u64,
    pub file_mib: u64,
}

const PREFIX: &str = "regards-order-bench";

pub async fn run(target: Target, work_dir: PathBuf, repeat: u32) -> anyhow::Result<()> {
    std::fs::create_dir_all(&work_dir)?;
    let root = work_dir.canonicalize()?.join("s3-bench");
    std::fs::create_dir_all(&root)?;
    let (storage, key_env) = storage_of(&target);
    let keys = upload(&storage, &target).await?;
    let database = super::fresh_databases(&root, None).await?.remove(0);
    let mut config = Config::with_data_dir(&root)?;
    config.database.url = database.url.clone();
    config.storages = vec![storage.clone()];
    import(&root, &config, &target, &keys).await?;
    let storages = serde_json::json!([{
        "name": storage.name, "kind": "online", "backend": "s3", "bucket": storage.bucket,
        "prefix": PREFIX, "endpoint": storage.endpoint, "region": storage.region, "path_style": true,
    }])
    .to_string();
    let mut env = vec![
        ("REGARDS_ORDER__STORAGES", storages.as_str()),
        (
            "REGARDS_ORDER__ORDERS__MAX_RUNNING_SUBORDERS_PER_USER",
            "1000",
        ),
    ];
    env.extend(key_env.iter().map(|(n, v)| (*n, v.as_str())));
    let server = Serve::start(&root, &config, &env).await?;
    let bucket = S3Bucket::new(&storage, reqwest::Client::new()).map_err(anyhow::Error::msg)?;
    let result = measure(&server, &bucket, &keys, repeat).await;
    server.stop().await?;
    result
}

/// The storage the bench reads, with the keys of the `AWS_*` variables, else keys any test server
/// (moto) accepts; and the variables to give `serve` for the latter.
fn storage_of(target: &Target) -> (StorageConfig, Vec<(&'static str, String)>) {
    let mut storage = StorageConfig::local("s3", StorageKind::Online, PathBuf::new());
    storage.backend = StorageBackend::S3;
    storage.bucket = target.bucket.clone();
    storage.prefix = PREFIX.into();
    storage.endpoint = target.endpoint.clone();
    storage.path_style = true;
    let env: Vec<(String, String)> = std::env::vars().collect();
    storage.resolve_s3(&env);
    let mut key_env = Vec::new();
    if storage.access_key_id.is_empty() {
        storage.access_key_id = "bench".into();
        storage.secret_access_key = "bench-secret".into();
        key_env.push(("AWS_ACCESS_KEY_ID", "bench".into()));
        key_env.push(("AWS_SECRET_ACCESS_KEY", "bench-secret".into()));
    }
    (storage, key_env)
}

/// Creates the bucket and puts the objects that are not there yet with their size; returns their keys
/// (under the storage prefix).
async fn upload(storage: &StorageConfig, target: &Target) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::new();
    let credentials = Credentials::new(&storage.access_key_id, &storage.secret_access_key);
    let endpoint = url::Url::parse(&storage.endpoint).context("--endpoint")?;
    let bucket = Bucket::new(
        endpoint,
        UrlStyle::Path,
        storage.bucket.clone(),
        storage.region.clone(),
    )?;
    let ttl = Duration::from_secs(3600);
    let created = client
        .put(bucket.create_bucket(&credentials).sign(ttl))
        .header("content-length", "0")
        .send()
        .await
        .context("cannot reach the S3 endpoint")?;
    if !(created.status().is_success() || created.status() == 409) {
        bail!("create bucket: {}", created.status());
    }
    let reader = S3Bucket::new(storage, client.clone()).map_err(anyhow::Error::msg)?;
    let size = target.file_mib << 20;
    let mut keys = Vec::new();
    for n in 0..target.files {
        let key = format!("obj-{n:04}.dat");
        let full = format!("{PREFIX}/{key}");
        if reader.head(&full).await.is_ok_and(|head| head.size == size) {
            keys.push(full);
            continue;
        }
        let content = noise(n, size as usize);
        let url = bucket.put_object(Some(&credentials), &full).sign(ttl);
        let answer = client.put(url).body(content).send().await?;
        if !answer.status().is_success() {
            bail!("put {full}: {}", answer.status());
        }
        keys.push(full);
    }
    println!(
        "store: {} objects of {} MiB in s3://{}/{PREFIX}",
        keys.len(),
        target.file_mib,
        target.bucket
    );
    Ok(keys)
}

/// Bytes that differ from object to object (the zip stores them; no compression helps).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// A STAC catalog of the objects (`s3://` hrefs with their size), imported.
async fn import(
    root: &Path,
    config: &Config,
    target: &Target,
    keys: &[String],
) -> anyhow::Result<()> {
    let stac = root.join("stac");
    std::fs::create_dir_all(&stac)?;
    let mut lines = vec![serde_json::json!({
        "type": "Collection", "stac_version": "1.0.0", "id": "s3bench", "description": "bench s3",
        "license": "proprietary", "extent": {}, "links": []})];
    for (n, key) in keys.iter().enumerate() {
        lines.push(serde_json::json!({
            "type": "Feature", "stac_version": "1.0.0", "id": format!("s3bench-{n}"),
            "collection": "s3bench", "geometry": null,
            "properties": {"datetime": "2020-01-01T00:00:00Z"}, "links": [],
            "assets": {"data": {"href": format!("s3://{}/{key}", target.bucket),
                                "file:size": target.file_mib << 20}}}));
    }
    let lines: Vec<String> = lines.iter().map(|line| line.to_string()).collect();
    std::fs::write(stac.join("catalog.ndjson"), lines.join("\n"))?;
    let store = crate::store::connect(&config.database.url).await?;
    store.migrate().await?;
    let report = crate::catalog::sources::import_paths(
        store.clone(),
        config,
        &[stac],
        Clock::default().now(),
        true,
    )
    .await?;
    store.close().await;
    println!("catalog: {}", report.summary_line());
    if report.files != keys.len() as u64 {
        bail!("{} files imported of {}", report.files, keys.len());
    }
    Ok(())
}

async fn measure(
    server: &Serve,
    bucket: &S3Bucket,
    keys: &[String],
    repeat: u32,
) -> anyhow::Result<()> {
    let (mut zip_best, mut plain_best) = (Fetched::default(), Fetched::default());
    let mut idle_kb = u64::MAX;
    let auth = format!("Authorization: Bearer {}", server.token);
    for run in 0..repeat.max(1) {
        let (order, _) = server.order_all().await?;
        idle_kb = idle_kb.min(server.memory_kb("VmRSS").context("no VmRSS (Linux only)")?);
        let mut plain = Fetched::default();
        for key in keys {
            let url = bucket.presigned_get(key, Duration::from_secs(3600), "attachment");
            plain.add(curl(url.as_str(), None)?);
        }
        let zip = curl(
            &format!("{}/user/orders/{order}/download", server.address),
            Some(&auth),
        )?;
        if zip.bytes < plain.bytes {
            bail!(
                "the zip holds {} bytes, less than its {} bytes of objects",
                zip.bytes,
                plain.bytes
            );
        }
        println!(
            "run {}: zip {:.0} MiB/s vs plain client {:.0} MiB/s",
            run + 1,
            zip.mib_per_s(),
            plain.mib_per_s()
        );
        for (best, new) in [(&mut zip_best, zip), (&mut plain_best, plain)] {
            if best.bytes == 0 || new.mib_per_s() > best.mib_per_s() {
                *best = new;
            }
        }
    }
    let peak_kb = server.memory_kb("VmHWM").context("no VmHWM")?;
    println!(
        "zip from S3: {:.0} MiB/s = {:.2}x a plain client on the store ({:.0} MiB/s), goal >= 0.8",
        zip_best.mib_per_s(),
        zip_best.mib_per_s() / plain_best.mib_per_s(),
        plain_best.mib_per_s()
    );
    println!(
        "server memory: idle {} MiB, peak {} MiB: {} MiB above idle while streaming {:.2} GiB (goal < 64)",
        idle_kb / 1024,
        peak_kb / 1024,
        peak_kb.saturating_sub(idle_kb) / 1024,
        gib(plain_best.bytes)
    );
    Ok(())
}
