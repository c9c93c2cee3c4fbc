//! The listings of an order's files: available files (of the order, of a sub-order) and a dataset
//! task's files, each with its download URL.

use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::RegisteredUser;
use super::extract::{Path, Query};
use super::resource::{Link, Page, PageParams, Resource};
use crate::app::AppState;
use crate::domain::order::FileState;
use crate::download::{self, Requester};
use crate::error::{AppError, ErrorBody};
use crate::store::suborders::{FileFilter, OrderFileRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(available_files))
        .routes(routes!(sub_order_available_files))
        .routes(routes!(dataset_task_files))
        .routes(routes!(sub_orders))
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

/// A sub-order (REGARDS' FilesTask): files made available together, from one storage.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesTaskDto {
    id: i64,
    dataset_task_id: i64,
    /// The storage its files come from; none for external files.
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<String>,
    /// OPEN, WAITING, RUNNING, DONE or CANCELLED.
    state: String,
    files_count: i64,
    files_size: i64,
    pending_files_count: i64,
    available_files_count: i64,
    waiting_for_user: bool,
}

#[utoipa::path(
    get, path = "/orders/{orderId}/filesTasks", tag = "downloads", security(("bearer" = ["REGISTERED_USER"])),
    description = "The sub-orders of an order, by id, with their state and counts. Owner or admin.",
    params(("orderId" = i64, Path), PageParams),
    responses(
        (status = OK, body = Page<FilesTaskDto>),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody), (status = NOT_FOUND, body = ErrorBody),
    )
)]
async fn sub_orders(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Page<FilesTaskDto>>, AppError> {
    let request = params.resolve(state.config.orders.page_size)?;
    let order = download::order_for(&state, &Requester::Bearer(caller), id).await?;
    let (rows, total) = state
        .store
        .sub_orders_page(order.id, request.offset(), request.limit())
        .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let dto = FilesTaskDto {
                id: row.id,
                dataset_task_id: row.dataset_task_id,
                waiting_for_user: row.waiting_for_user(),
                storage: row.storage,
                state: row.state.as_str().to_owned(),
                files_count: row.files_count,
                files_size: row.bytes,
                pending_files_count: row.pending_files,
                available_files_count: row.available_files,
            };
            Resource::new(dto, vec![])
        })
        .collect();
    let base = format!("{}/orders/{id}/filesTasks", state.public_url);
    Ok(axum::Json(Page::new(items, request, total as u64, &base)))
}
