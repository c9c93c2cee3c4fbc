//! Orders of every user, for operators: `POST /orders/search` filters, sort and paging, the seed's
//! `GET /orders?user=` (JSON and CSV), `POST /orders/csv`, and the roles.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    app_with_orders_catalog, app_with_orders_catalog_and, download_available, get_order, id_of,
    order_of,
};
use crate::helpers::TestApp;
use regards_order::auth::Role;

const ALICE: &str = "alice@a.org";
const BOB: &str = "bob@b.org";
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

fn exploit(app: &TestApp) -> String {
    app.token("ops@example.org", Role::Exploit)
}

async fn search_raw(app: &TestApp, query: &str, body: Option<Value>) -> (u16, Value) {
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
async fn search(app: &TestApp, query: &str, body: Value) -> Vec<i64> {
    let (status, page) = search_raw(app, query, Some(body.clone())).await;
    assert_eq!(status, 200, "{body} → {page}");
    ids_of(&page)
}

fn ids_of(page: &Value) -> Vec<i64> {
    page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

#[tokio::test]
async fn search_filters_on_owner_statuses_dates_and_waiting() {
    let (app, [alice, bob, carol, deleted]) = four_orders().await;

    // No filter: every order, deleted ones too, newest first.
    let (status, page) = search_raw(&app, "", None).await;
    assert_eq!(status, 200);
    assert_eq!(ids_of(&page), [deleted, carol, bob, alice]);
    assert_eq!(
        search(&app, "", json!({})).await,
        [deleted, carol, bob, alice]
    );

    // Owner: a case-sensitive substring, without wildcards.
    assert_eq!(
        search(&app, "", json!({"owner": "b.org"})).await,
        [deleted, bob]
    );
    assert_eq!(search(&app, "", json!({"owner": "B.ORG"})).await, [0i64; 0]);
    assert_eq!(search(&app, "", json!({"owner": "%"})).await, [0i64; 0]);
    assert_eq!(search(&app, "", json!({"owner": "_"})).await, [0i64; 0]);

    // Statuses: include, exclude, match modes, case.
    let statuses = |values: Value, mode: &str, match_mode: &str, ignore_case: bool| json!({"statuses": {"values": values, "mode": mode, "matchMode": match_mode, "ignoreCase": ignore_case}});
    assert_eq!(
        search(
            &app,
            "",
            statuses(json!(["PAUSED", "DELETED"]), "INCLUDE", "STRICT", false)
        )
        .await,
        [deleted, bob]
    );
    assert_eq!(
        search(
            &app,
            "",
            statuses(json!(["DELETED"]), "EXCLUDE", "STRICT", false)
        )
        .await,
        [carol, bob, alice]
    );
    assert_eq!(
        search(
            &app,
            "",
            statuses(json!(["DONE"]), "INCLUDE", "STARTS_WITH", false)
        )
        .await,
        [carol, alice]
    );
    assert_eq!(
        search(
            &app,
            "",
            statuses(json!(["warn"]), "INCLUDE", "CONTAINS", true)
        )
        .await,
        [carol]
    );
    assert_eq!(
        search(
            &app,
            "",
            statuses(json!(["ING"]), "EXCLUDE", "ENDS_WITH", false)
        )
        .await,
        [deleted, bob, alice]
    );
    assert_eq!(
        search(&app, "", json!({"statuses": {"values": ["DONE"]}})).await,
        [alice]
    );

    // Creation date: inclusive bounds.
    let created = |id: i64| {
        let app = &app;
        async move {
            let (_, order) = get_order(app, &app.admin_token(), id).await;
            order["content"]["creationDate"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (bob_created, carol_created) = (created(bob).await, created(carol).await);
    assert_eq!(
        search(
            &app,
            "",
            json!({"creationDate": {"after": bob_created, "before": carol_created}})
        )
        .await,
        [carol, bob]
    );
    assert_eq!(
        search(&app, "", json!({"creationDate": {"after": carol_created}})).await,
        [deleted, carol]
    );
    assert_eq!(
        search(&app, "", json!({"creationDate": {"before": bob_created}})).await,
        [bob, alice]
    );

    // Waiting for the user: files available for download.
    assert_eq!(
        search(&app, "", json!({"waitingForUser": true})).await,
        [alice]
    );
    assert_eq!(
        search(&app, "", json!({"waitingForUser": false})).await,
        [deleted, carol, bob]
    );

    // Everything ANDed.
    let all = json!({"owner": "b.org", "statuses": {"values": ["DELETED"], "mode": "EXCLUDE"},
                     "creationDate": {"after": bob_created}, "waitingForUser": false});
    assert_eq!(search(&app, "", all).await, [bob]);

    // The resources are the orders as their owners see them.
    let (_, page) = search_raw(&app, "", Some(json!({"owner": "alice"}))).await;
    let (_, own) = get_order(&app, &app.token(ALICE, Role::RegisteredUser), alice).await;
    assert_eq!(page["content"][0]["content"], own["content"]);
}

#[tokio::test]
async fn search_sorts_pages_and_says_what_is_wrong() {
    let (app, [alice, bob, carol, deleted]) = four_orders().await;
    assert_eq!(
        search(&app, "?sort=id,asc", json!({})).await,
        [alice, bob, carol, deleted]
    );
    assert_eq!(
        search(&app, "?sort=owner,desc&sort=creationDate,asc", json!({})).await,
        [carol, bob, deleted, alice]
    );
    assert_eq!(
        search(&app, "?sort=status", json!({})).await,
        [deleted, alice, carol, bob]
    );

    let (status, page) = search_raw(&app, "?page=1&size=3&sort=id", Some(json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(ids_of(&page), [deleted]);
    assert_eq!(
        page["metadata"],
        json!({"size": 3, "totalElements": 4, "totalPages": 2, "number": 1})
    );
    let rels: Vec<&str> = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["self", "prev"]);
    assert!(
        page["links"][0]["href"]
            .as_str()
            .unwrap()
            .ends_with("/orders/search?page=1&size=3")
    );
    let (_, first) = search_raw(&app, "?size=3", Some(json!({"owner": "@"}))).await;
    assert_eq!(first["metadata"]["totalPages"], 2);
    assert_eq!(first["links"][1]["rel"], "next");

    let messages = |body: &Value| body["messages"].as_array().unwrap().clone();
    for (body, expected) in [
        (
            json!({"statuses": {"values": [], "mode": "INCLUDE"}}),
            "must not be empty",
        ),
        (json!({"statuses": {"values": ["FINISHED"]}}), "FINISHED"),
        (
            json!({"statuses": {"values": ["DONE"], "mode": "SOMETIMES"}}),
            "SOMETIMES",
        ),
        (json!({"user": "alice"}), "user"),
        (json!({"creationDate": {"after": "yesterday"}}), "yesterday"),
        (json!({"waitingForUser": "yes"}), "waitingForUser"),
    ] {
        let (status, error) = search_raw(&app, "", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            messages(&error)[0].as_str().unwrap().contains(expected),
            "{body} → {error}"
        );
    }
    let malformed = app
        .client
        .post(app.url("/orders/search"))
        .bearer_auth(exploit(&app))
        .header("content-type", "application/json")
        .body("{\"owner\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    for query in ["?sort=password", "?sort=id,up", "?size=0", "?page=-1"] {
        let (status, error) = search_raw(&app, query, Some(json!({}))).await;
        assert_eq!(status, 400, "{query} → {error}");
        assert!(!messages(&error).is_empty());
    }
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

/// The CSV line of an order, from what its JSON says.
async fn expected_line(app: &TestApp, id: i64) -> String {
    let (_, order) = get_order(app, &app.admin_token(), id).await;
    let o = &order["content"];
    let tasks = o["datasetTasks"].as_array().unwrap();
    let sum = |field: &str| {
        tasks
            .iter()
            .map(|t| t[field].as_i64().unwrap())
            .sum::<i64>()
    };
    format!(
        "{};{};{};{};{};{};{};{};{};{}",
        id,
        o["creationDate"].as_str().unwrap(),
        o.get("expirationDate")
            .map_or("", |date| date.as_str().unwrap()),
        o["owner"].as_str().unwrap(),
        o["status"].as_str().unwrap(),
        o["statusDate"].as_str().unwrap(),
        o["percentCompleted"],
        o["filesInErrorCount"],
        sum("filesSize"),
        sum("filesCount"),
    )
}

async fn csv_of(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/csv;charset=UTF-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment;filename=orders.csv"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n'));
    text.lines().map(str::to_owned).collect()
}

const HEADER: &str = "ORDER_ID;CREATION_DATE;EXPIRATION_DATE;OWNER;STATUS;STATUS_DATE;PERCENT_COMPLETE;\
                      FILES_IN_ERROR;FILES_SIZE;FILES_COUNT";

#[tokio::test]
async fn csv_lists_the_filtered_orders_by_id() {
    let (app, [alice, bob, carol, deleted]) = four_orders().await;
    let token = exploit(&app);
    let mut expected = vec![HEADER.to_owned()];
    for id in [alice, bob, carol, deleted] {
        expected.push(expected_line(&app, id).await);
    }
    // Spot checks of what the lines hold: carol's order is 100 % with one file in error.
    let carol_line = &expected[3];
    assert!(
        carol_line.contains(";carol@c.org;DONE_WITH_WARNING;"),
        "{carol_line}"
    );
    assert!(carol_line.ends_with(";100;1;600;3"), "{carol_line}");

    let all = app
        .client
        .post(app.url("/orders/csv"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv_of(all).await, expected);

    let filtered = app
        .client
        .post(app.url("/orders/csv"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(
            json!({"owner": "b.org", "statuses": {"values": ["DELETED"], "mode": "EXCLUDE"}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        csv_of(filtered).await,
        [HEADER.to_owned(), expected[2].clone()]
    );

    // The seed's GET with Accept: text/csv, and its typo test/csv; `user` filters.
    for accept in ["text/csv", "test/csv"] {
        let seed = app
            .client
            .get(app.url("/orders"))
            .bearer_auth(&token)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(csv_of(seed).await, expected);
    }
    let seed = app
        .client
        .get(app.url(&format!("/orders?user={BOB}")))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        csv_of(seed).await,
        [HEADER.to_owned(), expected[2].clone(), expected[4].clone()]
    );

    let bad = app
        .client
        .post(app.url("/orders/csv"))
        .bearer_auth(&token)
        .body(json!({"statuses": {"values": []}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn csv_reads_orders_in_batches() {
    // More orders than one batch (1000): every one listed once, by id.
    let app = app_with_orders_catalog().await;
    let store = app.state.store.clone();
    let mut tx = store.begin_write().await.unwrap();
    for n in 0..2500 {
        sqlx::query(
            "INSERT INTO orders (owner, label, creation_date, expiration_date, status, status_date)
             VALUES ($1, $2, $3, $4, 'DONE', $3)",
        )
        .bind(format!("user{}@example.org", n % 7))
        .bind(format!("order {n}"))
        .bind(1_700_000_000_000_i64 + n)
        .bind(1_700_300_000_000_i64 + n)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let response = app
        .client
        .post(app.url("/orders/csv"))
        .bearer_auth(exploit(&app))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed, not sized up front"
    );
    let lines = csv_of(response).await;
    assert_eq!(lines.len(), 2501);
    let ids: Vec<i64> = lines[1..]
        .iter()
        .map(|l| l.split(';').next().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        lines[1],
        "1;2023-11-14T22:13:20.000Z;2023-11-18T09:33:20.000Z;user0@example.org;DONE;2023-11-14T22:13:20.000Z;0;0;0;0"
    );
}

/// The value of a sample in the Prometheus text (`name{labels}` exactly as written), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

#[tokio::test]
async fn metrics_show_orders_sub_orders_cache_and_bytes_served() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let before = metrics(&app).await;
    assert_eq!(sample(&before, r#"orders{status="RUNNING"}"#), 0.0);
    assert_eq!(
        sample(&before, r#"cache_bytes_used{storage="nearline"}"#),
        0.0
    );
    assert!(
        sample(&before, r#"cache_bytes_capacity{storage="nearline"}"#) > 0.0,
        "{before}"
    );

    // beta: three nearline files of 200 bytes, one sub-order each (250 bytes at most), one slot per user.
    let id = id_of(&order_of(&app, &token, "dataset:beta").await);
    let queued = metrics(&app).await;
    assert_eq!(sample(&queued, r#"orders{status="RUNNING"}"#), 1.0);
    assert_eq!(
        sample(&queued, r#"jobs_queued{kind="expand_order"}"#),
        1.0,
        "{queued}"
    );
    app.run_pending_jobs().await;
    // Staged: the two sound files wait in the cache for their download, the corrupt one is in error.
    let staged = metrics(&app).await;
    assert_eq!(sample(&staged, r#"orders{status="RUNNING"}"#), 0.0);
    assert_eq!(
        sample(&staged, r#"orders{status="DONE_WITH_WARNING"}"#),
        1.0
    );
    assert_eq!(
        sample(&staged, r#"sub_orders{state="DONE"}"#),
        3.0,
        "{staged}"
    );
    assert_eq!(sample(&staged, r#"sub_orders{state="WAITING"}"#), 0.0);
    assert_eq!(sample(&staged, "sub_orders_in_progress"), 0.0);
    assert_eq!(
        sample(&staged, r#"cache_bytes_used{storage="nearline"}"#),
        400.0
    );
    assert_eq!(sample(&staged, r#"jobs_queued{kind="expand_order"}"#), 0.0);
    assert_eq!(sample(&staged, r#"jobs_queued{kind="expire_order"}"#), 1.0);

    let zip = app
        .client
        .get(app.url(&format!("/user/orders/{id}/download")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let served = metrics(&app).await;
    let sent = sample(&served, r#"download_bytes_total{kind="zip"}"#)
        - sample(&staged, r#"download_bytes_total{kind="zip"}"#);
    // Other tests of this process may download at the same time: at least this zip.
    assert!(sent >= zip.len() as f64, "{sent} < {}", zip.len());
}

#[tokio::test]
async fn orders_that_never_expire_have_no_expiration_date_anywhere() {
    let app = app_with_orders_catalog_and(|config| config.orders.expiration = None).await;
    let token = app.user_token();
    let order = order_of(&app, &token, "dataset:alpha").await;
    let id = id_of(&order);
    assert!(order["content"].get("expirationDate").is_none(), "{order}");
    app.run_pending_jobs().await;
    assert!(
        app.jobs()
            .await
            .iter()
            .all(|job| job.kind != "expire_order")
    );

    // The CSV has an empty field; an order that expires, next to it, has its date.
    let dated = {
        let mut tx = app.state.store.begin_write().await.unwrap();
        let dated: i64 = sqlx::query_scalar(
            "INSERT INTO orders (owner, label, creation_date, expiration_date, status, status_date)
             VALUES ('dated@example.org', 'dated', 1522765200383, 1523024400383, 'DONE', 1522765200383)
             RETURNING id",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        dated
    };
    let response = app
        .client
        .post(app.url("/orders/csv"))
        .bearer_auth(exploit(&app))
        .send()
        .await
        .unwrap();
    let lines = csv_of(response).await;
    assert_eq!(lines.len(), 3);
    let fields: Vec<&str> = lines[1].split(';').collect();
    assert_eq!(fields[0], id.to_string());
    assert_eq!(fields[2], "", "{}", lines[1]);
    assert_eq!(lines[1], expected_line(&app, id).await);
    assert_eq!(
        lines[2],
        format!(
            "{dated};2018-04-03T14:20:00.383Z;2018-04-06T14:20:00.383Z;dated@example.org;DONE;\
             2018-04-03T14:20:00.383Z;0;0;0;0"
        )
    );
    // Sorting on the expiration date keeps both.
    assert_eq!(
        search(&app, "?sort=expirationDate,asc", json!({}))
            .await
            .len(),
        2
    );

    // A month later the order is still there, and its metalink's public links still open its files.
    app.state.clock.advance(Duration::from_secs(30 * 86_400));
    app.run_pending_jobs().await;
    let token = app.user_token();
    let (_, order) = get_order(&app, &token, id).await;
    assert_eq!(order["content"]["status"], "DONE");
    let metalink = app
        .client
        .get(app.url(&format!("/user/orders/{id}/metalink/download")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = metalink.find("/orders/public/files/").unwrap();
    let start = metalink[..start].rfind('>').unwrap() + 1;
    let end = start + metalink[start..].find('<').unwrap();
    let url = metalink[start..end].replace("&amp;", "&");
    let file = app.client.get(&url).send().await.unwrap();
    assert_eq!(file.status(), 200, "{url}");
}
