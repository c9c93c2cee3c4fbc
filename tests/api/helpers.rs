//! `spawn_app()` and what tests need around it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use regards_order::app::AppState;
use regards_order::auth::Role;
use regards_order::config::Config;
use regards_order::time::Clock;
use regards_order::workers::Runner;
use sqlx::Connection;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A running service on a fresh database.
pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    /// Holds the data dir (and the SQLite file) until the test ends.
    _dir: TempDir,
    database: TestDatabase,
    shutdown: CancellationToken,
}

/// The database a test runs on.
pub struct TestDatabase {
    pub url: String,
    /// PostgreSQL only: the server's URL and the database to drop at the end.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database: a new SQLite file in `dir`, or a new database on `TEST_DATABASE_URL`.
    pub async fn create(dir: &Path) -> TestDatabase {
        announce_backend();
        let Some(server) = postgres_url() else {
            return TestDatabase {
                url: format!("sqlite://{}", dir.join("test.db").display()),
                postgres: None,
            };
        };
        let name = format!("ro_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&server)
            .await
            .expect("TEST_DATABASE_URL must name a reachable PostgreSQL server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        TestDatabase {
            url: with_database(&server, &name),
            postgres: Some((server, name)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop may run inside a runtime: do the async work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&server).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Says once per run which backend the tests use. Written straight to stderr so that the test harness
/// does not capture it.
fn announce_backend() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let line = match postgres_url() {
            Some(url) => format!("note: integration tests run on PostgreSQL ({})\n", regards_order::config::redact_url(&url)),
            None => "note: TEST_DATABASE_URL is not set: integration tests run on SQLite, PostgreSQL skipped\n"
                .to_owned(),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
    });
}

fn with_database(server: &str, name: &str) -> String {
    let mut url = url::Url::parse(server).expect("TEST_DATABASE_URL is a URL");
    url.set_path(name);
    url.to_string()
}

/// A plain HTTP client for tests. reqwest takes its TLS provider from the process (ring, installed here
/// as the service does at start).
pub fn http_client() -> reqwest::Client {
    regards_order::outbound::install_crypto_provider();
    reqwest::Client::new()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service with the test configuration, changed by `configure`. No background workers: tests
/// run queued jobs with `run_pending_jobs`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let mut config = Config::with_data_dir(&dir.path().join("data")).unwrap();
    config.database.url = database.url.clone();
    config.jobs.workers = 0;
    configure(&mut config);
    let workers = config.jobs.workers;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bound = listener.local_addr().unwrap();
    let state = AppState::open(config, Some(bound), Clock::default())
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(regards_order::server::run(
        state.clone(),
        Some(listener),
        workers,
        shutdown.clone(),
    ));
    TestApp {
        address: format!("http://{bound}"),
        state,
        client: http_client(),
        _dir: dir,
        database,
        shutdown,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.state.config.data_dir.clone()
    }

    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    pub fn is_postgres(&self) -> bool {
        self.database.is_postgres()
    }

    pub fn token(&self, user: &str, role: Role) -> String {
        self.state.keys.access_token(
            user,
            role,
            Duration::from_secs(3600),
            self.state.clock.now(),
        )
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET with a bearer token and query parameters (encoded as a browser would, `+` as `%2B`).
    pub async fn get_as(
        &self,
        token: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut url = url::Url::parse(&self.url(path)).unwrap();
        for (key, value) in query {
            url.query_pairs_mut().append_pair(key, value);
        }
        self.client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub fn user_token(&self) -> String {
        self.token("user@example.org", Role::RegisteredUser)
    }

    pub fn admin_token(&self) -> String {
        self.token("admin@example.org", Role::Admin)
    }

    /// Runs every due job, as a worker would; returns how many ran.
    pub async fn run_pending_jobs(&self) -> usize {
        Runner::new(self.state.clone(), "test-worker".into())
            .run_pending()
            .await
            .unwrap()
    }

    pub fn outbox_files(&self) -> Vec<PathBuf> {
        files_in(&self.state.config.outbox_dir())
    }

    /// Every job row, oldest first.
    pub async fn jobs(&self) -> Vec<JobRow> {
        sqlx::query_as::<_, JobRow>(
            "SELECT kind, attempts, leased_by, last_error, failed_at, run_at FROM jobs ORDER BY id",
        )
        .fetch_all(self.state.store.pool())
        .await
        .unwrap()
    }
}

impl TestApp {
    /// The mail jobs only (a worker process queues its own reminder job at start).
    pub async fn mail_jobs(&self) -> Vec<JobRow> {
        self.jobs()
            .await
            .into_iter()
            .filter(|job| job.kind == "mail")
            .collect()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub kind: String,
    pub attempts: i64,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub failed_at: Option<i64>,
    pub run_at: i64,
}

pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Polls `check` every 50 ms until it holds, for at most `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
