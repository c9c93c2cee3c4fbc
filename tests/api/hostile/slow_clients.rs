//! Slow and idle clients: the read timeouts of `[http]`.

use std::time::Duration;

use regards_order::auth::Role;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{closed_by_server, connect, read_response};
use crate::helpers::spawn_app_with;

const SLOW_CLIENTS: usize = 2_000;

/// Both ends of every connection live in this process, and other tests run beside this one.
fn enough_open_files() {
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    assert!(
        files >= 2 * SLOW_CLIENTS as u64 + 1_000,
        "this test needs {} open files; the hard limit allows {files}",
        2 * SLOW_CLIENTS + 1_000
    );
}

#[tokio::test]
async fn health_answers_within_a_second_under_2000_slow_clients_which_are_cut_at_the_head_timeout()
{
    enough_open_files();
    let header_read_timeout = Duration::from_secs(8);
    let app = spawn_app_with(|config| config.http.header_read_timeout = header_read_timeout).await;
    let started = Instant::now();
    let mut slow = Vec::with_capacity(SLOW_CLIENTS);
    for _ in 0..SLOW_CLIENTS {
        let mut stream = connect(&app).await;
        let partial_head = b"GET /health HTTP/1.1\r\nHost: slow\r\nX-Slow: ";
        stream.write_all(partial_head).await.unwrap();
        slow.push(stream);
    }

    // A fresh connection for each check: accepting must keep up too.
    let health = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        for stream in &mut slow {
            stream.write_all(b"s").await.unwrap();
        }
        let asked = Instant::now();
        let response = health.get(app.url("/health")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    assert!(
        slowest < Duration::from_secs(1),
        "/health took {slowest:?} under {SLOW_CLIENTS} slow clients"
    );
    assert!(started.elapsed() < header_read_timeout, "too slow to test");
    let mut byte = [0u8; 1];
    for stream in &slow {
        let still_open = matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        assert!(still_open, "a slow client was cut before the head timeout");
    }

    let cuts = slow.iter_mut().map(|stream| async move {
        let (closed_at, sent) = closed_by_server(stream, Duration::from_secs(30)).await;
        assert_eq!(sent, 0, "a slow client got an answer");
        closed_at
    });
    let cuts = futures::future::join_all(cuts).await;
    let first = cuts.iter().min().unwrap().duration_since(started);
    let last = cuts.iter().max().unwrap().duration_since(started);
    assert!(first >= header_read_timeout, "first cut after {first:?}");
    assert!(
        last < header_read_timeout + Duration::from_secs(5),
        "last cut after {last:?}"
    );
}

/// Writes `byte` every `pause` until the connection fails or the task is aborted.
fn trickle(mut writer: OwnedWriteHalf, byte: u8, pause: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        while writer.write_all(&[byte]).await.is_ok() {
            tokio::time::sleep(pause).await;
        }
    })
}

#[tokio::test]
async fn a_trickled_head_is_cut_once_the_header_read_timeout_passes() {
    let timeout = Duration::from_secs(1);
    let app = spawn_app_with(|config| config.http.header_read_timeout = timeout).await;
    let stream = connect(&app).await;
    let connected = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"GET /health HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
        .await
        .unwrap();
    let trickling = trickle(writer, b's', Duration::from_millis(100));
    let (closed_at, sent) = closed_by_server(&mut reader, Duration::from_secs(10)).await;
    trickling.abort();
    let lived = closed_at - connected;
    assert_eq!(sent, 0);
    assert!(lived >= timeout, "cut after {lived:?}, before the timeout");
    assert!(
        lived < timeout + Duration::from_secs(2),
        "cut after {lived:?}"
    );
}

/// Sends `GET /health` on a kept-alive connection and reads the answer.
async fn ask_health(stream: &mut TcpStream) {
    let request = b"GET /health HTTP/1.1\r\nHost: idle\r\n\r\n";
    stream.write_all(request).await.unwrap();
    let response = read_response(stream).await.expect("an answer");
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout_not_the_header_one() {
    let (header, idle) = (Duration::from_secs(1), Duration::from_secs(2));
    let app = spawn_app_with(|config| {
        config.http.header_read_timeout = header;
        config.http.idle_timeout = idle;
    })
    .await;
    let mut stream = connect(&app).await;
    ask_health(&mut stream).await;
    // Idle past the header timeout: still open, and served again.
    tokio::time::sleep(header + Duration::from_millis(500)).await;
    let asked = Instant::now();
    ask_health(&mut stream).await;
    let (closed_at, sent) = closed_by_server(&mut stream, Duration::from_secs(10)).await;
    let idled = closed_at - asked;
    assert_eq!(sent, 0);
    assert!(idled >= idle, "closed {idled:?} after the last request");
    assert!(
        idled < idle + Duration::from_secs(2),
        "closed after {idled:?}"
    );
}

/// The head of a POST of `length` JSON bytes to the admin search.
fn search_head(token: &str, length: usize) -> Vec<u8> {
    format!(
        "POST /orders/search HTTP/1.1\r\nHost: slow\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_trickled_body_is_cut_once_the_body_read_timeout_passes() {
    let timeout = Duration::from_secs(1);
    let app = spawn_app_with(|config| config.http.body_read_timeout = timeout).await;
    let token = app.token("ops@example.org", Role::Exploit);
    let (mut reader, mut writer) = connect(&app).await.into_split();
    writer.write_all(&search_head(&token, 100)).await.unwrap();
    let head_sent = Instant::now();
    let trickling = trickle(writer, b' ', Duration::from_millis(100));
    let (closed_at, sent) = closed_by_server(&mut reader, Duration::from_secs(10)).await;
    trickling.abort();
    let lived = closed_at - head_sent;
    assert_eq!(sent, 0, "no answer to a request never received whole");
    assert!(
        lived >= timeout,
        "cut {lived:?} after the head, before the timeout"
    );
    assert!(
        lived < timeout + Duration::from_secs(2),
        "cut after {lived:?}"
    );
}

#[tokio::test]
async fn a_body_arriving_at_a_steady_pace_may_take_longer_than_the_body_read_timeout() {
    let timeout = Duration::from_secs(1);
    let app = spawn_app_with(|config| config.http.body_read_timeout = timeout).await;
    let token = app.token("ops@example.org", Role::Exploit);
    let piece = vec![b' '; 256 * 1024];
    let pieces = 7;
    let mut stream = connect(&app).await;
    stream
        .write_all(&search_head(&token, pieces * piece.len() + 2))
        .await
        .unwrap();
    let started = Instant::now();
    stream.write_all(b"{").await.unwrap();
    for _ in 0..pieces {
        tokio::time::sleep(Duration::from_millis(250)).await;
        stream.write_all(&piece).await.unwrap();
    }
    stream.write_all(b"}").await.unwrap();
    assert!(started.elapsed() > timeout);
    let response = read_response(&mut stream).await.expect("an answer");
    assert_eq!(
        response.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
}
