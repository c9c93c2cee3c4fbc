//! Snapshots of documents, CSV and mails: what changes from run to run or from backend to backend is
//! replaced by placeholders with insta's filters (regular expressions applied to the snapshot text before
//! it is compared).

/// A response as snapshot text: its content type and attachment name, then its body.
pub async fn document(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let body = response.text().await.unwrap();
    format!("content-type: {content_type}\ncontent-disposition: {disposition}\n\n{body}")
}

/// The filters every snapshot of a document, a CSV or a mail needs: the test server's address, dates,
/// order tokens. Tests add the ids they know (`Settings::add_filter`) before binding the settings.
pub fn settings() -> insta::Settings {
    settings_naming(&[])
}

/// The same, with values the test knows (a date it expects at a place) replaced by `[name]` rather than
/// by the generic placeholder, so the snapshot says which value is there.
pub fn settings_naming(values: &[(String, &str)]) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (value, name) in values {
        settings.add_filter(&literal(value), format!("[{name}]"));
    }
    // The test server listens on a port of its own each run.
    settings.add_filter(r"http://127\.0\.0\.1:\d+", "[base]");
    // ISO dates with milliseconds (JSON, CSV, mails) and the dates of attachment names.
    settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", "[date]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z", "[date]");
    // Generated order labels carry their creation time.
    settings.add_filter(
        r"Order of \d{4}/\d{2}/\d{2} at \d{2}:\d{2}:\d{2}",
        "Order of [date]",
    );
    // Order tokens are signed with the secret of the test's data dir and carry the expiry date.
    settings.add_filter(r"orderToken=[A-Za-z0-9_.-]+", "orderToken=[order token]");
    settings
}

/// Adds a filter replacing `context` + `id` by `context` + `placeholder`: an id where the text puts
/// it (`number 12`, `/orders/12/`), never any number that happens to be equal (a count of 1 next to an
/// order 1). The id must end there: 1 does not match the start of 12.
pub fn id_after(settings: &mut insta::Settings, context: &str, id: i64, placeholder: &str) {
    settings.add_filter(
        &format!(r"{}{id}(\D|$)", literal(context)),
        format!("{context}{placeholder}${{1}}"),
    );
}

/// `text` as a regular expression matching it literally.
fn literal(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = r"\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}
