//! The operators' CSV of orders: `POST /orders/csv` and the seed's `GET /orders` with `Accept: text/csv`,
//! and orders that never expire (an empty expiration date in the CSV, and nowhere else).

use std::time::Duration;

use serde_json::{Value, json};

use super::admin::{BOB, exploit, four_orders, search};
use super::{app_with_orders_catalog, app_with_orders_catalog_and, get_order, id_of, order_of};
use crate::helpers::TestApp;

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

/// `POST /orders/csv` as an operator, with a JSON body if any.
async fn post_csv(app: &TestApp, body: Option<Value>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/orders/csv"))
        .bearer_auth(exploit(app));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    request.send().await.unwrap()
}

/// The seed's `GET /orders{query}` as an operator, accepting `accept`.
async fn get_csv(app: &TestApp, query: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/orders{query}")))
        .bearer_auth(exploit(app))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

const HEADER: &str = "ORDER_ID;CREATION_DATE;EXPIRATION_DATE;OWNER;STATUS;STATUS_DATE;PERCENT_COMPLETE;\
                      FILES_IN_ERROR;FILES_SIZE;FILES_COUNT";

#[tokio::test]
async fn csv_lists_the_filtered_orders_by_id() {
    let (app, ids) = four_orders().await;
    let mut expected = vec![HEADER.to_owned()];
    for id in ids {
        expected.push(expected_line(&app, id).await);
    }
    // Spot checks of what the lines hold: carol's order is 100 % with one file in error.
    let carol_line = &expected[3];
    assert!(
        carol_line.contains(";carol@c.org;DONE_WITH_WARNING;"),
        "{carol_line}"
    );
    assert!(carol_line.ends_with(";100;1;600;3"), "{carol_line}");

    assert_eq!(csv_of(post_csv(&app, None).await).await, expected);
    let filter = json!({"owner": "b.org", "statuses": {"values": ["DELETED"], "mode": "EXCLUDE"}});
    assert_eq!(
        csv_of(post_csv(&app, Some(filter)).await).await,
        [HEADER.to_owned(), expected[2].clone()]
    );

    // The seed's GET with Accept: text/csv, and its typo test/csv; `user` filters.
    for accept in ["text/csv", "test/csv"] {
        assert_eq!(csv_of(get_csv(&app, "", accept).await).await, expected);
    }
    let seed = get_csv(&app, &format!("?user={BOB}"), "text/csv").await;
    assert_eq!(
        csv_of(seed).await,
        [HEADER.to_owned(), expected[2].clone(), expected[4].clone()]
    );

    let bad = app
        .client
        .post(app.url("/orders/csv"))
        .bearer_auth(exploit(&app))
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
    let response = post_csv(&app, None).await;
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
    the_csv_has_an_empty_expiration_next_to_a_dated_order(&app, id).await;
    a_month_later_the_order_and_its_public_links_still_work(&app, id).await;
}

/// An order that expires, written straight to the database: its id.
async fn insert_dated_order(app: &TestApp) -> i64 {
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
}

async fn the_csv_has_an_empty_expiration_next_to_a_dated_order(app: &TestApp, id: i64) {
    let dated = insert_dated_order(app).await;
    let lines = csv_of(post_csv(app, None).await).await;
    assert_eq!(lines.len(), 3);
    let fields: Vec<&str> = lines[1].split(';').collect();
    assert_eq!(fields[0], id.to_string());
    assert_eq!(fields[2], "", "{}", lines[1]);
    assert_eq!(lines[1], expected_line(app, id).await);
    assert_eq!(
        lines[2],
        format!(
            "{dated};2018-04-03T14:20:00.383Z;2018-04-06T14:20:00.383Z;dated@example.org;DONE;\
             2018-04-03T14:20:00.383Z;0;0;0;0"
        )
    );
    // Sorting on the expiration date keeps both.
    assert_eq!(
        search(app, "?sort=expirationDate,asc", json!({}))
            .await
            .len(),
        2
    );
}

/// The first public file link of a metalink, unescaped.
fn first_public_url(metalink: &str) -> String {
    let start = metalink.find("/orders/public/files/").unwrap();
    let start = metalink[..start].rfind('>').unwrap() + 1;
    let end = start + metalink[start..].find('<').unwrap();
    metalink[start..end].replace("&amp;", "&")
}

async fn a_month_later_the_order_and_its_public_links_still_work(app: &TestApp, id: i64) {
    app.state.clock.advance(Duration::from_secs(30 * 86_400));
    app.run_pending_jobs().await;
    let token = app.user_token();
    let (_, order) = get_order(app, &token, id).await;
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
    let url = first_public_url(&metalink);
    let file = app.client.get(&url).send().await.unwrap();
    assert_eq!(file.status(), 200, "{url}");
}
