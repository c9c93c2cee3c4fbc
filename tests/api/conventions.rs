//! HTTP conventions shared by every endpoint.

use reqwest::StatusCode;
use serde_json::{Value, json};

use regards_order::auth::Role;

use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn repeated_slashes_route_as_one() {
    let app = spawn_app().await;
    for path in ["//health", "///health", "//health?x=1"] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_path_is_a_404_with_the_envelope() {
    let app = spawn_app().await;
    let response = app.get("/no/such/thing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"messages": ["No endpoint GET /no/such/thing"]})
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_the_envelope() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"messages": ["Method DELETE is not allowed on /health"]})
    );
}

/// The committed `openapi.json` is the one the code generates. To accept a change:
/// `UPDATE_OPENAPI=1 cargo test openapi`.
#[tokio::test]
async fn the_committed_openapi_document_matches_the_served_one() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let served = response.text().await.unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let served: Value = serde_json::from_str(&served).unwrap();
    let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
    assert!(
        served == committed,
        "openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test openapi` and commit it"
    );
}

/// Every operation of the description says who may call it and how it fails: a role (the bearer scheme's
/// scope) or none for the public ones, the error responses with the error body, path parameters declared.
/// And the roles are the ones enforced: no token → 401, the role below → 403, the role → neither.
#[tokio::test]
async fn the_openapi_document_is_complete_and_its_roles_are_enforced() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut seen = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            seen += 1;
            the_responses_are_documented(&name, operation);
            the_path_parameters_are_declared(&name, path, operation);
            if let Some(role) = the_documented_role(&name, operation) {
                the_role_is_enforced(&app, &name, method, path, role).await;
            }
        }
    }
    assert!(seen >= 32, "only {seen} operations");
}

/// The operations anyone may call.
const PUBLIC: [&str; 6] = [
    "GET /health",
    "GET /metrics",
    "GET /openapi.json",
    "GET /orders/public/files/{fileId}",
    "HEAD /orders/public/files/{fileId}",
    "GET /user/orders/metalink/download",
];

/// A tag, a description, a success and the error body for every error.
fn the_responses_are_documented(name: &str, operation: &Value) {
    assert!(operation["tags"][0].is_string(), "{name}: no tag");
    assert!(
        operation["description"].is_string(),
        "{name}: no description"
    );
    let responses = operation["responses"].as_object().unwrap();
    assert!(
        responses.keys().any(|code| code.starts_with('2')),
        "{name}: no success"
    );
    for (code, response) in responses {
        // /health answers 503 with its own report of what is down.
        if (code.starts_with('4') || code.starts_with('5')) && name != "GET /health" {
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{name} {code}: not the error body"
            );
        }
    }
}

/// The parameters in the path are declared; with parameters comes a 400, with path parameters a 404.
fn the_path_parameters_are_declared(name: &str, path: &str, operation: &Value) {
    let responses = operation["responses"].as_object().unwrap();
    let declared: Vec<&str> = operation["parameters"]
        .as_array()
        .map(|params| {
            params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default();
    let in_path: Vec<&str> = path
        .split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    assert_eq!(declared, in_path, "{name}: path parameters");
    if operation["parameters"]
        .as_array()
        .is_some_and(|p| !p.is_empty())
    {
        assert!(
            responses.contains_key("400"),
            "{name}: no 400 for a bad parameter"
        );
    }
    if !in_path.is_empty() {
        assert!(responses.contains_key("404"), "{name}: no 404");
    }
}

/// The role an operation needs, with its 401 and 403; none for the public ones, which have no security.
fn the_documented_role(name: &str, operation: &Value) -> Option<Role> {
    if PUBLIC.contains(&name) {
        assert!(operation.get("security").is_none(), "{name} is public");
        return None;
    }
    let roles = operation["security"][0]["bearer"].as_array();
    let role = roles
        .and_then(|roles| roles.first())
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{name}: no role"));
    let role: Role = serde_json::from_value(json!(role)).unwrap();
    let responses = operation["responses"].as_object().unwrap();
    assert!(responses.contains_key("401"), "{name}: no 401");
    assert!(responses.contains_key("403"), "{name}: no 403");
    Some(role)
}

/// Enforced as documented: no token → 401, the role below → 403, the role → neither.
async fn the_role_is_enforced(app: &TestApp, name: &str, method: &str, path: &str, role: Role) {
    let url = app.url(&with_values(path));
    let call = |token: Option<String>| {
        let mut request = app
            .client
            .request(method.to_uppercase().parse().unwrap(), &url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(call(None).await, 401, "{name} without a token");
    let below = Role::ALL[Role::ALL.iter().position(|r| *r == role).unwrap() - 1];
    if below != Role::Public {
        let token = app.token("low@example.org", below);
        assert_eq!(call(Some(token)).await, 403, "{name} as {below:?}");
    }
    let token = app.token("someone@example.org", role);
    let status = call(Some(token)).await;
    assert!(
        status != 401 && status != 403,
        "{name} as {role:?}: {status}"
    );
}

/// The path with a value for each parameter: ids 1, dates a date.
fn with_values(path: &str) -> String {
    path.split('/')
        .map(|part| match part {
            "{itemsSelectionDate}" => "2026-01-01T00:00:00.000Z",
            _ if part.starts_with('{') => "1",
            _ => part,
        })
        .collect::<Vec<_>>()
        .join("/")
}
