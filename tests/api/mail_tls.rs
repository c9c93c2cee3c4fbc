//! Mail over TLS, against a small SMTP server written here: `smtps://` (TLS from the first byte) and
//! `smtp://…?tls=required` (STARTTLS), both trusting the test CA through `[http_client] ca_file`; a
//! server that offers no STARTTLS is an error with `tls=required`.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use regards_order::config::Config;
use regards_order::notify::{Email, Mailer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::certificates::TestPki;

/// How the test server speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Offer {
    /// TLS from the first byte.
    ImplicitTls,
    /// Plain, offering STARTTLS.
    StartTls,
    /// Plain, without STARTTLS.
    PlainOnly,
}

/// The messages the server accepted, each with whether it came over TLS.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(bool, String)>>>);

impl Received {
    fn all(&self) -> Vec<(bool, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// Starts the SMTP server on 127.0.0.1: its port.
async fn smtp_server(offer: Offer, acceptor: TlsAcceptor, received: &Received) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = received.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, received) = (acceptor.clone(), received.clone());
            tokio::spawn(async move {
                if offer == Offer::ImplicitTls {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        session(tls, true, false, true, &received).await;
                    }
                    return;
                }
                let starttls = offer == Offer::StartTls;
                if let Some(tcp) = session(tcp, true, starttls, false, &received).await
                    && let Ok(tls) = acceptor.accept(tcp).await
                {
                    // After STARTTLS the client speaks first: no greeting.
                    session(tls, false, false, true, &received).await;
                }
            });
        }
    });
    port
}

/// One SMTP session; returns the connection when the client asked for STARTTLS (to be upgraded).
async fn session<S>(
    stream: S,
    greet: bool,
    offer_starttls: bool,
    tls: bool,
    received: &Received,
) -> Option<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut stream = BufReader::new(stream);
    if greet {
        say(&mut stream, "220 test ESMTP").await?;
    }
    loop {
        let command = read_line(&mut stream).await?.to_ascii_uppercase();
        let answer = match command.split(' ').next().unwrap_or("") {
            "EHLO" | "HELO" if offer_starttls => "250-test\r\n250-STARTTLS\r\n250 8BITMIME",
            "EHLO" | "HELO" => "250-test\r\n250 8BITMIME",
            "STARTTLS" if offer_starttls => {
                say(&mut stream, "220 ready for TLS").await?;
                return Some(stream.into_inner());
            }
            "MAIL" | "RCPT" | "RSET" | "NOOP" => "250 OK",
            "DATA" => {
                say(&mut stream, "354 end with <CRLF>.<CRLF>").await?;
                let mut message = String::new();
                loop {
                    let line = read_line(&mut stream).await?;
                    if line == "." {
                        break;
                    }
                    message.push_str(&line);
                    message.push('\n');
                }
                received.0.lock().unwrap().push((tls, message));
                "250 queued"
            }
            "QUIT" => {
                say(&mut stream, "221 bye").await?;
                return None;
            }
            _ => "502 not implemented",
        };
        say(&mut stream, answer).await?;
    }
}

async fn say<S: AsyncWrite + Unpin>(stream: &mut S, text: &str) -> Option<()> {
    stream
        .write_all(format!("{text}\r\n").as_bytes())
        .await
        .ok()?;
    stream.flush().await.ok()
}

/// A line without its CRLF; none at the end of the connection.
async fn read_line<S: AsyncBufReadExt + Unpin>(stream: &mut S) -> Option<String> {
    let mut line = String::new();
    match stream.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

fn mailer(dir: &Path, smtp_url: &str, ca_file: Option<&Path>) -> Mailer {
    let mut config = Config::with_data_dir(&dir.join("data")).unwrap();
    config.mail.smtp_url = smtp_url.to_owned();
    if let Some(ca_file) = ca_file {
        config.http_client.ca_file = ca_file.to_path_buf();
    }
    Mailer::from_config(&config).unwrap()
}

async fn send(mailer: &Mailer, subject: &str) -> Result<(), String> {
    let email = Email {
        to: "user@example.org".into(),
        subject: subject.into(),
        text: "Hello".into(),
        html: None,
    };
    let sending = mailer.send("regards-order@localhost", &email);
    match tokio::time::timeout(Duration::from_secs(20), sending).await {
        Ok(sent) => sent.map_err(|error| format!("{error:#}")),
        Err(_) => Err("the mail was not sent within 20 s".into()),
    }
}

#[tokio::test]
async fn a_mail_goes_out_over_smtps_when_ca_file_holds_the_servers_ca() {
    let pki = TestPki::new();
    let received = Received::default();
    let port = smtp_server(Offer::ImplicitTls, pki.acceptor(), &received).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("smtps://127.0.0.1:{port}");

    let error = send(&mailer(dir.path(), &url, None), "untrusted")
        .await
        .unwrap_err();
    assert!(error.contains("certificate"), "{error}");
    assert!(received.all().is_empty());

    let ca_file = pki.write_ca(dir.path());
    let mailer = mailer(dir.path(), &url, Some(&ca_file));
    send(&mailer, "Order number 1 is confirmed").await.unwrap();
    let received = received.all();
    assert_eq!(received.len(), 1);
    assert!(received[0].0, "over TLS");
    assert!(
        received[0]
            .1
            .contains("Subject: Order number 1 is confirmed"),
        "{}",
        received[0].1
    );
}

#[tokio::test]
async fn a_mail_goes_out_after_starttls_when_tls_is_required_or_offered() {
    let pki = TestPki::new();
    let received = Received::default();
    let port = smtp_server(Offer::StartTls, pki.acceptor(), &received).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = pki.write_ca(dir.path());
    for (query, subject) in [
        ("?tls=required", "required"),
        ("?tls=opportunistic", "opportunistic"),
        ("", "default"),
    ] {
        let url = format!("smtp://127.0.0.1:{port}{query}");
        send(&mailer(dir.path(), &url, Some(&ca_file)), subject)
            .await
            .unwrap();
    }
    let over_tls: Vec<(bool, bool)> = received
        .all()
        .iter()
        .map(|(tls, message)| (*tls, message.contains("Subject: default")))
        .collect();
    assert_eq!(
        over_tls,
        [(true, false), (true, false), (false, true)],
        "required and opportunistic upgrade; no tls= stays plain"
    );
}

#[tokio::test]
async fn tls_required_against_a_server_without_starttls_is_an_error() {
    let pki = TestPki::new();
    let received = Received::default();
    let port = smtp_server(Offer::PlainOnly, pki.acceptor(), &received).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = pki.write_ca(dir.path());

    let url = format!("smtp://127.0.0.1:{port}?tls=required");
    let error = send(&mailer(dir.path(), &url, Some(&ca_file)), "never sent")
        .await
        .unwrap_err();
    assert!(error.contains("STARTTLS is not supported"), "{error}");
    assert!(received.all().is_empty());

    // Opportunistic TLS goes on in plain text with such a server.
    let url = format!("smtp://127.0.0.1:{port}?tls=opportunistic");
    send(&mailer(dir.path(), &url, Some(&ca_file)), "plain")
        .await
        .unwrap();
    assert_eq!(received.all().len(), 1);
    assert!(!received.all()[0].0);
}
