//! What one query may cost, and that whatever the basket accepts an order can expand (on SQLite too, whose
//! expression trees have a depth limit).

use serde_json::{Value, json};

use super::fixture::app_with_fixture;
use crate::basket::add;
use crate::helpers::TestApp;
use crate::orders::{id_of, progress};

/// `providerId:x0 OR … OR providerId:x<n-2> OR providerId:opt-1`: n terms, matching opt-1 only.
fn long_query(n: usize) -> String {
    let mut terms: Vec<String> = (0..n - 1).map(|i| format!("providerId:x{i}")).collect();
    terms.push("providerId:opt-1".into());
    terms.join(" OR ")
}

async fn search(app: &crate::helpers::TestApp, q: &str) -> (u16, Value) {
    let response = app
        .get_as(&app.user_token(), "/catalog/search", &[("q", q)])
        .await;
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_thousand_terms_are_searched_put_in_the_basket_and_ordered() {
    let app = app_with_fixture().await;
    let q = long_query(1000);
    let (status, found) = search(&app, &q).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["metadata"]["totalElements"], 1);

    let token = app.user_token();
    let body = json!({"selectAllOpenSearchRequest": q}).to_string();
    let response = add(&app, &token, &body).await;
    assert_eq!(response.status(), 200);
    let order = app
        .client
        .post(app.url("/user/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let id = id_of(&order);
    app.run_pending_jobs().await;
    let (status, percent, available, errors, _) = progress(&app, &token, id).await;
    assert_eq!((status.as_str(), percent, errors), ("DONE", 100, 0));
    assert_eq!(available, 2, "opt-1's data file and its overview");
}

#[tokio::test]
async fn over_the_budget_is_a_422_naming_it() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let wildcards = (0..101)
        .map(|i| format!("providerId:x{i}*y"))
        .collect::<Vec<_>>()
        .join(" OR ");
    for (q, budget) in [
        (long_query(1025), "more than 1024 terms in one query"),
        (wildcards, "more than 100 wildcard terms in one query"),
    ] {
        let (status, body) = search(&app, &q).await;
        assert_eq!(status, 422);
        let message = body["messages"][0].as_str().unwrap();
        assert!(
            message.contains(budget) && message.contains("budget"),
            "{message}"
        );
        let response = add(
            &app,
            &token,
            &json!({"selectAllOpenSearchRequest": q}).to_string(),
        )
        .await;
        assert_eq!(response.status(), 422);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["messages"][0].as_str().unwrap().contains(budget),
            "{body}"
        );
    }
}

/// Adds the results of `q` to the basket.
async fn select_all(app: &TestApp, token: &str, q: &str) -> reqwest::Response {
    add(
        app,
        token,
        &json!({"selectAllOpenSearchRequest": q}).to_string(),
    )
    .await
}

/// A 422 whose first message says `expected`.
async fn refused_saying(response: reqwest::Response, expected: &str) {
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["messages"][0].as_str().unwrap().contains(expected),
        "{body}"
    );
}

#[tokio::test]
async fn what_the_basket_accepts_expands_and_what_would_not_is_refused_at_once() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    // A query the search takes, as deep as parentheses may go: frozen and combined by the basket it
    // would be deeper than an order's expansion reads, so the basket refuses it.
    let deep = format!("{}providerId:opt-1{}", "(".repeat(63), ")".repeat(63));
    assert_eq!(search(&app, &deep).await.0, 200);
    let response = select_all(&app, &token, &deep).await;
    refused_saying(response, "parentheses nested deeper than 64").await;

    // Two selections of one dataset within the budget each, over it together: the second is refused.
    let half = |prefix: &str| {
        (0..600)
            .map(|i| format!("providerId:{prefix}{i}"))
            .chain(["providerId:opt-1".to_owned()])
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let first = select_all(&app, &token, &half("a")).await;
    assert_eq!(first.status(), 200);
    let second = select_all(&app, &token, &half("b")).await;
    refused_saying(second, "more than 1024 terms").await;

    // A query that does not parse alone is refused, even where wrapping it would make it parse.
    for body in [
        json!({"selectAllOpenSearchRequest": "a) OR (*"}),
        json!({"engineType": "legacy", "searchParameters": {"q": ["a) OR (*"]}}),
    ] {
        let response = add(&app, &token, &body.to_string()).await;
        assert_eq!(response.status(), 422, "{body}");
    }
}

/// An app whose users' catalog queries may run `timeout`, on a generated catalog of 3,000 objects.
async fn app_with_statement_timeout(timeout: std::time::Duration) -> crate::helpers::TestApp {
    use regards_order::catalog::generate::{GenerateOptions, generate};
    let app =
        crate::helpers::spawn_app_with(|config| config.database.statement_timeout = timeout).await;
    let options = GenerateOptions {
        out: app.data_dir().join("archive"),
        datasets: 1,
        objects: 3000,
        files_per_object: 1,
        file_size: 0,
        nearline_share: 0.0,
        seed: 3,
    };
    generate(&options, |_| {}).unwrap();
    super::fixture::import_folder(&app, &app.data_dir().join("archive/stac")).await;
    app
}

/// A hundred wildcard terms over every object's platform: within the budget, but slow.
fn slow_query() -> String {
    (0..100)
        .map(|i| format!("platform:*{i}*z*"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

#[tokio::test]
async fn a_query_past_the_statement_timeout_is_stopped_with_a_503() {
    let app = app_with_statement_timeout(std::time::Duration::from_millis(1)).await;
    for path in ["/catalog/search", "/catalog/summary"] {
        let response = app
            .get_as(&app.user_token(), path, &[("q", &slow_query())])
            .await;
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(response.headers()["retry-after"], "10");
        let body: Value = response.json().await.unwrap();
        let message = body["messages"][0].as_str().unwrap();
        assert!(
            message.contains("ran longer than 0.001s and was stopped"),
            "{message}"
        );
    }
    let response = add(
        &app,
        &app.user_token(),
        &json!({"selectAllOpenSearchRequest": slow_query()}).to_string(),
    )
    .await;
    assert_eq!(response.status(), 503);
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn slow_queries_at_once_never_take_the_connections_health_needs() {
    let app = app_with_statement_timeout(std::time::Duration::from_millis(500)).await;
    let token = app.user_token();
    let q = slow_query();
    let query = [("q", q.as_str())];
    let slow: Vec<_> = (0..8)
        .map(|_| app.get_as(&token, "/catalog/summary", &query))
        .collect();
    let health = async {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            let started = std::time::Instant::now();
            let status = app.get("/health").await.status();
            statuses.push((
                status.as_u16(),
                started.elapsed() < std::time::Duration::from_secs(1),
            ));
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        statuses
    };
    let (answers, statuses) = tokio::join!(futures::future::join_all(slow), health);
    assert!(statuses.iter().all(|s| *s == (200, true)), "{statuses:?}");
    for answer in answers {
        assert!(
            [200, 503].contains(&answer.status().as_u16()),
            "{}",
            answer.status()
        );
    }
}
