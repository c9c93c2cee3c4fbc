//! `/order/basket`: the seed's five basket endpoints (REGISTERED_USER; the basket is the caller's).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::RegisteredUser;
use super::extract::{JsonBytes, Path};
use super::resource::{Link, Resource};
use crate::access;
use crate::app::AppState;
use crate::basket;
use crate::domain::selection::{CurrentSelection, SeedSelection, Selection};
use crate::error::{AppError, ErrorBody};
use crate::store::catalog::Counters;
use crate::store::{BasketContent, BasketDatasetRecord, BasketItemRecord};
use crate::time::Timestamp;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_selection))
        .routes(routes!(super::basket_files::upload_selection))
        .routes(routes!(super::basket_files::update_file_filters))
        .routes(routes!(remove_item))
        .routes(routes!(remove_dataset))
        .routes(routes!(get_basket, empty_basket))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasketDto {
    id: i64,
    owner: String,
    /// By dataset label.
    dataset_selections: Vec<DatasetSelectionDto>,
    /// The RAWDATA files of the basket stored by the archive: what its download will count against the
    /// user's download quota (external files never count).
    quota: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSelectionDto {
    id: i64,
    /// Spelled as the seed spells it.
    #[serde(rename = "datasetIpid")]
    dataset_ipid: String,
    dataset_label: String,
    /// `((<item 1>) OR (<item 2>) ...)`
    open_search_request: String,
    /// Objects with at least one orderable file (RAWDATA, QUICKLOOK_SD/MD/HD); one selected twice counts once.
    objects_count: i64,
    files_count: i64,
    files_size: i64,
    /// Orderable files per data type.
    file_types_count: BTreeMap<String, i64>,
    file_types_sizes: BTreeMap<String, i64>,
    /// The RAWDATA files stored by the archive (not external): what the download quota will count.
    quota: i64,
    /// The file filter (`PUT .../updateFileFilters`); the counts above are those it keeps. Absent: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    file_selection_description: Option<crate::domain::filters::FileFilter>,
    /// By date (each with the counts of what it selected, before the filter).
    items_selections: Vec<ItemsSelectionDto>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemsSelectionDto {
    /// The key of `DELETE /order/basket/dataset/{datasetSelectionId}/{itemsSelectionDate}`.
    date: Timestamp,
    /// `(<request>) AND creationDate:[* TO <date>]`
    open_search_request: String,
    objects_count: i64,
    files_count: i64,
    files_size: i64,
    file_types_count: BTreeMap<String, i64>,
    file_types_sizes: BTreeMap<String, i64>,
    /// The body this selection came from.
    #[schema(value_type = Object)]
    selection_request: serde_json::Value,
}

/// Objects, files, bytes, and files and bytes per type, from counters.
struct Totals {
    objects: i64,
    files: i64,
    bytes: i64,
    types_count: BTreeMap<String, i64>,
    types_sizes: BTreeMap<String, i64>,
}

fn totals(counters: &Counters) -> Totals {
    let mut types_count = BTreeMap::new();
    let mut types_sizes = BTreeMap::new();
    for (data_type, counts) in counters.types() {
        types_count.insert(data_type.to_string(), counts.files);
        types_sizes.insert(data_type.to_string(), counts.bytes);
    }
    Totals {
        objects: counters.objects,
        files: types_count.values().sum(),
        bytes: types_sizes.values().sum(),
        types_count,
        types_sizes,
    }
}

fn item_dto(item: BasketItemRecord) -> ItemsSelectionDto {
    let t = totals(&item.counters);
    ItemsSelectionDto {
        date: item.date,
        open_search_request: item.open_search_request,
        objects_count: t.objects,
        files_count: t.files,
        files_size: t.bytes,
        file_types_count: t.types_count,
        file_types_sizes: t.types_sizes,
        selection_request: serde_json::from_str(&item.selection).unwrap_or_default(),
    }
}

fn dataset_dto(
    selection: BasketDatasetRecord,
    items: Vec<BasketItemRecord>,
) -> DatasetSelectionDto {
    let t = totals(&selection.counters);
    DatasetSelectionDto {
        id: selection.id,
        dataset_ipid: selection.dataset_ip_id,
        dataset_label: selection.dataset_label,
        open_search_request: selection.open_search_request,
        objects_count: t.objects,
        files_count: t.files,
        files_size: t.bytes,
        file_types_count: t.types_count,
        file_types_sizes: t.types_sizes,
        quota: selection.counters.raw_stored,
        file_selection_description: selection
            .file_filters
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok()),
        items_selections: items.into_iter().map(item_dto).collect(),
    }
}

/// 200 with the basket, or 204 without a body when there is none.
pub(super) fn basket_response(state: &AppState, content: Option<BasketContent>) -> Response {
    let Some(content) = content else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let quota = content
        .datasets
        .iter()
        .map(|(selection, _)| selection.counters.raw_stored)
        .sum();
    let dto = BasketDto {
        id: content.basket.id,
        owner: content.basket.owner,
        dataset_selections: content
            .datasets
            .into_iter()
            .map(|(s, items)| dataset_dto(s, items))
            .collect(),
        quota,
    };
    let links = vec![
        Link::new("self", format!("{}/order/basket", state.public_url)),
        Link::new(
            "add",
            format!("{}/order/basket/selection", state.public_url),
        ),
        Link::new("delete", format!("{}/order/basket", state.public_url)),
    ];
    axum::Json(Resource::new(dto, links)).into_response()
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
/// Either the seed's body or the current REGARDS body (told apart by `engineType`).
enum SelectionBody {
    Seed(SeedSelection),
    Current(CurrentSelection),
}

#[utoipa::path(
    post, path = "/order/basket/selection", tag = "basket", security(("bearer" = ["REGISTERED_USER"])),
    description = "Adds a selection to the caller's basket (created if needed), frozen at the current date, to \
                   every dataset where it finds orderable files. Seed body `{selectAllOpenSearchRequest?, ipIds?}` \
                   or current body `{engineType, datasetUrn?, searchParameters{q}?, entityIdsToInclude?, \
                   entityIdsToExclude?}`.",
    request_body(content = SelectionBody, content_type = "application/json"),
    responses(
        (status = OK, description = "The basket", body = Resource<BasketDto>),
        (status = NO_CONTENT, description = "This selection contains no file that can be ordered"),
        (status = BAD_REQUEST, description = "The body is not JSON", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = EXPECTATION_FAILED, description = "Neither a request nor IP_IDs", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "A field of the wrong type, or a query that cannot be read", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "The query ran longer than `[database] statement_timeout`, or the catalog is busy (see Retry-After)", body = ErrorBody),
    )
)]
async fn add_selection(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    JsonBytes(body): JsonBytes,
) -> Result<Response, AppError> {
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|error| AppError::BadRequest(format!("Malformed JSON body: {error}")))?;
    let selection = Selection::from_json(json)
        .map_err(|error| AppError::unprocessable(format!("Invalid request body: {error}")))?;
    let content = basket::add_selection(
        &state,
        &caller.user,
        &access::viewer(&state.config.access, &caller),
        &selection,
    )
    .await?;
    Ok(basket_response(&state, content))
}

