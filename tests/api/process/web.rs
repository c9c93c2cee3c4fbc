//! The web application in a real browser: `serve --demo` on the test's database, and Playwright driving
//! Debian's Chromium through `tests/browser/journey.py` (docs/decisions.md "Web application").

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::regards_order;
use crate::helpers::spawn_app;

/// Python with Playwright (`REGARDS_TEST_PYTHON`, else `.ci/venv`), when it and Chromium are installed.
fn playwright_python() -> Option<String> {
    let candidates = [
        std::env::var("REGARDS_TEST_PYTHON").ok(),
        Some(format!(
            "{}/.ci/venv/bin/python",
            env!("CARGO_MANIFEST_DIR")
        )),
    ];
    let chromium = std::path::Path::new("/usr/bin/chromium").exists();
    candidates.into_iter().flatten().find(|python| {
        chromium
            && std::process::Command::new(python)
                .args(["-c", "import playwright.sync_api"])
                .output()
                .is_ok_and(|out| out.status.success())
    })
}

#[tokio::test]
async fn the_whole_journey_runs_in_chromium() {
    let Some(python) = playwright_python() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Playwright and /usr/bin/chromium are required in CI (REGARDS_TEST_PYTHON or .ci/venv)"
        );
        return eprintln!("note: Playwright or Chromium not found: browser test skipped");
    };
    let app = spawn_app().await;
    let data_dir = app.data_dir().join("demo");
    let mut serve = regards_order(&[
        "serve",
        "--demo",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let (mut base, mut user_token) = (None, None);
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(address) = line.strip_prefix("regards-order listening on ") {
                base = Some(address.to_owned());
            }
            if let Some(token) = line.trim().strip_prefix("export USER_TOKEN=") {
                user_token = Some(token.to_owned());
                return;
            }
        }
    })
    .await
    .expect("serve --demo did not print its tokens in time");
    let script = format!("{}/tests/browser/journey.py", env!("CARGO_MANIFEST_DIR"));
    let output = tokio::process::Command::new(python)
        .arg(script)
        .args([
            "--base",
            &base.unwrap(),
            "--user-token",
            &user_token.unwrap(),
        ])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "the browser journey failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    drop(serve);
}
