//! External files: fetched from their URL as they are sent, through the client of external files.

use axum::body::Body;
use axum::http::header;
use axum::response::Response;

use super::file::{Asked, base_headers, counted, etag, unreadable};
use super::{OnComplete, Recording};
use crate::app::AppState;
use crate::domain::ranges::ByteRange;
use crate::error::AppError;
use crate::outbound::FetchError;
use crate::store::suborders::OrderFileRow;

/// An external file, fetched from its URL as it is sent (the `Range` passed on, unless `If-Range` does not
/// name our entity tag) through the client of external files (private addresses refused,
/// docs/ARCHITECTURE.md). What the client receives of a whole answer or of a range counts as sent. A
/// failure before the first byte is a DOWNLOAD_ERROR: 504 on a timeout, 502 otherwise.
pub(super) async fn external(
    state: &AppState,
    file: &OrderFileRow,
    url: &str,
    asked: Asked<'_>,
    recording: Recording,
) -> Result<Response, AppError> {
    let declared_size = file.size.map(|s| s.max(0) as u64);
    let range = asked.range(&etag(file, declared_size.unwrap_or(0)));
    let upstream = match state.http.external_files.get(url, range).await {
        Ok(upstream) => upstream,
        Err(error) => return Err(external_failed(state, file, url, error).await),
    };
    let status = upstream.status;
    let length = upstream
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    let size = length.or(declared_size).unwrap_or(0);
    let mut builder = base_headers(file, size)?.status(status.as_u16());
    for name in [header::CONTENT_LENGTH, header::CONTENT_RANGE] {
        if let Some(value) = upstream.headers.get(&name) {
            builder = builder.header(name, value.clone());
        }
    }
    let part = match status {
        reqwest::StatusCode::OK => length
            .or(declared_size)
            .map(|end| ByteRange { start: 0, end }),
        reqwest::StatusCode::PARTIAL_CONTENT => upstream
            .headers
            .get(header::CONTENT_RANGE)
            .and_then(|value| value.to_str().ok())
            .and_then(content_range),
        _ => None,
    };
    let stream = upstream.body;
    let body = match part {
        Some(part) => {
            Body::from_stream(counted(state, file, (part, size), stream, recording, None))
        }
        // A whole answer of unknown length counts once it ended.
        None if status == reqwest::StatusCode::OK => {
            Body::from_stream(whole_of_unknown_length(state, file, stream, recording))
        }
        None => Body::from_stream(stream),
    };
    builder.body(body).map_err(|e| AppError::Internal(e.into()))
}

fn whole_of_unknown_length<S>(
    state: &AppState,
    file: &OrderFileRow,
    stream: S,
    recording: Recording,
) -> OnComplete<S> {
    let state = state.clone();
    let file_id = file.id;
    OnComplete::new(stream, "file", None, move || {
        recording.record(move || async move {
            let whole = ByteRange { start: 0, end: 0 };
            let recorded = crate::orders::downloaded::range_sent(&state, file_id, whole).await;
            if let Err(error) = recorded {
                tracing::warn!(file_id, %error, "cannot record a download");
            }
        });
    })
}

/// The range of a `Content-Range: bytes a-b/size` answer.
/// The external server could not be read (refused, timed out, failed, error status): DOWNLOAD_ERROR, and
/// 504 on a timeout, 502 otherwise.
async fn external_failed(
    state: &AppState,
    file: &OrderFileRow,
    url: &str,
    error: FetchError,
) -> AppError {
    let shown = crate::config::redact_url(url);
    let timed_out = matches!(error, FetchError::TimedOut(_));
    let reason = match error {
        FetchError::Status(status) => format!("{shown} answered {status}"),
        other => format!("{shown}: {other}"),
    };
    match unreadable(state, file, &reason).await {
        AppError::BadGateway(message) if timed_out => AppError::GatewayTimeout(message),
        other => other,
    }
}

fn content_range(value: &str) -> Option<ByteRange> {
    let (range, _) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (start, last): (u64, u64) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    (last >= start).then_some(ByteRange {
        start,
        end: last + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_content_ranges_are_read() {
        assert_eq!(
            content_range("bytes 10-19/100"),
            Some(ByteRange { start: 10, end: 20 })
        );
        assert_eq!(content_range("bytes */100"), None);
        assert_eq!(content_range("bytes 9-1/100"), None);
    }
}