#[utoipa::path(
    delete, path = "/order/basket/dataset/{datasetSelectionId}/{itemsSelectionDate}", tag = "basket",
    security(("bearer" = ["REGISTERED_USER"])),
    description = "Removes a dated items selection (its date as the basket shows it, URL-encoded or not); the \
                   dataset selection goes with its last one. Also routed as `/order/basket//dataset/...`.",
    params(
        ("datasetSelectionId" = i64, Path, description = "A dataset selection of the caller's basket"),
        ("itemsSelectionDate" = String, Path, description = "e.g. 2018-04-03T14:20:00.383Z"),
    ),
    responses(
        (status = OK, description = "The basket", body = Resource<BasketDto>),
        (status = NO_CONTENT, description = "The caller has no basket"),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "No such selection in the caller's basket", body = ErrorBody),
    )
)]
async fn remove_item(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path((selection_id, date)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let content = basket::remove_item(
        &state,
        &caller.user,
        &access::viewer(&state.config.access, &caller),
        selection_id,
        &date,
    )
    .await?;
    Ok(basket_response(&state, content))
}

#[utoipa::path(
    delete, path = "/order/basket/dataset/{datasetSelectionId}", tag = "basket", security(("bearer" = ["REGISTERED_USER"])),
    description = "Removes a dataset selection from the caller's basket.",
    params(("datasetSelectionId" = i64, Path, description = "A dataset selection of the caller's basket")),
    responses(
        (status = OK, description = "The basket", body = Resource<BasketDto>),
        (status = NO_CONTENT, description = "The caller has no basket"),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "No such selection in the caller's basket", body = ErrorBody),
    )
)]
async fn remove_dataset(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(selection_id): Path<i64>,
) -> Result<Response, AppError> {
    let content = basket::remove_dataset(&state, &caller.user, selection_id).await?;
    Ok(basket_response(&state, content))
}

#[utoipa::path(
    get, path = "/order/basket", tag = "basket", security(("bearer" = ["REGISTERED_USER"])),
    description = "The caller's basket.",
    responses(
        (status = OK, description = "The basket", body = Resource<BasketDto>),
        (status = NO_CONTENT, description = "The caller has no basket"),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
    )
)]
async fn get_basket(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
) -> Result<Response, AppError> {
    let content = state.store.basket_of(&caller.user).await?;
    Ok(basket_response(&state, content))
}

#[utoipa::path(
    delete, path = "/order/basket", tag = "basket", security(("bearer" = ["REGISTERED_USER"])),
    description = "Empties and removes the caller's basket.",
    responses(
        (status = OK, description = "Done (also when there was no basket)"),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
    )
)]
async fn empty_basket(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
) -> Result<StatusCode, AppError> {
    basket::empty(&state, &caller.user).await?;
    Ok(StatusCode::OK)
}
