//! `/user/orders`: the seed's order endpoints, restart and retry (REGISTERED_USER; actions by the owner
//! or an admin).

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::RegisteredUser;
use super::extract::{JsonBytes, Path, Query, optional_json};
use super::resource::{Link, Page, PageParams, Resource};
use crate::access;
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::order::{Action, OrderStatus, allowed_actions};
use crate::error::{AppError, ErrorBody};
use crate::orders::{self, OrderError, OrderRequest, actions, retry};
use crate::store::orders::{DatasetTaskRow, OrderRow};
use crate::time::Timestamp;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order, delete_order))
        .routes(routes!(pause_order))
        .routes(routes!(resume_order))
        .routes(routes!(remove_order))
        .routes(routes!(restart_order))
        .routes(routes!(retry_order))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetTaskDto {
    id: i64,
    dataset_label: String,
    objects_count: i64,
    files_count: i64,
    files_size: i64,
    /// The basket's file filter this dataset was ordered with (absent: every orderable file).
    #[serde(skip_serializing_if = "Option::is_none")]
    file_selection_description: Option<crate::domain::filters::FileFilter>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDto {
    id: i64,
    owner: String,
    label: String,
    creation_date: Timestamp,
    /// Left out when the order never expires (`orders.expiration = "never"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_date: Option<Timestamp>,
    /// Share of the order's bytes available, downloaded or in error.
    percent_completed: i64,
    files_in_error_count: i64,
    available_files_count: i64,
    status: OrderStatus,
    status_date: Timestamp,
    /// Files are available and wait for their download (the next sub-orders start after it).
    waiting_for_user: bool,
    /// Why the order ended with a warning or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    dataset_tasks: Vec<DatasetTaskDto>,
}

fn action_link(base: &str, id: i64, action: Action) -> Link {
    let href = match action {
        Action::Pause => format!("{base}/user/orders/pause/{id}"),
        Action::Resume => format!("{base}/user/orders/resume/{id}"),
        Action::Delete => format!("{base}/user/orders/{id}"),
        Action::Remove => format!("{base}/user/orders/remove/{id}"),
        Action::Restart => format!("{base}/user/orders/{id}/restart"),
        Action::Retry => format!("{base}/user/orders/{id}/retry"),
        Action::Download => format!("{base}/user/orders/{id}/download"),
    };
    Link::new(action.rel(), href)
}

/// An order as its resource: the DTO, and links to itself, the list and every action allowed now.
pub async fn order_resource(
    state: &AppState,
    caller: &Caller,
    order: OrderRow,
) -> Result<Resource<OrderDto>, AppError> {
    let mut resources = order_resources(state, caller, vec![order]).await?;
    resources
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("an order made no resource")))
}

/// Orders as resources (a page of them): their dataset tasks and waiting flags read in two queries.
pub async fn order_resources(
    state: &AppState,
    caller: &Caller,
    orders: Vec<OrderRow>,
) -> Result<Vec<Resource<OrderDto>>, AppError> {
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let mut tasks: HashMap<i64, Vec<DatasetTaskRow>> = HashMap::new();
    for task in state.store.dataset_tasks_of(&ids).await? {
        tasks.entry(task.order_id).or_default().push(task);
    }
    let waiting: HashSet<i64> = state.store.waiting_among(&ids).await?.into_iter().collect();
    Ok(orders
        .into_iter()
        .map(|order| {
            let order_tasks = tasks.remove(&order.id).unwrap_or_default();
            let waits = waiting.contains(&order.id);
            resource_of(state, caller, order, order_tasks, waits)
        })
        .collect())
}

fn resource_of(
    state: &AppState,
    caller: &Caller,
    order: OrderRow,
    tasks: Vec<DatasetTaskRow>,
    waiting: bool,
) -> Resource<OrderDto> {
    let base = &state.public_url;
    let mut links = vec![
        Link::new("self", format!("{base}/user/orders/{}", order.id)),
        Link::new("list", format!("{base}/user/orders")),
    ];
    let asker = orders::asker(caller, &order.owner);
    links.extend(
        allowed_actions(order.status(), order.available_files, asker)
            .into_iter()
            .map(|a| action_link(base, order.id, a)),
    );
    let dto = OrderDto {
        id: order.id,
        percent_completed: order.progress().percent(),
        files_in_error_count: order.error_files,
        available_files_count: order.available_files,
        status: order.status(),
        status_date: Timestamp(order.status_date),
        waiting_for_user: waiting,
        creation_date: Timestamp(order.creation_date),
        expiration_date: order.expiration_date.map(Timestamp),
        message: order.message,
        label: order.label,
        owner: order.owner,
        dataset_tasks: tasks
            .into_iter()
            .map(|t| DatasetTaskDto {
                id: t.id,
                dataset_label: t.dataset_label,
                objects_count: t.objects_count,
                files_count: t.files_count,
                files_size: t.files_size,
                file_selection_description: t
                    .file_filters
                    .as_deref()
                    .and_then(|json| serde_json::from_str(json).ok()),
            })
            .collect(),
    };
    Resource::new(dto, links)
}

