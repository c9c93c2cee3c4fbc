use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;

use anyhow::{Context, bail};

use crate::config::Config;

/// The signing secret: the configured one, else the one kept in `<data_dir>/secret`, else a new one
/// written there (mode 0600) so that tokens survive restarts.
pub fn load_or_create_secret(config: &Config) -> anyhow::Result<String> {
    if !config.auth.secret.is_empty() {
        return Ok(config.auth.secret.clone());
    }
    let path = config.secret_file();
    match std::fs::read_to_string(&path) {
        Ok(text) => return checked(text.trim().to_owned(), &path),
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    match created {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new signing secret");
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path)?;
            checked(text.trim().to_owned(), &path)
        }
        Err(error) => Err(error).with_context(|| format!("cannot create {}", path.display())),
    }
}

fn checked(secret: String, path: &std::path::Path) -> anyhow::Result<String> {
    if secret.len() < 32 {
        bail!("the secret in {} is shorter than 32 bytes", path.display());
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_generated_secret_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::with_data_dir(&dir.path().join("data")).unwrap();
        let first = load_or_create_secret(&config).unwrap();
        assert!(first.len() >= 32);
        let mode = std::fs::metadata(config.secret_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load_or_create_secret(&config).unwrap(), first);
    }

    #[test]
    fn a_configured_secret_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_data_dir(dir.path()).unwrap();
        config.auth.secret = "x".repeat(40);
        assert_eq!(load_or_create_secret(&config).unwrap(), "x".repeat(40));
        assert!(!config.secret_file().exists());
    }
}
