//! Checksums a restore checks: MD5, SHA-1, SHA-256 and SHA-512 (the algorithms a STAC multihash names).

use std::path::Path;

use md5::Digest as _;

/// An expected checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// `MD5`, `SHA-1`, `SHA-256` or `SHA-512`.
    pub algorithm: String,
    pub hex: String,
}

pub(super) enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A hasher for an algorithm we know; `None` for another one (nothing is checked then).
    pub(super) fn new(algorithm: &str) -> Option<Hasher> {
        match algorithm.to_ascii_uppercase().as_str() {
            "MD5" => Some(Hasher::Md5(md5::Md5::new())),
            "SHA-1" | "SHA1" => Some(Hasher::Sha1(sha1::Sha1::new())),
            "SHA-256" | "SHA256" => Some(Hasher::Sha256(sha2::Sha256::new())),
            "SHA-512" | "SHA512" => Some(Hasher::Sha512(sha2::Sha512::new())),
            _ => None,
        }
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    pub(super) fn finish(self) -> String {
        let bytes: Vec<u8> = match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The hex digest of a file with an algorithm we know.
pub fn hash_file_with(path: &Path, algorithm: &str) -> std::io::Result<Option<String>> {
    use std::io::Read;
    let Some(mut hasher) = Hasher::new(algorithm) else {
        return Ok(None);
    };
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(Some(hasher.finish()))
}
