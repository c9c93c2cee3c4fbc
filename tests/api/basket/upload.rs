//! `POST /order/basket/selection/upload`: a list of providerIds in a multipart part `file`.

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::{basket, shape};
use crate::catalog::fixture::app_with_fixture;
use crate::helpers::TestApp;

async fn upload(app: &TestApp, token: &str, form: Form) -> (u16, String) {
    let response = app
        .client
        .post(app.url("/order/basket/selection/upload"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn file(text: impl Into<Vec<u8>>) -> Form {
    Form::new().part("file", Part::bytes(text.into()).file_name("ids.txt"))
}

fn messages(body: &str) -> String {
    let json: Value = serde_json::from_str(body).unwrap();
    json["messages"][0].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_hundred_ids_become_one_dated_selection_with_exact_counts() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    // opt-1 in the first hundred, opt-2 and rad-1 in the second; blank lines count for nothing.
    let mut lines = vec!["  opt-1 ".to_owned(), String::new()];
    lines.extend((0..98).map(|n| format!("unknown-{n}")));
    lines.push("\t".into());
    lines.push("opt-1".into());
    lines.extend(["opt-2".into(), "rad-1".into(), "rad-2".into()]);
    let (status, body) = upload(&app, &token, file(lines.join("\r\n"))).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        shape(&body),
        [
            ("Optical L1".to_owned(), 2, 3, 320, 2),
            ("Radar swath".to_owned(), 1, 1, 300, 1)
        ],
        "opt-1 once though listed twice; rad-2 has no orderable file"
    );
    let optical = &body["content"]["datasetSelections"][0]["itemsSelections"];
    let dates: Vec<&str> = optical
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["date"].as_str().unwrap())
        .collect();
    assert_ne!(
        dates[0], dates[1],
        "each hundred is a selection of its own date"
    );
    let request = &optical[0]["selectionRequest"];
    assert_eq!(request["engineType"], "legacy");
    let q = request["searchParameters"]["q"][0].as_str().unwrap();
    assert!(
        q.starts_with(r#"providerId:("opt-1" OR "unknown-0""#),
        "{q}"
    );
    assert_eq!(
        (
            optical[0]["objectsCount"].as_i64(),
            optical[1]["objectsCount"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(basket(&app, &token).await.1.unwrap(), body);
}

#[tokio::test]
async fn a_thousand_ids_pass_and_one_more_is_too_many() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let ids = |n: usize| (0..n).map(|i| format!("p{i}\n\n")).collect::<String>();
    let (status, body) = upload(&app, &token, file(ids(1001))).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        messages(&body).contains("1001 providerIds, more than the 1000"),
        "{body}"
    );
    assert_eq!(basket(&app, &token).await.0, 204, "nothing added");
    let mut thousand = ids(999);
    thousand.push_str("opt-1\n");
    let (status, body) = upload(&app, &token, file(thousand)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn nothing_to_add_is_204_and_a_body_that_is_no_upload_is_400() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    for text in ["", " \n\t\r\n", "rad-2\nnothing-here\n"] {
        let (status, body) = upload(&app, &token, file(text)).await;
        assert_eq!((status, body.as_str()), (204, ""), "{text:?}");
    }
    assert_eq!(basket(&app, &token).await.0, 204);
    let (status, body) = upload(&app, &token, Form::new().text("ids", "opt-1")).await;
    assert_eq!(status, 400);
    assert_eq!(messages(&body), "The multipart body has no part named file");
    let (status, body) = upload(&app, &token, file(vec![0xff, 0xfe, b'\n'])).await;
    assert_eq!(status, 400);
    assert!(messages(&body).contains("not text (UTF-8)"), "{body}");
    let json = app
        .client
        .post(app.url("/order/basket/selection/upload"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    let body = json.text().await.unwrap();
    assert!(
        messages(&body).starts_with("Expected a multipart/form-data body"),
        "{body}"
    );
    let anonymous = app
        .client
        .post(app.url("/order/basket/selection/upload"))
        .multipart(file("opt-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
