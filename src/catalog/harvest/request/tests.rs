use serde_json::json;

use super::*;

fn first() -> PageRequest {
    PageRequest::get(Url::parse("http://api.example.org/stac/search?limit=7").unwrap())
}

fn next_of(request: &PageRequest, link: Value) -> Result<Option<PageRequest>, String> {
    request.next(Some(&json!([{"rel": "self", "href": "x"}, link])))
}

#[test]
fn a_get_link_is_resolved_against_the_page_url() {
    let next = next_of(
        &first(),
        json!({"rel": "next", "href": "search?limit=7&page=2"}),
    )
    .unwrap()
    .unwrap();
    assert_eq!(next.method, Method::Get);
    assert_eq!(
        next.url.as_str(),
        "http://api.example.org/stac/search?limit=7&page=2"
    );
    assert_eq!(next.body, None);
    assert!(next.headers.is_empty());
    assert_eq!(first().next(Some(&json!([{"rel": "self"}]))), Ok(None));
    assert_eq!(first().next(None), Ok(None));
}

#[test]
fn a_post_link_sends_its_body_merged_or_alone_and_its_headers() {
    let post = json!({"rel": "next", "href": "http://api.example.org/stac/search", "method": "POST",
                      "body": {"collections": ["a"], "limit": 7, "token": "2"}});
    let second = next_of(&first(), post).unwrap().unwrap();
    assert_eq!(second.method, Method::Post);
    assert_eq!(
        Value::Object(second.body.clone().unwrap()),
        json!({"collections": ["a"], "limit": 7, "token": "2"})
    );
    let merge = json!({"rel": "next", "href": "search", "method": "post", "merge": true,
                       "body": {"token": "3"}, "headers": {"X-Page-Token": "3"}});
    let third = next_of(&second, merge).unwrap().unwrap();
    assert_eq!(
        Value::Object(third.body.clone().unwrap()),
        json!({"collections": ["a"], "limit": 7, "token": "3"})
    );
    assert_eq!(third.headers["x-page-token"], "3");
    let alone = json!({"rel": "next", "href": "search", "method": "POST", "body": {"token": "4"}});
    let fourth = next_of(&third, alone).unwrap().unwrap();
    assert_eq!(Value::Object(fourth.body.unwrap()), json!({"token": "4"}));
    assert!(fourth.headers.is_empty(), "headers belong to their link");
}

#[test]
fn a_link_that_cannot_be_followed_says_why() {
    let error = |link: Value| next_of(&first(), link).unwrap_err();
    assert!(error(json!({"rel": "next"})).contains("no \"href\""));
    assert!(error(json!({"rel": "next", "href": "ftp://x/y"})).contains("not an http(s) URL"));
    assert!(error(json!({"rel": "next", "href": "x", "method": "PUT"})).contains("neither GET"));
    let body = json!({"rel": "next", "href": "x", "method": "POST", "body": [1]});
    assert!(error(body).contains("\"body\" is not a JSON object"));
    let header = json!({"rel": "next", "href": "x", "headers": {"X-A": 1}});
    assert!(error(header).contains("header \"X-A\""));
    let header = json!({"rel": "next", "href": "x", "headers": {"X-A": "a\nb"}});
    assert!(error(header).contains("cannot be sent"));
}

#[test]
fn the_same_page_asked_again_has_the_same_fingerprint() {
    let post = json!({"rel": "next", "href": "search", "method": "POST", "body": {"token": "2"}});
    let second = next_of(&first(), post.clone()).unwrap().unwrap();
    let again = next_of(&first(), post).unwrap().unwrap();
    assert_eq!(second.fingerprint(), again.fingerprint());
    let other = json!({"rel": "next", "href": "search", "method": "POST", "body": {"token": "3"}});
    let third = next_of(&first(), other).unwrap().unwrap();
    assert_ne!(second.fingerprint(), third.fingerprint());
    assert_ne!(first().fingerprint(), second.fingerprint());
    let secret = PageRequest::get(Url::parse("https://u:pw@h/search").unwrap());
    assert_eq!(secret.describe(), "GET https://u:***@h/search");
}
