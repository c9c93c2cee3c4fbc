//! Repeated slashes in a path route as one (the seed's own `/order/basket//dataset/...`). This runs
//! before routing, so it wraps the whole router (a `Router::layer` would run after routing).

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

pub fn collapse_slashes(mut request: Request) -> Request {
    let path = request.uri().path();
    if !path.contains("//") {
        return request;
    }
    let mut collapsed = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    if let Some(query) = request.uri().query() {
        collapsed.push('?');
        collapsed.push_str(query);
    }
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = PathAndQuery::try_from(collapsed)
        && let Some(uri) = {
            parts.path_and_query = Some(path_and_query);
            Uri::from_parts(parts).ok()
        }
    {
        *request.uri_mut() = uri;
    }
    request
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn collapsed(uri: &str) -> String {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        collapse_slashes(request).uri().to_string()
    }

    #[test]
    fn repeated_slashes_become_one_and_the_query_stays() {
        assert_eq!(
            collapsed("/order/basket//dataset/3"),
            "/order/basket/dataset/3"
        );
        assert_eq!(collapsed("///a////b/?q=x//y"), "/a/b/?q=x//y");
        assert_eq!(collapsed("http://h:1//a"), "http://h:1/a");
        assert_eq!(collapsed("/plain"), "/plain");
    }
}
