//! Pause, resume, delete, remove, restart, retry: codes, ownership, links, effects.

use serde_json::{Value, json};

use super::{
    app_with_orders_catalog, download_available, get_order, id_of, order_of, progress, rels,
    sub_orders,
};
use crate::helpers::TestApp;
use regards_order::auth::Role;

async fn act(app: &TestApp, token: &str, method: &str, path: &str) -> (u16, Value) {
    let url = app.url(path);
    let request = match method {
        "PUT" => app.client.put(url),
        "POST" => app.client.post(url),
        _ => app.client.delete(url),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(code: &str) -> Value {
    json!({"messages": [code]})
}

#[tokio::test]
async fn pause_and_resume_follow_the_seed_codes() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "").await);
    assert_eq!(
        act(&app, &token, "PUT", &format!("/user/orders/pause/{id}"))
            .await
            .0,
        200
    );
    let (_, order) = get_order(&app, &token, id).await;
    assert_eq!(order["content"]["status"], "PAUSED");
    assert_eq!(rels(&order), ["self", "list", "resume", "delete"]);
    assert_eq!(
        act(&app, &token, "PUT", &format!("/user/orders/pause/{id}")).await,
        (401, code("ORDER_MUST_BE_PENDING_OR_RUNNING"))
    );

    // Paused: the expansion runs, but no sub-order starts.
    app.run_pending_jobs().await;
    assert!(
        sub_orders(&app, id)
            .await
            .iter()
            .all(|s| s.1.is_none() || s.2 == "WAITING")
    );
    assert_eq!(
        act(&app, &token, "PUT", &format!("/user/orders/resume/{id}"))
            .await
            .0,
        200
    );
    assert_eq!(
        act(&app, &token, "PUT", &format!("/user/orders/resume/{id}")).await,
        (401, code("ONLY_PAUSED_ORDER_CAN_BE_RESUMED"))
    );
    app.run_pending_jobs().await;
    let (status, _, available, _, waiting) = progress(&app, &token, id).await;
    assert_eq!((status.as_str(), waiting), ("RUNNING", true));
    assert!(available > 0);
    let (_, order) = get_order(&app, &token, id).await;
    assert_eq!(rels(&order), ["self", "list", "pause", "download"]);
}

#[tokio::test]
async fn a_paused_order_stops_staging_at_the_next_batch_and_resumes_where_it_stopped() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:alpha").await);
    // Expansion and scheduling, without staging yet.
    let runner = regards_order::workers::Runner::new(app.state.clone(), "step".into());
    let never = tokio_util::sync::CancellationToken::new();
    assert!(runner.run_one(&never).await.unwrap(), "expansion");
    assert!(runner.run_one(&never).await.unwrap(), "creation mail");
    assert!(runner.run_one(&never).await.unwrap(), "scheduling");
    let started: Vec<_> = sub_orders(&app, id)
        .await
        .into_iter()
        .filter(|s| s.2 == "RUNNING")
        .collect();
    assert_eq!(started.len(), 2);
    act(&app, &token, "PUT", &format!("/user/orders/pause/{id}")).await;
    app.run_pending_jobs().await;
    let subs = sub_orders(&app, id).await;
    assert!(
        subs.iter()
            .filter(|s| s.1.is_some())
            .all(|s| s.2 == "WAITING" && s.4 > 0),
        "{subs:?}"
    );
    act(&app, &token, "PUT", &format!("/user/orders/resume/{id}")).await;
    app.run_pending_jobs().await;
    let (status, percent, ..) = progress(&app, &token, id).await;
    assert_eq!((status.as_str(), percent), ("DONE", 100));
}

#[tokio::test]
async fn delete_remove_and_their_rules() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let admin = app.admin_token();
    let id = id_of(&order_of(&app, &token, "").await);
    app.run_pending_jobs().await;
    assert_eq!(
        act(&app, &token, "DELETE", &format!("/user/orders/{id}")).await,
        (401, code("ORDER_MUST_BE_PAUSED_BEFORE_BEING_DELETED"))
    );
    assert_eq!(
        act(&app, &admin, "DELETE", &format!("/user/orders/remove/{id}")).await,
        (401, code("ORDER_MUST_NOT_BE_RUNNING"))
    );
    act(&app, &token, "PUT", &format!("/user/orders/pause/{id}")).await;
    assert_eq!(
        act(&app, &token, "DELETE", &format!("/user/orders/{id}"))
            .await
            .0,
        200
    );
    let (_, order) = get_order(&app, &token, id).await;
    assert_eq!(order["content"]["status"], "DELETED");
    assert_eq!(order["content"]["waitingForUser"], false);
    assert_eq!(
        rels(&order),
        ["self", "list"],
        "the owner can do nothing more"
    );
    let (_, seen_by_admin) = get_order(&app, &admin, id).await;
    assert_eq!(rels(&seen_by_admin), ["self", "list", "remove"]);

    // Its slots are free: the user's next order runs at once; its files go.
    let next = id_of(&order_of(&app, &token, "dataset:gamma").await);
    app.run_pending_jobs().await;
    assert_eq!(progress(&app, &token, next).await.0, "DONE_WITH_WARNING");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_files WHERE order_id = $1")
        .bind(id)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0, "purged");

    assert_eq!(
        act(&app, &token, "DELETE", &format!("/user/orders/remove/{id}")).await,
        (401, code("USER_NOT_ALLOWED_TO_MANAGE_ORDER"))
    );
    assert_eq!(
        act(&app, &admin, "DELETE", &format!("/user/orders/remove/{id}"))
            .await
            .0,
        200
    );
    let message =
        format!("Entity fr.cnes.regards.modules.order.domain.Order with id : {id} doesn't exist");
    assert_eq!(
        get_order(&app, &token, id).await,
        (404, json!({"messages": [message]}))
    );
}

