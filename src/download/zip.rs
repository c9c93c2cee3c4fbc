//! The zip of every AVAILABLE file of an order, streamed as it is read: entries STORED, CRC-32 computed
//! on the fly, zip64 for entries of 4 GiB and more, names made unique with ` (n)`. A file that cannot be
//! read is listed in a last `NOTICE.txt` entry and becomes DOWNLOAD_ERROR; the files zipped become
//! DOWNLOADED only once the whole body went out (a client leaving halfway changes nothing).

use std::collections::{HashSet, VecDeque};
use std::io::{Read, Write};

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::runtime::Handle;
use tokio_util::io::{ReaderStream, SyncIoBridge};
use zip::write::SimpleFileOptions;

use super::object::ReadAhead;
use super::{
    Allowed, OnComplete, Recording, Requester, Source, attachment_name, order_for, source_of,
    unique_name,
};
use crate::app::AppState;
use crate::domain::order::FileState;
use crate::error::AppError;
use crate::outbound::FetchError;
use crate::quotas::{self, Download, Slot};
use crate::store::suborders::{self as subs, FileFilter, OrderFileRow};

/// Between the zip writer (a blocking thread) and the HTTP body.
const PIPE: usize = 256 * 1024;
const PAGE: u64 = 1000;
const ZIP64_FROM: u64 = 4 * 1024 * 1024 * 1024;

/// What the zip writer did.
#[derive(Debug, Default)]
struct Written {
    sent: Vec<i64>,
    /// The files sent that count toward the owner's quota.
    counted: Vec<i64>,
    failed: Vec<(i64, String)>,
    /// The lines of NOTICE.txt.
    notice: Vec<String>,
}

impl Written {
    fn fail(&mut self, file: &OrderFileRow, reason: String) {
        self.notice.push(format!(
            "Failed to download file ({}): {reason}.",
            file.filename
        ));
        self.failed.push((file.id, reason));
    }
}

