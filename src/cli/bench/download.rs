//! `regards-order bench download`: an order of a few large online files (2 GiB by default), downloaded
//! from a real `serve` process with curl, as a streamed zip and file by file, from the page cache;
//! against the machine's own limit measured in the same run: curl fetching the same files from
//! `sendfile_server.py` (kernel sendfile over loopback, no framework, no checksum). Also the server's
//! peak memory above its idle level while it streams.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use super::{Serve, ensure_generated, fresh_databases};
use crate::catalog::generate::GenerateOptions;
use crate::config::Config;
use crate::time::Clock;

/// The baseline server (kernel sendfile over loopback: `sendfile_server.py` beside this file), written to the work dir.
const SENDFILE_SERVER: &str = include_str!("sendfile_server.py");

pub async fn run(files: u64, file_mib: u64, work_dir: PathBuf, repeat: u32) -> anyhow::Result<()> {
    std::fs::create_dir_all(&work_dir)?;
    let root = work_dir.canonicalize()?.join("download-bench");
    std::fs::create_dir_all(&root)?;
    let options = GenerateOptions {
        out: root.join("archive"),
        datasets: 1,
        objects: files,
        files_per_object: 1,
        file_size: file_mib * 1024 * 1024,
        nearline_share: 0.0,
        seed: 6,
    };
    ensure_generated(&options).await?;
    let database = fresh_databases(&root, None).await?.remove(0);
    let mut config = Config::with_data_dir(&root)?;
    config.database.url = database.url.clone();
    let (paths, total) = import_and_warm(&root, &config).await?;
    let baseline = Baseline::start(&root, &paths).await?;
    let server = Serve::start(
        &root,
        &config,
        &[(
            "REGARDS_ORDER__ORDERS__MAX_RUNNING_SUBORDERS_PER_USER",
            "1000",
        )],
    )
    .await?;
    let result = measure(&server, &baseline, &paths, total, repeat).await;
    server.stop().await?;
    baseline.stop().await?;
    result
}

/// Imports the generated catalog; returns its files and their total size, read once into the page cache.
async fn import_and_warm(root: &Path, config: &Config) -> anyhow::Result<(Vec<PathBuf>, u64)> {
    let store = crate::store::connect(&config.database.url).await?;
    store.migrate().await?;
    let report = crate::catalog::sources::import_paths(
        store.clone(),
        config,
        &[root.join("archive/stac")],
        Clock::default().now(),
        true,
    )
    .await?;
    println!("catalog: {}", report.summary_line());
    let uris = crate::store::bench::file_uris(store.pool()).await?;
    store.close().await;
    let paths: Vec<PathBuf> = uris
        .iter()
        .map(|uri| crate::storage::local_path(uri))
        .collect();
    let total: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()))
        .sum::<std::io::Result<u64>>()?;
    for path in &paths {
        std::io::copy(&mut std::fs::File::open(path)?, &mut std::io::sink())?;
    }
    println!(
        "{} files, {:.2} GiB, read once into the page cache",
        paths.len(),
        gib(total)
    );
    Ok((paths, total))
}

async fn measure(
    server: &Serve,
    baseline: &Baseline,
    paths: &[PathBuf],
    total: u64,
    repeat: u32,
) -> anyhow::Result<()> {
    let mut best = Best::default();
    let mut idle_kb = u64::MAX;
    for run in 0..repeat.max(1) {
        let (order, _) = server.order_all().await?;
        idle_kb = idle_kb.min(server.memory_kb("VmRSS").context("no VmRSS (Linux only)")?);
        let [zip, sendfile_all, ours_each, sendfile_each] =
            measure_run(server, baseline, order, paths.len(), total).await?;
        println!(
            "run {}: zip {:.0} MiB/s vs sendfile {:.0} MiB/s; files {:.0} MiB/s vs sendfile {:.0} MiB/s",
            run + 1,
            zip.mib_per_s(),
            sendfile_all.mib_per_s(),
            ours_each.mib_per_s(),
            sendfile_each.mib_per_s()
        );
        best.keep(zip, sendfile_all, ours_each, sendfile_each);
    }
    let peak_kb = server.memory_kb("VmHWM").context("no VmHWM")?;
    println!(
        "zip: {:.0} MiB/s = {:.2}x sendfile ({:.0} MiB/s), goal >= 0.8",
        best.zip.mib_per_s(),
        best.zip.mib_per_s() / best.sendfile_all.mib_per_s(),
        best.sendfile_all.mib_per_s()
    );
    println!(
        "single files: {:.0} MiB/s = {:.2}x sendfile ({:.0} MiB/s), goal >= 0.9",
        best.files.mib_per_s(),
        best.files.mib_per_s() / best.sendfile_each.mib_per_s(),
        best.sendfile_each.mib_per_s()
    );
    println!(
        "server memory: idle {} MiB, peak {} MiB: {} MiB above idle while streaming {:.2} GiB (goal < 64)",
        idle_kb / 1024,
        peak_kb / 1024,
        peak_kb.saturating_sub(idle_kb) / 1024,
        gib(total)
    );
    Ok(())
}

