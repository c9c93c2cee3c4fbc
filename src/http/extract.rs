//! Extractors that answer bad input with the error envelope: a malformed JSON body is a 400, a body of the
//! wrong shape a 422, a body too large a 413, a bad path or query parameter a 400 — never axum's plain
//! text, never a 500.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Largest JSON request body (the router's body limit; `/catalog/import` reads its body itself).
pub const MAX_JSON_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The bytes of a request body read as JSON by the handler, at most [`MAX_JSON_BODY_BYTES`]: a body
/// announced larger is refused before it is read, one growing past it (chunked) when it does — 413
/// with the error envelope either way.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        refuse_announced_overflow(&req)?;
        Bytes::from_request(req, state)
            .await
            .map(JsonBytes)
            .map_err(|rejection| bytes_rejection(&rejection))
    }
}

/// A `Content-Length` over the limit is refused at once: the client (curl sends `Expect: 100-continue`
/// for large bodies) learns it without sending the body.
fn refuse_announced_overflow(req: &Request) -> Result<(), AppError> {
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match announced {
        Some(length) if length > MAX_JSON_BODY_BYTES as u64 => Err(too_large()),
        _ => Ok(()),
    }
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge(format!(
        "Request body is too large (at most {} MiB)",
        MAX_JSON_BODY_BYTES >> 20
    ))
}

/// A JSON request body.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        refuse_announced_overflow(&req)?;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(error) => {
            AppError::unprocessable(format!("Invalid request body: {}", error.body_text()))
        }
        JsonRejection::JsonSyntaxError(error) => {
            AppError::BadRequest(format!("Malformed JSON body: {}", error.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType(
            "Expected a JSON body with 'Content-Type: application/json'".into(),
        ),
        JsonRejection::BytesRejection(error) => bytes_rejection(&error),
        other => AppError::BadRequest(other.body_text()),
    }
}

/// An optional JSON body, read with or without Content-Type: none (or only blanks) is `T::default()`;
/// malformed JSON a 400; the wrong shape a 422 naming the field.
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let json: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("Malformed JSON body: {e}")))?;
    serde_path_to_error::deserialize(json).map_err(|e| {
        AppError::unprocessable(format!(
            "Invalid request body at {}: {}",
            e.path(),
            e.inner()
        ))
    })
}

pub fn bytes_rejection(error: &BytesRejection) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::BadRequest(format!(
            "Cannot read the request body: {}",
            error.body_text()
        ))
    }
}

/// Query-string parameters.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection: QueryRejection| {
                AppError::BadRequest(format!(
                    "Invalid query parameters: {}",
                    rejection.body_text()
                ))
            })
    }
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection: PathRejection| {
                AppError::BadRequest(format!("Invalid path: {}", rejection.body_text()))
            })
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    use serde::Deserialize;
    use tower::ServiceExt;

    use super::*;

    #[derive(Deserialize)]
    struct Input {
        #[allow(dead_code)]
        count: u32,
    }

    async fn take_json(Json(_): Json<Input>) -> &'static str {
        "ok"
    }

    async fn take_bytes(JsonBytes(_): JsonBytes) -> &'static str {
        "ok"
    }

    async fn take_query(Query(_): Query<Input>) -> &'static str {
        "ok"
    }

    async fn take_path(Path(_): Path<i64>) -> &'static str {
        "ok"
    }

    fn router() -> Router {
        Router::new()
            .route("/json", post(take_json))
            .route("/bytes", post(take_bytes))
            .route("/query", get(take_query))
            .route("/path/{id}", get(take_path))
            .layer(DefaultBodyLimit::max(64))
    }

    async fn call(request: axum::http::Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = router().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    fn post_json(body: &str) -> axum::http::Request<Body> {
        axum::http::Request::post("/json")
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }

    fn first_message(body: &serde_json::Value) -> &str {
        body["messages"][0].as_str().unwrap_or_default()
    }

    #[tokio::test]
    async fn a_good_body_passes() {
        assert_eq!(call(post_json(r#"{"count": 1}"#)).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn malformed_json_is_a_400_with_a_message() {
        let (status, body) = call(post_json("{\"count\": ")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            first_message(&body).starts_with("Malformed JSON body"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_wrong_type_is_a_422_naming_the_field() {
        let (status, body) = call(post_json(r#"{"count": "three"}"#)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(first_message(&body).contains("count"), "{body}");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_413() {
        let big = format!(r#"{{"count": 1, "pad": "{}"}}"#, "x".repeat(200));
        let (status, body) = call(post_json(&big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            first_message(&body),
            "Request body is too large (at most 16 MiB)"
        );
    }

    #[tokio::test]
    async fn raw_bodies_over_the_limit_are_413s_announced_or_streamed() {
        let streamed = futures::stream::iter(
            ["{\"pad\": \"", &"x".repeat(100), "\"}"]
                .map(|part| Ok::<_, std::io::Error>(part.to_owned())),
        );
        let request = axum::http::Request::post("/bytes")
            .body(Body::from_stream(streamed))
            .unwrap();
        let (status, body) = call(request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            first_message(&body),
            "Request body is too large (at most 16 MiB)"
        );

        // Refused from the header alone: this body would be within the router's 64 bytes.
        let request = axum::http::Request::post("/bytes")
            .header("content-length", (MAX_JSON_BODY_BYTES + 1).to_string())
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(call(request).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        let request = axum::http::Request::post("/bytes")
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(call(request).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_missing_content_type_is_a_415() {
        let request = axum::http::Request::post("/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, body) = call(request).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(first_message(&body).contains("application/json"), "{body}");
    }

    #[tokio::test]
    async fn bad_query_and_path_parameters_are_400s() {
        let request = axum::http::Request::get("/query?count=-1")
            .body(Body::empty())
            .unwrap();
        let (status, body) = call(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            first_message(&body).starts_with("Invalid query parameters"),
            "{body}"
        );

        let request = axum::http::Request::get("/path/abc")
            .body(Body::empty())
            .unwrap();
        let (status, body) = call(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(first_message(&body).starts_with("Invalid path"), "{body}");
    }
}