pub async fn respond(
    state: &AppState,
    requester: &Requester,
    order_id: i64,
    recording: Recording,
) -> Result<Response, AppError> {
    let order = order_for(state, requester, order_id).await?;
    let filter = FileFilter {
        state: Some(FileState::Available),
        ..FileFilter::default()
    };
    let (_, available) = state.store.files_page(order.id, filter, 0, 1).await?;
    if available == 0 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let allowed = Allowed::of(state, &order).await?;
    // A zip is one download of the owner's (docs/decisions.md "Download quotas"); a HEAD is none.
    let slot = match recording {
        Recording::Never => None,
        _ => Some(quotas::start(state, &order.owner, Download::Zip).await?),
    };
    let (reader, writer) = tokio::io::duplex(PIPE);
    let writing = {
        let state = state.clone();
        let handle = Handle::current();
        let slot = slot.clone();
        tokio::task::spawn_blocking(move || {
            // Buffered: objects arrive in chunks of a few KiB, each a hop to the runtime unbuffered.
            let out = std::io::BufWriter::with_capacity(PIPE, SyncIoBridge::new(writer));
            write_zip(&state, &handle, (order.id, &allowed, slot.as_ref()), out)
        })
    };
    let name = attachment_name(order_id, state.clock.now(), "zip");
    let state = state.clone();
    let stream = OnComplete::new(
        ReaderStream::with_capacity(reader, PIPE),
        "zip",
        None,
        move || {
            recording.record(move || async move { record(&state, order_id, writing, slot).await });
        },
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment;filename={name}"),
        )
        .header(header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT")
        .body(Body::from_stream(stream))
        .map_err(|e| AppError::Internal(e.into()))
}

/// The whole body went out: the files zipped are DOWNLOADED, those that failed DOWNLOAD_ERROR, and the
/// RAWDATA files zipped count toward the owner's quota.
async fn record(
    state: &AppState,
    order_id: i64,
    writing: tokio::task::JoinHandle<anyhow::Result<Written>>,
    slot: Option<Slot>,
) {
    let written = match writing.await {
        Ok(Ok(written)) => written,
        Ok(Err(error)) => {
            return tracing::warn!(order_id, error = format!("{error:#}"), "zip not completed");
        }
        Err(error) => return tracing::warn!(order_id, %error, "zip writer failed"),
    };
    let downloaded = crate::orders::downloaded::files_sent(
        state,
        order_id,
        &written.sent,
        FileState::Downloaded,
        None,
    );
    if let Err(error) = downloaded.await {
        tracing::warn!(order_id, %error, "cannot record downloaded files");
    }
    if let Some(slot) = slot
        && let Err(error) = slot.delivered(&written.counted).await
    {
        tracing::warn!(order_id, %error, "cannot count a zip toward its quota");
    }
    for (id, reason) in &written.failed {
        let ids = [*id];
        let failed = crate::orders::downloaded::files_sent(
            state,
            order_id,
            &ids,
            FileState::DownloadError,
            Some(reason),
        );
        if let Err(error) = failed.await {
            tracing::warn!(order_id, %error, "cannot record a download error");
        }
    }
}

/// Runs on a blocking thread: reads the available files page by page and writes the zip. A file whose
/// dataset is withheld is only named in NOTICE.txt (its state does not change); a RAWDATA file over the
/// owner's quota is a DOWNLOAD_ERROR named in NOTICE.txt.
fn write_zip<W: Write>(
    state: &AppState,
    handle: &Handle,
    (order_id, allowed, slot): (i64, &Allowed, Option<&Slot>),
    out: W,
) -> anyhow::Result<Written> {
    let mut zip = zip::ZipWriter::new_stream(out);
    let mut written = Written::default();
    let mut names = HashSet::new();
    let mut after = 0i64;
    let mut page: VecDeque<OrderFileRow> = VecDeque::new();
    let mut ahead = ReadAhead::new(handle.clone());
    loop {
        if page.is_empty() {
            page = handle.block_on(next_page(state, order_id, after))?.into();
            if page.is_empty() {
                break;
            }
        }
        let Some(file) = page.pop_front() else { break };
        after = file.id;
        ahead.fill(state, &page);
        if let Some(dataset) = allowed.withheld(&file) {
            written.notice.push(format!(
                "File not included ({}): access to dataset {dataset} was withdrawn.",
                file.filename
            ));
            continue;
        }
        let counts = quotas::counts(&file.data_type, file.storage.as_deref());
        if counts
            && let Some(slot) = slot
            && !handle.block_on(slot.reserve())?
        {
            written.fail(&file, "Download failed due to exceeded quota".into());
            continue;
        }
        let opened = match source_of(state, &file) {
            Ok(Source::Object(object)) => ahead.open(&file, &object),
            Ok(source) => open(state, handle, &source),
            Err(error) => Err(error.to_string()),
        };
        match opened {
            Ok(mut reader) => {
                add_entry(&mut zip, &mut names, &file, &mut reader, &mut written)?;
                if counts && written.sent.last() == Some(&file.id) {
                    written.counted.push(file.id);
                }
            }
            Err(reason) => written.fail(&file, reason),
        }
    }
    if !written.notice.is_empty() {
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file(unique_name(&mut names, "NOTICE.txt"), options)?;
        zip.write_all(written.notice.join("\n").as_bytes())?;
        zip.write_all(b"\n")?;
    }
    zip.finish()?.flush()?;
    Ok(written)
}

/// Writes one file as an entry; a file that cannot be read whole goes to NOTICE.txt. Only a failure to
/// write (the client gone) stops the zip.
fn add_entry<W: Write>(
    zip: &mut zip::ZipWriter<zip::write::StreamWriter<W>>,
    names: &mut HashSet<String>,
    file: &OrderFileRow,
    reader: &mut dyn Read,
    written: &mut Written,
) -> anyhow::Result<()> {
    let size = file.size.unwrap_or(0).max(0) as u64;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(size >= ZIP64_FROM);
    zip.start_file(unique_name(names, &file.filename), options)?;
    match copy(reader, zip) {
        Ok(copied) if copied == size || file.size.is_none() => written.sent.push(file.id),
        Ok(copied) => written.fail(
            file,
            format!("Cannot completely download data file, only {copied}/{size} bytes"),
        ),
        Err(CopyError::Read(reason)) => written.fail(file, reason),
        Err(CopyError::Write(error)) => return Err(error.into()),
    }
    Ok(())
}

async fn next_page(
    state: &AppState,
    order_id: i64,
    after: i64,
) -> anyhow::Result<Vec<OrderFileRow>> {
    let listing = subs::Listing::Available;
    Ok(state
        .store
        .files_after(order_id, listing, after, PAGE as i64)
        .await?)
}

/// A reader of a file's bytes: a local file, or an external URL read through the runtime (objects are
/// read ahead: [`ReadAhead`]).
fn open(
    state: &AppState,
    handle: &Handle,
    source: &Source,
) -> Result<Box<dyn Read + Send>, String> {
    match source {
        Source::Local(local) => local
            .open()
            .map(|f| Box::new(f) as Box<dyn Read + Send>)
            .map_err(|e| format!("Error during file download: {e}")),
        Source::Url(url) => {
            let fetched = handle
                .block_on(state.http.external_files.get(url, None))
                .map_err(|error| match error {
                    FetchError::Status(status) => {
                        format!("Server returned HTTP error code {}", status.as_u16())
                    }
                    other => format!("Error during file download: {other}"),
                })?;
            let reader = tokio_util::io::StreamReader::new(fetched.body);
            Ok(Box::new(SyncIoBridge::new_with_handle(
                reader,
                handle.clone(),
            )))
        }
        Source::Object(_) => Err("an object is read through ReadAhead".into()),
    }
}

enum CopyError {
    Read(String),
    Write(std::io::Error),
}

/// Copies, telling a read failure (the file: goes to NOTICE.txt) from a write failure (the client).
fn copy(reader: &mut dyn Read, out: &mut dyn Write) -> Result<u64, CopyError> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut copied = 0u64;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                return Err(CopyError::Read(format!(
                    "Error during file download: {error}"
                )));
            }
        };
        out.write_all(&buffer[..read]).map_err(CopyError::Write)?;
        copied += read as u64;
    }
}
