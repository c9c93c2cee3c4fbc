//! The TLS roots of every outgoing connection: the web PKI (Mozilla's list, compiled in) plus the PEM
//! bundle of `[http_client] ca_file`, with rustls on the ring provider (docs/ARCHITECTURE.md).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Makes ring the process's rustls provider. reqwest, lettre and the tests' clients look the provider up
/// there; the first call wins, later ones change nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read [http_client] ca_file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("[http_client] ca_file {path} is not a PEM bundle of certificates: {reason}")]
    NotPem { path: String, reason: String },
    #[error(
        "[http_client] ca_file {path} holds no certificate (expected PEM `CERTIFICATE` blocks)"
    )]
    Empty { path: String },
}

/// The certificates of `ca_file` (none when the path is empty), checked to be usable as roots.
pub fn ca_certificates(ca_file: &Path) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    if ca_file.as_os_str().is_empty() {
        return Ok(Vec::new());
    }
    let path = ca_file.display().to_string();
    let pem = std::fs::read(ca_file).map_err(|source| CaFileError::Read {
        path: path.clone(),
        source,
    })?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| CaFileError::NotPem {
            path: path.clone(),
            reason: error.to_string(),
        })?;
    if certificates.is_empty() {
        return Err(CaFileError::Empty { path });
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in &certificates {
        roots
            .add(certificate.clone())
            .map_err(|error| CaFileError::NotPem {
                path: path.clone(),
                reason: error.to_string(),
            })?;
    }
    Ok(certificates)
}

/// The web PKI roots plus `extra`.
pub fn root_store(extra: &[CertificateDer<'static>]) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Each one was checked by `ca_certificates`.
    roots.add_parsable_certificates(extra.iter().cloned());
    roots
}

/// A rustls client configuration on ring with the web PKI roots plus `extra`.
pub fn client_config(
    extra: &[CertificateDer<'static>],
) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(root_store(extra))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_garbled_ca_file_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ca_certificates(Path::new("")).unwrap().is_empty());

        let missing = dir.path().join("missing.pem");
        let error = ca_certificates(&missing).unwrap_err().to_string();
        assert!(
            error.starts_with("cannot read [http_client] ca_file"),
            "{error}"
        );
        assert!(error.contains("missing.pem"), "{error}");

        let text = dir.path().join("text.pem");
        std::fs::write(&text, "not a certificate").unwrap();
        let error = ca_certificates(&text).unwrap_err().to_string();
        assert!(error.contains("holds no certificate"), "{error}");

        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = ca_certificates(&broken).unwrap_err().to_string();
        assert!(error.contains("is not a PEM bundle"), "{error}");
    }

    #[test]
    fn the_web_pki_roots_are_always_there() {
        assert!(root_store(&[]).len() > 100);
    }
}
