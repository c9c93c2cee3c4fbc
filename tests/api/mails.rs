//! Snapshots of every mail the service sends (`src/orders/mails.rs`): an order created, files ready, a
//! reminder, an order expired. The real flows queue them and the mail jobs write them to the outbox as
//! `.eml` files; the snapshots hold what a reader sees (sender, recipient, subject, content type, text and
//! HTML parts), with ids, dates, tokens and the server's address replaced (`crate::snapshot`).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::orders::{
    app_with_orders_catalog, app_with_orders_catalog_and, get_order, id_of, select,
};

/// A mail as read from the outbox.
#[derive(Debug)]
pub struct Mail {
    from: String,
    pub to: String,
    pub subject: String,
    content_type: String,
    pub text: String,
    html: Option<String>,
}

impl Mail {
    fn snapshot(&self) -> String {
        let mut shown = format!(
            "from: {}\nto: {}\nsubject: {}\ncontent-type: {}\n\n{}",
            self.from, self.to, self.subject, self.content_type, self.text
        );
        if let Some(html) = &self.html {
            shown.push_str(&format!("\n--- html ---\n{html}"));
        }
        shown
    }
}

/// Every mail in the outbox.
pub fn outbox(app: &TestApp) -> Vec<Mail> {
    app.outbox_files()
        .iter()
        .map(|file| parse_mail(&std::fs::read_to_string(file).unwrap()))
        .collect()
}

/// The one mail whose subject contains `subject`.
fn the_mail(app: &TestApp, subject: &str) -> Mail {
    let mut found: Vec<Mail> = outbox(app)
        .into_iter()
        .filter(|mail| mail.subject.contains(subject))
        .collect();
    assert_eq!(found.len(), 1, "one mail {subject:?}: {found:#?}");
    found.remove(0)
}

