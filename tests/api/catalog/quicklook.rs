//! `GET /catalog/objects/{ipId}/quicklook`: the smallest quicklook kept online, with the caller's rights.

use super::fixture::{app_with_fixture, object_ip_id};
use crate::helpers::TestApp;

async fn quicklook(app: &TestApp, token: &str, ip_id: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/catalog/objects/{ip_id}/quicklook")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_smallest_quicklook_is_served_to_whoever_sees_the_object() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let opt1 = object_ip_id("optical", "opt-1");
    let served = quicklook(&app, &token, &opt1).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    // The overview (QUICKLOOK_HD, 20 bytes) before the thumbnail (10 bytes).
    assert_eq!(served.bytes().await.unwrap().as_ref(), &[b'x'; 20]);

    let none = quicklook(&app, &token, &object_ip_id("optical", "opt-2")).await;
    assert_eq!(none.status(), 404);
    let said: serde_json::Value = none.json().await.unwrap();
    assert!(
        said["messages"][0]
            .as_str()
            .unwrap()
            .ends_with("has no quicklook"),
        "{said}"
    );
    assert_eq!(
        quicklook(&app, &token, "URN:AIP:DATA:nope").await.status(),
        404
    );
    assert_eq!(
        app.client
            .get(app.url(&format!("/catalog/objects/{opt1}/quicklook")))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // A dataset closed to the user: its objects answer as unknown ones.
    let admin = app.admin_token();
    let closed = app
        .client
        .put(app.url("/access/datasets/optical"))
        .bearer_auth(&admin)
        .body(r#"{"rights": []}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200);
    assert_eq!(quicklook(&app, &token, &opt1).await.status(), 404);
    assert_eq!(quicklook(&app, &admin, &opt1).await.status(), 200);
}
