//! One file, whole or a byte range (206, 416), with the headers download managers need to resume and
//! split. What a client received of a body — all of it, or the prefix written before it cut the
//! connection — counts as sent; the file is DOWNLOADED once the ranges sent cover it (HEAD never counts).

use std::io::SeekFrom;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::received::Received;
use super::{Recording, Requester, Source, file_for, source_of};
use crate::app::AppState;
use crate::domain::order::FileState;
use crate::domain::ranges::{ByteRange, RangeRequest, parse_range};
use crate::error::AppError;
use crate::quotas::{self, Download, Slot};
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
    let (order, file) = file_for(state, requester, file_id).await?;
    let asked = Asked {
        range: headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        if_range: headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()),
    };
    let source = source_of(state, &file)?;
    let slot = slot_for(state, &order.owner, &file, &source, &recording).await?;
    match source {
        Source::Local(path) => local(state, &file, path, asked, (recording, slot)).await,
        Source::Url(url) => super::external::external(state, &file, &url, asked, recording).await,
        Source::Object(object) => {
            let answer = (recording, slot, order.expiration_date);
            super::object::respond(state, &file, &object, asked, answer).await
        }
    }
}

/// The owner's download slot for a file the archive stores (docs/decisions.md "Download quotas"): none
/// for a HEAD, nor for an external file (neither counts).
async fn slot_for(
    state: &AppState,
    owner: &str,
    file: &OrderFileRow,
    source: &Source,
    recording: &Recording,
) -> Result<Option<Slot>, AppError> {
    if matches!(source, Source::Url(_)) || matches!(recording, Recording::Never) {
        return Ok(None);
    }
    let download = Download::File {
        id: file.id,
        counts: quotas::counts(&file.data_type, file.storage.as_deref()),
    };
    Ok(Some(quotas::start(state, owner, download).await?))
}

/// The `Range` of a request, and its `If-Range` condition.
#[derive(Debug, Clone, Copy)]
pub(super) struct Asked<'a> {
    pub range: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

impl<'a> Asked<'a> {
    /// The range to serve (RFC 9110 §13.1.5): none when `If-Range` does not name the current
    /// representation — a different or weak entity tag, or a date (no `Last-Modified` is sent, so no date
    /// can match) — which answers the whole file.
    pub(super) fn range(&self, etag: &str) -> Option<&'a str> {
        match self.if_range {
            Some(condition) if condition.trim() != etag => None,
            _ => self.range,
        }
    }
}

/// `"<fileId>-<size>-<checksum>"`: changes when the file does.
pub(super) fn etag(file: &OrderFileRow, size: u64) -> String {
    format!(
        "\"{}-{size}-{}\"",
        file.id,
        file.checksum.as_deref().unwrap_or("x")
    )
}

