//! One file, whole or a byte range (206, 416), with the headers download managers need to resume and
//! split. Sending the last byte of what a request asked for counts that range as sent; the file is
//! DOWNLOADED once the ranges sent cover it (HEAD never counts).

use std::io::SeekFrom;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::{OnComplete, Recording, Requester, Source, file_for, source_of};
use crate::app::AppState;
use crate::domain::order::FileState;
use crate::domain::ranges::{ByteRange, RangeRequest, parse_range};
use crate::error::AppError;
use crate::outbound::FetchError;
use crate::store::suborders::OrderFileRow;

/// Read buffer of a single-file download.
const CHUNK: usize = 512 * 1024;

pub async fn respond(
    state: &AppState,
    requester: &Requester,
    file_id: i64,
    headers: &HeaderMap,
    recording: Recording,
) -> Result<Response, AppError> {
    let (_, file) = file_for(state, requester, file_id).await?;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    match source_of(state, &file)? {
        Source::Local(path) => local(state, &file, &path, range, recording).await,
        Source::Url(url) => external(state, &file, &url, range, recording).await,
    }
}

fn base_headers(file: &OrderFileRow, size: u64) -> Result<axum::http::response::Builder, AppError> {
    let etag = format!(
        "\"{}-{size}-{}\"",
        file.id,
        file.checksum.as_deref().unwrap_or("x")
    );
    let disposition = content_disposition(&file.filename);
    Ok(Response::builder()
        .header(
            header::CONTENT_TYPE,
            header_value(&file.mime_type, "application/octet-stream"),
        )
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, header_value(&etag, "\"x\"")))
}

fn header_value(text: &str, fallback: &'static str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(fallback))
}

/// `attachment; filename="name"; filename*=UTF-8''name` (RFC 6266).
fn content_disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    header_value(
        &format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        "attachment",
    )
}

async fn local(
    state: &AppState,
    file: &OrderFileRow,
    path: &std::path::Path,
    range: Option<&str>,
    recording: Recording,
) -> Result<Response, AppError> {
    let opened = match tokio::fs::File::open(path).await {
        Ok(opened) => opened,
        Err(error) => return Err(unreadable(state, file, &error.to_string()).await),
    };
    let size = opened
        .metadata()
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .len();
    let builder = base_headers(file, size)?;
    let (status, part) = match parse_range(range, size) {
        RangeRequest::Unsatisfiable => {
            let body = serde_json::to_vec(&crate::error::ErrorBody {
                messages: vec![format!(
                    "The range {} is outside the file ({size} bytes)",
                    range.unwrap_or("")
                )],
            })
            .map_err(|e| AppError::Internal(e.into()))?;
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .header(header::ACCEPT_RANGES, "bytes")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .map_err(|e| AppError::Internal(e.into()));
        }
        RangeRequest::Whole => (
            StatusCode::OK,
            ByteRange {
                start: 0,
                end: size,
            },
        ),
        RangeRequest::Part(part) => (StatusCode::PARTIAL_CONTENT, part),
    };
    let mut opened = opened;
    opened
        .seek(SeekFrom::Start(part.start))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let stream = ReaderStream::with_capacity(opened.take(part.len()), CHUNK);
    let body = Body::from_stream(counted(state, file, part, stream, recording));
    let mut builder = builder
        .status(status)
        .header(header::CONTENT_LENGTH, part.len());
    if status == StatusCode::PARTIAL_CONTENT {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", part.start, part.end - 1),
        );
    }
    builder.body(body).map_err(|e| AppError::Internal(e.into()))
}

/// The body of a range: once its last byte is handed over (and delivered), the range counts as sent.
fn counted<S>(
    state: &AppState,
    file: &OrderFileRow,
    part: ByteRange,
    stream: S,
    recording: Recording,
) -> OnComplete<S> {
    let state = state.clone();
    let file_id = file.id;
    OnComplete::new(stream, "file", Some(part.len()), move || {
        recording.record(move || async move {
            if let Err(error) = crate::orders::downloaded::range_sent(&state, file_id, part).await {
                tracing::warn!(file_id, %error, "cannot record a download");
            }
        });
    })
}

/// A file that should be there and cannot be read: DOWNLOAD_ERROR with the reason, and 410 (502 when
/// the server of an external file failed).
async fn unreadable(state: &AppState, file: &OrderFileRow, reason: &str) -> AppError {
    let reason = format!("cannot read {}: {reason}", file.filename);
    if file.state == FileState::Available.as_str() {
        let marked = crate::orders::downloaded::files_sent(
            state,
            file.order_id,
            &[file.id],
            FileState::DownloadError,
            Some(&reason),
        )
        .await;
        if let Err(error) = marked {
            tracing::warn!(file_id = file.id, %error, "cannot record a download error");
        }
    }
    if file.storage.is_none() {
        AppError::BadGateway(reason)
    } else {
        AppError::Gone(reason)
    }
}

/// An external file, fetched from its URL as it is sent (the `Range` passed on) through the client of
/// external files (private addresses refused, docs/ARCHITECTURE.md). A failure before the first byte is
/// a DOWNLOAD_ERROR: 504 on a timeout, 502 otherwise.
async fn external(
    state: &AppState,
    file: &OrderFileRow,
    url: &str,
    range: Option<&str>,
    recording: Recording,
) -> Result<Response, AppError> {
    let shown = crate::app::redact(url);
    let upstream = match state.http.external_files.get(url, range).await {
        Ok(upstream) => upstream,
        Err(error) => {
            let timed_out = matches!(error, FetchError::TimedOut(_));
            let reason = match error {
                FetchError::Status(status) => format!("{shown} answered {status}"),
                other => format!("{shown}: {other}"),
            };
            return Err(match unreadable(state, file, &reason).await {
                AppError::BadGateway(message) if timed_out => AppError::GatewayTimeout(message),
                other => other,
            });
        }
    };
    let status = upstream.status;
    let size = upstream
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok())
        .or(file.size.map(|s| s.max(0) as u64))
        .unwrap_or(0);
    let mut builder = base_headers(file, size)?.status(status.as_u16());
    for name in [header::CONTENT_LENGTH, header::CONTENT_RANGE] {
        if let Some(value) = upstream.headers.get(&name) {
            builder = builder.header(name, value.clone());
        }
    }
    let body = if status == reqwest::StatusCode::OK {
        let whole = ByteRange {
            start: 0,
            end: size,
        };
        Body::from_stream(counted(state, file, whole, upstream.body, recording))
    } else {
        Body::from_stream(upstream.body)
    };
    builder.body(body).map_err(|e| AppError::Internal(e.into()))
}
