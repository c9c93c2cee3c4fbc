use super::*;
use crate::config::default_storages;

struct Fixture {
    dir: tempfile::TempDir,
    roots: StorageRoots,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let roots = StorageRoots::new(
        &crate::storage::Storages::from_config(&default_storages(dir.path()), &test_client())
            .unwrap(),
    )
    .unwrap();
    Fixture { dir, roots }
}

fn asset(href: &str) -> AssetDoc {
    AssetDoc {
        key: "data".into(),
        href: href.into(),
        media_type: None,
        roles: vec!["data".into()],
        size: None,
        checksum: None,
        crc32: None,
        data_type: None,
    }
}

impl Fixture {
    fn file(&self, tier: &str, name: &str, content: &[u8]) -> PathBuf {
        let path = self.dir.path().join("archive").join(tier).join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    fn resolve(&self, asset: &AssetDoc, base: Option<&Path>) -> Result<NewFile, String> {
        self.resolved(asset, base).map(|resolved| resolved.file)
    }

    fn resolved(&self, asset: &AssetDoc, base: Option<&Path>) -> Result<Resolved, String> {
        resolve(asset, base, &mut Resolver::new(&self.roots))
    }
}

#[test]
fn a_local_file_gets_its_storage_size_md5_and_crc() {
    let f = fixture();
    let path = f.file("nearline", "a/b.tif", b"hello");
    let file = f.resolve(&asset(path.to_str().unwrap()), None).unwrap();
    assert_eq!(file.storage.as_deref(), Some("nearline"));
    assert_eq!(file.size, Some(5));
    assert_eq!(
        file.checksum,
        Some(Checksum::md5("5d41402abc4b2a76b9719d911017c592".into()))
    );
    assert_eq!(file.crc32, Some(0x3610_a686));
    assert_eq!(file.filename, "b.tif");
    assert_eq!(file.mime_type, "image/tiff");
    assert!(file.uri.starts_with("file:///") && file.uri.ends_with("/archive/nearline/a/b.tif"));
}

#[test]
fn relative_and_file_url_hrefs_resolve() {
    let f = fixture();
    let path = f.file("online", "x/y.dat", b"1");
    let base = f.dir.path().join("archive/online/x");
    assert_eq!(
        f.resolve(&asset("y.dat"), Some(&base))
            .unwrap()
            .storage
            .as_deref(),
        Some("online")
    );
    let url = url::Url::from_file_path(&path).unwrap().to_string();
    assert_eq!(f.resolve(&asset(&url), None).unwrap().size, Some(1));
    let error = f.resolve(&asset("y.dat"), None).unwrap_err();
    assert!(
        error.contains("relative href \"y.dat\" cannot be resolved"),
        "{error}"
    );
}

#[test]
fn declared_checksums_are_trusted_and_sizes_checked() {
    let f = fixture();
    let path = f.file("online", "z.dat", b"abc");
    let mut declared = asset(path.to_str().unwrap());
    declared.checksum = Some(format!("d50110{}", "0".repeat(32)).into());
    declared.size = Some(3);
    let file = f.resolve(&declared, None).unwrap();
    assert_eq!(file.checksum.unwrap().hex, "0".repeat(32), "not recomputed");
    declared.size = Some(4);
    let error = f.resolve(&declared, None).unwrap_err();
    assert!(error.contains("has 3 bytes, the STAC says 4"), "{error}");
}

#[test]
fn an_unreadable_checksum_is_dropped_and_a_local_file_hashed_instead() {
    let f = fixture();
    let path = f.file("online", "c.dat", b"hello");
    let mut declared = asset(path.to_str().unwrap());
    for bad in [serde_json::json!("not a multihash"), serde_json::json!(12)] {
        declared.checksum = Some(bad.clone());
        let resolved = f.resolved(&declared, None).unwrap();
        assert_eq!(
            resolved.file.checksum,
            Some(Checksum::md5("5d41402abc4b2a76b9719d911017c592".into())),
            "{bad}"
        );
        assert!(resolved.checksum_dropped.is_some(), "{bad}");
    }
    let mut external = asset("https://data.example.org/e.nc");
    external.checksum = Some("1220abcd".into());
    let resolved = f.resolved(&external, None).unwrap();
    assert_eq!(resolved.file.checksum, None);
    assert!(
        resolved
            .checksum_dropped
            .unwrap()
            .contains("is not a hex multihash")
    );
}

#[test]
fn missing_outside_and_unsupported_files_are_refused() {
    let f = fixture();
    let missing = f.dir.path().join("archive/online/nope.dat");
    let error = f
        .resolve(&asset(missing.to_str().unwrap()), None)
        .unwrap_err();
    assert!(error.contains("is missing or unreadable"), "{error}");

    let outside = f.dir.path().join("elsewhere.dat");
    std::fs::write(&outside, b"x").unwrap();
    let error = f
        .resolve(&asset(outside.to_str().unwrap()), None)
        .unwrap_err();
    assert!(error.contains("is under no storage root"), "{error}");

    // A link inside a root to a file outside it is followed, and refused.
    let link = f.dir.path().join("archive/online/link.dat");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let error = f.resolve(&asset(link.to_str().unwrap()), None).unwrap_err();
    assert!(error.contains("is under no storage root"), "{error}");

    let error = f.resolve(&asset("s3://bucket/key.tif"), None).unwrap_err();
    assert!(
        error.contains("is under no storage bucket and prefix"),
        "{error}"
    );
    let error = f.resolve(&asset("ftp://host/key.tif"), None).unwrap_err();
    assert!(error.contains("unsupported href scheme ftp://"), "{error}");
}

#[test]
fn http_assets_are_external_references() {
    let f = fixture();
    let mut external = asset("https://data.example.org/path/My%20File.nc?x=1");
    external.size = Some(42);
    external.roles = vec!["overview".into()];
    let file = f.resolve(&external, None).unwrap();
    assert_eq!(file.storage, None);
    assert_eq!(file.filename, "My File.nc");
    assert_eq!(file.mime_type, "application/x-netcdf");
    assert_eq!(file.data_type, DataType::QuicklookHd);
    assert_eq!(file.size, Some(42));
}

/// An HTTP client (reqwest takes its TLS provider from the process, installed as the service does).
fn test_client() -> reqwest::Client {
    crate::outbound::install_crypto_provider();
    reqwest::Client::new()
}