/// One run: the zip and every file from the service and from the sendfile baseline, checked whole.
/// Returns (zip, sendfile of all, the service's files, sendfile's files).
async fn measure_run(
    server: &Serve,
    baseline: &Baseline,
    order: i64,
    files: usize,
    total: u64,
) -> anyhow::Result<[Fetched; 4]> {
    let auth = format!("Authorization: Bearer {}", server.token);
    let file_urls = file_urls(server, order).await?;
    if file_urls.len() != files {
        bail!(
            "the order has {} files, the catalog {files}",
            file_urls.len()
        );
    }
    let sendfile_all = curl(&format!("{}/all", baseline.address), None)?;
    let zip = curl(
        &format!("{}/user/orders/{order}/download", server.address),
        Some(&auth),
    )?;
    if zip.bytes < total {
        bail!(
            "the zip holds {} bytes, less than the {total} bytes of its files",
            zip.bytes
        );
    }
    let mut sendfile_each = Fetched::default();
    let mut ours_each = Fetched::default();
    for (n, url) in file_urls.iter().enumerate() {
        sendfile_each.add(curl(&format!("{}/{n}", baseline.address), None)?);
        ours_each.add(curl(url, Some(&auth))?);
    }
    if ours_each.bytes != total || sendfile_each.bytes != total {
        bail!(
            "single files: {} bytes from the service, {} from sendfile, {total} expected",
            ours_each.bytes,
            sendfile_each.bytes
        );
    }
    Ok([zip, sendfile_all, ours_each, sendfile_each])
}

pub(super) fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// The `downloadUrl` of every file of an order.
async fn file_urls(server: &Serve, order: i64) -> anyhow::Result<Vec<String>> {
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/orders/{order}/files/available?size=1000",
            server.address
        ))
        .bearer_auth(&server.token)
        .send()
        .await?
        .json()
        .await?;
    let content = page["content"].as_array().context("no files")?;
    content
        .iter()
        .map(|file| {
            file["content"]["downloadUrl"]
                .as_str()
                .map(str::to_owned)
                .context("no downloadUrl")
        })
        .collect()
}

/// Bytes fetched and the time it took.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Fetched {
    pub bytes: u64,
    seconds: f64,
}

impl Fetched {
    pub fn add(&mut self, other: Fetched) {
        self.bytes += other.bytes;
        self.seconds += other.seconds;
    }

    pub fn mib_per_s(&self) -> f64 {
        self.bytes as f64 / (1u64 << 20) as f64 / self.seconds.max(1e-9)
    }
}

/// The fastest run of each kind.
#[derive(Debug, Default)]
struct Best {
    zip: Fetched,
    sendfile_all: Fetched,
    files: Fetched,
    sendfile_each: Fetched,
}

impl Best {
    fn keep(
        &mut self,
        zip: Fetched,
        sendfile_all: Fetched,
        files: Fetched,
        sendfile_each: Fetched,
    ) {
        for (best, new) in [
            (&mut self.zip, zip),
            (&mut self.sendfile_all, sendfile_all),
            (&mut self.files, files),
            (&mut self.sendfile_each, sendfile_each),
        ] {
            if best.bytes == 0 || new.mib_per_s() > best.mib_per_s() {
                *best = new;
            }
        }
    }
}

/// `curl -o /dev/null`: bytes and total time, as curl measured them; fails unless 200.
pub(super) fn curl(url: &str, header: Option<&str>) -> anyhow::Result<Fetched> {
    let mut command = std::process::Command::new("curl");
    command.args([
        "--silent",
        "--show-error",
        "--output",
        "/dev/null",
        "--write-out",
        "%{http_code} %{size_download} %{time_total}",
    ]);
    if let Some(header) = header {
        command.args(["--header", header]);
    }
    let output = command.arg(url).output().context("cannot run curl")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    match fields.as_slice() {
        ["200", bytes, seconds] => Ok(Fetched {
            bytes: bytes.parse()?,
            seconds: seconds.parse()?,
        }),
        _ => bail!(
            "curl {url}: {text} {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// `sendfile_server.py` serving the files.
struct Baseline {
    child: tokio::process::Child,
    address: String,
}

impl Baseline {
    async fn start(root: &Path, paths: &[PathBuf]) -> anyhow::Result<Baseline> {
        let script = root.join("sendfile_server.py");
        std::fs::write(&script, SENDFILE_SERVER)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = tokio::process::Command::new("python3")
            .arg(&script)
            .args(["--port", &port.to_string()])
            .args(paths)
            .kill_on_drop(true)
            .spawn()
            .context("cannot run python3")?;
        let address = format!("127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&address).await.is_ok() {
                return Ok(Baseline {
                    child,
                    address: format!("http://{address}"),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("sendfile_server.py did not start")
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}
