//! The binary itself, as scripts and operators run it: start, stop, crash, take over.

mod access;
mod catalog;
mod downloads;
mod identity;
mod jobs;
mod orders;
mod quotas;
mod serve;
mod split_downloads;
mod web;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use regards_order::auth::Role;
use regards_order::jobs::new_job;
use regards_order::notify::Email;
use regards_order::orders::mails::SendMail;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

use crate::helpers::{TestApp, wait_until};

pub const BINARY: &str = env!("CARGO_BIN_EXE_regards-order");

/// The binary with no `REGARDS_ORDER__*` variable inherited.
pub fn regards_order(args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args).kill_on_drop(true).stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("REGARDS_ORDER__") {
            command.env_remove(name);
        }
    }
    command
}

pub fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("the process is running").to_string();
    let status = std::process::Command::new("kill")
        .args([name, &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

pub async fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    tokio::time::timeout(limit, child.wait())
        .await
        .expect("the process did not stop in time")
        .unwrap()
}

/// Starts `serve` and returns it with the address it announced.
pub async fn start_serve(data_dir: &Path, database_url: &str) -> (Child, String) {
    start_serve_with(data_dir, database_url, &[]).await
}

/// Starts `serve` with more `REGARDS_ORDER__*` variables.
pub async fn start_serve_with(
    data_dir: &Path,
    database_url: &str,
    env: &[(&str, &str)],
) -> (Child, String) {
    start_serve_logging(data_dir, database_url, env, Stdio::null()).await
}

/// Starts `serve` with more variables, its log (standard error) written to `log`.
pub async fn start_serve_logging(
    data_dir: &Path,
    database_url: &str,
    env: &[(&str, &str)],
    log: impl Into<Stdio>,
) -> (Child, String) {
    let mut command = regards_order(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        database_url,
    ]);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.stdout(Stdio::piped()).stderr(log).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(address) = line.strip_prefix("regards-order listening on ") {
                return address.to_owned();
            }
        }
        panic!("serve exited without listening");
    })
    .await
    .expect("serve did not start in time");
    (child, address)
}

/// A `worker` process on the app's database with a short lease; `smtp_url` empty means the outbox
/// of `data_dir`.
pub fn start_worker(app: &TestApp, data_dir: &Path, smtp_url: &str) -> Child {
    regards_order(&[
        "worker",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ])
    .env("REGARDS_ORDER__JOBS__LEASE", "2s")
    .env("REGARDS_ORDER__JOBS__POLL_INTERVAL", "100ms")
    .env("REGARDS_ORDER__JOBS__WORKERS", "1")
    .env("REGARDS_ORDER__MAIL__SMTP_URL", smtp_url)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

/// An SMTP server that accepts connections and never answers: a send to it hangs.
pub async fn hanging_smtp_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("smtp://{address}")
}

pub async fn queue_mail(app: &TestApp, subject: &str) {
    let now = app.state.clock.now();
    let email = Email {
        to: "user@example.org".into(),
        subject: subject.into(),
        text: "Files are waiting for you.".into(),
        html: None,
    };
    app.state
        .store
        .enqueue_job(&new_job(&SendMail { email }, now), now)
        .await
        .unwrap();
}

pub async fn wait_until_leased(app: &TestApp) {
    wait_until(
        Duration::from_secs(30),
        "the worker to lease the job",
        || async {
            app.mail_jobs()
                .await
                .first()
                .is_some_and(|job| job.leased_by.is_some())
        },
    )
    .await;
}

/// Python with aiosmtpd: `REGARDS_TEST_PYTHON`, else the virtualenv `.ci/run` prepares.
pub fn aiosmtpd_python() -> Option<String> {
    let candidates = [
        std::env::var("REGARDS_TEST_PYTHON").ok(),
        Some(format!(
            "{}/.ci/venv/bin/python",
            env!("CARGO_MANIFEST_DIR")
        )),
    ];
    candidates.into_iter().flatten().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

/// GETs a URL with a bearer token and reads the JSON answer.
pub async fn fetch_json(url: &str, token: &str) -> serde_json::Value {
    crate::helpers::http_client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
