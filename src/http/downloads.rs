//! Downloads: the order's zip and metalink, single files (authenticated or with a public order token,
//! with ranges), and the listings of an order's files.

use axum::extract::State;
use axum::http::{Extensions, HeaderMap, Method, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::RegisteredUser;
use super::extract::{Path, Query};
use super::resource::{Link, Page, PageParams, Resource};
use crate::app::AppState;
use crate::auth::OrderGrant;
use crate::domain::order::FileState;
use crate::download::metalink::Format;
use crate::download::{self, Recording, Requester};
use crate::error::{AppError, ErrorBody};
use crate::store::suborders::{FileFilter, OrderFileRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(zip_download))
        .routes(routes!(metalink_download))
        .routes(routes!(public_metalink_download))
        .routes(routes!(file_download))
        .routes(routes!(public_file_download))
        .routes(routes!(available_files))
        .routes(routes!(sub_order_available_files))
        .routes(routes!(dataset_task_files))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenParams {
    /// The order token of the order's emails and metalinks.
    #[serde(rename = "orderToken")]
    order_token: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetalinkParams {
    /// `meta4` for Metalink 4 (RFC 5854); Metalink 3.0 otherwise (or `Accept: application/metalink4+xml`).
    format: Option<String>,
    #[serde(rename = "orderToken")]
    #[param(ignore)]
    order_token: Option<String>,
}

fn grant(state: &AppState, token: Option<&str>) -> Result<OrderGrant, AppError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::Unauthorized("An orderToken is required".into()))?;
    Ok(state.keys.verify_order(token, state.clock.now())?)
}

fn format_of(params: &MetalinkParams, headers: &HeaderMap) -> Format {
    Format::asked(
        params.format.as_deref(),
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
    )
}

#[utoipa::path(
    get, path = "/user/orders/{orderId}/download", tag = "downloads", security(("bearer" = ["REGISTERED_USER"])),
    description = "A zip of every AVAILABLE file of the order, streamed (STORED entries, zip64 when needed). Files \
                   that cannot be read, and RAWDATA files over the owner's quota, are listed in NOTICE.txt. Owner or admin.",
    params(("orderId" = i64, Path)),
    responses(
        (status = OK, description = "The zip", content_type = "application/octet-stream"),
        (status = NO_CONTENT, description = "No file is available"),
        (status = TOO_MANY_REQUESTS, description = "Too many of the owner's downloads run at once (see Retry-After)", body = ErrorBody),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "Unknown, deleted or expired order", body = ErrorBody),
    )
)]
async fn zip_download(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
    method: Method,
    extensions: Extensions,
) -> Result<Response, AppError> {
    let recording = Recording::of(&method, &extensions);
    download::zip::respond(&state, &Requester::Bearer(caller), id, recording).await
}

#[utoipa::path(
    get, path = "/user/orders/{orderId}/metalink/download", tag = "downloads", security(("bearer" = ["REGISTERED_USER"])),
    description = "A metalink of every file of the order not in ERROR, with public URLs. Owner or admin.",
    params(("orderId" = i64, Path), MetalinkParams),
    responses(
        (status = OK, description = "Metalink 3.0, or 4 when asked", content(
            (String = "application/metalink+xml"),
            (String = "application/metalink4+xml"),
        )),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "Unknown order, or PENDING, DELETED, EXPIRED or FAILED", body = ErrorBody),
    )
)]
async fn metalink_download(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
    Query(params): Query<MetalinkParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    download::metalink::respond(
        &state,
        &Requester::Bearer(caller),
        id,
        format_of(&params, &headers),
    )
    .await
}

#[utoipa::path(
    get, path = "/user/orders/metalink/download", tag = "downloads",
    description = "The metalink of the order an order token opens (no bearer token needed).",
    params(TokenParams, ("format" = Option<String>, Query, description = "`meta4` for Metalink 4")),
    responses(
        (status = OK, description = "Metalink 3.0, or 4 when asked", content(
            (String = "application/metalink+xml"),
            (String = "application/metalink4+xml"),
        )),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
    )
)]
async fn public_metalink_download(
    State(state): State<AppState>,
    Query(params): Query<MetalinkParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let granted = grant(&state, params.order_token.as_deref())?;
    let order_id = granted.order_id;
    let requester = Requester::Token(granted);
    download::metalink::respond(&state, &requester, order_id, format_of(&params, &headers)).await
}

