//! Hostile clients (docs/ARCHITECTURE.md, "Hostile clients"): slow and idle connections, too many of them,
//! made-up methods and paths, bodies too large — spoken over raw sockets, as an attacker would.

mod bodies;
mod connection_limit;
mod metrics;
mod slow_clients;

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::helpers::TestApp;

pub async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// A response read off a raw connection.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Reads one response: its head, then its body by `Content-Length` (or to the end of the connection).
/// None when the connection ends (or fails) before a whole head came.
pub async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> Option<RawResponse> {
    let mut received = Vec::new();
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        read_more(stream, &mut received).await?;
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok());
    let mut body = received.split_off(head_end);
    while length.is_none_or(|length| body.len() < length) {
        if read_more(stream, &mut body).await.is_none() {
            break;
        }
    }
    Some(RawResponse { status, body })
}

async fn read_more(stream: &mut (impl AsyncRead + Unpin), into: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            into.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

/// Waits at most `limit` for the server to close the connection: when it did, and how many bytes it
/// sent before. Panics if it stays open.
pub async fn closed_by_server(
    stream: &mut (impl AsyncRead + Unpin),
    limit: Duration,
) -> (Instant, usize) {
    let mut received = Vec::new();
    let closing = async {
        while read_more(stream, &mut received).await.is_some() {}
        Instant::now()
    };
    let closed_at = tokio::time::timeout(limit, closing)
        .await
        .unwrap_or_else(|_| panic!("the server kept the connection open for {limit:?}"));
    (closed_at, received.len())
}
