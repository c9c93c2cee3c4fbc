//! Access rights of datasets, for admins (docs/decisions.md "Access rights"): `GET /access/datasets`,
//! `GET|PUT /access/datasets/{datasetIpId}`.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Admin;
use super::extract::{JsonBytes, Query, optional_json};
use super::resource::{Link, Page, PageParams, Resource};
use crate::access::{self, DatasetRights};
use crate::app::AppState;
use crate::domain::access::{DatasetAccess, Right};
use crate::error::{AppError, ErrorBody};

/// What a dataset ipId keeps unescaped in a path segment (`URN:AIP:DATASET:...` stays readable).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b':')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rights))
        .routes(routes!(get_rights, put_rights))
}

/// A dataset's stored access: `open`, or the groups' `rights` (`open: false, rights: []` for a dataset
/// never given rights: `[access] default` then applies).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessDto {
    dataset_ip_id: String,
    open: bool,
    rights: Vec<Right>,
}

impl From<&DatasetRights> for AccessDto {
    fn from(rights: &DatasetRights) -> AccessDto {
        let (open, list) = match &rights.access {
            DatasetAccess::Unset => (false, vec![]),
            DatasetAccess::Open => (true, vec![]),
            DatasetAccess::Rights(list) => (false, list.clone()),
        };
        AccessDto {
            dataset_ip_id: rights.dataset.ip_id.clone(),
            open,
            rights: list,
        }
    }
}

/// `{"open": true}` opens the dataset to every user; `{"rights": [{group, level}]}` gives it to these
/// groups only (`[]`: admins only).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    #[serde(default)]
    open: Option<bool>,
    #[serde(default)]
    rights: Option<Vec<Right>>,
}

impl AccessBody {
    fn access(self) -> Result<DatasetAccess, AppError> {
        match (self.open, self.rights) {
            (Some(true), Some(rights)) if !rights.is_empty() => Err(AppError::unprocessable(
                "Give either \"open\": true or \"rights\", not both",
            )),
            (Some(true), _) => Ok(DatasetAccess::Open),
            (_, Some(rights)) => Ok(DatasetAccess::Rights(rights)),
            (Some(false), None) => Ok(DatasetAccess::Rights(vec![])),
            (None, None) => Err(AppError::unprocessable(
                "Give \"open\": true, or \"rights\": [{\"group\": ..., \"level\": \"FULL_ACCESS\"}]",
            )),
        }
    }
}

fn resource(state: &AppState, rights: &DatasetRights) -> Resource<AccessDto> {
    let href = format!(
        "{}/access/datasets/{}",
        state.public_url,
        percent_encoding::utf8_percent_encode(&rights.dataset.ip_id, PATH_SEGMENT)
    );
    Resource::new(AccessDto::from(rights), vec![Link::new("self", href)])
}

#[utoipa::path(
    get, path = "/access/datasets", tag = "access", security(("bearer" = ["ADMIN"])),
    description = "Every dataset with its access rights, by label.",
    params(PageParams),
    responses(
        (status = OK, body = Page<AccessDto>),
        (status = BAD_REQUEST, description = "A bad page or size", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Below ADMIN", body = ErrorBody),
    )
)]
async fn list_rights(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Page<AccessDto>>, AppError> {
    let request = params.resolve(state.config.orders.page_size)?;
    let all = access::list(state.store.as_ref()).await?;
    let total = all.len() as u64;
    let items = all
        .iter()
        .skip(request.offset() as usize)
        .take(request.limit() as usize)
        .map(|rights| resource(&state, rights))
        .collect();
    let base = format!("{}/access/datasets", state.public_url);
    Ok(axum::Json(Page::new(items, request, total, &base)))
}

#[utoipa::path(
    get, path = "/access/datasets/{datasetIpId}", tag = "access", security(("bearer" = ["ADMIN"])),
    description = "A dataset's access rights.",
    params(("datasetIpId" = String, Path, description = "The dataset's ipId (or its collection id)")),
    responses(
        (status = OK, body = Resource<AccessDto>),
        (status = BAD_REQUEST, description = "A bad dataset id", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Below ADMIN", body = ErrorBody),
        (status = NOT_FOUND, description = "Unknown dataset", body = ErrorBody),
    )
)]
async fn get_rights(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(dataset): Path<String>,
) -> Result<axum::Json<Resource<AccessDto>>, AppError> {
    let rights = access::get(state.store.as_ref(), &dataset).await?;
    Ok(axum::Json(resource(&state, &rights)))
}

#[utoipa::path(
    put, path = "/access/datasets/{datasetIpId}", tag = "access", security(("bearer" = ["ADMIN"])),
    description = "Replaces a dataset's access rights: `{\"open\": true}`, or `{\"rights\": [{\"group\": \"g\", \
                   \"level\": \"FULL_ACCESS\"}]}` (levels RESTRICTED_ACCESS: metadata only; FULL_ACCESS: metadata \
                   and data; `[]`: admins only). Orders already placed re-check the new rights at download.",
    params(("datasetIpId" = String, Path, description = "The dataset's ipId (or its collection id)")),
    request_body(content = AccessBody, content_type = "application/json"),
    responses(
        (status = OK, description = "The new rights", body = Resource<AccessDto>),
        (status = BAD_REQUEST, description = "The body is not JSON", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Below ADMIN", body = ErrorBody),
        (status = NOT_FOUND, description = "Unknown dataset", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "An unknown level, an empty group, or neither open nor rights", body = ErrorBody),
    )
)]
async fn put_rights(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(dataset): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<axum::Json<Resource<AccessDto>>, AppError> {
    // Read with or without a JSON content type, as every body of the API.
    let body: AccessBody = optional_json(&body)?;
    let rights = access::set(state.store.as_ref(), &dataset, body.access()?).await?;
    Ok(axum::Json(resource(&state, &rights)))
}
