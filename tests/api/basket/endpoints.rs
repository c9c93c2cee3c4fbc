//! Every basket endpoint, status and message.

use serde_json::{Value, json};

use super::{add, add_ok, basket, delete, redacted, shape};
use crate::catalog::fixture::{app_with_fixture, dataset_ip_id, object_ip_id};
use crate::helpers::TestApp;

fn row(
    label: &str,
    objects: i64,
    files: i64,
    size: i64,
    items: usize,
) -> (String, i64, i64, i64, usize) {
    (label.to_owned(), objects, files, size, items)
}

#[tokio::test]
async fn adding_everything_makes_one_selection_per_dataset_with_orderable_files() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    assert_eq!(basket(&app, &token).await, (204, None), "no basket yet");
    let body = add_ok(&app, &token, json!({"selectAllOpenSearchRequest": ""})).await;
    assert_eq!(body["content"]["owner"], "user@example.org");
    assert_eq!(
        shape(&body),
        [
            row("Optical L1", 3, 4, 820, 1),
            row("Radar swath", 1, 1, 300, 1)
        ]
    );
    insta::assert_json_snapshot!("basket_after_select_all", redacted(&body));
    let (status, again) = basket(&app, &token).await;
    assert_eq!((status, again), (200, Some(body)));
}

#[tokio::test]
async fn the_seed_body_shapes_become_queries() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let (opt1, opt2, rad1) = (
        object_ip_id("optical", "opt-1"),
        object_ip_id("optical", "opt-2"),
        object_ip_id("radar", "rad-1"),
    );
    let body = add_ok(&app, &token, json!({"ipIds": [opt2, rad1]})).await;
    assert_eq!(
        shape(&body),
        [
            row("Optical L1", 1, 1, 200, 1),
            row("Radar swath", 1, 1, 300, 1)
        ]
    );
    let item = &body["content"]["datasetSelections"][0]["itemsSelections"][0];
    let date = item["date"].as_str().unwrap();
    assert_eq!(
        item["openSearchRequest"],
        format!("(ipId:\"{opt2}\" OR ipId:\"{rad1}\") AND creationDate:[* TO {date}]")
    );
    assert_eq!(item["selectionRequest"], json!({"ipIds": [opt2, rad1]}));

    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    let body = add_ok(
        &app,
        &other,
        json!({"selectAllOpenSearchRequest": "dataset:optical", "ipIds": [opt1]}),
    )
    .await;
    assert_eq!(shape(&body), [row("Optical L1", 2, 2, 700, 1)]);
    let request =
        body["content"]["datasetSelections"][0]["itemsSelections"][0]["openSearchRequest"]
            .as_str()
            .unwrap();
    assert!(
        request.starts_with(&format!(
            "((dataset:optical) AND NOT(ipId:\"{opt1}\")) AND creationDate:[* TO "
        )),
        "{request}"
    );
}

#[tokio::test]
async fn the_current_regards_body_is_accepted() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let body = json!({
        "engineType": "legacy",
        "datasetUrn": dataset_ip_id("optical"),
        "searchParameters": {"q": ["level:[1 TO 2]"]},
        "entityIdsToExclude": [object_ip_id("optical", "opt-2")],
    });
    let basket = add_ok(&app, &token, body).await;
    assert_eq!(shape(&basket), [row("Optical L1", 1, 2, 120, 1)]);
    let selection = &basket["content"]["datasetSelections"][0];
    assert_eq!(selection["fileTypesCount"]["QUICKLOOK_HD"], 1);
    assert_eq!(selection["fileTypesSizes"]["RAWDATA"], 100);
}

