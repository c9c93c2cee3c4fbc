//! A restore's copy into the cache: written to a `.partial` file, its size and checksum checked, then
//! renamed; nothing is left at the destination when it fails. The source is any reader: a local file or
//! an object's bytes.

use std::io::Read;
use std::path::Path;

use super::{Digest, StageError, digest};

pub(super) fn check_size(
    storage: &str,
    expected: Option<i64>,
    actual: u64,
) -> Result<(), StageError> {
    match expected {
        Some(expected) if expected >= 0 && expected as u64 != actual => {
            Err(StageError::WrongSize {
                storage: storage.to_owned(),
                expected,
                actual,
            })
        }
        _ => Ok(()),
    }
}

/// What a restore copies: where it comes from (for messages), and its bytes.
pub(super) struct Input {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

/// Copies `input` to `dest`, hashing it; blocking.
pub(super) fn restore_blocking(
    storage: &str,
    input: Input,
    dest: &Path,
    size: Option<i64>,
    digest: Option<Digest>,
) -> Result<(), StageError> {
    let folder = dest
        .parent()
        .ok_or_else(|| StageError::Io(format!("no folder for {}", dest.display())))?;
    std::fs::create_dir_all(folder)
        .map_err(|e| StageError::Io(format!("cannot create {}: {e}", folder.display())))?;
    let partial = dest.with_extension("partial");
    let copied = copy_hashing(
        input,
        &partial,
        digest.as_ref().map(|d| d.algorithm.as_str()),
    );
    let result = copied.and_then(|(written, actual)| {
        check_size(storage, size, written)?;
        if let (Some(expected), Some(actual)) = (&digest, actual)
            && !expected.hex.eq_ignore_ascii_case(&actual)
        {
            return Err(StageError::Corrupt {
                algorithm: expected.algorithm.clone(),
                expected: expected.hex.clone(),
                actual,
            });
        }
        std::fs::rename(&partial, dest)
            .map_err(|e| StageError::Io(format!("cannot move {}: {e}", partial.display())))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn copy_hashing(
    Input { name, mut reader }: Input,
    dest: &Path,
    algorithm: Option<&str>,
) -> Result<(u64, Option<String>), StageError> {
    use std::io::Write;
    let io = |e: std::io::Error| StageError::Io(format!("copy of {name} failed: {e}"));
    let mut output = std::fs::File::create(dest).map_err(io)?;
    let mut hasher = algorithm.and_then(digest::Hasher::new);
    let mut buffer = vec![0u8; 256 * 1024];
    let mut written = 0u64;
    loop {
        let read = reader.read(&mut buffer).map_err(io)?;
        if read == 0 {
            break;
        }
        output.write_all(&buffer[..read]).map_err(io)?;
        if let Some(hasher) = hasher.as_mut() {
            hasher.update(&buffer[..read]);
        }
        written += read as u64;
    }
    output.sync_all().map_err(io)?;
    Ok((written, hasher.map(digest::Hasher::finish)))
}
