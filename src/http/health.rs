//! Liveness and database health.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::app::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `UP` or `DOWN`.
    pub status: &'static str,
    pub database: DatabaseHealth,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DatabaseHealth {
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    description = "Liveness and database health. No token needed.",
    responses(
        (status = OK, description = "The service and its database are up", body = Health),
        (status = SERVICE_UNAVAILABLE, description = "The database does not answer", body = Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let backend = match state.store.backend() {
        crate::store::Backend::Sqlite => "sqlite",
        crate::store::Backend::Postgres => "postgres",
    };
    let probe = tokio::time::timeout(std::time::Duration::from_secs(5), state.store.ping()).await;
    let error = match probe {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(_) => Some("the database did not answer within 5 s".to_owned()),
    };
    let (status, word) = match error {
        None => (StatusCode::OK, "UP"),
        Some(_) => (StatusCode::SERVICE_UNAVAILABLE, "DOWN"),
    };
    let body = Health {
        status: word,
        database: DatabaseHealth {
            status: word,
            backend,
            error,
        },
    };
    (status, Json(body))
}
