//! The web application's files as the service serves them (the browser journey is `process::web`).

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_application_and_the_api_reference_are_served_and_demo_tokens_only_under_demo() {
    let app = spawn_app().await;
    for (path, kind, holds) in [
        ("/", "text/html", "/web/app.js"),
        ("/docs", "text/html", "spec-url=\"/openapi.json\""),
        ("/web/app.js", "text/javascript", "sessionStorage"),
        ("/web/style.css", "text/css", "@media"),
        ("/web/vendor/rapidoc-min.js", "text/javascript", "rapi-doc"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(response.text().await.unwrap().contains(holds), "{path}");
    }
    let missing = app.get("/web/nothing.js").await;
    assert_eq!(missing.status(), 404);
    let demo = app.get("/web/demo").await;
    assert_eq!(demo.status(), 404, "no demo tokens without serve --demo");
    let body: serde_json::Value = demo.json().await.unwrap();
    assert!(
        body["messages"][0]
            .as_str()
            .unwrap()
            .contains("serve --demo")
    );
}