#[utoipa::path(
    method(get, head), path = "/orders/files/{fileId}", tag = "downloads",
    security(("bearer" = ["REGISTERED_USER"])),
    description = "One file of an order (owner or admin), whole or a `Range` (206). HEAD answers the same \
                   headers and records nothing.",
    params(("fileId" = i64, Path)),
    responses(
        (status = OK, description = "The file"), (status = PARTIAL_CONTENT, description = "A range of it"),
        (status = ACCEPTED, description = "Not yet available (see Retry-After)", body = ErrorBody),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody), (status = NOT_FOUND, body = ErrorBody),
        (status = GONE, description = "The cached copy was evicted after its download", body = ErrorBody),
        (status = RANGE_NOT_SATISFIABLE, description = "The range is outside the file (`Content-Range: bytes */<size>`)", body = ErrorBody),
        (status = TOO_MANY_REQUESTS, description = "The owner's download quota is used up, or too many of their downloads run at once (see Retry-After)", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The file is in error", body = ErrorBody),
        (status = BAD_GATEWAY, description = "The server of an external file failed, or its address is refused", body = ErrorBody),
        (status = GATEWAY_TIMEOUT, description = "The server of an external file did not answer in time", body = ErrorBody),
    )
)]
async fn file_download(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    method: Method,
    extensions: Extensions,
) -> Result<Response, AppError> {
    let recording = Recording::of(&method, &extensions);
    download::file::respond(&state, &Requester::Bearer(caller), id, &headers, recording).await
}

#[utoipa::path(
    method(get, head), path = "/orders/public/files/{fileId}", tag = "downloads",
    description = "One file of the order an order token opens (no bearer token). HEAD answers the same headers.",
    params(("fileId" = i64, Path), TokenParams),
    responses(
        (status = OK, description = "The file"), (status = PARTIAL_CONTENT, description = "A range of it"),
        (status = ACCEPTED, description = "Not yet available (see Retry-After)", body = ErrorBody),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, description = "Missing, invalid or expired token, or a token of another order", body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody), (status = GONE, body = ErrorBody),
        (status = RANGE_NOT_SATISFIABLE, description = "The range is outside the file (`Content-Range: bytes */<size>`)", body = ErrorBody),
        (status = TOO_MANY_REQUESTS, description = "The owner's download quota is used up, or too many of their downloads run at once (see Retry-After)", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The file is in error", body = ErrorBody),
        (status = BAD_GATEWAY, description = "The server of an external file failed, or its address is refused", body = ErrorBody),
        (status = GATEWAY_TIMEOUT, description = "The server of an external file did not answer in time", body = ErrorBody),
    )
)]
async fn public_file_download(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<TokenParams>,
    headers: HeaderMap,
    method: Method,
    extensions: Extensions,
) -> Result<Response, AppError> {
    let requester = Requester::Token(grant(&state, params.order_token.as_deref())?);
    let recording = Recording::of(&method, &extensions);
    download::file::respond(&state, &requester, id, &headers, recording).await
}

/// REGARDS `OrderDataFileDTO`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailableFileDto {
    id: i64,
    product_id: String,
    version: i64,
    download_url: String,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filesize: Option<i64>,
    filename: String,
}

/// REGARDS `OrderDataFile`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDataFileDto {
    id: i64,
    state: FileState,
    order_id: i64,
    files_task_id: i64,
    ip_id: String,
    product_id: String,
    version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    download_error: Option<String>,
    data_type: String,
    reference: bool,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest_algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filesize: Option<i64>,
    filename: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    crc32: Option<i64>,
}

async fn page_of<T>(
    state: &AppState,
    caller: crate::auth::Caller,
    order_id: i64,
    filter: FileFilter,
    params: &PageParams,
    path: &str,
    map: impl Fn(&AppState, OrderFileRow) -> Resource<T>,
) -> Result<axum::Json<Page<T>>, AppError> {
    let request = params.resolve(state.config.orders.page_size)?;
    let order = download::order_for(state, &Requester::Bearer(caller), order_id).await?;
    let (rows, total) = state
        .store
        .files_page(order.id, filter, request.offset(), request.limit())
        .await?;
    let items = rows.into_iter().map(|row| map(state, row)).collect();
    Ok(axum::Json(Page::new(
        items,
        request,
        total as u64,
        &format!("{}{path}", state.public_url),
    )))
}

