//! Durable jobs, run explicitly (no background workers, no sleeps).

use std::time::Duration;

use regards_order::notify::Email;
use regards_order::orders::mails::queue_mail;
use regards_order::store::NewJob;
use regards_order::time::Timestamp;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn email(subject: &str) -> Email {
    Email {
        to: "user@example.org".into(),
        subject: subject.into(),
        text: "Your order is ready.".into(),
        html: None,
    }
}

#[tokio::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_never_runs() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let mut tx = app.state.store.begin_write().await.unwrap();
    queue_mail(&mut tx, email("rolled back"), now)
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    assert_eq!(app.run_pending_jobs().await, 0);
    assert!(app.jobs().await.is_empty());
    assert!(app.outbox_files().is_empty());
}

#[tokio::test]
async fn a_committed_mail_job_writes_one_eml_file_and_goes() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let mut tx = app.state.store.begin_write().await.unwrap();
    queue_mail(&mut tx, email("Order number 7 is confirmed"), now)
        .await
        .unwrap();
    assert!(app.jobs().await.is_empty(), "not visible before commit");
    tx.commit().await.unwrap();

    assert_eq!(app.run_pending_jobs().await, 1);
    assert!(app.jobs().await.is_empty());
    let files = app.outbox_files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains("Subject: Order number 7 is confirmed"),
        "{text}"
    );
    assert!(text.contains("From: regards-order@localhost"), "{text}");
}

#[tokio::test]
async fn a_failing_job_retries_with_backoff_keeps_its_error_then_stays_failed() {
    // Nothing listens on port 1: every send fails.
    let app = spawn_app_with(|config| {
        config.mail.smtp_url = "smtp://127.0.0.1:1".into();
        config.jobs.max_attempts = 3;
    })
    .await;
    let start = app.state.clock.now();
    app.state
        .store
        .enqueue_job(
            &regards_order::jobs::new_job(&mail(email("retry me")), start),
            start,
        )
        .await
        .unwrap();
    the_first_failure_keeps_its_error_and_backs_off(&app, start).await;

    app.state.clock.advance(Duration::from_secs(2));
    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(app.jobs().await[0].attempts, 2);

    app.state.clock.advance(Duration::from_secs(5));
    assert_eq!(app.run_pending_jobs().await, 1);
    let jobs = app.jobs().await;
    assert_eq!(jobs[0].attempts, 3);
    assert!(
        jobs[0].failed_at.is_some(),
        "out of attempts: failed for good"
    );

    app.state.clock.advance(Duration::from_secs(3600));
    assert_eq!(
        app.run_pending_jobs().await,
        0,
        "a failed job never runs again"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for series in [
        r#"jobs_failed{kind="mail"} 1"#,
        r#"jobs_total{kind="mail",outcome="retried"}"#,
        r#"jobs_total{kind="mail",outcome="failed"}"#,
    ] {
        assert!(metrics.contains(series), "{series}\n{metrics}");
    }
}

async fn the_first_failure_keeps_its_error_and_backs_off(app: &TestApp, start: Timestamp) {
    assert_eq!(app.run_pending_jobs().await, 1);
    let jobs = app.jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].attempts, 1);
    assert!(
        jobs[0].last_error.as_deref().unwrap().contains("SMTP"),
        "{:?}",
        jobs[0]
    );
    assert!(jobs[0].failed_at.is_none());
    assert!(
        jobs[0].run_at >= start.millis() + 1000,
        "retried after a backoff"
    );
    assert_eq!(
        app.run_pending_jobs().await,
        0,
        "not due before its backoff"
    );
}

fn mail(email: Email) -> regards_order::orders::mails::SendMail {
    regards_order::orders::mails::SendMail { email }
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_over_when_its_lease_runs_out() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let job = regards_order::jobs::new_job(&mail(email("taken over")), now);
    app.state.store.enqueue_job(&job, now).await.unwrap();

    // A worker leases it, then "dies" (never completes nor releases it).
    let lease = app.state.config.jobs.lease;
    let leased = app
        .state
        .store
        .lease_job("dead-worker", now, now.plus(lease))
        .await
        .unwrap();
    assert!(leased.is_some());
    assert_eq!(
        app.run_pending_jobs().await,
        0,
        "leased: nobody else takes it"
    );

    app.state.clock.advance(lease + Duration::from_secs(1));
    assert_eq!(app.run_pending_jobs().await, 1);
    assert!(app.jobs().await.is_empty());
    assert_eq!(app.outbox_files().len(), 1);
}

#[tokio::test]
async fn a_unique_key_keeps_one_queued_job() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let job = NewJob {
        unique_key: Some("schedule:alice".into()),
        ..regards_order::jobs::new_job(&mail(email("once")), now)
    };
    app.state.store.enqueue_job(&job, now).await.unwrap();
    app.state.store.enqueue_job(&job, now).await.unwrap();
    assert_eq!(app.jobs().await.len(), 1);
    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(app.outbox_files().len(), 1);
}

#[tokio::test]
async fn an_unknown_job_kind_fails_with_a_message() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let job = NewJob {
        kind: "bogus".into(),
        payload: "{}".into(),
        run_at: now,
        unique_key: None,
    };
    app.state.store.enqueue_job(&job, now).await.unwrap();
    assert_eq!(app.run_pending_jobs().await, 1);
    let jobs = app.jobs().await;
    assert_eq!(jobs[0].kind, "bogus");
    assert_eq!(
        jobs[0].last_error.as_deref(),
        Some("unknown job kind \"bogus\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_run_a_job_twice() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    for n in 0..40 {
        let job = regards_order::jobs::new_job(&mail(email(&format!("mail {n}"))), now);
        app.state.store.enqueue_job(&job, now).await.unwrap();
    }
    let runs = (0..4).map(|n| {
        let runner = regards_order::workers::Runner::new(app.state.clone(), format!("worker-{n}"));
        tokio::spawn(async move { runner.run_pending().await.unwrap() })
    });
    let total: usize = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(total, 40);
    assert_eq!(app.outbox_files().len(), 40);
    assert!(app.jobs().await.is_empty());
}
