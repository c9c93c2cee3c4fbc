//! `regards-order bench ...`: measurements on generated data, each reported as a ratio to a baseline
//! measured in the same run (figures that compare across machines).

mod admin;
mod catalog;
mod download;
mod filter;
mod order;
mod rights;
mod s3;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;

use crate::catalog::generate::{GenerateOptions, generate};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Catalog import rate, and summary and search times against count(*).
    Catalog {
        #[arg(long, default_value_t = 1_000_000)]
        objects: u64,
        #[arg(long, default_value_t = 4)]
        datasets: u32,
        #[arg(long, default_value_t = 2)]
        files_per_object: u32,
        /// Where the generated catalog (kept between runs) and the SQLite database go.
        #[arg(long, default_value = "./bench-data")]
        work_dir: PathBuf,
        /// A PostgreSQL server URL: a fresh database is created there for the run, then dropped.
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Timed runs of each query (the median is shown).
        #[arg(long, default_value_t = 5)]
        repeat: u32,
    },
    /// An order of a million online files: from POST to every file AVAILABLE, and the server's peak
    /// memory, against one bulk INSERT of the same rows.
    Order {
        /// Files of the order (objects of two files each).
        #[arg(long, default_value_t = 1_000_000)]
        files: u64,
        #[arg(long, default_value = "./bench-data")]
        work_dir: PathBuf,
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
    },
    /// The operators' reads on 100,000 orders: the streamed CSV and a page of 1000 of the search, against
    /// one SELECT of the same rows; and the server's memory above idle while it streams the CSV.
    Admin {
        #[arg(long, default_value_t = 100_000)]
        orders: u64,
        #[arg(long, default_value = "./bench-data")]
        work_dir: PathBuf,
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Timed runs of each read (the median is shown).
        #[arg(long, default_value_t = 3)]
        repeat: u32,
    },
    /// Download throughput of a 2 GiB order (streamed zip, and file by file) with curl, against curl on
    /// a kernel-sendfile server in the same run; and the server's memory above idle while it streams.
    Download {
        /// Files of the order.
        #[arg(long, default_value_t = 8)]
        files: u64,
        /// Size of each file, MiB.
        #[arg(long, default_value_t = 256)]
        file_mib: u64,
        #[arg(long, default_value = "./bench-data")]
        work_dir: PathBuf,
        /// Runs (the fastest of each kind is kept).
        #[arg(long, default_value_t = 3)]
        repeat: u32,
    },
    /// Zip throughput of a 1 GiB order of online S3 objects against a plain client fetching the same
    /// objects from the store in the same run; and the server's memory above idle while it streams.
    S3 {
        /// The store's URL (moto's server: `python -m moto.server -p 5000`); keys from `AWS_*`.
        #[arg(long)]
        endpoint: String,
        #[arg(long, default_value = "regards-order-bench")]
        bucket: String,
        #[arg(long, default_value_t = 16)]
        files: u64,
        /// Size of each object, MiB.
        #[arg(long, default_value_t = 64)]
        file_mib: u64,
        #[arg(long, default_value = "./bench-data")]
        work_dir: PathBuf,
        /// Runs (the fastest of each kind is kept).
        #[arg(long, default_value_t = 3)]
        repeat: u32,
    },
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Catalog {
            objects,
            datasets,
            files_per_object,
            work_dir,
            postgres,
            repeat,
        } => {
            catalog::run(
                objects,
                datasets,
                files_per_object,
                work_dir,
                postgres,
                repeat,
            )
            .await
        }
        BenchCommand::Order {
            files,
            work_dir,
            postgres,
        } => order::run(files, work_dir, postgres).await,
        BenchCommand::Download {
            files,
            file_mib,
            work_dir,
            repeat,
        } => download::run(files, file_mib, work_dir, repeat).await,
        BenchCommand::Admin {
            orders,
            work_dir,
            postgres,
            repeat,
        } => admin::run(orders, work_dir, postgres, repeat).await,
        BenchCommand::S3 {
            endpoint,
            bucket,
            files,
            file_mib,
            work_dir,
            repeat,
        } => {
            let target = s3::Target {
                endpoint,
                bucket,
                files,
                file_mib,
            };
            s3::run(target, work_dir, repeat).await
        }
    }
}

