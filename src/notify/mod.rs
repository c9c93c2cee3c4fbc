//! Outgoing mail. By default messages are written as `.eml` files into `<data_dir>/outbox/`; with
//! `mail.smtp_url` set they go to that SMTP server (`smtp://`, STARTTLS with `?tls=`, or `smtps://`). Sending is always done by a job (`jobs::mail`), so a
//! mail server that is down delays a mail but never fails what caused it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// A message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

#[derive(Clone)]
pub enum Mailer {
    /// `.eml` files in a folder.
    Outbox {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let smtp_url = config.mail.smtp_url.trim();
        if smtp_url.is_empty() {
            let dir = config.outbox_dir();
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create the mail outbox {}", dir.display()))?;
            let transport = AsyncFileTransport::new(&dir);
            return Ok(Mailer::Outbox { dir, transport });
        }
        crate::outbound::install_crypto_provider();
        let transport = smtp_transport(smtp_url, &config.http_client.ca_file)?;
        Ok(Mailer::Smtp(transport))
    }

    pub async fn send(&self, from: &str, email: &Email) -> anyhow::Result<()> {
        let message = build_message(from, email)?;
        match self {
            Mailer::Outbox { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .context("cannot write the mail to the outbox")?;
            }
            Mailer::Smtp(transport) => {
                // lettre's message already carries its causes.
                transport.send(message).await.map_err(|error| {
                    anyhow::anyhow!("cannot deliver the mail to the SMTP server: {error}")
                })?;
            }
        }
        Ok(())
    }
}

fn build_message(from: &str, email: &Email) -> anyhow::Result<Message> {
    let from: Mailbox = from
        .parse()
        .with_context(|| format!("invalid mail.from address {from:?}"))?;
    let to: Mailbox = email
        .to
        .parse()
        .with_context(|| format!("invalid recipient address {:?}", email.to))?;
    let builder = Message::builder().from(from).to(to).subject(&email.subject);
    let message = match &email.html {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone()),
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
    };
    message.context("cannot build the mail")
}

/// How the SMTP connection is protected (`?tls=` of an `smtp://` URL; `smtps://` is `Implicit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SmtpTls {
    None,
    Opportunistic,
    Required,
    Implicit,
}

/// Where and how to reach the SMTP server. No Debug: it holds the password.
struct SmtpEndpoint {
    host: String,
    port: u16,
    tls: SmtpTls,
    credentials: Option<Credentials>,
}

/// `smtp://[user[:password]@]host[:port][?tls=none|opportunistic|required]` (port 25, no TLS by
/// default; `required` and `opportunistic` upgrade with STARTTLS) or `smtps://…` (TLS from the first
/// byte, port 465).
fn smtp_endpoint(url: &str) -> anyhow::Result<SmtpEndpoint> {
    let shown = crate::config::redact_url(url);
    let parsed = url::Url::parse(url).with_context(|| format!("invalid mail.smtp_url {shown}"))?;
    let (tls, default_port) = match parsed.scheme() {
        "smtp" => (tls_mode(&parsed, &shown)?, 25),
        "smtps" if parsed.query().is_none() => (SmtpTls::Implicit, 465),
        "smtps" => bail!("mail.smtp_url {shown}: smtps:// is always TLS and takes no parameter"),
        other => {
            bail!("mail.smtp_url {shown}: unsupported scheme {other}:// (smtp:// or smtps://)")
        }
    };
    let host = match parsed.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(host) => host.to_string(),
        None => bail!("mail.smtp_url {shown} has no host"),
    };
    let credentials = (!parsed.username().is_empty()).then(|| {
        let user = percent_decode(parsed.username());
        let password = percent_decode(parsed.password().unwrap_or(""));
        Credentials::new(user, password)
    });
    Ok(SmtpEndpoint {
        host,
        port: parsed.port().unwrap_or(default_port),
        tls,
        credentials,
    })
}