async fn error(app: &crate::helpers::TestApp, body: &str) -> (u16, Value) {
    let response = add(app, &app.user_token(), body).await;
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn bad_selections_are_refused_with_their_reason() {
    let app = app_with_fixture().await;
    let empty =
        json!({"messages": ["If opensearch request is null, at least on IP_ID must be provided"]});
    assert_eq!(error(&app, "{}").await, (417, empty.clone()));
    assert_eq!(error(&app, r#"{"ipIds": []}"#).await, (417, empty));
    let (status, body) = error(&app, "{\"ipIds\": [").await;
    assert_eq!(status, 400);
    assert!(
        body["messages"][0]
            .as_str()
            .unwrap()
            .starts_with("Malformed JSON body"),
        "{body}"
    );
    let (status, body) = error(&app, r#"{"selectAllOpenSearchRequest": 5}"#).await;
    assert_eq!(status, 422);
    assert!(
        body["messages"][0]
            .as_str()
            .unwrap()
            .contains("invalid type: integer `5`"),
        "{body}"
    );
    assert_eq!(
        error(&app, r#"{"engineType": ""}"#).await,
        (422, json!({"messages": ["Engine type may not be empty"]}))
    );
    assert_eq!(
        error(&app, r#"{"selectAllOpenSearchRequest": "nope:1"}"#).await,
        (
            422,
            json!({"messages": ["unknown field 'nope' at column 2"]})
        )
    );
    let (status, body) = error(&app, r#"{"selectAllOpenSearchRequest": "(level:1"}"#).await;
    assert_eq!(status, 422, "{body}");

    // Nothing orderable: 204, no body, and no basket made.
    let response = add(
        &app,
        &app.user_token(),
        r#"{"selectAllOpenSearchRequest": "providerId:rad-2"}"#,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(basket(&app, &app.user_token()).await, (204, None));
}

#[tokio::test]
async fn a_dated_selection_is_removed_by_its_date_encoded_or_not() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let body = two_selections_5_ms_apart(&app, &token).await;
    let selection = &body["content"]["datasetSelections"][0];
    let id = selection["id"].as_i64().unwrap();
    let date = |n: usize| {
        selection["itemsSelections"][n]["date"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (first, second) = (date(0), date(1));
    assert!(first < second, "items by date");
    insta::assert_json_snapshot!("basket_with_two_dated_selections", super::redacted(&body));

    the_first_item_goes_by_its_encoded_date(&app, &token, id, &first, &second).await;
    unknown_dates_and_selections_are_refused(&app, &token, id, &first, &second).await;

    // Its last item gone, the dataset selection goes.
    let (status, text) = delete(
        &app,
        &token,
        &format!("/order/basket/dataset/{id}/{second}"),
    )
    .await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["content"]["datasetSelections"], json!([]));
}

/// Two selections of the optical dataset, 5 ms apart: the basket.
async fn two_selections_5_ms_apart(app: &TestApp, token: &str) -> Value {
    add_ok(
        app,
        token,
        json!({"selectAllOpenSearchRequest": "dataset:optical AND level:1"}),
    )
    .await;
    app.state.clock.advance(std::time::Duration::from_millis(5));
    let body = add_ok(
        app,
        token,
        json!({"selectAllOpenSearchRequest": "dataset:optical AND level:2"}),
    )
    .await;
    assert_eq!(shape(&body), [row("Optical L1", 2, 3, 320, 2)]);
    body
}

async fn the_first_item_goes_by_its_encoded_date(
    app: &TestApp,
    token: &str,
    id: i64,
    first: &str,
    second: &str,
) {
    let encoded: String = url::form_urlencoded::byte_serialize(first.as_bytes()).collect();
    let (status, text) = delete(
        app,
        token,
        &format!("/order/basket//dataset/{id}/{encoded}"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        shape(&body),
        [row("Optical L1", 1, 1, 200, 1)],
        "recounted without the first"
    );
    assert_eq!(
        body["content"]["datasetSelections"][0]["openSearchRequest"],
        format!("(((dataset:optical AND level:2) AND creationDate:[* TO {second}]))")
    );
}

/// The first item is gone already; `yesterday` is no date; `id + 1000` is no selection.
async fn unknown_dates_and_selections_are_refused(
    app: &TestApp,
    token: &str,
    id: i64,
    first: &str,
    second: &str,
) {
    let (status, text) = delete(app, token, &format!("/order/basket/dataset/{id}/{first}")).await;
    assert_eq!(
        (status, text),
        (
            404,
            format!(
                "{{\"messages\":[\"Dataset selection {id} has no items selection dated {first}\"]}}"
            )
        )
    );
    let (status, text) = delete(app, token, &format!("/order/basket/dataset/{id}/yesterday")).await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = delete(
        app,
        token,
        &format!("/order/basket/dataset/{}/{second}", id + 1000),
    )
    .await;
    assert_eq!(
        (status, text),
        (
            404,
            format!(
                "{{\"messages\":[\"Dataset selection {} is not in your basket\"]}}",
                id + 1000
            )
        )
    );
}

#[tokio::test]
async fn a_dataset_selection_is_removed_whole() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let body = add_ok(&app, &token, json!({"selectAllOpenSearchRequest": ""})).await;
    let optical = body["content"]["datasetSelections"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, text) = delete(&app, &token, &format!("/order/basket//dataset/{optical}")).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(shape(&body), [row("Radar swath", 1, 1, 300, 1)]);
    let (status, _) = delete(&app, &token, &format!("/order/basket/dataset/{optical}")).await;
    assert_eq!(status, 404);
    let (status, text) = delete(&app, &token, "/order/basket/dataset/abc").await;
    assert_eq!(status, 400, "{text}");
}

#[tokio::test]
async fn a_basket_is_its_owners_only() {
    let app = app_with_fixture().await;
    let alice = app.token(
        "alice@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    let bob = app.token("bob@example.org", regards_order::auth::Role::RegisteredUser);
    let body = add_ok(&app, &alice, json!({"selectAllOpenSearchRequest": ""})).await;
    let selection = &body["content"]["datasetSelections"][0];
    let (id, date) = (
        selection["id"].as_i64().unwrap(),
        selection["itemsSelections"][0]["date"].as_str().unwrap(),
    );
    let alices = [
        format!("/order/basket/dataset/{id}/{date}"),
        format!("/order/basket/dataset/{id}"),
    ];

    // Bob has no basket: 204 for his deletes, whatever the id.
    for path in &alices {
        assert_eq!(delete(&app, &bob, path).await.0, 204, "{path}");
    }
    // With a basket of his own, alice's ids are not found in it.
    add_ok(
        &app,
        &bob,
        json!({"selectAllOpenSearchRequest": "dataset:radar"}),
    )
    .await;
    for path in &alices {
        assert_eq!(delete(&app, &bob, path).await.0, 404, "{path}");
    }
    assert_eq!(
        shape(&basket(&app, &alice).await.1.unwrap()).len(),
        2,
        "alice's basket untouched"
    );

    let public = app.token("anon@example.org", regards_order::auth::Role::Public);
    assert_eq!(basket(&app, &public).await.0, 403);
    let anonymous = app
        .client
        .get(app.url("/order/basket"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn emptying_the_basket_removes_it() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    add_ok(&app, &token, json!({"selectAllOpenSearchRequest": ""})).await;
    assert_eq!(
        delete(&app, &token, "/order/basket").await,
        (200, String::new())
    );
    assert_eq!(basket(&app, &token).await, (204, None));
    assert_eq!(
        delete(&app, &token, "/order/basket").await.0,
        200,
        "also without a basket"
    );
    let body = add_ok(
        &app,
        &token,
        json!({"ipIds": [object_ip_id("radar", "rad-1")]}),
    )
    .await;
    assert_eq!(
        shape(&body),
        [row("Radar swath", 1, 1, 300, 1)],
        "a new basket starts empty"
    );
}