/// Headers (names lowercased, folded lines joined) and the body of a message or of a MIME part.
fn split_message(message: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = message
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no blank line after the headers: {message}"));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            headers.last_mut().unwrap().1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

fn parse_mail(eml: &str) -> Mail {
    let (headers, body) = split_message(eml);
    let content_type = header(&headers, "content-type").to_owned();
    let (text, html) = if content_type.starts_with("multipart/alternative") {
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .unwrap()
            .trim_matches('"');
        let mut text = None;
        let mut html = None;
        for part in body.split(&format!("--{boundary}")).skip(1) {
            if part.starts_with("--") {
                break;
            }
            let (part_headers, part_body) = split_message(part.trim_start_matches("\r\n"));
            let decoded = decoded(&part_headers, part_body);
            match header(&part_headers, "content-type") {
                t if t.starts_with("text/plain") => text = Some(decoded),
                t if t.starts_with("text/html") => html = Some(decoded),
                other => panic!("unexpected part {other}"),
            }
        }
        (text.expect("a text part"), html)
    } else {
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        (decoded(&headers, body), None)
    };
    Mail {
        from: header(&headers, "from").to_owned(),
        to: header(&headers, "to").to_owned(),
        subject: header(&headers, "subject").to_owned(),
        content_type,
        text,
        html,
    }
}

/// A body decoded by its `Content-Transfer-Encoding`, with LF line ends.
fn decoded(headers: &[(String, String)], body: &str) -> String {
    let encoding = headers
        .iter()
        .find(|(n, _)| n == "content-transfer-encoding")
        .map_or("7bit", |(_, value)| value.as_str());
    let text = match encoding {
        "7bit" | "8bit" => body.to_owned(),
        "quoted-printable" => quoted_printable(body),
        other => panic!("unexpected transfer encoding {other}"),
    };
    text.replace("\r\n", "\n")
}

/// RFC 2045 quoted-printable: `=` at a line end joins lines, `=XX` is the byte XX.
fn quoted_printable(body: &str) -> String {
    let bytes = body.replace("=\r\n", "").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Selects `query` and orders it with `body`: the order resource.
async fn order(app: &TestApp, query: &str, body: Value) -> Value {
    let token = app.user_token();
    select(app, &token, query).await;
    let response = crate::orders::create(app, &token, Some(body)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The redactions of the mails of `order`: its id where the mails write it, its expiration date.
fn settings_for(order: &Value) -> insta::Settings {
    let content = &order["content"];
    let mut named = Vec::new();
    if let Some(date) = content["expirationDate"].as_str() {
        named.push((date.to_owned(), "expiration date"));
    }
    let mut settings = crate::snapshot::settings_naming(&named);
    let id = id_of(order);
    for context in ["number ", "/user/orders/"] {
        crate::snapshot::id_after(&mut settings, context, id, "[order id]");
    }
    settings
}

/// The order token of a mail's metalink link, checked to open that order until it expires.
fn check_token(app: &TestApp, mail: &Mail, order: &Value) {
    let token: String = mail
        .text
        .split("orderToken=")
        .nth(1)
        .unwrap_or_else(|| panic!("no order token in {mail:#?}"))
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    let grant = app
        .state
        .keys
        .verify_order(&token, app.state.clock.now())
        .unwrap();
    assert_eq!(
        (grant.owner.as_str(), grant.order_id),
        ("user@example.org", id_of(order))
    );
}

#[tokio::test]
async fn the_creation_and_files_ready_mails_are_as_the_snapshots_show() {
    let app = app_with_orders_catalog().await;
    let order = order(&app, "dataset:gamma", json!({"label": "Tuiles d'été"})).await;
    app.run_pending_jobs().await;

    let created = the_mail(&app, "is confirmed");
    check_token(&app, &created, &order);
    let ready = the_mail(&app, "are ready");
    check_token(&app, &ready, &order);
    settings_for(&order).bind(|| {
        insta::assert_snapshot!("mail_order_created", created.snapshot());
        insta::assert_snapshot!("mail_files_ready", ready.snapshot());
    });
}

#[tokio::test]
async fn the_reminder_and_expiry_mails_are_as_the_snapshots_show() {
    let app = app_with_orders_catalog().await;
    let order = order(&app, "dataset:gamma", json!({"label": "Gamma tiles"})).await;
    app.run_pending_jobs().await;
    regards_order::orders::lifecycle::queue_remind(&app.state, app.state.clock.now())
        .await
        .unwrap();
    // Files waiting longer than `mail.reminder_after` (48 h); the order expires after 3 days.
    app.state.clock.advance(Duration::from_secs(49 * 3600));
    app.run_pending_jobs().await;
    let reminder = the_mail(&app, "Reminder");
    app.state.clock.advance(Duration::from_secs(24 * 3600));
    app.run_pending_jobs().await;
    let (_, now) = get_order(&app, &app.user_token(), id_of(&order)).await;
    assert_eq!(now["content"]["status"], "EXPIRED");
    let expired = the_mail(&app, "has expired");

    settings_for(&order).bind(|| {
        insta::assert_snapshot!("mail_reminder", reminder.snapshot());
        insta::assert_snapshot!("mail_order_expired", expired.snapshot());
    });
}

#[tokio::test]
async fn the_mails_of_an_order_that_never_expires_say_so() {
    let app = app_with_orders_catalog_and(|config| config.orders.expiration = None).await;
    let body = json!({"label": "Kept alpha", "onSuccessUrl": "/orders/mine"});
    let order = order(&app, "dataset:alpha", body).await;
    assert!(order["content"]["expirationDate"].is_null(), "{order}");
    app.run_pending_jobs().await;
    let created = the_mail(&app, "is confirmed");
    check_token(&app, &created, &order);
    regards_order::orders::lifecycle::queue_remind(&app.state, app.state.clock.now())
        .await
        .unwrap();
    app.state.clock.advance(Duration::from_secs(49 * 3600));
    app.run_pending_jobs().await;
    let reminder = the_mail(&app, "Reminder");

    settings_for(&order).bind(|| {
        insta::assert_snapshot!("mail_order_created_never_expiring", created.snapshot());
        insta::assert_snapshot!("mail_reminder_never_expiring", reminder.snapshot());
    });
}
