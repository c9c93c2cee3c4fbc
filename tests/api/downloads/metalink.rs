//! Metalinks 3 and 4, private and public.

use serde_json::Value;

use super::{get, processed_order};
use crate::orders::{app_with_orders_catalog, files_in};

/// (name, url) of each file of a metalink, in order.
pub fn files_of(xml: &str) -> Vec<(String, String)> {
    xml.split("<file name=\"")
        .skip(1)
        .map(|part| {
            let name = part.split('"').next().unwrap().to_owned();
            let url = part
                .split("<url")
                .nth(1)
                .unwrap()
                .split('>')
                .nth(1)
                .unwrap()
                .split("</url")
                .next()
                .unwrap();
            (name, url.replace("&amp;", "&"))
        })
        .collect()
}

#[tokio::test]
async fn the_metalink_lists_every_file_not_in_error_with_a_public_url() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "").await;
    let response = get(
        &app,
        &format!("/user/orders/{id}/metalink/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/metalink+xml"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with(&format!("attachment;filename=order_{id}_"))
            && disposition.ends_with(".metalink")
    );
    let xml = response.text().await.unwrap();
    assert!(
        xml.contains("<metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\""),
        "{xml}"
    );
    let listed = files_of(&xml);
    let errors = files_in(&app, id, "ERROR").await.len();
    assert_eq!(
        listed.len(),
        10 - errors,
        "pending and available files, not those in error"
    );
    let mut names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), listed.len(), "unique names: {listed:?}");
    assert!(xml.contains("<hash type=\"md5\">"), "{xml}");
    assert!(xml.contains("<size>100</size>"), "{xml}");
    let (_, url) = &listed[0];
    let prefix = format!("{}/orders/public/files/", app.address);
    assert!(
        url.starts_with(&prefix) && url.contains("?orderToken="),
        "{url}"
    );
    let order_token = url.split("orderToken=").nth(1).unwrap();
    let grant = app
        .state
        .keys
        .verify_order(order_token, app.state.clock.now())
        .unwrap();
    assert_eq!(grant.order_id, id);

    // Metalink 4 by query or by Accept.
    for (path, accept) in [
        (
            format!("/user/orders/{id}/metalink/download?format=meta4"),
            "*/*",
        ),
        (
            format!("/user/orders/{id}/metalink/download"),
            "application/metalink4+xml",
        ),
    ] {
        let response = get(&app, &path, Some(&token), &[("accept", accept)]).await;
        assert_eq!(
            response.headers()["content-type"],
            "application/metalink4+xml"
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .ends_with(".meta4")
        );
        let xml = response.text().await.unwrap();
        assert!(
            xml.contains("<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\""),
            "{xml}"
        );
        assert_eq!(files_of(&xml).len(), listed.len());
    }

    // The public metalink opens with the token alone.
    let public = get(
        &app,
        &format!("/user/orders/metalink/download?orderToken={order_token}"),
        None,
        &[],
    )
    .await;
    assert_eq!(public.status(), 200);
    assert_eq!(files_of(&public.text().await.unwrap()).len(), listed.len());
}

#[tokio::test]
async fn bad_tokens_strangers_and_ended_orders_are_refused() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:gamma").await;
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    assert_eq!(
        get(
            &app,
            &format!("/user/orders/{id}/metalink/download"),
            Some(&other),
            &[]
        )
        .await
        .status(),
        403
    );
    for query in ["", "?orderToken=", "?orderToken=garbage"] {
        let response = get(
            &app,
            &format!("/user/orders/metalink/download{query}"),
            None,
            &[],
        )
        .await;
        assert_eq!(response.status(), 401, "{query}");
    }
    let expired = app.state.keys.order_token(
        "user@example.org",
        id,
        Some(regards_order::time::Timestamp(1000)),
    );
    let response = get(
        &app,
        &format!("/user/orders/metalink/download?orderToken={expired}"),
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 401);
    // A token claiming another owner for this order opens nothing.
    let forged = app.state.keys.order_token(
        "other@example.org",
        id,
        Some(
            app.state
                .clock
                .now()
                .plus(std::time::Duration::from_secs(60)),
        ),
    );
    assert_eq!(
        get(
            &app,
            &format!("/user/orders/metalink/download?orderToken={forged}"),
            None,
            &[]
        )
        .await
        .status(),
        401
    );
    // An access token is not an order token.
    let response = get(
        &app,
        &format!("/user/orders/metalink/download?orderToken={token}"),
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 401);

    // A FAILED order has no metalink.
    let failed = crate::orders::id_of(&crate::orders::order_of(&app, &token, "dataset:beta").await);
    sqlx::query("UPDATE orders SET status = 'FAILED' WHERE id = $1")
        .bind(failed)
        .execute(app.state.store.pool())
        .await
        .unwrap();
    let response = get(
        &app,
        &format!("/user/orders/{failed}/metalink/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["messages"][0],
        format!("Order {failed} is FAILED: it has no files to download")
    );
    sqlx::query("UPDATE orders SET status = 'DELETED' WHERE id = $1")
        .bind(failed)
        .execute(app.state.store.pool())
        .await
        .unwrap();
    let response = get(
        &app,
        &format!("/user/orders/{failed}/metalink/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(response.status(), 404);

    // Nor has an order not yet expanded (REGARDS' PENDING).
    let pending =
        crate::orders::id_of(&crate::orders::order_of(&app, &token, "dataset:alpha").await);
    let response = get(
        &app,
        &format!("/user/orders/{pending}/metalink/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["messages"][0],
        format!("Order {pending} is still being prepared: its files are not listed yet")
    );

    // Nor an EXPIRED one, even with a token that is still valid.
    let live = app.state.keys.order_token(
        "user@example.org",
        id,
        Some(
            app.state
                .clock
                .now()
                .plus(std::time::Duration::from_secs(30 * 86_400)),
        ),
    );
    app.state
        .clock
        .advance(std::time::Duration::from_secs(3 * 86_400 + 1));
    app.run_pending_jobs().await;
    let response = get(
        &app,
        &format!("/user/orders/metalink/download?orderToken={live}"),
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["messages"][0], format!("Order {id} has expired"));
}
