//! moto's S3 server on a free port, for the tests of S3 storages: the service talks HTTP to it. Buckets and
//! objects are made through its S3 API (requests signed with rusty-s3).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

pub const KEY_ID: &str = "AKIATESTS3STORAGEKEY";
pub const SECRET: &str = "s3cr3t-never-in-logs-0123456789abcdef";

pub struct Moto {
    child: Child,
    pub endpoint: String,
    client: reqwest::Client,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Python with moto's server: `REGARDS_TEST_PYTHON`, else the virtualenv `.ci/run` prepares.
fn moto_python() -> Option<String> {
    let candidates = [
        std::env::var("REGARDS_TEST_PYTHON").ok(),
        Some(format!(
            "{}/.ci/venv/bin/python",
            env!("CARGO_MANIFEST_DIR")
        )),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import moto.server"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

impl Moto {
    /// A running moto, or none when it is not installed (with `CI=true`: a failure).
    pub async fn start() -> Option<Moto> {
        let Some(python) = moto_python() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "moto[server] is required in CI but not found (REGARDS_TEST_PYTHON or .ci/venv)"
            );
            eprintln!("note: moto[server] not found: S3 storage test skipped");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            client: crate::helpers::http_client(),
        };
        for _ in 0..200 {
            if moto.client.get(&moto.endpoint).send().await.is_ok() {
                return Some(moto);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto did not start on port {port}");
    }

    fn bucket(&self, name: &str) -> Bucket {
        let endpoint = self.endpoint.parse().unwrap();
        Bucket::new(endpoint, UrlStyle::Path, name.to_owned(), "us-east-1").unwrap()
    }

    pub async fn create_bucket(&self, name: &str) {
        let bucket = self.bucket(name);
        let credentials = Credentials::new(KEY_ID, SECRET);
        let url = bucket
            .create_bucket(&credentials)
            .sign(Duration::from_secs(60));
        let request = self.client.put(url).header("content-length", "0");
        let answer = request.send().await.unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
    }

    /// Puts an object, in `class` (`GLACIER` for an archived one) when given.
    pub async fn put(&self, bucket: &str, key: &str, content: &[u8], class: Option<&str>) {
        let bucket = self.bucket(bucket);
        let credentials = Credentials::new(KEY_ID, SECRET);
        let mut action = bucket.put_object(Some(&credentials), key);
        if let Some(class) = class {
            action
                .headers_mut()
                .insert("x-amz-storage-class", class.to_owned());
        }
        let url = action.sign(Duration::from_secs(60));
        let mut request = self.client.put(url).body(content.to_vec());
        if let Some(class) = class {
            request = request.header("x-amz-storage-class", class);
        }
        let answer = request.send().await.unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
    }
}
