//! The basket endpoints of the seed, on the catalog fixture.

mod concurrency;
mod endpoints;
mod filters;
mod scenario;
mod upload;

use reqwest::Response;
use serde_json::Value;

use crate::helpers::TestApp;

pub async fn add(app: &TestApp, token: &str, body: &str) -> Response {
    app.client
        .post(app.url("/order/basket/selection"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// Adds a selection and returns the basket it answers (panics unless 200).
pub async fn add_ok(app: &TestApp, token: &str, body: Value) -> Value {
    let response = add(app, token, &body.to_string()).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{body}: {text}");
    serde_json::from_str(&text).unwrap()
}

pub async fn basket(app: &TestApp, token: &str) -> (u16, Option<Value>) {
    let response = app
        .client
        .get(app.url("/order/basket"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        (!text.is_empty()).then(|| serde_json::from_str(&text).unwrap()),
    )
}

pub async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let response = app
        .client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The basket JSON with ids and dates (also inside query strings) replaced, for snapshots.
pub fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = match key.as_str() {
                        "id" => Value::String("[id]".into()),
                        _ => redacted(value),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        Value::String(text) => Value::String(redact_base(&redact_dates(text))),
        other => other.clone(),
    }
}

/// Replaces `http://127.0.0.1:<port>` by `[base]`.
fn redact_base(text: &str) -> String {
    match text.strip_prefix("http://127.0.0.1:") {
        Some(rest) => format!(
            "[base]{}",
            rest.trim_start_matches(|c: char| c.is_ascii_digit())
        ),
        None => text.to_owned(),
    }
}

/// Replaces `2018-04-03T14:20:00.383Z` shapes by `[date]`.
fn redact_dates(text: &str) -> String {
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    let chars: Vec<char> = text.chars().collect();
    let fits = |at: usize| {
        shape.chars().enumerate().all(|(n, s)| {
            chars.get(at + n).is_some_and(|c| {
                if s == 'd' {
                    c.is_ascii_digit()
                } else {
                    *c == s
                }
            })
        })
    };
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if fits(i) {
            out.push_str("[date]");
            i += shape.len();
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// (datasetLabel, objectsCount, filesCount, filesSize, number of items) of each dataset selection.
pub fn shape(basket: &Value) -> Vec<(String, i64, i64, i64, usize)> {
    basket["content"]["datasetSelections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["datasetLabel"].as_str().unwrap().to_owned(),
                d["objectsCount"].as_i64().unwrap(),
                d["filesCount"].as_i64().unwrap(),
                d["filesSize"].as_i64().unwrap(),
                d["itemsSelections"].as_array().unwrap().len(),
            )
        })
        .collect()
}
