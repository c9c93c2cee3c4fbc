//! Every form of the query language, on the fixture, through `GET /catalog/search`. The resources are in
//! `resources`.

use serde_json::Value;

use super::fixture::{app_with_fixture, dataset_ip_id, matching, object_ip_id};
use crate::helpers::TestApp;

async fn check(app: &TestApp, cases: &[(&str, &[&str])]) {
    for (q, expected) in cases {
        assert_eq!(matching(app, q).await, *expected, "query {q:?}");
    }
}

const ALL: &[&str] = &["opt-1", "opt-2", "opt-3", "rad-1", "rad-2"];

#[tokio::test]
async fn terms_phrases_and_typed_fields() {
    let app = app_with_fixture().await;
    let rad1 = object_ip_id("radar", "rad-1");
    let optical = dataset_ip_id("optical");
    check(
        &app,
        &[
            ("", ALL),
            ("*:*", ALL),
            ("platform:SPOT-6", &["opt-3"]),
            ("platform:\"SENTINEL-2A\"", &["opt-1"]),
            ("properties.platform:SPOT-6", &["opt-3"]),
            ("level:2", &["opt-2"]),
            ("level:2.0", &["opt-2"]),
            ("cloud_cover:10.5", &["opt-1"]),
            ("providerId:opt-2", &["opt-2"]),
            (&format!("ipId:\"{rad1}\""), &["rad-1"]),
            (&format!("ipId:{rad1}"), &["rad-1"]),
            ("tags:sar", &["rad-1"]),
            (&format!("tags:\"{optical}\""), &["opt-1", "opt-2", "opt-3"]),
            ("dataset:radar", &["rad-1", "rad-2"]),
            (
                &format!("dataset:\"{}\"", dataset_ip_id("radar")),
                &["rad-1", "rad-2"],
            ),
            ("code:x\\:y", &["opt-3"]),
            ("code:x:y", &["opt-3"]),
            ("name:a\\*b", &["opt-3"]),
            ("quality:5", &["opt-1"]),
            ("quality:good", &["opt-2"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn ranges_inclusive_exclusive_mixed_open_and_by_type() {
    let app = app_with_fixture().await;
    check(
        &app,
        &[
            ("level:[1 TO 2]", &["opt-1", "opt-2"]),
            ("level:{1 TO 3}", &["opt-2"]),
            ("level:[2 TO 3}", &["opt-2"]),
            ("level:{1 TO *]", &["opt-2", "opt-3"]),
            ("level:[* TO 1]", &["opt-1"]),
            // Numbers compare as numbers (as text, "10" would sort before "2").
            ("level:[1 TO 10]", &["opt-1", "opt-2", "opt-3"]),
            ("orbit:[42 TO 42]", &["rad-1"]),
            // A property seen with a number and a string compares as text.
            ("quality:[4 TO 6]", &["opt-1"]),
            ("platform:[SENTINEL-2A TO SENTINEL-2B]", &["opt-1", "opt-2"]),
            ("platform:{SENTINEL-2A TO SPOT-6}", &["opt-2"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn dates_with_or_without_millis_and_offset() {
    let app = app_with_fixture().await;
    check(
        &app,
        &[
            (
                "datetime:[2020-01-01T00:00:00Z TO 2020-06-01T12:30:00.250Z]",
                &["opt-1", "opt-2"],
            ),
            (
                "datetime:{2020-01-01T00:00:00.000Z TO *}",
                &["opt-2", "opt-3"],
            ),
            // Stored with an offset: 2021-01-01T00:00:00+02:00 is 2020-12-31T22:00:00Z.
            ("datetime:2020-12-31T22:00:00Z", &["opt-3"]),
            ("datetime:\"2021-01-01T00:00:00+02:00\"", &["opt-3"]),
            (
                "datetime:[2020-12-31T23:00:00+01:00 TO 2020-12-31T22:00:00.000]",
                &["opt-3"],
            ),
            ("datetime:[2019-01-01 TO 2019-12-31]", &["rad-1"]),
            ("datetime:*", &["opt-1", "opt-2", "opt-3", "rad-1"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn wildcards_on_keywords_and_label_words() {
    let app = app_with_fixture().await;
    check(
        &app,
        &[
            ("platform:SENTINEL-2*", &["opt-1", "opt-2"]),
            ("platform:SENTINEL-?A", &["opt-1", "rad-1"]),
            ("platform:*B", &["opt-2", "rad-2"]),
            ("platform:S*-?", &["opt-3"]),
            ("name:a*", &["opt-3"]),
            ("name:a?b", &["opt-3"]),
            ("orbit:*", &["rad-1", "rad-2"]),
            ("swa*", &["rad-1", "rad-2"]),
            ("label:Sp?t", &["opt-3"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn bare_terms_match_label_words_case_sensitively() {
    let app = app_with_fixture().await;
    check(
        &app,
        &[
            ("Sentinel", &["opt-1", "opt-2"]),
            ("tile", &["opt-1", "opt-2"]),
            ("\"tile A\"", &["opt-1"]),
            ("label:Spot", &["opt-3"]),
            ("label:\"swath one\"", &["rad-1"]),
            ("Swath", &[]),
            ("swath", &["rad-1", "rad-2"]),
            ("scene swath", &["opt-3", "rad-1", "rad-2"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn boolean_operators_and_grouping() {
    let app = app_with_fixture().await;
    check(
        &app,
        &[
            ("platform:SPOT-6 OR orbit:42", &["opt-3", "rad-1"]),
            ("platform:SPOT-6 || orbit:42", &["opt-3", "rad-1"]),
            ("platform:SPOT-6 orbit:42", &["opt-3", "rad-1"]),
            (
                "level:[1 TO 3] AND cloud_cover:[0 TO 20]",
                &["opt-1", "opt-3"],
            ),
            (
                "level:[1 TO 3] && cloud_cover:[0 TO 20]",
                &["opt-1", "opt-3"],
            ),
            (
                "level:[1 TO 3] AND NOT platform:SPOT-6",
                &["opt-1", "opt-2"],
            ),
            ("level:[1 TO 3] && !platform:SPOT-6", &["opt-1", "opt-2"]),
            ("+level:[1 TO 3] -platform:SPOT-6", &["opt-1", "opt-2"]),
            ("NOT platform:SPOT-6", &["opt-1", "opt-2", "rad-1", "rad-2"]),
            ("-orbit:*", &["opt-1", "opt-2", "opt-3"]),
            (
                "level:[1 TO 3] AND (platform:SPOT-6 OR cloud_cover:50)",
                &["opt-2", "opt-3"],
            ),
            ("platform:(SPOT-6 OR SENTINEL-1A)", &["opt-3", "rad-1"]),
            ("platform:(SPOT-6 SENTINEL-1A) AND orbit:*", &["rad-1"]),
            // Lucene: `a AND b OR c` is `+a +b c`, c optional.
            ("level:1 AND platform:SENTINEL-2A OR orbit:42", &["opt-1"]),
            (
                "NOT(providerId:opt-1 OR providerId:rad-2)",
                &["opt-2", "opt-3", "rad-1"],
            ),
            (
                "(dataset:optical) AND NOT(providerId:\"opt-1\")",
                &["opt-2", "opt-3"],
            ),
            ("((((level:1))))", &["opt-1"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn creation_and_update_dates_are_queryable() {
    let app = app_with_fixture().await;
    let now = app.state.clock.now();
    let before = regards_order::time::Timestamp(now.millis() - 3_600_000);
    check(
        &app,
        &[
            (&format!("creationDate:[* TO {}]", now.to_iso()), ALL),
            (&format!("creationDate:[* TO {}]", before.to_iso()), &[]),
            (&format!("lastUpdate:[{} TO *]", before.to_iso()), ALL),
        ],
    )
    .await;
}

async fn error_of(app: &TestApp, q: &str) -> (u16, Value) {
    let response = app
        .get_as(&app.user_token(), "/catalog/search", &[("q", q)])
        .await;
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn bad_queries_are_422_saying_what_and_where() {
    let app = app_with_fixture().await;
    let cases = [
        ("nope:1", "unknown field 'nope' at column 1"),
        (
            "platform:x AND properties.nope:1",
            "unknown field 'properties.nope' at column 16",
        ),
        (
            "level:abc",
            "'level' takes a number, not \"abc\" at column 1",
        ),
        (
            "creationDate:[yesterday TO *]",
            "'creationDate' takes an ISO-8601 date, not \"yesterday\" at column 1",
        ),
        ("(level:1", "missing ')' for this '(' at column 1"),
        ("level:[1 TO", "expected a range bound at column 12"),
    ];
    for (q, message) in cases {
        let (status, body) = error_of(&app, q).await;
        assert_eq!(status, 422, "{q}: {body}");
        assert_eq!(body, serde_json::json!({"messages": [message]}), "{q}");
    }
    for path in ["/catalog/summary", "/catalog/search"] {
        let response = app
            .get_as(&app.user_token(), path, &[("q", "nope:x")])
            .await;
        assert_eq!(response.status(), 422, "{path}");
    }
}
