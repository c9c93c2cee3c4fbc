//! Downloads: the order's zip and metalink, single files (authenticated or with a public order token,
//! with ranges). The listings of an order's files are in `files`.

use axum::extract::State;
use axum::http::{Extensions, HeaderMap, Method, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::RegisteredUser;
use super::extract::{Path, Query};
use crate::app::AppState;
use crate::auth::OrderGrant;
use crate::download::metalink::Format;
use crate::download::{self, Recording, Requester};
use crate::error::{AppError, ErrorBody};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(zip_download))
        .routes(routes!(metalink_download))
        .routes(routes!(public_metalink_download))
        .routes(routes!(file_download))
        .routes(routes!(public_file_download))
        .routes(routes!(public_links))
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

/// A bearer caller (REGISTERED_USER and above), or the holder of `orderToken` (a link a browser follows
/// cannot carry a bearer header: docs/decisions.md "Web application").
async fn requester(
    state: &AppState,
    headers: &HeaderMap,
    order_token: Option<&str>,
) -> Result<Requester, AppError> {
    match order_token.filter(|token| !token.is_empty()) {
        Some(token) => Ok(Requester::Token(grant(state, Some(token))?)),
        None => Ok(Requester::Bearer(
            super::auth::bearer(headers, state, crate::auth::Role::RegisteredUser).await?,
        )),
    }
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
                   that cannot be read, and RAWDATA files over the owner's quota, are listed in NOTICE.txt. Owner or admin; or, without a bearer token, the holder of the order's `orderToken` (a link a browser follows).",
    params(("orderId" = i64, Path), TokenParams),
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
    Path(id): Path<i64>,
    Query(params): Query<TokenParams>,
    headers: HeaderMap,
    method: Method,
    extensions: Extensions,
) -> Result<Response, AppError> {
    let requester = requester(&state, &headers, params.order_token.as_deref()).await?;
    let recording = Recording::of(&method, &extensions);
    download::zip::respond(&state, &requester, id, recording).await
}

#[utoipa::path(
    get, path = "/user/orders/{orderId}/metalink/download", tag = "downloads", security(("bearer" = ["REGISTERED_USER"])),
    description = "A metalink of every file of the order not in ERROR, with public URLs. Owner or admin; or, \
                   without a bearer token, the holder of the order's `orderToken`.",
    params(("orderId" = i64, Path), MetalinkParams, TokenParams),
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
    Path(id): Path<i64>,
    Query(params): Query<MetalinkParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let requester = requester(&state, &headers, params.order_token.as_deref()).await?;
    download::metalink::respond(&state, &requester, id, format_of(&params, &headers)).await
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

/// An order's links that need no bearer token: its order token (valid until the order expires) and the
/// zip and metalink URLs carrying it, to follow in a browser or share.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicLinks {
    order_token: String,
    /// ISO 8601; none for an order that does not expire.
    expiration_date: Option<String>,
    zip: String,
    metalink: String,
}

#[utoipa::path(
    get, path = "/user/orders/{orderId}/publicLinks", tag = "downloads",
    security(("bearer" = ["REGISTERED_USER"])),
    description = "The order's token and the zip and metalink links carrying it (no bearer token needed to \
                   follow them), for a browser or to share. Owner or admin.",
    params(("orderId" = i64, Path)),
    responses(
        (status = OK, body = PublicLinks),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Neither the owner nor an admin", body = ErrorBody),
        (status = NOT_FOUND, description = "Unknown, deleted or expired order", body = ErrorBody),
    )
)]
async fn public_links(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<PublicLinks>, AppError> {
    let order = download::order_for(&state, &Requester::Bearer(caller), id).await?;
    let expiry = order.expiration_date.map(crate::time::Timestamp);
    let token = state.keys.order_token(&order.owner, order.id, expiry);
    let base = format!("{}/user/orders/{}", state.public_url, order.id);
    Ok(axum::Json(PublicLinks {
        zip: format!("{base}/download?orderToken={token}"),
        metalink: format!("{base}/metalink/download?orderToken={token}"),
        expiration_date: expiry.map(|t| t.to_iso()),
        order_token: token,
    }))
}
