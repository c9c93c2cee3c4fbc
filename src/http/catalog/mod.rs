//! `/catalog`: datasets, search, summary (REGISTERED_USER) and STAC import (ADMIN).

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

mod dto;
mod quicklook;

pub use dto::{DataObjectDto, DatasetDto, SummaryDto};

use super::auth::{Admin, RegisteredUser};
use super::extract::Query;
use super::resource::{Page, PageParams, Resource};
use crate::access;
use crate::app::AppState;
use crate::auth::Caller;
use crate::catalog::assets::StorageRoots;
use crate::catalog::import::{ImportReport, Importer};
use crate::catalog::search;
use crate::catalog::sources;
use crate::domain::access::{Need, Scope};
use crate::error::{AppError, ErrorBody};

/// Largest JSON document `POST /catalog/import` reads (NDJSON bodies are streamed, without limit).
const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;
/// Largest NDJSON line.
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(datasets))
        .routes(routes!(search_objects))
        .routes(routes!(summary))
        .routes(routes!(quicklook::quicklook))
        .routes(routes!(import).layer(DefaultBodyLimit::disable()))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A Lucene query (empty: everything). Percent-encode '+' as %2B.
    q: Option<String>,
    /// Page number, 0 for the first page.
    page: Option<u32>,
    /// Items per page (default 20, at most 1000).
    size: Option<u32>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// A Lucene query (empty: everything). Percent-encode '+' as %2B.
    q: Option<String>,
}

/// The datasets whose metadata the caller may see (docs/decisions.md "Access rights").
fn visible(state: &AppState, caller: &Caller) -> Scope {
    let viewer = access::viewer(&state.config.access, caller);
    access::scope(&state.config.access, &viewer, Need::Metadata)
}

#[utoipa::path(
    get, path = "/catalog/datasets", tag = "catalog", security(("bearer" = ["REGISTERED_USER"])),
    description = "The datasets (STAC collections), by label.",
    params(PageParams),
    responses(
        (status = OK, body = Page<DatasetDto>),
        (status = BAD_REQUEST, description = "A bad page or size", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
    )
)]
async fn datasets(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Page<DatasetDto>>, AppError> {
    let request = params.resolve(state.config.orders.page_size)?;
    let viewer = access::viewer(&state.config.access, &caller);
    let visible = access::datasets(
        state.store.as_ref(),
        &state.config.access,
        &viewer,
        Need::Metadata,
    )
    .await?;
    let mut all = state.store.datasets().await?;
    all.retain(|dataset| visible.contains(dataset.id));
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(request.offset() as usize)
        .take(request.limit() as usize)
        .map(|row| Resource::new(DatasetDto::from(row), vec![]))
        .collect();
    let base = format!("{}/catalog/datasets", state.public_url);
    Ok(axum::Json(Page::new(items, request, total, &base)))
}

#[utoipa::path(
    get, path = "/catalog/search", tag = "catalog", security(("bearer" = ["REGISTERED_USER"])),
    description = "A page of the data objects matching a Lucene query, with their files.",
    params(SearchParams),
    responses(
        (status = OK, body = Page<DataObjectDto>),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The query cannot be read or names an unknown field", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "The query ran longer than `[database] statement_timeout`, or the catalog is busy (see Retry-After)", body = ErrorBody),
    )
)]
async fn search_objects(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Query(params): Query<SearchParams>,
) -> Result<axum::Json<Page<DataObjectDto>>, AppError> {
    let request = PageParams {
        page: params.page,
        size: params.size,
    }
    .resolve(state.config.orders.page_size)?;
    let q = params.q.unwrap_or_default();
    let scope = visible(&state, &caller);
    let (found, total) = search::search(
        state.store.as_ref(),
        &q,
        &scope,
        request.offset(),
        request.limit(),
    )
    .await?;
    let items = found
        .into_iter()
        .map(|f| Resource::new(DataObjectDto::from(f), vec![]))
        .collect();
    let base = format!("{}/catalog/search?q={}", state.public_url, encode(&q));
    Ok(axum::Json(Page::new(items, request, total, &base)))
}

#[utoipa::path(
    get, path = "/catalog/summary", tag = "catalog", security(("bearer" = ["REGISTERED_USER"])),
    description = "Per dataset, the objects matching a Lucene query that have orderable files (RAWDATA, \
                   QUICKLOOK_SD/MD/HD), and the count and size of those files, in all and per type.",
    params(SummaryParams),
    responses(
        (status = OK, body = Resource<SummaryDto>),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The query cannot be read or names an unknown field", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "The query ran longer than `[database] statement_timeout`, or the catalog is busy (see Retry-After)", body = ErrorBody),
    )
)]
async fn summary(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Query(params): Query<SummaryParams>,
) -> Result<axum::Json<Resource<SummaryDto>>, AppError> {
    let q = params.q.unwrap_or_default();
    let scope = visible(&state, &caller);
    let summaries = search::summary(state.store.as_ref(), &q, &scope).await?;
    Ok(axum::Json(Resource::new(
        SummaryDto::from(summaries),
        vec![],
    )))
}

#[utoipa::path(
    post, path = "/catalog/import", tag = "catalog", security(("bearer" = ["ADMIN"])),
    description = "Imports STAC: a Collection, an Item or an ItemCollection as JSON (at most 64 MiB), or \
                   Items and Collections as NDJSON (`Content-Type: application/x-ndjson`, streamed). Asset \
                   hrefs must be absolute: local files inside a configured storage root, or http(s) URLs. \
                   Items that cannot be imported are reported and skipped.",
    request_body(
        description = "STAC JSON, or NDJSON",
        content(
            (String = "application/json"),
            (String = "application/x-ndjson"),
        )
    ),
    responses(
        (status = OK, description = "What was imported, updated and rejected", body = Resource<ImportReport>),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
    )
)]
async fn import(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<Resource<ImportReport>>, AppError> {
    let roots = StorageRoots::new(&state.storages)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot open the storage roots: {e}")))?;
    let mut importer = Importer::new(
        state.store.clone(),
        roots,
        &state.config.auth.tenant,
        state.clock.now(),
    )
    .await?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if is_ndjson(content_type) {
        sources::import_ndjson_stream(&mut importer, body.into_data_stream(), MAX_LINE_BYTES)
            .await?;
    } else {
        let bytes = axum::body::to_bytes(body, MAX_DOCUMENT_BYTES).await.map_err(|_| {
            AppError::PayloadTooLarge(format!(
                "A JSON document may have at most {} MiB: send larger imports as NDJSON (application/x-ndjson)",
                MAX_DOCUMENT_BYTES >> 20
            ))
        })?;
        sources::import_document(&mut importer, &bytes, None, "body").await?;
    }
    let report = importer.finish().await?;
    tracing::info!(user = %caller.user, summary = %report.summary_line(), "catalog import");
    Ok(axum::Json(Resource::new(report, vec![])))
}

fn is_ndjson(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/jsonlines"
    )
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
