//! `POST /orders/search`, for operators: filters on owner, statuses, dates and waiting, sort, paging,
//! and what is wrong in a search.

use serde_json::{Value, json};

use super::admin::{ALICE, exploit, four_orders, ids_of, search, search_raw};
use super::get_order;
use crate::helpers::TestApp;
use regards_order::auth::Role;

#[tokio::test]
async fn search_filters_on_owner_statuses_dates_and_waiting() {
    let (app, ids) = four_orders().await;
    no_filter_finds_every_order_newest_first(&app, ids).await;
    the_owner_is_a_case_sensitive_substring_without_wildcards(&app, ids).await;
    statuses_are_included_or_excluded_by_match_mode_and_case(&app, ids).await;
    creation_dates_are_inclusive_bounds(&app, ids).await;
    waiting_for_the_user_means_files_available_for_download(&app, ids).await;
    every_filter_is_anded(&app, ids).await;
    the_resources_are_the_orders_as_their_owners_see_them(&app, ids).await;
}

async fn no_filter_finds_every_order_newest_first(app: &TestApp, ids: [i64; 4]) {
    let [alice, bob, carol, deleted] = ids;
    // Deleted ones too.
    let (status, page) = search_raw(app, "", None).await;
    assert_eq!(status, 200);
    assert_eq!(ids_of(&page), [deleted, carol, bob, alice]);
    assert_eq!(
        search(app, "", json!({})).await,
        [deleted, carol, bob, alice]
    );
}

async fn the_owner_is_a_case_sensitive_substring_without_wildcards(app: &TestApp, ids: [i64; 4]) {
    let [_, bob, _, deleted] = ids;
    assert_eq!(
        search(app, "", json!({"owner": "b.org"})).await,
        [deleted, bob]
    );
    for owner in ["B.ORG", "%", "_"] {
        assert_eq!(
            search(app, "", json!({"owner": owner})).await,
            [0i64; 0],
            "{owner}"
        );
    }
}

async fn statuses_are_included_or_excluded_by_match_mode_and_case(app: &TestApp, ids: [i64; 4]) {
    let [alice, bob, carol, deleted] = ids;
    let cases: [(Value, &str, &str, bool, &[i64]); 5] = [
        (
            json!(["PAUSED", "DELETED"]),
            "INCLUDE",
            "STRICT",
            false,
            &[deleted, bob],
        ),
        (
            json!(["DELETED"]),
            "EXCLUDE",
            "STRICT",
            false,
            &[carol, bob, alice],
        ),
        (
            json!(["DONE"]),
            "INCLUDE",
            "STARTS_WITH",
            false,
            &[carol, alice],
        ),
        (json!(["warn"]), "INCLUDE", "CONTAINS", true, &[carol]),
        (
            json!(["ING"]),
            "EXCLUDE",
            "ENDS_WITH",
            false,
            &[deleted, bob, alice],
        ),
    ];
    for (values, mode, match_mode, ignore_case, expected) in cases {
        let body = json!({"statuses": {"values": values, "mode": mode, "matchMode": match_mode, "ignoreCase": ignore_case}});
        assert_eq!(search(app, "", body.clone()).await, expected, "{body}");
    }
    assert_eq!(
        search(app, "", json!({"statuses": {"values": ["DONE"]}})).await,
        [alice]
    );
}

/// The creation date of an order, as its JSON says.
async fn created(app: &TestApp, id: i64) -> String {
    let (_, order) = get_order(app, &app.admin_token(), id).await;
    order["content"]["creationDate"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn creation_dates_are_inclusive_bounds(app: &TestApp, ids: [i64; 4]) {
    let [alice, bob, carol, deleted] = ids;
    let (bob_created, carol_created) = (created(app, bob).await, created(app, carol).await);
    assert_eq!(
        search(
            app,
            "",
            json!({"creationDate": {"after": bob_created, "before": carol_created}})
        )
        .await,
        [carol, bob]
    );
    assert_eq!(
        search(app, "", json!({"creationDate": {"after": carol_created}})).await,
        [deleted, carol]
    );
    assert_eq!(
        search(app, "", json!({"creationDate": {"before": bob_created}})).await,
        [bob, alice]
    );
}

async fn waiting_for_the_user_means_files_available_for_download(app: &TestApp, ids: [i64; 4]) {
    let [alice, bob, carol, deleted] = ids;
    assert_eq!(
        search(app, "", json!({"waitingForUser": true})).await,
        [alice]
    );
    assert_eq!(
        search(app, "", json!({"waitingForUser": false})).await,
        [deleted, carol, bob]
    );
}

async fn every_filter_is_anded(app: &TestApp, ids: [i64; 4]) {
    let bob = ids[1];
    let all = json!({"owner": "b.org", "statuses": {"values": ["DELETED"], "mode": "EXCLUDE"},
                     "creationDate": {"after": created(app, bob).await}, "waitingForUser": false});
    assert_eq!(search(app, "", all).await, [bob]);
}

async fn the_resources_are_the_orders_as_their_owners_see_them(app: &TestApp, ids: [i64; 4]) {
    let (_, page) = search_raw(app, "", Some(json!({"owner": "alice"}))).await;
    let (_, own) = get_order(app, &app.token(ALICE, Role::RegisteredUser), ids[0]).await;
    assert_eq!(page["content"][0]["content"], own["content"]);
}

#[tokio::test]
async fn search_sorts_pages_and_says_what_is_wrong() {
    let (app, ids) = four_orders().await;
    search_sorts_on_the_fields_asked(&app, ids).await;
    search_pages_with_links_to_the_others(&app, ids).await;
    search_says_what_is_wrong_in_the_body(&app).await;
    search_refuses_malformed_json_and_bad_sorts_or_pages(&app).await;
}

async fn search_sorts_on_the_fields_asked(app: &TestApp, ids: [i64; 4]) {
    let [alice, bob, carol, deleted] = ids;
    assert_eq!(
        search(app, "?sort=id,asc", json!({})).await,
        [alice, bob, carol, deleted]
    );
    assert_eq!(
        search(app, "?sort=owner,desc&sort=creationDate,asc", json!({})).await,
        [carol, bob, deleted, alice]
    );
    assert_eq!(
        search(app, "?sort=status", json!({})).await,
        [deleted, alice, carol, bob]
    );
}

async fn search_pages_with_links_to_the_others(app: &TestApp, ids: [i64; 4]) {
    let deleted = ids[3];
    let (status, page) = search_raw(app, "?page=1&size=3&sort=id", Some(json!({}))).await;
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
    let (_, first) = search_raw(app, "?size=3", Some(json!({"owner": "@"}))).await;
    assert_eq!(first["metadata"]["totalPages"], 2);
    assert_eq!(first["links"][1]["rel"], "next");
}

fn messages(body: &Value) -> Vec<Value> {
    body["messages"].as_array().unwrap().clone()
}

async fn search_says_what_is_wrong_in_the_body(app: &TestApp) {
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
        let (status, error) = search_raw(app, "", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            messages(&error)[0].as_str().unwrap().contains(expected),
            "{body} → {error}"
        );
    }
}

async fn search_refuses_malformed_json_and_bad_sorts_or_pages(app: &TestApp) {
    let malformed = app
        .client
        .post(app.url("/orders/search"))
        .bearer_auth(exploit(app))
        .header("content-type", "application/json")
        .body("{\"owner\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    for query in ["?sort=password", "?sort=id,up", "?size=0", "?page=-1"] {
        let (status, error) = search_raw(app, query, Some(json!({}))).await;
        assert_eq!(status, 400, "{query} → {error}");
        assert!(!messages(&error).is_empty());
    }
}
