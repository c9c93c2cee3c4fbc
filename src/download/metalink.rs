//! Metalinks for download managers: every file of the order but those in ERROR, each with its name
//! (unique within the metalink), size, mime type, checksum and one public URL carrying an order token.
//! Metalink 3.0 by default; Metalink 4 (RFC 5854) when asked. Written page by page as it streams.

use std::collections::HashSet;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use quick_xml::escape::escape;

use super::{DownloadError, Requester, attachment_name, order_for, unique_name};
use crate::app::AppState;
use crate::domain::order::OrderStatus;
use crate::error::AppError;
use crate::store::suborders::{self as subs, OrderFileRow};
use crate::time::Timestamp;

const PAGE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Metalink 3.0 (`http://www.metalinker.org/`), what REGARDS serves.
    V3,
    /// Metalink 4 (RFC 5854, `urn:ietf:params:xml:ns:metalink`).
    V4,
}

impl Format {
    /// V4 when `?format=meta4` or the `Accept` header asks for `application/metalink4+xml`.
    pub fn asked(query: Option<&str>, accept: Option<&str>) -> Format {
        let by_query = query.is_some_and(|f| f.eq_ignore_ascii_case("meta4") || f == "4");
        let by_accept = accept.is_some_and(|a| a.contains("application/metalink4+xml"));
        if by_query || by_accept {
            Format::V4
        } else {
            Format::V3
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::V3 => "application/metalink+xml",
            Format::V4 => "application/metalink4+xml",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::V3 => "metalink",
            Format::V4 => "meta4",
        }
    }
}

pub async fn respond(
    state: &AppState,
    requester: &Requester,
    order_id: i64,
    format: Format,
) -> Result<Response, AppError> {
    let order = order_for(state, requester, order_id).await?;
    let status = order.status();
    if matches!(status, OrderStatus::Pending | OrderStatus::Failed) {
        return Err(DownloadError::NotDownloadable(order_id, status.as_str()).into());
    }
    if order.expanded == 0 {
        return Err(DownloadError::NotListed(order_id).into());
    }
    let token =
        state
            .keys
            .order_token(&order.owner, order.id, order.expiration_date.map(Timestamp));
    let url_base = format!("{}/orders/public/files/", state.public_url);
    let writer = Writer {
        format,
        token,
        url_base,
        names: HashSet::new(),
    };
    // Files of datasets withheld from the order's access groups are left out.
    let allowed = super::Allowed::of(state, &order).await?;
    let store = state.store.clone();
    let pages = futures::stream::unfold((writer, Stage::Head), move |(mut writer, stage)| {
        let (store, allowed) = (store.clone(), allowed.clone());
        async move {
            match stage {
                Stage::Done => None,
                Stage::Head => Some((Ok(Bytes::from(writer.head())), (writer, Stage::After(0)))),
                Stage::After(after) => match next_page(store.as_ref(), order_id, after).await {
                    Err(error) => Some((
                        Err(std::io::Error::other(error.to_string())),
                        (writer, Stage::Done),
                    )),
                    Ok(rows) if rows.is_empty() => {
                        Some((Ok(Bytes::from(writer.tail())), (writer, Stage::Done)))
                    }
                    Ok(rows) => {
                        let last = rows.last().map_or(after, |f| f.id);
                        let text: String = rows
                            .iter()
                            .filter(|f| allowed.withheld(f).is_none())
                            .map(|f| writer.file(f))
                            .collect();
                        Some((Ok(Bytes::from(text)), (writer, Stage::After(last))))
                    }
                },
            }
        }
    });
    let name = attachment_name(order_id, state.clock.now(), format.extension());
    Response::builder()
        .header(header::CONTENT_TYPE, format.content_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment;filename={name}"),
        )
        .header(header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT")
        .body(Body::from_stream(pages))
        .map_err(|e| AppError::Internal(e.into()))
}

async fn next_page(
    store: &dyn crate::store::Store,
    order_id: i64,
    after: i64,
) -> Result<Vec<OrderFileRow>, crate::store::StoreError> {
    store
        .files_after(order_id, subs::Listing::NotInError, after, PAGE)
        .await
}

/// Where the streamed metalink is: its head, the files after an id, the end.
enum Stage {
    Head,
    After(i64),
    Done,
}

struct Writer {
    format: Format,
    token: String,
    url_base: String,
    names: HashSet<String>,
}

impl Writer {
    fn head(&self) -> String {
        match self.format {
            Format::V3 => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                           <metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\" generator=\"regards-order\">\n\
                           <files>\n"
                .to_owned(),
            Format::V4 => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                           <metalink xmlns=\"urn:ietf:params:xml:ns:metalink\" xmlns:regards=\"urn:regards-order\">\n\
                           <generator>regards-order</generator>\n"
                .to_owned(),
        }
    }

    fn tail(&self) -> String {
        match self.format {
            Format::V3 => "</files>\n</metalink>\n".to_owned(),
            Format::V4 => "</metalink>\n".to_owned(),
        }
    }

    fn file(&mut self, file: &OrderFileRow) -> String {
        let name = unique_name(&mut self.names, &file.filename);
        let url = format!("{}{}?orderToken={}", self.url_base, file.id, self.token);
        let size = file
            .size
            .map(|s| format!("<size>{s}</size>"))
            .unwrap_or_default();
        let hash = match (&file.checksum_algo, &file.checksum) {
            (Some(algorithm), Some(hex)) => Some((
                hash_type(algorithm, self.format),
                escape(hex.as_str()).into_owned(),
            )),
            _ => None,
        };
        let (name, url, mime) = (
            escape(name.as_str()),
            escape(url.as_str()),
            escape(file.mime_type.as_str()),
        );
        match self.format {
            Format::V3 => {
                let hash = hash
                    .map(|(t, h)| {
                        format!("<verification><hash type=\"{t}\">{h}</hash></verification>")
                    })
                    .unwrap_or_default();
                format!(
                    "<file name=\"{name}\">{size}<mimetype>{mime}</mimetype>{hash}\
                     <resources><url type=\"http\">{url}</url></resources></file>\n"
                )
            }
            Format::V4 => {
                let hash = hash
                    .map(|(t, h)| format!("<hash type=\"{t}\">{h}</hash>"))
                    .unwrap_or_default();
                format!(
                    "<file name=\"{name}\">{size}{hash}<regards:mimetype>{mime}</regards:mimetype><url>{url}</url></file>\n"
                )
            }
        }
    }
}

/// Hash type names: Metalink 3 writes `sha1`, `sha256`; Metalink 4 the IANA names `sha-1`, `sha-256`.
fn hash_type(algorithm: &str, format: Format) -> String {
    let lower = algorithm.to_ascii_lowercase();
    match format {
        Format::V3 => lower.replace('-', ""),
        Format::V4 => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_query_or_the_accept_header() {
        assert_eq!(Format::asked(None, None), Format::V3);
        assert_eq!(Format::asked(Some("meta4"), None), Format::V4);
        assert_eq!(
            Format::asked(None, Some("application/metalink4+xml")),
            Format::V4
        );
        assert_eq!(
            Format::asked(None, Some("application/metalink+xml")),
            Format::V3
        );
        assert_eq!(hash_type("SHA-256", Format::V3), "sha256");
        assert_eq!(hash_type("SHA-256", Format::V4), "sha-256");
        assert_eq!(hash_type("MD5", Format::V4), "md5");
    }
}
