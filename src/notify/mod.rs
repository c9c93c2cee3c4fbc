//! Outgoing mail. By default messages are written as `.eml` files into `<data_dir>/outbox/`; with
//! `mail.smtp_url` set they go to that SMTP server. Sending is always done by a job (`jobs::mail`), so a
//! mail server that is down delays a mail but never fails what caused it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
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
        Ok(Mailer::Smtp(smtp_transport(smtp_url)?))
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
                transport
                    .send(message)
                    .await
                    .context("the SMTP server refused the mail")?;
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

/// `smtp://[user[:password]@]host[:port]` (plain SMTP; TLS is not built in yet).
fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let parsed = url::Url::parse(url).with_context(|| format!("invalid mail.smtp_url {url:?}"))?;
    if parsed.scheme() != "smtp" {
        bail!(
            "mail.smtp_url {url:?}: only smtp:// is supported (no TLS in this build); use a local relay for smtps"
        );
    }
    let host = parsed
        .host_str()
        .filter(|host| !host.is_empty())
        .with_context(|| format!("mail.smtp_url {url:?} has no host"))?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(parsed.port().unwrap_or(25))
        .timeout(Some(Duration::from_secs(30)));
    if !parsed.username().is_empty() {
        let user = percent_decode(parsed.username());
        let password = percent_decode(parsed.password().unwrap_or(""));
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(builder.build())
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
        assert!(smtp_transport("smtp://127.0.0.1:2525").is_ok());
        assert!(smtp_transport("smtp://user:p%40ss@mail.example.org").is_ok());
        let error = smtp_transport("smtps://mail.example.org")
            .unwrap_err()
            .to_string();
        assert!(error.contains("only smtp:// is supported"), "{error}");
        assert!(smtp_transport("not a url").is_err());
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
