//! `/catalog`: datasets, search, summary (REGISTERED_USER) and STAC import (ADMIN).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::auth::{Admin, RegisteredUser};
use super::extract::Query;
use super::resource::{Page, PageParams, Resource};
use crate::access;
use crate::app::AppState;
use crate::auth::Caller;
use crate::catalog::assets::StorageRoots;
use crate::catalog::import::{ImportReport, Importer};
use crate::catalog::search::{self, DatasetSummary, FoundObject};
use crate::catalog::sources;
use crate::domain::access::{Need, Scope};
use crate::error::{AppError, ErrorBody};
use crate::store::{DatasetRow, FileRow};
use crate::time::Timestamp;

/// Largest JSON document `POST /catalog/import` reads (NDJSON bodies are streamed, without limit).
const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;
/// Largest NDJSON line.
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(datasets))
        .routes(routes!(search_objects))
        .routes(routes!(summary))
        .routes(routes!(import).layer(DefaultBodyLimit::disable()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetDto {
    ip_id: String,
    /// The STAC collection id.
    provider_id: String,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    objects_count: i64,
    creation_date: Timestamp,
    last_update: Timestamp,
}

impl From<DatasetRow> for DatasetDto {
    fn from(row: DatasetRow) -> Self {
        DatasetDto {
            ip_id: row.ip_id,
            provider_id: row.provider_id,
            label: row.label,
            description: row.description,
            objects_count: row.objects_count,
            creation_date: Timestamp(row.creation_date),
            last_update: Timestamp(row.last_update),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileDto {
    data_type: String,
    filename: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    filesize: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest_algorithm: Option<String>,
    mime_type: String,
    /// True for an external file (an http(s) URL), false for a file in a storage.
    reference: bool,
    /// The storage holding the file (not for references).
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<String>,
    /// The URL of an external file.
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
}

impl From<FileRow> for FileDto {
    fn from(row: FileRow) -> Self {
        let reference = row.reference != 0;
        FileDto {
            data_type: row.data_type,
            filename: row.filename,
            filesize: row.size,
            checksum: row.checksum,
            digest_algorithm: row.checksum_algo,
            mime_type: row.mime_type,
            reference,
            storage: row.storage,
            uri: reference.then_some(row.uri),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataObjectDto {
    ip_id: String,
    provider_id: String,
    label: String,
    dataset_ip_id: String,
    dataset_label: String,
    /// The dataset's ipId, then the STAC keywords.
    tags: Vec<String>,
    creation_date: Timestamp,
    last_update: Timestamp,
    /// The STAC properties as imported.
    #[schema(value_type = Object)]
    properties: serde_json::Value,
    files: Vec<FileDto>,
}

impl From<FoundObject> for DataObjectDto {
    fn from(found: FoundObject) -> Self {
        let object = found.object;
        DataObjectDto {
            ip_id: object.ip_id,
            provider_id: object.provider_id,
            label: object.label,
            dataset_ip_id: object.dataset_ip_id,
            dataset_label: object.dataset_label,
            tags: found.tags,
            creation_date: Timestamp(object.creation_date),
            last_update: Timestamp(object.last_update),
            properties: serde_json::from_str(&object.properties).unwrap_or_default(),
            files: found.files.into_iter().map(FileDto::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesTotals {
    files_count: i64,
    files_size: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSummaryDto {
    dataset_ip_id: String,
    dataset_label: String,
    /// Objects with at least one orderable file.
    objects_count: i64,
    files_count: i64,
    files_size: i64,
    /// The same, per orderable data type (RAWDATA, QUICKLOOK_SD, QUICKLOOK_MD, QUICKLOOK_HD).
    file_types: BTreeMap<String, FilesTotals>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryDto {
    objects_count: i64,
    files_count: i64,
    files_size: i64,
    datasets: Vec<DatasetSummaryDto>,
}

impl From<Vec<DatasetSummary>> for SummaryDto {
    fn from(summaries: Vec<DatasetSummary>) -> Self {
        let datasets: Vec<DatasetSummaryDto> = summaries
            .into_iter()
            .map(|s| DatasetSummaryDto {
                dataset_ip_id: s.dataset.ip_id,
                dataset_label: s.dataset.label,
                objects_count: s.objects,
                files_count: s.files,
                files_size: s.bytes,
                file_types: s
                    .by_type
                    .into_iter()
                    .map(|(t, totals)| {
                        (
                            t.to_string(),
                            FilesTotals {
                                files_count: totals.files,
                                files_size: totals.bytes,
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        SummaryDto {
            objects_count: datasets.iter().map(|d| d.objects_count).sum(),
            files_count: datasets.iter().map(|d| d.files_count).sum(),
            files_size: datasets.iter().map(|d| d.files_size).sum(),
            datasets,
        }
    }
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
    let roots = StorageRoots::new(&state.config.storages)
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