/// The transport of `mail.smtp_url`. TLS trusts the web PKI roots plus `[http_client] ca_file`, like
/// outgoing HTTP.
fn smtp_transport(
    url: &str,
    ca_file: &std::path::Path,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let endpoint = smtp_endpoint(url)?;
    let host = endpoint.host.as_str();
    let tls = match endpoint.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Opportunistic => Tls::Opportunistic(tls_parameters(host, ca_file)?),
        SmtpTls::Required => Tls::Required(tls_parameters(host, ca_file)?),
        SmtpTls::Implicit => Tls::Wrapper(tls_parameters(host, ca_file)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(endpoint.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if let Some(credentials) = endpoint.credentials {
        builder = builder.credentials(credentials);
    }
    Ok(builder.build())
}

fn tls_mode(url: &url::Url, shown: &str) -> anyhow::Result<SmtpTls> {
    let mut mode = SmtpTls::None;
    for (key, value) in url.query_pairs() {
        mode = match (key.as_ref(), value.as_ref()) {
            ("tls", "none") => SmtpTls::None,
            ("tls", "opportunistic") => SmtpTls::Opportunistic,
            ("tls", "required") => SmtpTls::Required,
            ("tls", other) => bail!(
                "mail.smtp_url {shown}: tls={other:?} is not one of none, opportunistic, required"
            ),
            (other, _) => bail!("mail.smtp_url {shown}: unknown parameter {other:?} (only tls)"),
        };
    }
    Ok(mode)
}

/// The web PKI roots plus the certificates of `ca_file`, for `host`'s certificate.
fn tls_parameters(host: &str, ca_file: &std::path::Path) -> anyhow::Result<TlsParameters> {
    let mut builder =
        TlsParameters::builder(host.to_owned()).certificate_store(CertificateStore::WebpkiRoots);
    for certificate in crate::outbound::ca_certificates(ca_file)? {
        builder = builder.add_root_certificate(Certificate::from_der(certificate.to_vec())?);
    }
    builder.build_rustls().context("cannot set up TLS for SMTP")
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_default_mailer_writes_eml_files_into_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::with_data_dir(dir.path()).unwrap();
        let mailer = Mailer::from_config(&config).unwrap();
        let email = Email {
            to: "user@example.org".into(),
            subject: "Order number 1 is confirmed".into(),
            text: "Hello".into(),
            html: Some("<p>Hello</p>".into()),
        };
        mailer
            .send("regards-order@localhost", &email)
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(config.outbox_dir()).unwrap().collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(
            text.contains("Subject: Order number 1 is confirmed"),
            "{text}"
        );
        assert!(text.contains("To: user@example.org"), "{text}");
    }

    #[test]
    fn smtp_urls_are_checked() {
        let none = std::path::Path::new("");
        let error = |url: &str| smtp_transport(url, none).err().unwrap().to_string();
        assert!(smtp_transport("smtp://127.0.0.1:2525", none).is_ok());
        assert!(smtp_transport("smtp://user:p%40ss@mail.example.org", none).is_ok());
        assert!(smtp_transport("smtps://mail.example.org", none).is_ok());
        assert!(smtp_transport("smtps://[::1]", none).is_ok());
        for tls in ["none", "opportunistic", "required"] {
            let url = format!("smtp://mail.example.org:587?tls={tls}");
            assert!(smtp_transport(&url, none).is_ok(), "{url}");
        }
        let message = error("smtp://u:secret@mail.example.org?tls=always");
        assert!(
            message.contains("tls=\"always\" is not one of"),
            "{message}"
        );
        assert!(!message.contains("secret"), "{message}");
        assert!(error("smtp://mail.example.org?starttls=1").contains("unknown parameter"));
        assert!(error("smtps://mail.example.org?tls=none").contains("takes no parameter"));
        assert!(error("ftp://mail.example.org").contains("unsupported scheme ftp://"));
        assert!(smtp_transport("not a url", none).is_err());
        let missing = std::path::Path::new("/no/such/ca.pem");
        let message = smtp_transport("smtps://mail.example.org", missing)
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains("ca_file /no/such/ca.pem"), "{message}");
        assert!(
            smtp_transport("smtp://mail.example.org", missing).is_ok(),
            "no TLS, no roots"
        );
    }

    #[test]
    fn smtp_ports_and_tls_follow_the_scheme() {
        let endpoint = |url: &str| {
            let endpoint = smtp_endpoint(url).unwrap();
            (endpoint.host, endpoint.port, endpoint.tls)
        };
        let host = || "mail.example.org".to_owned();
        assert_eq!(
            endpoint("smtp://mail.example.org"),
            (host(), 25, SmtpTls::None)
        );
        assert_eq!(
            endpoint("smtps://mail.example.org"),
            (host(), 465, SmtpTls::Implicit)
        );
        assert_eq!(
            endpoint("smtp://mail.example.org:587?tls=required"),
            (host(), 587, SmtpTls::Required)
        );
        assert_eq!(
            endpoint("smtp://mail.example.org?tls=opportunistic"),
            (host(), 25, SmtpTls::Opportunistic)
        );
        assert_eq!(
            endpoint("smtps://[::1]:2465"),
            ("::1".into(), 2465, SmtpTls::Implicit)
        );
        let with_user = smtp_endpoint("smtp://user:p%40ss@mail.example.org").unwrap();
        assert!(with_user.credentials.is_some());
        assert!(
            smtp_endpoint("smtp://mail.example.org")
                .unwrap()
                .credentials
                .is_none()
        );
    }

    #[test]
    fn bad_addresses_are_reported() {
        let email = Email {
            to: "nobody".into(),
            subject: "s".into(),
            text: "t".into(),
            html: None,
        };
        let error = build_message("a@b.c", &email).unwrap_err().to_string();
        assert!(
            error.contains("invalid recipient address \"nobody\""),
            "{error}"
        );
    }
}
