//! JSON bodies are at most 16 MiB, announced or chunked: 413 with the error envelope. The catalog import
//! reads its own bodies and takes larger ones.

use regards_order::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::{RawResponse, connect, read_response};
use crate::helpers::{TestApp, spawn_app};

const LIMIT: usize = 16 * 1024 * 1024;
const MIB: usize = 1024 * 1024;

/// Sends `head` then `body` pieces (stopping quietly when the server closes) while reading the answer.
async fn post_raw(app: &TestApp, head: String, pieces: Vec<Vec<u8>>) -> RawResponse {
    let (mut reader, mut writer) = connect(app).await.into_split();
    let sending = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for piece in pieces {
            writer.write_all(&piece).await?;
        }
        Ok::<_, std::io::Error>(writer)
    });
    let response = read_response(&mut reader).await.expect("an answer");
    sending.abort();
    response
}

fn selection_head(app: &TestApp, framing: &str) -> String {
    format!(
        "POST /order/basket/selection HTTP/1.1\r\nHost: big\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\n{framing}\r\n\r\n",
        app.user_token()
    )
}

fn assert_json_413(response: &RawResponse) {
    assert_eq!(response.status, 413);
    let body = response.json();
    assert_eq!(
        body,
        json!({"messages": ["Request body is too large (at most 16 MiB)"]})
    );
}

#[tokio::test]
async fn a_json_body_over_16_mib_is_a_413_with_messages() {
    let app = spawn_app().await;
    let length = LIMIT + 1;
    let head = selection_head(&app, &format!("Content-Length: {length}"));
    let body = [b"{\"ipIds\": []".as_slice(), &vec![b' '; length - 13], b"}"].concat();
    let response = post_raw(&app, head, vec![body]).await;
    assert_json_413(&response);
}

#[tokio::test]
async fn a_chunked_json_body_passing_16_mib_midway_is_a_413_with_messages() {
    let app = spawn_app().await;
    let head = selection_head(&app, "Transfer-Encoding: chunked");
    let chunk = |data: &[u8]| [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat();
    let mut pieces = vec![chunk(b"{\"ipIds\": []")];
    pieces.extend((0..17).map(|_| chunk(&vec![b' '; MIB])));
    pieces.push(chunk(b"}"));
    pieces.push(b"0\r\n\r\n".to_vec());
    let response = post_raw(&app, head, pieces).await;
    assert_json_413(&response);
}

#[tokio::test]
async fn a_json_body_within_16_mib_is_read() {
    let app = spawn_app().await;
    let body = format!("{{{}}}", " ".repeat(LIMIT - 2));
    let response = app
        .client
        .post(app.url("/orders/search"))
        .bearer_auth(app.token("ops@example.org", Role::Exploit))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_catalog_import_takes_a_json_document_over_16_mib() {
    let app = spawn_app().await;
    let collection = json!({"type": "Collection", "stac_version": "1.0.0", "id": "big", "title": "Big",
                            "description": "padded", "license": "proprietary", "extent": {}, "links": []});
    let body = format!("{collection}{}", " ".repeat(LIMIT + MIB));
    let response = app
        .client
        .post(app.url("/catalog/import"))
        .bearer_auth(app.admin_token())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["content"]["datasets"], 1, "{report}");
}
