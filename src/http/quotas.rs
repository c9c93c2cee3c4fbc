//! Download quotas (docs/decisions.md "Download quotas"): admins read and set a user's limits
//! (`GET|PUT /quotas/{user}`), users read their own (`GET /user/quota`). Bare objects, no links.

use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, RegisteredUser};
use super::extract::{JsonBytes, optional_json};
use crate::app::AppState;
use crate::error::{AppError, ErrorBody};
use crate::quotas::{self, Limits, Usage};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_quota, put_quota))
        .routes(routes!(own_quota))
}

/// A user's new limits: RAWDATA files they may download whole (`maxQuota`) and downloads at the same
/// time (`rateLimit`); -1 is no limit.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QuotaBody {
    #[serde(default)]
    max_quota: Option<i64>,
    #[serde(default)]
    rate_limit: Option<i64>,
}

impl QuotaBody {
    fn limits(self) -> Result<Limits, AppError> {
        let (Some(max_quota), Some(rate_limit)) = (self.max_quota, self.rate_limit) else {
            return Err(AppError::unprocessable(
                "Give both \"maxQuota\" and \"rateLimit\" (-1: no limit)",
            ));
        };
        let mut wrong = vec![];
        for (name, value) in [("maxQuota", max_quota), ("rateLimit", rate_limit)] {
            if value < -1 {
                wrong.push(format!("{name} must be -1 (no limit) or more, got {value}"));
            }
        }
        if !wrong.is_empty() {
            return Err(AppError::Unprocessable(wrong));
        }
        Ok(Limits {
            max_quota,
            rate_limit,
        })
    }
}

fn user_of(user: &str) -> Result<&str, AppError> {
    let user = user.trim();
    if user.is_empty() {
        return Err(AppError::BadRequest("The user is empty".into()));
    }
    Ok(user)
}

#[utoipa::path(
    get, path = "/quotas/{user}", tag = "quotas", security(("bearer" = ["ADMIN"])),
    description = "A user's download limits (the configured defaults for a user never given any) and how much \
                   of them is used now.",
    params(("user" = String, Path, description = "The user (the email of their tokens)")),
    responses(
        (status = OK, body = Usage),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Below ADMIN", body = ErrorBody),
        (status = NOT_FOUND, description = "No such path (a user with `/` in it must be percent-encoded)", body = ErrorBody),
    )
)]
async fn get_quota(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(user): Path<String>,
) -> Result<axum::Json<Usage>, AppError> {
    Ok(axum::Json(quotas::usage(&state, user_of(&user)?).await?))
}

#[utoipa::path(
    put, path = "/quotas/{user}", tag = "quotas", security(("bearer" = ["ADMIN"])),
    description = "Sets a user's download limits: `{\"maxQuota\": 100, \"rateLimit\": 2}` (-1: no limit). Takes \
                   effect for the downloads that start after it.",
    params(("user" = String, Path, description = "The user (the email of their tokens)")),
    request_body(content = QuotaBody, content_type = "application/json"),
    responses(
        (status = OK, description = "The new limits and the current use", body = Usage),
        (status = BAD_REQUEST, description = "The body is not JSON", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Below ADMIN", body = ErrorBody),
        (status = NOT_FOUND, description = "No such path (a user with `/` in it must be percent-encoded)", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "A value missing or below -1", body = ErrorBody),
    )
)]
async fn put_quota(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(user): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<axum::Json<Usage>, AppError> {
    let user = user_of(&user)?;
    let limits = optional_json::<QuotaBody>(&body)?.limits()?;
    Ok(axum::Json(quotas::set_limits(&state, user, limits).await?))
}

#[utoipa::path(
    get, path = "/user/quota", tag = "quotas", security(("bearer" = ["REGISTERED_USER"])),
    description = "The caller's download limits and how much of them is used now: `currentQuota` RAWDATA files \
                   downloaded whole (in the window, when one is configured), `currentRate` downloads running.",
    responses(
        (status = OK, body = Usage),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "Below REGISTERED_USER", body = ErrorBody),
    )
)]
async fn own_quota(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
) -> Result<axum::Json<Usage>, AppError> {
    Ok(axum::Json(quotas::usage(&state, &caller.user).await?))
}
