//! Jobs across processes: released at shutdown, taken over after a crash, mail over real SMTP.

use std::process::Stdio;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::process::Command;

use super::*;
use crate::helpers::{files_in, spawn_app, wait_until};

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
    let jobs = app.mail_jobs().await;
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
        app.mail_jobs().await[0].leased_by.is_some(),
        "still leased by the dead process"
    );

    let second_dir = tempfile::tempdir().unwrap();
    let _second = start_worker(&app, second_dir.path(), "");
    let outbox = second_dir.path().join("outbox");
    wait_until(
        Duration::from_secs(30),
        "the second worker to send the mail",
        || async { app.mail_jobs().await.is_empty() && files_in(&outbox).len() == 1 },
    )
    .await;
    let text = std::fs::read_to_string(&files_in(&outbox)[0]).unwrap();
    assert!(text.contains("Subject: survives a crash"), "{text}");
}

#[tokio::test]
async fn a_mail_reaches_a_real_smtp_server() {
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app_with(|config| config.mail.smtp_url = smtp.url()).await;
    queue_mail(&app, "Order number 42 is confirmed").await;
    assert_eq!(app.run_pending_jobs().await, 1);
    assert!(
        app.mail_jobs().await.is_empty(),
        "{:?}",
        app.mail_jobs().await
    );
    let delivered = smtp.delivered();
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0].contains("Subject: Order number 42 is confirmed"),
        "{}",
        delivered[0]
    );
}

#[tokio::test]
async fn the_creation_mail_of_an_order_reaches_a_real_smtp_server_with_its_metalink_link() {
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app_with(|config| config.mail.smtp_url = smtp.url()).await;
    crate::catalog::fixture::import_folder(&app, &crate::catalog::fixture::write_fixture(&app))
        .await;
    let order = crate::orders::order_of(&app, &app.user_token(), "dataset:radar").await;
    let id = crate::orders::id_of(&order);
    app.run_pending_jobs().await;
    let mail = smtp
        .delivered()
        .into_iter()
        .find(|m| m.contains(&format!("Subject: Order number {id} is confirmed")))
        .expect("the creation mail");
    let text = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let prefix = format!("{}/user/orders/metalink/download?orderToken=", app.address);
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no public metalink link: {text}"))
        + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    let grant = app
        .state
        .keys
        .verify_order(&token, app.state.clock.now())
        .unwrap();
    assert_eq!(
        (grant.owner.as_str(), grant.order_id),
        ("user@example.org", id)
    );
}

/// A real SMTP server (Python's aiosmtpd) on loopback storing mails in a Maildir; `None` (with a note)
/// when aiosmtpd is not installed and `REGARDS_TEST_REQUIRE_SMTP` is not set.
struct SmtpSink {
    port: u16,
    maildir: tempfile::TempDir,
    _server: tokio::process::Child,
}

impl SmtpSink {
    async fn start() -> Option<SmtpSink> {
        let Some(python) = aiosmtpd_python() else {
            assert!(
                std::env::var("REGARDS_TEST_REQUIRE_SMTP").is_err(),
                "aiosmtpd is required (REGARDS_TEST_REQUIRE_SMTP is set) but not found"
            );
            use std::io::Write;
            let _ = std::io::stderr()
                .write_all(b"note: aiosmtpd not found (run .ci/run or set REGARDS_TEST_PYTHON): SMTP test skipped\n");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let server = Command::new(&python)
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
        Some(SmtpSink {
            port,
            maildir,
            _server: server,
        })
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn delivered(&self) -> Vec<String> {
        files_in(&self.maildir.path().join("mail").join("new"))
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect()
    }
}