#[tokio::test]
async fn another_user_can_neither_read_nor_act_but_an_admin_can() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:gamma").await);
    let other = app.token("other@example.org", Role::RegisteredUser);
    let (status, body) = get_order(&app, &other, id).await;
    assert_eq!(status, 403, "{body}");
    for (method, path) in [
        ("PUT", format!("/user/orders/pause/{id}")),
        ("PUT", format!("/user/orders/resume/{id}")),
        ("DELETE", format!("/user/orders/{id}")),
        ("POST", format!("/user/orders/{id}/restart")),
        ("PUT", format!("/user/orders/{id}/retry")),
    ] {
        assert_eq!(
            act(&app, &other, method, &path).await,
            (401, code("USER_NOT_ALLOWED_TO_MANAGE_ORDER")),
            "{path}"
        );
    }
    let exploit = app.token("ops@example.org", Role::Exploit);
    assert_eq!(
        get_order(&app, &exploit, id).await.0,
        403,
        "EXPLOIT is not an admin"
    );
    let admin = app.admin_token();
    assert_eq!(get_order(&app, &admin, id).await.0, 200);
    assert_eq!(
        act(&app, &admin, "PUT", &format!("/user/orders/pause/{id}"))
            .await
            .0,
        200
    );

    let unknown =
        "Entity fr.cnes.regards.modules.order.domain.Order with id : 999999 doesn't exist";
    assert_eq!(
        get_order(&app, &token, 999_999).await,
        (404, json!({"messages": [unknown]}))
    );
    assert_eq!(
        act(&app, &token, "PUT", "/user/orders/pause/999999").await,
        (404, json!({"messages": [unknown]}))
    );
    assert_eq!(
        act(&app, &token, "PUT", "/user/orders/pause/abc").await.0,
        400
    );
}

/// Runs an order of gamma to its end (DONE_WITH_WARNING: gamma-2's file is missing), its file downloaded.
async fn ended_order(app: &TestApp, token: &str) -> i64 {
    let id = id_of(&order_of(app, token, "dataset:gamma").await);
    app.run_pending_jobs().await;
    assert_eq!(progress(app, token, id).await.0, "DONE_WITH_WARNING");
    download_available(app, id).await;
    app.run_pending_jobs().await;
    id
}

#[tokio::test]
async fn retry_puts_the_files_in_error_back_to_work() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = ended_order(&app, &token).await;
    let (_, order) = get_order(&app, &token, id).await;
    assert_eq!(
        rels(&order),
        ["self", "list", "delete", "restart", "retry"],
        "nothing left to download"
    );

    // The missing file is back: the retry finds it.
    crate::catalog::fixture::archive_file(&app, "online", "gamma/2.dat", &[2; 150]);
    assert_eq!(
        act(&app, &token, "PUT", &format!("/user/orders/{id}/retry"))
            .await
            .0,
        200
    );
    let (status, percent, _, errors, _) = progress(&app, &token, id).await;
    assert_eq!((status.as_str(), errors), ("RUNNING", 0));
    assert_eq!(percent, 50);
    download_available(&app, id).await;
    app.run_pending_jobs().await;
    let (status, percent, available, errors, _) = progress(&app, &token, id).await;
    assert_eq!(
        (status.as_str(), percent, available, errors),
        ("DONE", 100, 1, 0)
    );
    assert_eq!(
        sub_orders(&app, id).await.len(),
        3,
        "a new sub-order for the retried file"
    );
    assert_eq!(
        act(&app, &token, "PUT", &format!("/user/orders/{id}/retry")).await,
        (401, code("ORDER_MUST_BE_DONE_WITH_WARNING_OR_FAILED"))
    );
}

#[tokio::test]
async fn restart_makes_a_new_order_from_the_same_selections() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let other = app.token("other@example.org", Role::RegisteredUser);
    let running = id_of(&order_of(&app, &other, "dataset:alpha").await);
    assert_eq!(
        act(
            &app,
            &app.admin_token(),
            "POST",
            &format!("/user/orders/{running}/restart")
        )
        .await,
        (
            401,
            code("ORDER_MUST_BE_DONE_OR_DONE_WITH_WARNING_OR_FAILED")
        )
    );
    let id = ended_order(&app, &token).await;
    let (status, restarted) =
        act(&app, &token, "POST", &format!("/user/orders/{id}/restart")).await;
    assert_eq!(status, 200, "{restarted}");
    let new_id = id_of(&restarted);
    assert_ne!(new_id, id);
    assert_eq!(restarted["content"]["status"], "RUNNING");
    assert_eq!(
        restarted["content"]["datasetTasks"][0]["datasetLabel"],
        "Gamma"
    );
    app.run_pending_jobs().await;
    assert_eq!(progress(&app, &token, new_id).await.0, "DONE_WITH_WARNING");
    // Restarted twice: each restart has its own basket copy.
    let (status, _) = act(&app, &token, "POST", &format!("/user/orders/{id}/restart")).await;
    assert_eq!(status, 200);
}
