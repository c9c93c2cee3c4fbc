//! Adds racing for one user all land: one basket, distinct dates.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::{basket, delete, shape};
use crate::catalog::fixture::app_with_fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_adds_make_twenty_dated_selections() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let adds = (0..20).map(|_| {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/order/basket/selection"),
            token.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(json!({"selectAllOpenSearchRequest": "dataset:radar"}).to_string())
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    for status in futures::future::join_all(adds).await {
        assert_eq!(status.unwrap(), 200);
    }
    let (status, body) = basket(&app, &token).await;
    assert_eq!(status, 200);
    let body = body.unwrap();
    assert_eq!(shape(&body), [("Radar swath".to_owned(), 1, 1, 300, 20)]);
    let selection = &body["content"]["datasetSelections"][0];
    let dates: Vec<String> = selection["itemsSelections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["date"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        dates.iter().collect::<HashSet<_>>().len(),
        20,
        "distinct dates: {dates:?}"
    );

    let id = selection["id"].as_i64().unwrap();
    for (n, date) in dates.iter().enumerate() {
        let (status, text) =
            delete(&app, &token, &format!("/order/basket/dataset/{id}/{date}")).await;
        assert_eq!(status, 200, "{date}: {text}");
        let left: Value = serde_json::from_str(&text).unwrap();
        let items = left["content"]["datasetSelections"][0]["itemsSelections"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(items, 19 - n);
    }
}
