//! The requests of a harvest: a GET of the URL the operator typed, then, page after page, the request
//! the page's `rel="next"` link describes — GET its `href`, or POST with its `body` (merged into the
//! previous body when `merge` is true), sending its `headers` (docs/decisions.md, "STAC API harvest").

use std::hash::{DefaultHasher, Hash, Hasher};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
}

/// One request of a harvest.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub method: Method,
    pub url: Url,
    /// The JSON body of a POST.
    pub body: Option<Map<String, Value>>,
    /// The next link's `headers`.
    pub headers: HeaderMap,
}

impl PageRequest {
    pub fn get(url: Url) -> PageRequest {
        PageRequest {
            method: Method::Get,
            url,
            body: None,
            headers: HeaderMap::new(),
        }
    }

    /// `GET <url>` or `POST <url>`, a password in the URL hidden.
    pub fn describe(&self) -> String {
        let method = match self.method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        format!("{method} {}", crate::config::redact_url(self.url.as_str()))
    }

    /// What tells this request from another: a next link leading back to a page already read would
    /// make the harvest go round for ever.
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.method.hash(&mut hasher);
        self.url.as_str().hash(&mut hasher);
        if let Some(body) = &self.body {
            Value::Object(body.clone()).to_string().hash(&mut hasher);
        }
        hasher.finish()
    }

    /// The request of the page after the one this request fetched, from that page's `links`; none
    /// when the page has no next link (the last page). A next link that cannot be followed says why.
    pub fn next(&self, links: Option<&Value>) -> Result<Option<PageRequest>, String> {
        let Some(link) = next_link(links) else {
            return Ok(None);
        };
        let href = link
            .get("href")
            .and_then(Value::as_str)
            .ok_or("the next link has no \"href\"")?;
        let url = self
            .url
            .join(href)
            .map_err(|error| format!("the next link's href {href:?} is not a URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("the next link leads to {url}, not an http(s) URL"));
        }
        let method = method_of(link)?;
        let body = match method {
            Method::Get => None,
            Method::Post => Some(self.body_after(link)?),
        };
        Ok(Some(PageRequest {
            method,
            url,
            body,
            headers: headers_of(link)?,
        }))
    }

    /// A POST link's body: its `body` alone, or merged into this request's body with `merge: true` (the
    /// link's keys replace the same keys of the body, the others are kept).
    fn body_after(&self, link: &Map<String, Value>) -> Result<Map<String, Value>, String> {
        let body = match link.get("body") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(body)) => body.clone(),
            Some(_) => return Err("the next link's \"body\" is not a JSON object".into()),
        };
        if link.get("merge").and_then(Value::as_bool) != Some(true) {
            return Ok(body);
        }
        let mut merged = self.body.clone().unwrap_or_default();
        merged.extend(body);
        Ok(merged)
    }
}

/// The first link with `rel` "next".
fn next_link(links: Option<&Value>) -> Option<&Map<String, Value>> {
    links?
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|link| link.get("rel").and_then(Value::as_str) == Some("next"))
}

fn method_of(link: &Map<String, Value>) -> Result<Method, String> {
    match link.get("method") {
        None | Some(Value::Null) => Ok(Method::Get),
        Some(Value::String(method)) if method.eq_ignore_ascii_case("GET") => Ok(Method::Get),
        Some(Value::String(method)) if method.eq_ignore_ascii_case("POST") => Ok(Method::Post),
        Some(other) => Err(format!(
            "the next link's method {other} is neither GET nor POST"
        )),
    }
}

fn headers_of(link: &Map<String, Value>) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    let fields = match link.get("headers") {
        None | Some(Value::Null) => return Ok(headers),
        Some(Value::Object(fields)) => fields,
        Some(_) => return Err("the next link's \"headers\" is not a JSON object".into()),
    };
    for (name, value) in fields {
        let bad = || format!("the next link's header {name:?} cannot be sent");
        let text = value.as_str().ok_or_else(bad)?;
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        headers.append(name, HeaderValue::from_str(text).map_err(|_| bad())?);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests;
