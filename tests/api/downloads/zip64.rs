//! A file over 4 GiB: the streamed zip switches to zip64, and a real reader (Python's `zipfile`) opens it
//! and finds the CRC-32 the import computed.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use serde_json::{Value, json};

use super::{get, processed_order};
use crate::catalog::fixture::{archive_file, collection, import_folder, item};
use crate::helpers::{TestApp, spawn_app};
use crate::orders::files_in;

const HUGE: u64 = 4 * 1024 * 1024 * 1024 + 512 * 1024 * 1024;

/// A sparse file of `HUGE` bytes, zero but for marks at its start, across the 4 GiB line and at its end.
fn sparse_file(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = std::fs::File::create(path).unwrap();
    file.set_len(HUGE).unwrap();
    for (offset, mark) in [
        (0, &b"start"[..]),
        ((1u64 << 32) - 3, b"across"),
        (HUGE - 3, b"end"),
    ] {
        file.seek(SeekFrom::Start(offset)).unwrap();
        file.write_all(mark).unwrap();
    }
}

#[tokio::test]
async fn a_file_over_4_gib_makes_a_zip64_archive_that_python_opens() {
    let app = spawn_app().await;
    import_a_huge_then_a_small_file(&app).await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:big").await;
    assert_eq!(files_in(&app, id, "AVAILABLE").await.len(), 2);

    let zip_path = app.data_dir().join("order.zip");
    download_the_zip(&app, &token, id, &zip_path).await;
    let report = python_reads(&zip_path);
    assert_eq!(
        report["bad"],
        Value::Null,
        "every CRC matches its entry's bytes"
    );
    let crc32: i64 = sqlx::query_scalar(
        "SELECT crc32 FROM order_files WHERE order_id = $1 AND provider_id = 'huge'",
    )
    .bind(id)
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    let small_crc = crc32fast::hash(b"after the huge one\n");
    assert_eq!(
        report["entries"],
        json!([["huge.bin", HUGE, crc32], ["small.txt", 19, small_crc]])
    );
    std::fs::remove_file(&zip_path).unwrap();

    crate::helpers::wait_until(
        std::time::Duration::from_secs(10),
        "the files to be downloaded",
        || async { files_in(&app, id, "DOWNLOADED").await.len() == 2 },
    )
    .await;
}

/// The dataset `big`: the object `huge` (a sparse file of `HUGE` bytes), then `small`.
async fn import_a_huge_then_a_small_file(app: &TestApp) {
    let huge = app.data_dir().join("archive/online/big/huge.bin");
    sparse_file(&huge);
    let small = archive_file(app, "online", "big/small.txt", b"after the huge one\n");
    let folder = app.data_dir().join("stac-big");
    std::fs::create_dir_all(&folder).unwrap();
    let lines = [
        collection("big", "Big").to_string(),
        item(
            "huge",
            "big",
            json!({}),
            json!({"data": {"href": huge.display().to_string()}}),
        )
        .to_string(),
        item("small", "big", json!({}), json!({"data": {"href": small}})).to_string(),
    ];
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    import_folder(app, &folder).await;
}

/// Streams the zip of the order to `path`.
async fn download_the_zip(app: &TestApp, token: &str, id: i64, path: &Path) {
    let mut response = get(
        app,
        &format!("/user/orders/{id}/download"),
        Some(token),
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    while let Some(chunk) = response.chunk().await.unwrap() {
        out.write_all(&chunk).unwrap();
    }
    out.flush().unwrap();
}

/// What Python's `zipfile` finds in the zip: `bad` (its `testzip()`), and `entries` (name, size, CRC).
fn python_reads(zip_path: &Path) -> Value {
    let script = "import json, sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  print(json.dumps({'bad': z.testzip(), 'entries': [[i.filename, i.file_size, i.CRC] for i in z.infolist()]}))";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(zip_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
