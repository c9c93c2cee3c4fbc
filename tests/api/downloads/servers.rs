//! Servers holding external files for the TLS, private-address and timeout tests: a file server (plain
//! or TLS), a redirecting one, a forward proxy, and one that stalls after its headers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::external::{SIZE, content};
use crate::catalog::fixture::{collection, import_folder, item};
use crate::certificates::TestPki;
use crate::helpers::{TestApp, spawn_app_with};

/// What a server was asked: the request targets, in order.
#[derive(Clone, Default)]
pub struct Requests(Arc<Mutex<Vec<String>>>);

impl Requests {
    pub fn seen(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn push(&self, target: String) {
        self.0.lock().unwrap().push(target);
    }
}

/// `content()` at every path; records each request target (absolute when it came through as a proxy).
pub fn file_router(requests: &Requests) -> Router {
    let requests = requests.clone();
    Router::new().fallback(move |uri: Uri| {
        let requests = requests.clone();
        async move {
            requests.push(uri.to_string());
            content()
        }
    })
}

/// A `302` to `target` at every path.
pub fn redirect_router(target: String) -> Router {
    Router::new().fallback(move || {
        let target = target.clone();
        async move { (StatusCode::FOUND, [(header::LOCATION, target)]).into_response() }
    })
}

/// Serves `router` on 127.0.0.1, over TLS with the test certificate when `pki` is given: its base URL.
pub async fn serve(router: Router, pki: Option<&TestPki>) -> String {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = tcp.local_addr().unwrap();
    match pki {
        None => {
            tokio::spawn(async move { axum::serve(tcp, router).await.unwrap() });
            format!("http://{address}")
        }
        Some(pki) => {
            let listener = TlsListener {
                tcp,
                acceptor: pki.acceptor(),
            };
            tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
            format!("https://{address}")
        }
    }
}

/// Connections after their TLS handshake; a client refusing the certificate is skipped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, address)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A server that answers `200` with a `Content-Length` of `SIZE`, sends `sent` bytes of the body, then
/// holds the connection without sending more: its base URL.
pub async fn stalling_server(sent: usize) -> String {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = tcp.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = tcp.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&content()[..sent]).await;
                // Holds the connection (and sends nothing) until the client gives up.
                let _ = stream.read(&mut request).await;
            });
        }
    });
    format!("http://{address}")
}

/// An app (configured by `configure`) whose catalog has a dataset `ext` with one item per
/// `(id, href)`, each a file of `SIZE` bytes.
pub async fn app_with_external_items(
    configure: impl FnOnce(&mut regards_order::config::Config),
    items: &[(&str, String)],
) -> TestApp {
    let app = spawn_app_with(configure).await;
    let folder = app.data_dir().join("stac-external");
    std::fs::create_dir_all(&folder).unwrap();
    let mut lines = vec![collection("ext", "External").to_string()];
    for (id, href) in items {
        let assets = json!({"data": {"href": href, "file:size": SIZE}});
        lines.push(item(id, "ext", json!({}), assets).to_string());
    }
    std::fs::write(folder.join("catalog.ndjson"), lines.join("\n")).unwrap();
    let report = import_folder(&app, &folder).await;
    assert_eq!(
        report.imported as usize,
        items.len(),
        "{:?}",
        report.problems
    );
    app
}

/// The messages of an error answer.
pub async fn messages(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {body}"))
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}
