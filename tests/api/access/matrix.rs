//! Users {no group, A, B, A+B, admin} × datasets {open, A FULL, A RESTRICTED + B FULL, no rights} ×
//! every path that lists, counts, selects, orders or serves data.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{USERS, User, app_with_rights, file_names_of, get_json, objects_of, zip_of};
use crate::downloads::get;
use crate::downloads::metalink::files_of;
use crate::helpers::TestApp;

#[tokio::test]
async fn each_user_sees_orders_and_downloads_exactly_what_their_groups_allow() {
    let app = app_with_rights().await;
    for user in USERS {
        let token = user.token(&app);
        catalog_datasets(&app, &token, &user).await;
        search_pages(&app, &token, &user).await;
        summary(&app, &token, &user).await;
        invisible_datasets_are_empty_not_forbidden(&app, &token, &user).await;
        let order = basket_and_order(&app, &token, &user).await;
        if let Some(order) = order {
            downloads(&app, &token, &user, order).await;
        }
    }
}

fn labels(datasets: &BTreeSet<&str>) -> BTreeSet<String> {
    datasets.iter().map(|d| format!("Dataset {d}")).collect()
}

async fn catalog_datasets(app: &TestApp, token: &str, user: &User) {
    let (status, page) = get_json(app, token, "/catalog/datasets", &[("size", "1")]).await;
    assert_eq!(status, 200, "{user:?}");
    let visible = user.visible();
    assert_eq!(page["metadata"]["totalElements"], visible.len(), "{user:?}");
    let (_, page) = get_json(app, token, "/catalog/datasets", &[("size", "100")]).await;
    let seen: BTreeSet<String> = page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["content"]["label"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, labels(&visible), "{user:?}");
}

/// Every page of size 2: the total, the page count and the objects are exactly the visible ones.
async fn search_pages(app: &TestApp, token: &str, user: &User) {
    let expected = objects_of(&user.visible());
    let mut seen = BTreeSet::new();
    let mut page_number = 0;
    loop {
        let number = page_number.to_string();
        let query = [("q", ""), ("size", "2"), ("page", number.as_str())];
        let (status, page) = get_json(app, token, "/catalog/search", &query).await;
        assert_eq!(status, 200, "{user:?}");
        assert_eq!(
            page["metadata"]["totalElements"],
            expected.len(),
            "{user:?}"
        );
        assert_eq!(page["metadata"]["totalPages"], expected.len().div_ceil(2));
        let content = page["content"].as_array().unwrap();
        if content.is_empty() {
            break;
        }
        for object in content {
            let provider = object["content"]["providerId"].as_str().unwrap();
            assert!(seen.insert(provider.to_owned()), "{provider} twice");
        }
        page_number += 1;
    }
    assert_eq!(seen, expected, "{user:?}");
}

async fn summary(app: &TestApp, token: &str, user: &User) {
    let (status, body) = get_json(app, token, "/catalog/summary", &[("q", "")]).await;
    assert_eq!(status, 200, "{user:?}");
    let visible = user.visible();
    let datasets: BTreeSet<String> = body["content"]["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["datasetLabel"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(datasets, labels(&visible), "{user:?}");
    assert_eq!(
        body["content"]["objectsCount"],
        objects_of(&visible).len(),
        "{user:?}"
    );
}

/// A query naming a dataset the user may not see finds nothing (no 403, no existence leak).
async fn invisible_datasets_are_empty_not_forbidden(app: &TestApp, token: &str, user: &User) {
    for (dataset, _, count) in super::DATASETS {
        let q = format!("dataset:{dataset}");
        let (status, page) = get_json(app, token, "/catalog/search", &[("q", &q)]).await;
        assert_eq!(status, 200, "{user:?} {q}");
        let expected = if user.visible().contains(dataset) {
            count
        } else {
            0
        };
        assert_eq!(page["metadata"]["totalElements"], expected, "{user:?} {q}");
    }
}

/// Adds everything to the basket and orders it: the basket and the order hold the orderable datasets
/// only. Returns the order's id. A selection of visible but restricted data alone is a 204.
async fn basket_and_order(app: &TestApp, token: &str, user: &User) -> Option<i64> {
    for dataset in user.visible().difference(&user.orderable()) {
        let body = format!(r#"{{"selectAllOpenSearchRequest": "dataset:{dataset}"}}"#);
        let response = crate::basket::add(app, token, &body).await;
        assert_eq!(response.status(), 204, "{user:?} {dataset}");
    }
    let basket = crate::basket::add_ok(
        app,
        token,
        serde_json::json!({"selectAllOpenSearchRequest": ""}),
    )
    .await;
    let in_basket: BTreeSet<String> = basket["content"]["datasetSelections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["datasetLabel"].as_str().unwrap().to_owned())
        .collect();
    let orderable = user.orderable();
    assert_eq!(in_basket, labels(&orderable), "{user:?}");
    let order: Value = crate::orders::create(app, token, None)
        .await
        .json()
        .await
        .unwrap();
    let id = crate::orders::id_of(&order);
    app.run_pending_jobs().await;
    let (_, order) = crate::orders::get_order(app, token, id).await;
    assert_eq!(
        order["content"]["availableFilesCount"]
            .as_u64()
            .map(|n| n as usize),
        Some(objects_of(&orderable).len()),
        "{user:?}: {order}"
    );
    Some(id)
}

/// The zip, the metalink and each single file hold the orderable datasets' files only.
async fn downloads(app: &TestApp, token: &str, user: &User, order: i64) {
    let expected = file_names_of(&user.orderable());
    let (names, notice) = zip_of(app, token, order).await;
    assert_eq!(names, expected, "{user:?}");
    assert_eq!(notice, "", "{user:?}");
    let path = format!("/user/orders/{order}/metalink/download");
    let metalink = get(app, &path, Some(token), &[])
        .await
        .text()
        .await
        .unwrap();
    let listed: BTreeSet<String> = files_of(&metalink).into_iter().map(|(n, _)| n).collect();
    assert_eq!(listed, expected, "{user:?}");
    for (_, url) in files_of(&metalink) {
        let file = app.client.get(&url).send().await.unwrap();
        assert_eq!(file.status(), 200, "{user:?} {url}");
    }
}
