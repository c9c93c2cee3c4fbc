//! Where STAC comes from: files and folders (`catalog import PATH...`) or an HTTP body (JSON or NDJSON).

use std::path::{Path, PathBuf};

use futures::{Stream, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};

use super::assets::StorageRoots;
use super::import::{ImportReport, Importer};
use super::stac;
use crate::config::Config;
use crate::store::Store;
use crate::store::StoreError;
use crate::time::Timestamp;

/// The STAC files under `path` (itself when it is a file), sorted: `.json`, `.geojson`, `.ndjson`,
/// `.jsonl`.
pub fn stac_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let entry_path = entry.path();
            if kind.is_dir() {
                folders.push(entry_path);
            } else if is_stac_file(&entry_path) {
                found.push(entry_path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn is_stac_file(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("json" | "geojson" | "ndjson" | "jsonl")
    )
}

fn is_ndjson(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("ndjson" | "jsonl")
    )
}

/// Imports one file: a JSON document, or NDJSON (one entity per line).
pub async fn import_file(importer: &mut Importer, path: &Path) -> Result<(), StoreError> {
    let base = path.parent().map(Path::to_path_buf);
    let name = path.display().to_string();
    if is_ndjson(path) {
        let file = match tokio::fs::File::open(path).await {
            Ok(file) => file,
            Err(error) => {
                importer.reject(format!("{name}: cannot read: {error}"));
                return Ok(());
            }
        };
        let mut lines = BufReader::new(file).lines();
        let mut number = 0;
        loop {
            number += 1;
            match lines.next_line().await {
                Ok(Some(line)) => {
                    import_line(importer, &line, base.clone(), &format!("{name}:{number}")).await?
                }
                Ok(None) => break,
                Err(error) => {
                    importer.reject(format!("{name}:{number}: cannot read: {error}"));
                    break;
                }
            }
        }
        return Ok(());
    }
    match tokio::fs::read(path).await {
        Ok(bytes) => import_document(importer, &bytes, base, &name).await,
        Err(error) => {
            importer.reject(format!("{name}: cannot read: {error}"));
            Ok(())
        }
    }
}

/// One NDJSON line (blank lines are skipped).
pub async fn import_line(
    importer: &mut Importer,
    line: &str,
    base: Option<PathBuf>,
    origin: &str,
) -> Result<(), StoreError> {
    if line.trim().is_empty() {
        return Ok(());
    }
    import_document(importer, line.as_bytes(), base, origin).await
}

/// One JSON document: a Collection, an Item or an ItemCollection.
pub async fn import_document(
    importer: &mut Importer,
    bytes: &[u8],
    base: Option<PathBuf>,
    origin: &str,
) -> Result<(), StoreError> {
    let document = match serde_json::from_slice(bytes) {
        Ok(document) => document,
        Err(error) => {
            importer.reject(format!("{origin}: malformed JSON: {error}"));
            return Ok(());
        }
    };
    match stac::entities(document) {
        Err(problem) => importer.reject(format!("{origin}: {problem}")),
        Ok(entities) => {
            for entity in entities {
                importer.entity(entity, base.clone(), origin).await?;
            }
        }
    }
    Ok(())
}

/// Imports NDJSON from a byte stream, line by line, never holding more than one line (at most
/// `max_line` bytes) in memory.
pub async fn import_ndjson_stream<S, E>(
    importer: &mut Importer,
    stream: S,
    max_line: usize,
) -> Result<(), StoreError>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut stream = stream;
    let mut line = Vec::new();
    let mut number = 1;
    let mut too_long = false;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                importer.reject(format!(
                    "line {number}: the request body could not be read: {error}"
                ));
                return Ok(());
            }
        };
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            if !too_long {
                line.extend_from_slice(piece);
            }
            if line.len() > max_line && !too_long {
                too_long = true;
                line.clear();
            }
            if piece.ends_with(b"\n") {
                if too_long {
                    importer.reject(format!("line {number}: longer than {max_line} bytes"));
                } else {
                    finish_line(importer, &line, number).await?;
                }
                line.clear();
                too_long = false;
                number += 1;
            }
        }
    }
    if too_long {
        importer.reject(format!("line {number}: longer than {max_line} bytes"));
    } else {
        finish_line(importer, &line, number).await?;
    }
    Ok(())
}

async fn finish_line(
    importer: &mut Importer,
    line: &[u8],
    number: usize,
) -> Result<(), StoreError> {
    match std::str::from_utf8(line) {
        Ok(text) => import_line(importer, text, None, &format!("line {number}")).await,
        Err(_) => {
            importer.reject(format!("line {number}: not UTF-8"));
            Ok(())
        }
    }
}

/// Imports every STAC file under `paths` as of `now`, optionally printing a progress line on stderr.
pub async fn import_paths(
    store: Arc<dyn Store>,
    config: &Config,
    paths: &[PathBuf],
    now: Timestamp,
    show_progress: bool,
) -> anyhow::Result<ImportReport> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            bail!("{} does not exist", path.display());
        }
        files.extend(stac_files(path).with_context(|| format!("cannot read {}", path.display()))?);
    }
    let roots = StorageRoots::new(&config.storages).context("cannot open the storage roots")?;
    let mut importer = Importer::new(store, roots, &config.auth.tenant, now).await?;
    if show_progress {
        let started = Instant::now();
        let mut last = Instant::now();
        importer.on_progress(move |report| {
            if last.elapsed().as_millis() >= 500 {
                last = Instant::now();
                let done = report.imported + report.updated;
                let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
                eprint!(
                    "\rimported {}, updated {}, rejected {} ({rate:.0} objects/s)   ",
                    report.imported, report.updated, report.rejected
                );
                let _ = std::io::stderr().flush();
            }
        });
    }
    for file in &files {
        import_file(&mut importer, file).await?;
    }
    let report = importer.finish().await?;
    if show_progress {
        eprintln!();
    }
    Ok(report)
}
