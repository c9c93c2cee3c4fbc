//! `[http] max_connections`: over it, new clients wait to be accepted; established ones go on.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::{connect, read_response};
use crate::helpers::spawn_app_with;

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: limit\r\n\r\n";

async fn served(stream: &mut TcpStream) -> u16 {
    stream.write_all(HEALTH).await.unwrap();
    read_response(stream).await.expect("an answer").status
}

#[tokio::test]
async fn over_max_connections_a_client_waits_until_another_leaves() {
    let app = spawn_app_with(|config| config.http.max_connections = 10).await;
    let mut held = Vec::new();
    for _ in 0..10 {
        let mut stream = connect(&app).await;
        assert_eq!(served(&mut stream).await, 200);
        held.push(stream);
    }

    let mut eleventh = connect(&app).await;
    eleventh.write_all(HEALTH).await.unwrap();
    let waiting =
        tokio::time::timeout(Duration::from_millis(1500), read_response(&mut eleventh)).await;
    assert!(
        waiting.is_err(),
        "the 11th connection was served: {waiting:?}"
    );
    assert_eq!(
        served(&mut held[3]).await,
        200,
        "an established connection goes on"
    );

    drop(held.pop());
    let answer = tokio::time::timeout(Duration::from_secs(5), read_response(&mut eleventh))
        .await
        .expect("the 11th connection is served once one closed")
        .expect("an answer");
    assert_eq!(answer.status, 200);
}