fn available(state: &AppState, row: OrderFileRow) -> Resource<AvailableFileDto> {
    let download_url = format!("{}/orders/files/{}", state.public_url, row.id);
    let dto = AvailableFileDto {
        id: row.id,
        product_id: row.provider_id,
        version: 1,
        download_url: download_url.clone(),
        mime_type: row.mime_type,
        checksum: row.checksum,
        filesize: row.size,
        filename: row.filename,
    };
    Resource::new(dto, vec![Link::new("download", download_url)])
}

#[utoipa::path(
    get, path = "/orders/{orderId}/files/available", tag = "downloads", security(("bearer" = ["REGISTERED_USER"])),
    description = "The AVAILABLE files of an order, by id, with their download URLs. Owner or admin.",
    params(("orderId" = i64, Path), PageParams),
    responses(
        (status = OK, body = Page<AvailableFileDto>),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody), (status = NOT_FOUND, body = ErrorBody),
    )
)]
async fn available_files(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Page<AvailableFileDto>>, AppError> {
    let filter = FileFilter {
        state: Some(FileState::Available),
        ..FileFilter::default()
    };
    page_of(
        &state,
        caller,
        id,
        filter,
        &params,
        &format!("/orders/{id}/files/available"),
        available,
    )
    .await
}

#[utoipa::path(
    get, path = "/orders/{orderId}/filesTask/{filesTaskId}/files/available", tag = "downloads",
    security(("bearer" = ["REGISTERED_USER"])),
    description = "The AVAILABLE files of one sub-order. Owner or admin.",
    params(("orderId" = i64, Path), ("filesTaskId" = i64, Path), PageParams),
    responses(
        (status = OK, body = Page<AvailableFileDto>),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody), (status = NOT_FOUND, body = ErrorBody),
    )
)]
async fn sub_order_available_files(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path((id, sub_order)): Path<(i64, i64)>,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Page<AvailableFileDto>>, AppError> {
    let filter = FileFilter {
        state: Some(FileState::Available),
        sub_order_id: Some(sub_order),
        ..FileFilter::default()
    };
    let path = format!("/orders/{id}/filesTask/{sub_order}/files/available");
    page_of(&state, caller, id, filter, &params, &path, available).await
}

#[utoipa::path(
    get, path = "/orders/{orderId}/dataset/{datasetTaskId}/files", tag = "downloads", security(("bearer" = ["REGISTERED_USER"])),
    description = "Every file of one dataset task of the order, in any state. Owner or admin.",
    params(("orderId" = i64, Path), ("datasetTaskId" = i64, Path), PageParams),
    responses(
        (status = OK, body = Page<OrderDataFileDto>),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody), (status = NOT_FOUND, body = ErrorBody),
    )
)]
async fn dataset_task_files(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path((id, task)): Path<(i64, i64)>,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Page<OrderDataFileDto>>, AppError> {
    let filter = FileFilter {
        dataset_task_id: Some(task),
        ..FileFilter::default()
    };
    let path = format!("/orders/{id}/dataset/{task}/files");
    page_of(&state, caller, id, filter, &params, &path, |state, row| {
        let link = Link::new(
            "self",
            format!("{}/orders/files/{}", state.public_url, row.id),
        );
        let dto = OrderDataFileDto {
            id: row.id,
            state: row.state,
            order_id: row.order_id,
            files_task_id: row.sub_order_id,
            ip_id: row.object_ip_id,
            product_id: row.provider_id,
            version: 1,
            download_error: row.error,
            data_type: row.data_type,
            reference: row.reference != 0,
            mime_type: row.mime_type,
            checksum: row.checksum,
            digest_algorithm: row.checksum_algo,
            filesize: row.size,
            filename: row.filename,
            crc32: row.crc32,
        };
        Resource::new(dto, vec![link])
    })
    .await
}
