//! Orders of every user, for operators: the seed's `GET /orders?user=` and the roles; four orders to
//! look at and the search requests, for `admin_search` (filters, sort and paging) and `admin_csv`.

use std::time::Duration;

use serde_json::{Value, json};

use super::{app_with_orders_catalog, download_available, get_order, id_of, order_of};
use crate::helpers::TestApp;
use regards_order::auth::Role;

pub(super) const ALICE: &str = "alice@a.org";
pub(super) const BOB: &str = "bob@b.org";
const CAROL: &str = "carol@c.org";

/// Four orders 20 minutes apart: alice's DONE with files waiting for her, bob's PAUSED, carol's
/// DONE_WITH_WARNING (a corrupt file), bob's second one DELETED. Returns the app and the ids in that order.
pub(super) async fn four_orders() -> (TestApp, [i64; 4]) {
    let app = app_with_orders_catalog().await;
    let step = Duration::from_secs(20 * 60);
    let alice = id_of(
        &order_of(
            &app,
            &app.token(ALICE, Role::RegisteredUser),
            "dataset:alpha",
        )
        .await,
    );
    app.run_pending_jobs().await;
    app.state.clock.advance(step);
    let bob_token = app.token(BOB, Role::RegisteredUser);
    let bob = id_of(&order_of(&app, &bob_token, "dataset:gamma").await);
    put(&app, &bob_token, &format!("/user/orders/pause/{bob}")).await;
    app.state.clock.advance(step);
    let carol = id_of(
        &order_of(
            &app,
            &app.token(CAROL, Role::RegisteredUser),
            "dataset:beta",
        )
        .await,
    );
    for _ in 0..4 {
        app.run_pending_jobs().await;
        download_available(&app, carol).await;
    }
    app.state.clock.advance(step);
    let deleted = id_of(&order_of(&app, &bob_token, "dataset:gamma").await);
    put(&app, &bob_token, &format!("/user/orders/pause/{deleted}")).await;
    let response = app
        .client
        .delete(app.url(&format!("/user/orders/{deleted}")))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.run_pending_jobs().await;
    let ids = [alice, bob, carol, deleted];
    let statuses: Vec<String> = {
        let mut found = Vec::new();
        for id in ids {
            let (_, order) = get_order(&app, &app.admin_token(), id).await;
            found.push(order["content"]["status"].as_str().unwrap().to_owned());
        }
        found
    };
    assert_eq!(statuses, ["DONE", "PAUSED", "DONE_WITH_WARNING", "DELETED"]);
    (app, ids)
}

async fn put(app: &TestApp, token: &str, path: &str) {
    let response = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "PUT {path}");
}

pub(super) fn exploit(app: &TestApp) -> String {
    app.token("ops@example.org", Role::Exploit)
}

pub(super) async fn search_raw(app: &TestApp, query: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/orders/search{query}")))
        .bearer_auth(exploit(app));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The ids a search finds, in its order.
pub(super) async fn search(app: &TestApp, query: &str, body: Value) -> Vec<i64> {
    let (status, page) = search_raw(app, query, Some(body.clone())).await;
    assert_eq!(status, 200, "{body} → {page}");
    ids_of(&page)
}

pub(super) fn ids_of(page: &Value) -> Vec<i64> {
    page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

#[tokio::test]
async fn the_seed_admin_list_pages_every_order_or_one_users() {
    let (app, [alice, bob, carol, deleted]) = four_orders().await;
    let token = exploit(&app);
    let response = app.get_as(&token, "/orders", &[]).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(ids_of(&page), [deleted, carol, bob, alice]);
    assert_eq!(page["metadata"]["totalElements"], 4);

    let response = app
        .get_as(
            &token,
            "/orders",
            &[("user", BOB), ("page", "0"), ("size", "1")],
        )
        .await;
    let page: Value = response.json().await.unwrap();
    assert_eq!(ids_of(&page), [deleted]);
    assert_eq!(
        page["metadata"],
        json!({"size": 1, "totalElements": 2, "totalPages": 2, "number": 0})
    );
    let next = page["links"][1]["href"].as_str().unwrap();
    assert!(
        next.ends_with("/orders?user=bob%40b.org&page=1&size=1"),
        "{next}"
    );
    let page: Value = app
        .client
        .get(next)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids_of(&page), [bob]);
    // `user` is the exact owner, not a part of it.
    let page: Value = app
        .get_as(&token, "/orders", &[("user", "b.org")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["metadata"]["totalElements"], 0);
}

#[tokio::test]
async fn only_exploit_and_above_see_every_order() {
    let (app, _) = four_orders().await;
    let user = app.token(ALICE, Role::RegisteredUser);
    for (method, path) in [
        ("GET", "/orders"),
        ("POST", "/orders/search"),
        ("POST", "/orders/csv"),
    ] {
        let request = |token: Option<&str>| {
            let mut request = if method == "GET" {
                app.client.get(app.url(path))
            } else {
                app.client.post(app.url(path))
            };
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        assert_eq!(
            request(None).await.unwrap().status(),
            401,
            "{method} {path}"
        );
        let forbidden = request(Some(&user)).await.unwrap();
        assert_eq!(forbidden.status(), 403, "{method} {path}");
        let body: Value = forbidden.json().await.unwrap();
        assert!(!body["messages"][0].as_str().unwrap().is_empty());
        for role in [Role::Exploit, Role::Admin, Role::ProjectAdmin] {
            let token = app.token("ops@example.org", role);
            assert_eq!(
                request(Some(&token)).await.unwrap().status(),
                200,
                "{method} {path} {role:?}"
            );
        }
    }
}
