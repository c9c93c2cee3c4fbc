use super::*;
use crate::config::default_storages;

fn storages(dir: &Path) -> Storages {
    Storages::from_config(&default_storages(dir), &test_client()).unwrap()
}

fn file(dir: &Path, tier: &str, name: &str, content: &[u8]) -> String {
    let path = dir.join("archive").join(tier).join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    url::Url::from_file_path(&path).unwrap().to_string()
}

fn md5(hex: &str) -> Option<Digest> {
    Some(Digest {
        algorithm: "MD5".into(),
        hex: hex.into(),
    })
}

#[tokio::test]
async fn online_files_must_be_there_with_their_size() {
    let dir = tempfile::tempdir().unwrap();
    let online = storages(dir.path()).get("online").unwrap().clone();
    let uri = file(dir.path(), "online", "a.dat", b"hello");
    assert_eq!(online.check(&uri, Some(5)).await, Ok(()));
    assert!(matches!(
        online.check(&uri, Some(6)).await,
        Err(StageError::WrongSize {
            expected: 6,
            actual: 5,
            ..
        })
    ));
    let missing = uri.replace("a.dat", "b.dat");
    assert!(matches!(
        online.check(&missing, Some(5)).await,
        Err(StageError::Missing { .. })
    ));
}

#[tokio::test]
async fn nearline_files_are_restored_with_their_checksum_checked() {
    let dir = tempfile::tempdir().unwrap();
    let nearline = storages(dir.path()).get("nearline").unwrap().clone();
    let uri = file(dir.path(), "nearline", "b.dat", b"hello");
    let dest = nearline.cache_path(7, 42);
    assert!(dest.starts_with(dir.path().join("cache/nearline")));
    nearline
        .restore(
            &uri,
            &dest,
            (Some(5), md5("5d41402abc4b2a76b9719d911017c592")),
            1,
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"hello");

    let corrupt = nearline.cache_path(7, 43);
    let error = nearline
        .restore(
            &uri,
            &corrupt,
            (Some(5), md5("00000000000000000000000000000000")),
            1,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StageError::Corrupt { .. }), "{error}");
    assert!(
        !corrupt.exists() && !corrupt.with_extension("partial").exists(),
        "nothing left behind"
    );

    let sha256 = Digest {
        algorithm: "SHA-256".into(),
        hex: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
    };
    nearline
        .restore(
            &uri,
            &nearline.cache_path(7, 44),
            (Some(5), Some(sha256)),
            1,
        )
        .await
        .unwrap();
    let missing = uri.replace("b.dat", "c.dat");
    let error = nearline
        .restore(&missing, &nearline.cache_path(7, 45), (None, None), 1)
        .await
        .unwrap_err();
    assert!(matches!(error, StageError::Missing { .. }), "{error}");
}

#[test]
fn files_open_only_inside_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/inside.dat"), b"in").unwrap();
    std::fs::write(dir.path().join("outside.dat"), b"out").unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.dat"), root.join("out.dat")).unwrap();
    std::os::unix::fs::symlink(root.join("sub/inside.dat"), root.join("in.dat")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
    assert!(open_within(&root, &root.join("sub/inside.dat")).is_ok());
    assert!(
        open_within(&root, &root.join("in.dat")).is_ok(),
        "a link inside"
    );
    for escape in [
        root.join("out.dat"),
        root.join("up/outside.dat"),
        root.join("../outside.dat"),
    ] {
        let error = open_within(&root, &escape).unwrap_err();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::PermissionDenied,
            "{}",
            escape.display()
        );
        assert!(error.to_string().contains("leads out of its folder"));
    }
    assert_eq!(
        open_within(&root, &root.join("none.dat"))
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::NotFound
    );
}

/// An HTTP client (reqwest takes its TLS provider from the process, installed as the service does).
fn test_client() -> reqwest::Client {
    crate::outbound::install_crypto_provider();
    reqwest::Client::new()
}