#[utoipa::path(
    post, path = "/user/orders", tag = "orders", security(("bearer" = ["REGISTERED_USER"])),
    description = "Turns the caller's basket into an order (the basket is consumed). The order is RUNNING at \
                   once; its files are found and staged in the background.",
    request_body(content = OrderRequest, description = "Optional", content_type = "application/json"),
    responses(
        (status = OK, description = "The new order", body = Resource<OrderDto>),
        (status = NO_CONTENT, description = "No basket, or an empty one"),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "TOO_MANY_CHARACTERS_IN_LABEL or LABEL_NOT_UNIQUE_FOR_OWNER", body = ErrorBody),
    )
)]
async fn create_order(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    JsonBytes(body): JsonBytes,
) -> Result<Response, AppError> {
    let request: OrderRequest = optional_json(&body)?;
    let viewer = access::viewer(&state.config.access, &caller);
    match orders::create(&state, &caller.user, &viewer, &request).await {
        Ok(order) => Ok(axum::Json(order_resource(&state, &caller, order).await?).into_response()),
        Err(OrderError::EmptyBasket) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(error) => Err(error.into()),
    }
}

#[utoipa::path(
    get, path = "/user/orders", tag = "orders", security(("bearer" = ["REGISTERED_USER"])),
    description = "The caller's orders, newest first, deleted ones left out.",
    params(PageParams),
    responses(
        (status = OK, body = Page<OrderDto>),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
    )
)]
async fn list_orders(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Page<OrderDto>>, AppError> {
    let request = params.resolve(state.config.orders.page_size)?;
    let (rows, total) = state
        .store
        .orders_of(&caller.user, request.offset(), request.limit())
        .await?;
    let items = order_resources(&state, &caller, rows).await?;
    let base = format!("{}/user/orders", state.public_url);
    Ok(axum::Json(Page::new(items, request, total as u64, &base)))
}

#[utoipa::path(
    get, path = "/user/orders/{orderId}", tag = "orders", security(("bearer" = ["REGISTERED_USER"])),
    description = "One order (owner or admin), with links to the actions its status allows.",
    params(("orderId" = i64, Path)),
    responses(
        (status = OK, body = Resource<OrderDto>),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Neither the owner nor an admin", body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
    )
)]
async fn get_order(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Resource<OrderDto>>, AppError> {
    let order = orders::readable(&state, &caller, id).await?;
    Ok(axum::Json(order_resource(&state, &caller, order).await?))
}

macro_rules! action_endpoint {
    ($name:ident, $method:ident, $path:literal, $description:literal, $call:path) => {
        #[utoipa::path(
            $method, path = $path, tag = "orders", security(("bearer" = ["REGISTERED_USER"])), description = $description,
            params(("orderId" = i64, Path)),
            responses(
                (status = OK, description = "Done"),
                (status = BAD_REQUEST, body = ErrorBody),
                (status = UNAUTHORIZED, description = "No valid token, or the seed's code: the status does not allow it, \
                                        or USER_NOT_ALLOWED_TO_MANAGE_ORDER", body = ErrorBody),
                (status = FORBIDDEN, body = ErrorBody),
                (status = NOT_FOUND, body = ErrorBody),
            )
        )]
        async fn $name(
            State(state): State<AppState>,
            RegisteredUser(caller): RegisteredUser,
            Path(id): Path<i64>,
        ) -> Result<StatusCode, AppError> {
            $call(&state, &caller, id).await?;
            Ok(StatusCode::OK)
        }
    };
}

action_endpoint!(
    pause_order,
    put,
    "/user/orders/pause/{orderId}",
    "Pauses a PENDING or RUNNING order.",
    actions::pause
);
action_endpoint!(
    resume_order,
    put,
    "/user/orders/resume/{orderId}",
    "Resumes a PAUSED order.",
    actions::resume
);
action_endpoint!(
    delete_order,
    delete,
    "/user/orders/{orderId}",
    "Deletes a PAUSED or ended order: its files go, the order stays as DELETED (hidden from the list).",
    actions::delete
);
action_endpoint!(
    remove_order,
    delete,
    "/user/orders/remove/{orderId}",
    "Admin: removes an order that is neither PENDING nor RUNNING, row and files.",
    actions::remove
);
action_endpoint!(
    retry_order,
    put,
    "/user/orders/{orderId}/retry",
    "Puts the files in error of a DONE_WITH_WARNING or FAILED order back to work.",
    retry::retry
);

#[utoipa::path(
    post, path = "/user/orders/{orderId}/restart", tag = "orders", security(("bearer" = ["REGISTERED_USER"])),
    description = "A new order from the selections of an ended order (DONE, DONE_WITH_WARNING or FAILED).",
    params(("orderId" = i64, Path)),
    request_body(content = OrderRequest, description = "Optional", content_type = "application/json"),
    responses(
        (status = OK, description = "The new order", body = Resource<OrderDto>),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, body = ErrorBody),
    )
)]
async fn restart_order(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
    JsonBytes(body): JsonBytes,
) -> Result<axum::Json<Resource<OrderDto>>, AppError> {
    let request: OrderRequest = optional_json(&body)?;
    let order = actions::restart(&state, &caller, id, &request).await?;
    Ok(axum::Json(order_resource(&state, &caller, order).await?))
}
