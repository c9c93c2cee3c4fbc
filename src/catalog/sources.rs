//! Where STAC comes from: files and folders (`catalog import PATH...`), an HTTP body (JSON or NDJSON),
//! or a STAC API harvested page by page (`catalog import URL`, in `harvest`).

use std::path::{Path, PathBuf};

use futures::{Stream, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};

use std::sync::Arc;

use anyhow::{Context, bail};
use url::Url;

use super::assets::StorageRoots;
use super::harvest::{HarvestError, HarvestOptions, PageProgress, harvest};
use super::import::{ImportReport, Importer};
use super::progress::ProgressLine;
use super::stac;
use crate::config::Config;
use crate::outbound::HttpClients;
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
    let files = files_under(paths)?;
    let mut importer = new_importer(store, config, now).await?;
    let progress = show_progress.then(|| ProgressLine::follow(&mut importer));
    for file in &files {
        import_file(&mut importer, file).await?;
    }
    let report = importer.finish().await?;
    if let Some(progress) = progress {
        progress.end();
    }
    Ok(report)
}

/// The STAC files under each of `paths`, which must all exist.
fn files_under(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            bail!("{} does not exist", path.display());
        }
        files.extend(stac_files(path).with_context(|| format!("cannot read {}", path.display()))?);
    }
    Ok(files)
}

async fn new_importer(
    store: Arc<dyn Store>,
    config: &Config,
    now: Timestamp,
) -> anyhow::Result<Importer> {
    let client = crate::outbound::HttpClients::from_config(&config.http_client)?.general;
    let storages = crate::storage::Storages::from_config(&config.storages, &client)
        .map_err(anyhow::Error::msg)?;
    let roots = StorageRoots::new(&storages).context("cannot open the storage roots")?;
    Ok(Importer::new(store, roots, &config.auth.tenant, now).await?)
}

/// A `catalog import` argument: a file or folder, or the URL of a STAC API's items or search endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(PathBuf),
    Url(Url),
}

impl Source {
    /// A URL when the argument starts with `http://` or `https://` (any case), else a path.
    pub fn parse(argument: &Path) -> Result<Source, String> {
        let Some(text) = argument.to_str() else {
            return Ok(Source::Path(argument.to_path_buf()));
        };
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Ok(Source::Path(argument.to_path_buf()));
        }
        Url::parse(text)
            .map(Source::Url)
            .map_err(|error| format!("{text} is not a URL: {error}"))
    }
}

enum Step<'a> {
    Files(Vec<PathBuf>),
    Harvest(&'a Url),
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// A progress line on stderr (for a terminal).
    pub show_progress: bool,
    pub harvest: HarvestOptions,
}

/// What `import_sources` did, and why it stopped before the end if it did (what it read before is
/// imported).
#[derive(Debug)]
pub struct Imported {
    pub report: ImportReport,
    pub stopped: Option<String>,
}

/// Imports files, folders and STAC API harvests, in the order given, into one report. Every path must
/// exist before anything is imported. A harvest that stops (a page failing after its retries) stops
/// the import; what was read until then is written.
pub async fn import_sources(
    store: Arc<dyn Store>,
    config: &Config,
    clients: &HttpClients,
    sources: &[Source],
    now: Timestamp,
    options: &ImportOptions,
) -> anyhow::Result<Imported> {
    // Every path is checked (and its files listed) before anything is imported.
    let mut steps = Vec::new();
    for source in sources {
        steps.push(match source {
            Source::Path(path) => Step::Files(files_under(std::slice::from_ref(path))?),
            Source::Url(url) => Step::Harvest(url),
        });
    }
    let mut importer = new_importer(store, config, now).await?;
    let progress = options
        .show_progress
        .then(|| ProgressLine::follow(&mut importer));
    let mut on_page = |page: &PageProgress| progress.iter().for_each(|line| line.page(page));
    let mut stopped = None;
    for step in steps {
        let url = match step {
            Step::Files(files) => {
                for file in &files {
                    import_file(&mut importer, file).await?;
                }
                continue;
            }
            Step::Harvest(url) => url,
        };
        match harvest(&mut importer, clients, url, &options.harvest, &mut on_page).await {
            Ok(()) => {}
            Err(HarvestError::Stopped(reason)) => {
                stopped = Some(reason);
                break;
            }
            Err(HarvestError::Store(error)) => return Err(error.into()),
        }
    }
    let report = importer.finish().await?;
    progress.iter().for_each(ProgressLine::end);
    Ok(Imported { report, stopped })
}
