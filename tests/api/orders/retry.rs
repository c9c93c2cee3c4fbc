//! Retry of an order with thousands of files in error: batched, and every counter exact afterwards.

use regards_order::catalog::generate::{GenerateOptions, generate};

use super::{id_of, order_of, progress, sub_orders};
use crate::catalog::fixture::import_folder;
use crate::helpers::spawn_app_with;

#[tokio::test]
async fn thousands_of_files_in_error_go_back_to_work_with_exact_counts() {
    let app = spawn_app_with(|config| config.orders.suborder_max_files = 1500).await;
    let options = GenerateOptions {
        out: app.data_dir().join("archive"),
        datasets: 1,
        objects: 1200,
        files_per_object: 2,
        file_size: 0,
        nearline_share: 0.0,
        seed: 5,
    };
    generate(&options, |_| {}).unwrap();
    import_folder(&app, &app.data_dir().join("archive/stac")).await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "*").await);
    // Every file missing at staging: all 2,400 in ERROR.
    let online = app.data_dir().join("archive/online");
    std::fs::rename(&online, app.data_dir().join("online-away")).unwrap();
    app.run_pending_jobs().await;
    let (status, percent, available, errors, _) = progress(&app, &token, id).await;
    assert_eq!(
        (status.as_str(), percent, available, errors),
        ("FAILED", 100, 0, 2400)
    );

    std::fs::rename(app.data_dir().join("online-away"), &online).unwrap();
    let retried = app
        .client
        .put(app.url(&format!("/user/orders/{id}/retry")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    let (status, percent, available, errors, _) = progress(&app, &token, id).await;
    assert_eq!(
        (status.as_str(), percent, available, errors),
        ("RUNNING", 0, 0, 0)
    );
    let subs = sub_orders(&app, id).await;
    let new: Vec<_> = subs.iter().filter(|s| s.2 == "WAITING").collect();
    assert_eq!(
        new.iter().map(|s| (s.3, s.4)).collect::<Vec<_>>(),
        [(1500, 1500), (900, 900)],
        "(files, pending) of the new sub-orders: {subs:?}"
    );
    assert!(
        subs.iter()
            .filter(|s| s.2 != "WAITING")
            .all(|s| s.3 == 0 && s.4 == 0),
        "the old sub-orders are empty: {subs:?}"
    );

    app.run_pending_jobs().await;
    let (status, percent, available, errors, _) = progress(&app, &token, id).await;
    assert_eq!(
        (status.as_str(), percent, available, errors),
        ("DONE", 100, 2400, 0)
    );
}
