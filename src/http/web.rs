//! The web application (docs/decisions.md "Web application"): plain HTML, CSS and JavaScript modules from
//! `web/`, embedded in the binary at build time (no Node step, nothing fetched from another host), and
//! `/docs`, the interactive API reference (vendored RapiDoc reading `/openapi.json`). Under `serve --demo`,
//! `/web/demo` hands the page the demo tokens; otherwise it does not exist.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::error::AppError;

/// The files served, with their content types.
const FILES: [(&str, &str, &[u8]); 4] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/style.css"),
    ),
    (
        "vendor/rapidoc-min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/vendor/rapidoc-min.js"),
    ),
    (
        "vendor/rapidoc-LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../web/vendor/rapidoc-LICENSE.txt"),
    ),
];

const INDEX: &str = include_str!("../../web/index.html");
const DOCS: &str = include_str!("../../web/docs.html");

/// How long a browser may keep the files without asking again (they change with the binary).
const CACHE: &str = "no-cache";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { html(INDEX) }))
        .route("/docs", get(|| async { html(DOCS) }))
        .route("/web/demo", get(demo_tokens))
        .route("/web/{*file}", get(file))
}

fn html(text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        text,
    )
        .into_response()
}

async fn file(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match FILES.iter().find(|(path, _, _)| *path == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
            ],
            *bytes,
        )
            .into_response(),
        None => AppError::NotFound(format!("No file /web/{name}")).into_response(),
    }
}

/// The demo user's and admin's tokens, only under `serve --demo` (a 404 otherwise).
async fn demo_tokens(State(state): State<AppState>) -> Response {
    if state.demo {
        let (user, admin) = crate::demo::tokens(&state);
        return axum::Json(serde_json::json!({"user": user, "admin": admin})).into_response();
    }
    (
        StatusCode::NOT_FOUND,
        axum::Json(crate::error::ErrorBody {
            messages: vec!["No demo: the service was not started with serve --demo".into()],
        }),
    )
        .into_response()
}