pub(super) fn base_headers(
    file: &OrderFileRow,
    size: u64,
) -> Result<axum::http::response::Builder, AppError> {
    let etag = etag(file, size);
    let disposition = content_disposition(&super::safe_name(&file.filename));
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
pub(super) fn content_disposition(name: &str) -> HeaderValue {
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
    path: super::LocalFile,
    asked: Asked<'_>,
    (recording, slot): (Recording, Option<Slot>),
) -> Result<Response, AppError> {
    let opened = match tokio::task::spawn_blocking(move || path.open()).await {
        Ok(Ok(opened)) => tokio::fs::File::from_std(opened),
        Ok(Err(error)) => return Err(unreadable(state, file, &error.to_string()).await),
        Err(error) => return Err(AppError::Internal(error.into())),
    };
    let size = opened
        .metadata()
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .len();
    let builder = base_headers(file, size)?;
    let (status, part) = match answered_part(file, &asked, size) {
        Ok(answered) => answered,
        Err(range) => return unsatisfiable(&range, size),
    };
    let mut opened = opened;
    opened
        .seek(SeekFrom::Start(part.start))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let stream = ReaderStream::with_capacity(opened.take(part.len()), CHUNK);
    let body = Body::from_stream(counted(state, file, (part, size), stream, recording, slot));
    let builder = with_part(builder, status, part, size);
    builder.body(body).map_err(|e| AppError::Internal(e.into()))
}

/// 416: the range asked is outside the file (`Content-Range: bytes */<size>`), with the error body.
/// The status and the bytes a request for `file` (of `size` bytes) is answered with: the whole file, or
/// the part its range asks for; `Err` carries a range that cannot be given (a 416).
pub(super) fn answered_part(
    file: &OrderFileRow,
    asked: &Asked<'_>,
    size: u64,
) -> Result<(StatusCode, ByteRange), String> {
    let range = asked.range(&etag(file, size));
    match parse_range(range, size) {
        RangeRequest::Unsatisfiable => Err(range.unwrap_or("").to_owned()),
        RangeRequest::Whole => Ok((
            StatusCode::OK,
            ByteRange {
                start: 0,
                end: size,
            },
        )),
        RangeRequest::Part(part) => Ok((StatusCode::PARTIAL_CONTENT, part)),
    }
}

/// The status, length and (for a part) Content-Range of an answer with `part` of a `size`-byte file.
pub(super) fn with_part(
    builder: axum::http::response::Builder,
    status: StatusCode,
    part: ByteRange,
    size: u64,
) -> axum::http::response::Builder {
    let builder = builder
        .status(status)
        .header(header::CONTENT_LENGTH, part.len());
    if status != StatusCode::PARTIAL_CONTENT {
        return builder;
    }
    builder.header(
        header::CONTENT_RANGE,
        format!("bytes {}-{}/{size}", part.start, part.end - 1),
    )
}

pub(super) fn unsatisfiable(range: &str, size: u64) -> Result<Response, AppError> {
    let body = serde_json::to_vec(&crate::error::ErrorBody {
        messages: vec![format!(
            "The range {range} is outside the file ({size} bytes)"
        )],
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    Response::builder()
        .status(StatusCode::RANGE_NOT_SATISFIABLE)
        .header(header::CONTENT_RANGE, format!("bytes */{size}"))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .map_err(|e| AppError::Internal(e.into()))
}

/// The body of `part` of a `size`-byte file: what the client received of it counts as sent, and toward
/// the owner's quota when it has a slot (given back when the body ends, or is dropped).
pub(super) fn counted<S>(
    state: &AppState,
    file: &OrderFileRow,
    (part, size): (ByteRange, u64),
    stream: S,
    recording: Recording,
    slot: Option<Slot>,
) -> Received<S> {
    let state = state.clone();
    let file_id = file.id;
    let counts = quotas::counts(&file.data_type, file.storage.as_deref());
    Received::new(stream, part, recording, move |received| {
        tokio::spawn(async move {
            let recorded = crate::orders::downloaded::range_sent(&state, file_id, received).await;
            if let Err(error) = recorded {
                tracing::warn!(file_id, %error, "cannot record a download");
            }
            if let Some(slot) = slot
                && let Err(error) = slot.received(file_id, counts, received, size).await
            {
                tracing::warn!(file_id, %error, "cannot count a download toward its quota");
            }
        });
    })
}

/// A file that should be there and cannot be read: DOWNLOAD_ERROR with the reason, and 410 (502 when
/// the server of an external file failed).
pub(super) async fn unreadable(state: &AppState, file: &OrderFileRow, reason: &str) -> AppError {
    let reason = format!("cannot read {}: {reason}", file.filename);
    if file.state == FileState::Available {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_range_keeps_the_range_only_for_our_entity_tag() {
        let etag = "\"7-100-abc\"";
        let asked = |if_range| Asked {
            range: Some("bytes=0-9"),
            if_range,
        };
        assert_eq!(asked(None).range(etag), Some("bytes=0-9"));
        assert_eq!(asked(Some(etag)).range(etag), Some("bytes=0-9"));
        assert_eq!(asked(Some("\"7-100-def\"")).range(etag), None);
        assert_eq!(asked(Some("W/\"7-100-abc\"")).range(etag), None);
        assert_eq!(
            asked(Some("Wed, 21 Oct 2015 07:28:00 GMT")).range(etag),
            None
        );
    }
}
