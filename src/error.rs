//! The one error type of the HTTP layer. Every error answers `{"messages": ["..."]}`; internal errors are
//! logged with their cause and answered as an opaque 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The error body everywhere (REGARDS `ServerErrorResponse`).
#[derive(Debug, Serialize, Clone, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorBody {
    pub messages: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// Missing, invalid or expired credentials; also the seed's action errors (`ORDER_MUST_...`).
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    ExpectationFailed(String),
    #[error("{}", .0.join("; "))]
    Unprocessable(Vec<String>),
    #[error("{0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: too busy, or a query stopped by its time limit.
    #[error("{0}")]
    RetryLater(String, u64),
    /// 202 with `Retry-After`: not ready yet, ask again later.
    #[error("{0}")]
    NotYet(String, u64),
    #[error("{0}")]
    Gone(String),
    /// 429, with `Retry-After` when waiting helps (a rate limit, not a used-up quota).
    #[error("{0}")]
    TooManyRequests(String, Option<u64>),
    /// 502: the server holding an external file failed.
    #[error("{0}")]
    BadGateway(String),
    /// 504: the server holding an external file did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn unprocessable(message: impl Into<String>) -> AppError {
        AppError::Unprocessable(vec![message.into()])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::ExpectationFailed(_) => StatusCode::EXPECTATION_FAILED,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) | AppError::RetryLater(..) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::NotYet(..) => StatusCode::ACCEPTED,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn messages(&self) -> Vec<String> {
        match self {
            AppError::Unprocessable(messages) => messages.clone(),
            AppError::Internal(_) => vec!["Internal server error".to_owned()],
            other => vec![other.to_string()],
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(error) = &self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        let body = ErrorBody {
            messages: self.messages(),
        };
        let retry_after = match &self {
            AppError::NotYet(_, seconds) | AppError::RetryLater(_, seconds) => Some(*seconds),
            AppError::TooManyRequests(_, seconds) => *seconds,
            _ => None,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn errors_answer_the_messages_envelope() {
        let (status, body) = body_of(AppError::Unauthorized(
            "ORDER_MUST_BE_PENDING_OR_RUNNING".into(),
        ))
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            serde_json::json!({"messages": ["ORDER_MUST_BE_PENDING_OR_RUNNING"]})
        );

        let (status, body) = body_of(AppError::Unprocessable(vec!["a".into(), "b".into()])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body, serde_json::json!({"messages": ["a", "b"]}));
    }

    #[tokio::test]
    async fn internal_errors_do_not_leak_their_cause() {
        let (status, body) = body_of(AppError::Internal(anyhow::anyhow!("password=hunter2"))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"messages": ["Internal server error"]})
        );
    }
}
