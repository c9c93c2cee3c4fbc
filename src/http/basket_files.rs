//! `POST /order/basket/selection/upload` (a list of providerIds, one per line, added to the caller's
//! basket as selections of 100) and `PUT /order/basket/dataset/{id}/updateFileFilters` (docs/decisions.md
//! "Basket upload and file filters").

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::RegisteredUser;
use super::basket::{BasketDto, basket_response};
use super::extract::{JsonBytes, Path};
use super::resource::Resource;
use crate::access;
use crate::app::AppState;
use crate::basket;
use crate::domain::filters::FileFilter;
use crate::domain::upload::{self, UploadError};
use crate::error::{AppError, ErrorBody};

/// The multipart body's part `file`, as text.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// providerIds, one per line (at most 1000; blank lines ignored).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(
    post, path = "/order/basket/selection/upload", tag = "basket", security(("bearer" = ["REGISTERED_USER"])),
    description = "Adds the objects of a list of providerIds (the multipart part `file`, one per line, trimmed, \
                   blank lines ignored, at most 1000) to the caller's basket: every 100 ids become one dated \
                   selection `providerId:(\"a\" OR \"b\" ...)`.",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = OK, description = "The basket", body = Resource<BasketDto>),
        (status = NO_CONTENT, description = "The file holds no providerId, or none of a file that can be ordered"),
        (status = BAD_REQUEST, description = "Not a multipart body with a text part `file`", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, description = "More than 1000 providerIds", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "The catalog is busy (see Retry-After)", body = ErrorBody),
    )
)]
pub(super) async fn upload_selection(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let text = file_part(multipart).await?;
    let selections = match upload::selections(&text) {
        Ok(selections) => selections,
        Err(error @ UploadError::TooManyLines(_)) => {
            return Err(AppError::PayloadTooLarge(error.to_string()));
        }
        Err(UploadError::Empty) => return Ok(StatusCode::NO_CONTENT.into_response()),
    };
    let viewer = access::viewer(&state.config.access, &caller);
    let content = basket::add_selections(&state, &caller.user, &viewer, &selections).await?;
    Ok(basket_response(&state, content))
}

/// The text of the part named `file`.
async fn file_part(multipart: Result<Multipart, MultipartRejection>) -> Result<String, AppError> {
    let bad = |error: &dyn std::fmt::Display| {
        AppError::BadRequest(format!(
            "Expected a multipart/form-data body with a part named file: {error}"
        ))
    };
    let read = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!("The file is too large: {error}"))
        } else {
            bad(&error)
        }
    };
    let mut multipart = multipart.map_err(|e| bad(&e))?;
    loop {
        let Some(field) = multipart.next_field().await.map_err(read)? else {
            return Err(AppError::BadRequest(
                "The multipart body has no part named file".into(),
            ));
        };
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(read)?;
            return String::from_utf8(bytes.to_vec()).map_err(|_| {
                AppError::BadRequest("The file is not text (UTF-8): one providerId per line".into())
            });
        }
    }
}

#[utoipa::path(
    put, path = "/order/basket/dataset/{datasetSelectionId}/updateFileFilters", tag = "basket",
    security(("bearer" = ["REGISTERED_USER"])),
    description = "Sets the file filter of a dataset selection: `fileTypes` (`RAWDATA`, `QUICKLOOK` for the three \
                   quicklook sizes; empty: every orderable type) and `fileNamePattern`, a regular expression the \
                   whole file name must match. `null` removes it. The selection is recounted; the order applies \
                   the filter and its dataset task shows it (`fileSelectionDescription`).",
    params(("datasetSelectionId" = i64, Path, description = "A dataset selection of the caller's basket")),
    request_body(content = Option<FileFilter>, content_type = "application/json"),
    responses(
        (status = OK, description = "The basket, recounted", body = Resource<BasketDto>),
        (status = NO_CONTENT, description = "The caller has no basket"),
        (status = BAD_REQUEST, description = "Not JSON, or a pattern that is not a regular expression", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "No such selection in the caller's basket", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "A field of the wrong type or an unknown file type", body = ErrorBody),
    )
)]
pub(super) async fn update_file_filters(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(selection_id): Path<i64>,
    JsonBytes(body): JsonBytes,
) -> Result<Response, AppError> {
    let json: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|error| AppError::BadRequest(format!("Malformed JSON body: {error}")))?
    };
    let filter: Option<FileFilter> = serde_json::from_value(json)
        .map_err(|error| AppError::unprocessable(format!("Invalid file filter: {error}")))?;
    let viewer = access::viewer(&state.config.access, &caller);
    let content =
        basket::update_file_filters(&state, &caller.user, &viewer, selection_id, filter).await?;
    Ok(basket_response(&state, content))
}
