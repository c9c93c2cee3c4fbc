//! The binary itself, as scripts and operators run it: start, stop, crash, take over.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use regards_order::auth::Role;
use regards_order::jobs::mail::SendMail;
use regards_order::jobs::new_job;
use regards_order::notify::Email;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

use crate::helpers::{TestApp, TestDatabase, files_in, spawn_app, wait_until};

const BINARY: &str = env!("CARGO_BIN_EXE_regards-order");

/// The binary with no `REGARDS_ORDER__*` variable inherited.
fn regards_order(args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args).kill_on_drop(true).stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("REGARDS_ORDER__") {
            command.env_remove(name);
        }
    }
    command
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("the process is running").to_string();
    let status = std::process::Command::new("kill")
        .args([name, &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    tokio::time::timeout(limit, child.wait())
        .await
        .expect("the process did not stop in time")
        .unwrap()
}

/// Starts `serve` and returns it with the address it announced.
async fn start_serve(data_dir: &Path, database_url: &str) -> (Child, String) {
    let mut child = regards_order(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        database_url,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
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
fn start_worker(app: &TestApp, data_dir: &Path, smtp_url: &str) -> Child {
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
async fn hanging_smtp_server() -> String {
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

async fn queue_mail(app: &TestApp, subject: &str) {
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

async fn wait_until_leased(app: &TestApp) {
    wait_until(
        Duration::from_secs(30),
        "the worker to lease the job",
        || async {
            app.jobs()
                .await
                .first()
                .is_some_and(|job| job.leased_by.is_some())
        },
    )
    .await;
}

#[tokio::test]
async fn serve_starts_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let (mut child, address) = start_serve(&dir.path().join("data"), &database.url).await;
    let health = reqwest::get(format!("{address}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    signal(&child, "-TERM");
    let status = wait_exit(&mut child, Duration::from_secs(15)).await;
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sigterm_releases_the_jobs_a_worker_holds() {
    let app = spawn_app().await;
    let smtp = hanging_smtp_server().await;
    queue_mail(&app, "held at shutdown").await;
    let worker_dir = tempfile::tempdir().unwrap();
    let mut worker = start_worker(&app, worker_dir.path(), &smtp);
    wait_until_leased(&app).await;

    signal(&worker, "-TERM");
    let status = wait_exit(&mut worker, Duration::from_secs(20)).await;
    assert!(status.success(), "{status}");
    let jobs = app.jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].leased_by, None, "released");
    assert_eq!(
        jobs[0].attempts, 0,
        "a released job does not count an attempt"
    );
}

#[tokio::test]
async fn a_mail_job_leased_by_a_killed_process_is_sent_by_another_after_the_lease() {
    let app = spawn_app().await;
    let smtp = hanging_smtp_server().await;
    queue_mail(&app, "survives a crash").await;

    let first_dir = tempfile::tempdir().unwrap();
    let mut first = start_worker(&app, first_dir.path(), &smtp);
    wait_until_leased(&app).await;
    signal(&first, "-KILL");
    wait_exit(&mut first, Duration::from_secs(10)).await;
    assert!(
        app.jobs().await[0].leased_by.is_some(),
        "still leased by the dead process"
    );

    let second_dir = tempfile::tempdir().unwrap();
    let _second = start_worker(&app, second_dir.path(), "");
    let outbox = second_dir.path().join("outbox");
    wait_until(
        Duration::from_secs(30),
        "the second worker to send the mail",
        || async { app.jobs().await.is_empty() && files_in(&outbox).len() == 1 },
    )
    .await;
    let text = std::fs::read_to_string(&files_in(&outbox)[0]).unwrap();
    assert!(text.contains("Subject: survives a crash"), "{text}");
}

#[tokio::test]
async fn the_token_command_prints_a_token_the_running_service_accepts() {
    let app = spawn_app().await;
    let data_dir = app.data_dir();
    let output = regards_order(&[
        "token",
        "--email",
        "carol@example.org",
        "--role",
        "EXPLOIT",
        "--ttl",
        "1h",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap();
    let caller = app
        .state
        .keys
        .verify_access(token.trim(), app.state.clock.now())
        .unwrap();
    assert_eq!(caller.user, "carol@example.org");
    assert_eq!(caller.role, Role::Exploit);

    let output = regards_order(&["token", "--email", "x@y", "--role", "KING"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown role \"KING\""));
}

#[tokio::test]
async fn the_migrate_command_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let output = regards_order(&[
        "migrate",
        "--database-url",
        &database.url,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ])
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("is up to date"));
    let store = regards_order::store::connect(&database.url).await.unwrap();
    let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(jobs, 0);
    store.close().await;
}

#[tokio::test]
async fn unknown_configuration_keys_are_reported_and_bad_values_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "colour = \"blue\"\n[jobs]\nworkerz = 3\n").unwrap();
    let args = [
        "migrate",
        "--config",
        file.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
    ];
    let output = regards_order(&args).output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown configuration key ignored") && stderr.contains("colour"),
        "{stderr}"
    );
    assert!(stderr.contains("jobs.workerz"), "{stderr}");

    std::fs::write(&file, "[jobs]\nlease = \"soon\"\n").unwrap();
    let output = regards_order(&args).output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid duration \"soon\""));

    let output = regards_order(&args)
        .env("REGARDS_ORDER__JOBS__WORKERS", "many")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("REGARDS_ORDER__JOBS__WORKERS"));
}

