//! Links a browser can follow without a bearer header: `GET /user/orders/{id}/publicLinks` gives the
//! order's token, and the zip and metalink accept it (docs/decisions.md "Web application").

use regards_order::auth::Role;
use serde_json::Value;

use super::{get, processed_order};
use crate::orders::app_with_orders_catalog;

#[tokio::test]
async fn the_public_links_open_the_zip_and_the_metalink_of_their_order_only() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let path = format!("/user/orders/{order}/publicLinks");
    let other = app.token("other@example.org", Role::RegisteredUser);
    assert_eq!(get(&app, &path, Some(&other), &[]).await.status(), 403);
    assert_eq!(get(&app, &path, None, &[]).await.status(), 401);
    let links: Value = get(&app, &path, Some(&token), &[])
        .await
        .json()
        .await
        .unwrap();
    let order_token = links["orderToken"].as_str().unwrap();
    assert!(links["expirationDate"].as_str().unwrap().ends_with('Z'));

    let client = crate::helpers::http_client();
    let zip = client
        .get(links["zip"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let by_bearer = get(
        &app,
        &format!("/user/orders/{order}/download"),
        Some(&token),
        &[],
    )
    .await;
    let names = |bytes: &[u8]| -> Vec<String> {
        super::zip::entries(bytes)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    };
    assert_eq!(
        names(&zip.bytes().await.unwrap()),
        names(&by_bearer.bytes().await.unwrap())
    );
    let metalink = client
        .get(links["metalink"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(metalink.status(), 200);
    assert!(metalink.text().await.unwrap().contains("<metalink"));

    // Another order's token opens nothing here; a bad one is a 401 saying so.
    let theirs = processed_order(&app, &other, "dataset:alpha").await;
    let foreign = format!("/user/orders/{theirs}/download?orderToken={order_token}");
    assert_eq!(get(&app, &foreign, None, &[]).await.status(), 401);
    let bad = format!("/user/orders/{order}/metalink/download?orderToken=nope");
    assert_eq!(get(&app, &bad, None, &[]).await.status(), 401);
    assert_eq!(
        get(&app, &format!("/user/orders/{order}/download"), None, &[])
            .await
            .status(),
        401
    );
}