/// Generates the catalog unless the same one is already there.
pub(super) async fn ensure_generated(options: &GenerateOptions) -> anyhow::Result<()> {
    let marker = options.out.join("generated.txt");
    let wanted = format!("{options:?}");
    if std::fs::read_to_string(&marker).is_ok_and(|found| found == wanted) {
        println!("catalog: reusing {}", options.out.display());
        return Ok(());
    }
    if options.out.exists() {
        std::fs::remove_dir_all(&options.out)?;
    }
    let started = Instant::now();
    let copy = options.clone();
    let generated = tokio::task::spawn_blocking(move || generate(&copy, |_| {})).await??;
    std::fs::write(marker, wanted)?;
    println!(
        "catalog: generated {} objects, {} files in {:.1} s",
        generated.objects,
        generated.files,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A database made for one run: a fresh SQLite file, or a fresh database on a PostgreSQL server.
struct BenchDatabase {
    label: String,
    url: String,
    /// PostgreSQL: the server and the database to drop afterwards.
    postgres: Option<(String, String)>,
}

impl BenchDatabase {
    async fn drop(self) -> anyhow::Result<()> {
        if let Some((server, name)) = self.postgres {
            crate::store::bench::drop_scratch_database(&server, &name).await?;
        }
        Ok(())
    }
}

/// A fresh SQLite database in `work_dir`, and a fresh PostgreSQL database when a server is given.
async fn fresh_databases(
    work_dir: &Path,
    postgres: Option<&str>,
) -> anyhow::Result<Vec<BenchDatabase>> {
    let sqlite = work_dir.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite.display()));
    }
    let mut databases = vec![BenchDatabase {
        label: "SQLite".into(),
        url: format!("sqlite://{}", sqlite.display()),
        postgres: None,
    }];
    if let Some(server) = postgres {
        let name = format!("regards_bench_{}", std::process::id());
        crate::store::bench::create_scratch_database(server, &name)
            .await
            .context("cannot reach --postgres")?;
        let mut url = url::Url::parse(server)?;
        url.set_path(&name);
        databases.push(BenchDatabase {
            label: "PostgreSQL".into(),
            url: url.to_string(),
            postgres: Some((server.to_owned(), name)),
        });
    }
    Ok(databases)
}

/// The median duration of `repeat` runs, after one warm-up run.
pub(super) async fn median<F, Fut>(repeat: u32, mut run: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    run().await?;
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        run().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// A `serve` process of this binary, on a data dir and database, with a user token for it.
pub(super) struct Serve {
    child: tokio::process::Child,
    pid: u32,
    pub address: String,
    pub token: String,
}

impl Serve {
    pub async fn start(
        root: &Path,
        config: &crate::config::Config,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Serve> {
        use tokio::io::AsyncBufReadExt;

        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(root)
            .args(["--database-url", &config.database.url])
            .env("REGARDS_ORDER__JOBS__POLL_INTERVAL", "100ms")
            .env("REGARDS_ORDER__LOG__LEVEL", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn()?;
        let pid = child.id().context("serve did not start")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let address = loop {
            match lines.next_line().await? {
                Some(line) => {
                    if let Some(address) = line.strip_prefix("regards-order listening on ") {
                        break address.to_owned();
                    }
                }
                None => anyhow::bail!("serve stopped before listening"),
            }
        };
        let secret = crate::auth::load_or_create_secret(config)?;
        let keys = crate::auth::TokenKeys::new(&secret, &config.auth.tenant);
        let token = keys.access_token(
            "bench@example.org",
            crate::auth::Role::RegisteredUser,
            Duration::from_secs(86_400),
            crate::time::Clock::default().now(),
        );
        Ok(Serve {
            child,
            pid,
            address,
            token,
        })
    }

    /// A memory figure of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`; Linux).
    pub fn memory_kb(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Puts the whole catalog in the basket, orders it and waits until the order is DONE; returns the
    /// order id and the time from the POST to DONE.
    pub async fn order_all(&self) -> anyhow::Result<(i64, Duration)> {
        let (address, token) = (&self.address, &self.token);
        let client = reqwest::Client::new();
        let selection = client
            .post(format!("{address}/order/basket/selection"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(r#"{"selectAllOpenSearchRequest": ""}"#)
            .send()
            .await?;
        if !selection.status().is_success() {
            anyhow::bail!("basket: {}", selection.status());
        }
        let started = Instant::now();
        let order: serde_json::Value = client
            .post(format!("{address}/user/orders"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let id = order["content"]["id"].as_i64().context("no order id")?;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let order: serde_json::Value = client
                .get(format!("{address}/user/orders/{id}"))
                .bearer_auth(token)
                .send()
                .await?
                .json()
                .await?;
            match order["content"]["status"].as_str().unwrap_or("") {
                "RUNNING" => continue,
                "DONE" => return Ok((id, started.elapsed())),
                status => {
                    anyhow::bail!("the order ended {status}: {}", order["content"]["message"])
                }
            }
        }
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}