/// Python with aiosmtpd: `REGARDS_TEST_PYTHON`, else the virtualenv `.ci/run` prepares.
fn aiosmtpd_python() -> Option<String> {
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

#[tokio::test]
async fn a_mail_reaches_a_real_smtp_server() {
    let Some(python) = aiosmtpd_python() else {
        assert!(
            std::env::var("REGARDS_TEST_REQUIRE_SMTP").is_err(),
            "aiosmtpd is required (REGARDS_TEST_REQUIRE_SMTP is set) but not found"
        );
        use std::io::Write;
        let _ = std::io::stderr()
            .write_all(b"note: aiosmtpd not found (run .ci/run or set REGARDS_TEST_PYTHON): SMTP test skipped\n");
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let mut server = Command::new(&python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("mail"))
        .kill_on_drop(true)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(15), "aiosmtpd to listen", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;

    let app = crate::helpers::spawn_app_with(|config| {
        config.mail.smtp_url = format!("smtp://127.0.0.1:{port}")
    })
    .await;
    queue_mail(&app, "Order number 42 is confirmed").await;
    assert_eq!(app.run_pending_jobs().await, 1);
    assert!(app.jobs().await.is_empty(), "{:?}", app.jobs().await);

    let delivered = files_in(&maildir.path().join("mail").join("new"));
    assert_eq!(delivered.len(), 1);
    let text = std::fs::read_to_string(&delivered[0]).unwrap();
    assert!(
        text.contains("Subject: Order number 42 is confirmed"),
        "{text}"
    );
    server.kill().await.unwrap();
}

#[tokio::test]
async fn serve_refuses_a_short_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = regards_order(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ])
    .env("REGARDS_ORDER__AUTH__SECRET", "too-short")
    .output()
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("auth.secret must be at least 32 bytes")
    );
}

#[tokio::test]
async fn serve_demo_prints_tokens_that_open_the_demo_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let mut child = regards_order(&[
        "serve",
        "--demo",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "--database-url",
        &database.url,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut address, mut token, mut curl_lines) = (None, None, 0);
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("regards-order listening on ") {
                address = Some(rest.to_owned());
            }
            if let Some(rest) = line.trim().strip_prefix("export USER_TOKEN=") {
                token = Some(rest.to_owned());
            }
            if line.trim().starts_with("curl ") {
                curl_lines += 1;
                if curl_lines == 3 {
                    break;
                }
            }
        }
    })
    .await
    .expect("the demo did not print its welcome in time");
    let (address, token) = (address.unwrap(), token.unwrap());
    let client = reqwest::Client::new();
    let search: serde_json::Value = client
        .get(format!("{address}/catalog/search?q=dataset:synthetic-1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(search["metadata"]["totalElements"], 150, "{search}");
    let summary: serde_json::Value = client
        .get(format!("{address}/catalog/summary"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["content"]["objectsCount"], 300, "{summary}");
    assert_eq!(summary["content"]["filesCount"], 600);
    signal(&child, "-TERM");
    assert!(
        wait_exit(&mut child, Duration::from_secs(15))
            .await
            .success()
    );

    // A second start on the same data dir finds the catalog and imports nothing more.
    let (mut again, address) = start_serve(&dir.path().join("data"), &database.url).await;
    let datasets: serde_json::Value = client
        .get(format!("{address}/catalog/datasets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        datasets["metadata"]["totalElements"], 2,
        "the token survives the restart: {datasets}"
    );
    signal(&again, "-TERM");
    wait_exit(&mut again, Duration::from_secs(15)).await;
}

#[tokio::test]
async fn catalog_generate_then_import_from_the_command_line() {
    let app = spawn_app().await;
    let data_dir = app.data_dir();
    let archive = data_dir.join("archive");
    let output = regards_order(&[
        "catalog",
        "generate",
        "--out",
        archive.to_str().unwrap(),
        "--datasets",
        "3",
        "--objects",
        "30",
        "--files-per-object",
        "3",
        "--file-size",
        "0",
        "--nearline-share",
        "0.5",
        "--seed",
        "9",
    ])
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("generated 30 objects"));

    let import = |paths: Vec<String>| {
        let mut args = vec!["catalog".to_owned(), "import".to_owned()];
        args.extend(paths);
        args.extend([
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--database-url".into(),
            app.database_url().into(),
        ]);
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            regards_order(&args).output().await.unwrap()
        }
    };
    let output = import(vec![archive.join("stac").display().to_string()]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 30, updated 0, rejected 0 (3 datasets)"
    );

    let output = import(vec![
        archive.join("stac/items-2.ndjson").display().to_string(),
    ])
    .await;
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 0, updated 10, rejected 0 (0 datasets)"
    );

    let output = import(vec!["/no/such/folder".into()]).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/folder does not exist"));
}

#[tokio::test]
async fn adds_racing_through_two_server_processes_all_land() {
    let app = crate::catalog::fixture::app_with_fixture().await;
    let data_dir = app.data_dir();
    let (mut first, first_address) = start_serve(&data_dir, app.database_url()).await;
    let (mut second, second_address) = start_serve(&data_dir, app.database_url()).await;
    let token = app.user_token();
    let client = reqwest::Client::new();
    let adds = (0..20).map(|n| {
        let address = if n % 2 == 0 {
            &first_address
        } else {
            &second_address
        };
        let request = client
            .post(format!("{address}/order/basket/selection"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"selectAllOpenSearchRequest": "dataset:optical"}"#)
            .send();
        async move { request.await.unwrap().status() }
    });
    for status in futures::future::join_all(adds).await {
        assert_eq!(status, 200);
    }
    let body: serde_json::Value = client
        .get(format!("{first_address}/order/basket"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let selections = body["content"]["datasetSelections"].as_array().unwrap();
    assert_eq!(
        selections.len(),
        1,
        "one basket, one dataset selection: {body}"
    );
    let dates: std::collections::HashSet<&str> = selections[0]["itemsSelections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates.len(), 20);
    for child in [&mut first, &mut second] {
        signal(child, "-TERM");
        wait_exit(child, Duration::from_secs(15)).await;
    }
}
