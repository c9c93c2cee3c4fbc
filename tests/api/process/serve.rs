//! Starting, stopping and configuring the binary; the token and migrate commands.

use std::time::Duration;

use super::*;
use crate::helpers::{TestDatabase, spawn_app};

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
