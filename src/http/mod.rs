//! The HTTP layer: one module per resource, each with its routes; the conventions of docs/decisions.md (error
//! envelope, resources and pages, dates, JSON rejections, repeated slashes) live here once.

mod access;
mod admin;
pub mod auth;
mod basket;
mod basket_files;
mod catalog;
mod downloads;
mod errors;
pub mod extract;
mod files;
mod health;
mod metrics;
mod normalize;
mod orders;
mod quotas;
pub mod resource;
pub mod server;
mod timeouts;
mod web;

use std::sync::OnceLock;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use tower::Layer;
use tower::util::{MapRequest, MapRequestLayer};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::AppError;

/// The whole service as one tower service: the router behind the slash-collapsing rewrite.
pub type App = MapRequest<Router, fn(Request) -> Request>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "regards-order",
        description = "A REGARDS-compatible basket and order service for science-data archives."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health, metrics and this description; no access token needed."),
        (name = "catalog", description = "The built-in catalog: datasets, data objects and their files."),
        (name = "basket", description = "The caller's basket: selections of data objects, per dataset."),
        (name = "orders", description = "Orders: made from the basket, processed in sub-orders, downloaded."),
        (name = "downloads", description = "An order's files: zip, metalink, one by one (with ranges), listings."),
        (name = "admin", description = "Orders of every user, for operators (EXPLOIT and above): search, CSV."),
        (name = "access", description = "Access rights of datasets (REGARDS access groups), for admins (ADMIN and above)."),
        (name = "quotas", description = "Download quotas: RAWDATA files a user may download whole and downloads at the same time (admins set them; users read theirs)."),
    )
)]
struct ApiDoc;

/// Declares the bearer-token scheme every protected endpoint refers to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A REGARDS access token (HS512), e.g. from `regards-order token`, or an access token of \
                 the identity provider the service is configured with ([auth] jwks_url or oidc_issuer; \
                 RS256/384/512, PS256, ES256/384, EdDSA, chosen by the key its `kid` names).",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

fn routes() -> (Router<AppState>, OpenApiDoc) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(metrics::metrics_text))
        .routes(routes!(openapi_json))
        .merge(catalog::router())
        .merge(basket::router())
        .merge(orders::router())
        .merge(downloads::router())
        .merge(files::router())
        .merge(admin::router())
        .merge(access::router())
        .merge(quotas::router())
        .split_for_parts()
}

/// The OpenAPI description, as served at `/openapi.json` and committed as `openapi.json`.
pub fn openapi_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text =
            serde_json::to_string_pretty(&routes().1).expect("the OpenAPI document serializes");
        text.push('\n');
        text
    })
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    description = "This OpenAPI 3.1 description. No token needed.",
    responses((status = OK, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_text(),
    )
        .into_response()
}

/// The service, ready for `server::serve`.
pub fn app(state: AppState) -> App {
    let router = routes()
        .0
        .merge(web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(extract::MAX_JSON_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    MapRequestLayer::new(normalize::collapse_slashes as fn(Request) -> Request).layer(router)
}

async fn not_found(method: Method, uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("No endpoint {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> AppError {
    AppError::MethodNotAllowed(format!("Method {method} is not allowed on {}", uri.path()))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}
