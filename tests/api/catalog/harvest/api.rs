//! A paged STAC API on 127.0.0.1: `GET /search?page=N` (next links by GET href, or by POST with a body
//! merged page after page and a header), `GET /collections/{id}/items?page=N`, `GET /collections/{id}`.
//! It counts what it is asked and can fail a page a number of times before answering it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// How the next page is asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `rel="next"` with an href.
    Get,
    /// Page 1 by GET; its next link a POST with the whole body; every later one a POST with only the
    /// token, `merge: true` and an `X-Page-Token` header, which the server checks.
    Post,
}

/// What the API serves.
#[derive(Clone)]
pub struct Plan {
    pub pages: usize,
    pub per_page: usize,
    pub paging: Paging,
    /// Page → how many times it answers 500 before it answers (`usize::MAX`: always).
    pub failures: HashMap<usize, usize>,
    /// The host next links name instead of 127.0.0.1 (another name for the same server).
    pub link_host: Option<&'static str>,
    /// A Collection that always answers 500.
    pub failing_collection: Option<&'static str>,
}

impl Plan {
    pub fn new(pages: usize, per_page: usize, paging: Paging) -> Plan {
        Plan {
            pages,
            per_page,
            paging,
            failures: HashMap::new(),
            link_host: None,
            failing_collection: None,
        }
    }
}

pub struct StacApi {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<ApiState>,
}

struct ApiState {
    base: String,
    plan: Plan,
    failures: Mutex<HashMap<usize, usize>>,
    /// Page number → times asked.
    pages_asked: Mutex<HashMap<usize, usize>>,
    collections_asked: Mutex<HashMap<String, usize>>,
}

impl StacApi {
    pub async fn start(plan: Plan) -> StacApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(ApiState {
            base: base.clone(),
            failures: Mutex::new(plan.failures.clone()),
            plan,
            pages_asked: Mutex::default(),
            collections_asked: Mutex::default(),
        });
        let router = Router::new()
            .route("/search", get(search_get).post(search_post))
            .route("/collections/{id}", get(collection))
            .route("/collections/{id}/items", get(items))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        StacApi { base, state }
    }

    /// How many times each page was asked for.
    pub fn pages_asked(&self) -> HashMap<usize, usize> {
        self.state.pages_asked.lock().unwrap().clone()
    }

    /// How many times each Collection was asked for.
    pub fn collections_asked(&self) -> HashMap<String, usize> {
        self.state.collections_asked.lock().unwrap().clone()
    }
}

/// Item `i` of page `p` is `item-p-i`; in the search, even items are in c1 (with a collection link),
/// odd ones in c2 (without: found through the API root).
fn feature(base: &str, page: usize, i: usize, only: Option<&str>) -> Value {
    let id = format!("item-{page}-{i}");
    let collection = only.unwrap_or(if i.is_multiple_of(2) { "c1" } else { "c2" });
    let links = match (only, collection) {
        (None, "c1") => json!([{"rel": "collection", "href": format!("{base}/collections/c1")}]),
        _ => json!([]),
    };
    json!({"type": "Feature", "stac_version": "1.0.0", "id": id, "collection": collection,
           "geometry": null, "properties": {"datetime": "2024-01-01T00:00:00Z", "page": page},
           "links": links,
           "assets": {"data": {"href": format!("https://data.example.org/{collection}/{id}.tif"),
                               "roles": ["data"], "file:size": 1000 + i}}})
}

impl ApiState {
    /// Page `page` of the search (or of the items of `only`), unless it is to fail this time.
    fn page(&self, page: usize, only: Option<&str>) -> Response {
        *self.pages_asked.lock().unwrap().entry(page).or_default() += 1;
        if let Some(left) = self.failures.lock().unwrap().get_mut(&page)
            && *left > 0
        {
            *left -= 1;
            return (StatusCode::INTERNAL_SERVER_ERROR, "the database is down").into_response();
        }
        let plan = &self.plan;
        let features: Vec<Value> = (0..plan.per_page)
            .map(|i| feature(&self.base, page, i, only))
            .collect();
        let mut links = vec![json!({"rel": "root", "href": format!("{}/", self.base)})];
        if page < plan.pages {
            links.push(self.next_link(page + 1, only));
        }
        Json(
            json!({"type": "FeatureCollection", "features": features, "links": links,
                    "numberMatched": plan.pages * plan.per_page, "numberReturned": plan.per_page}),
        )
        .into_response()
    }

    fn next_link(&self, next: usize, only: Option<&str>) -> Value {
        let base = match self.plan.link_host {
            Some(host) => self.base.replace("127.0.0.1", host),
            None => self.base.clone(),
        };
        let token = format!("page-{next}");
        match (self.plan.paging, only) {
            (Paging::Get, None) => {
                json!({"rel": "next", "href": format!("{base}/search?page={next}")})
            }
            (Paging::Get, Some(id)) => {
                json!({"rel": "next", "href": format!("{base}/collections/{id}/items?page={next}")})
            }
            (Paging::Post, _) if next == 2 => json!({
                "rel": "next", "href": format!("{base}/search"), "method": "POST",
                "body": {"collections": ["c1", "c2"], "limit": self.plan.per_page, "token": token}}),
            (Paging::Post, _) => json!({
                "rel": "next", "href": format!("{base}/search"), "method": "POST", "merge": true,
                "body": {"token": token}, "headers": {"X-Page-Token": token}}),
        }
    }
}

fn page_number(query: &HashMap<String, String>) -> usize {
    query.get("page").map_or(1, |page| page.parse().unwrap())
}

async fn search_get(
    State(api): State<Arc<ApiState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    api.page(page_number(&query), None)
}

/// A POSTed page: the body must be the whole first body with this page's token (merged by the
/// client), and from page 3 on carry the link's header.
async fn search_post(
    State(api): State<Arc<ApiState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let token = body["token"].as_str().unwrap_or_default();
    let Some(page) = token.strip_prefix("page-").and_then(|n| n.parse().ok()) else {
        return (StatusCode::BAD_REQUEST, format!("no page token in {body}")).into_response();
    };
    let expected = json!({"collections": ["c1", "c2"], "limit": api.plan.per_page, "token": token});
    let header = headers.get("x-page-token").and_then(|v| v.to_str().ok());
    if body != expected || (page > 2 && header != Some(token)) {
        let problem = format!("page {page}: body {body}, header {header:?}");
        return (StatusCode::BAD_REQUEST, problem).into_response();
    }
    api.page(page, None)
}

async fn items(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    api.page(page_number(&query), Some(&id))
}

async fn collection(State(api): State<Arc<ApiState>>, Path(id): Path<String>) -> Response {
    *api.collections_asked
        .lock()
        .unwrap()
        .entry(id.clone())
        .or_default() += 1;
    if api.plan.failing_collection == Some(id.as_str()) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the database is down").into_response();
    }
    let mut document = json!({"type": "Collection", "stac_version": "1.0.0", "id": id,
                              "description": format!("All of {id}"), "license": "proprietary",
                              "extent": {}, "links": []});
    match id.as_str() {
        "c1" => document["title"] = json!("Collection One"),
        "c2" => {
            document["title"] = json!("Collection Two");
            document["regards:access"] = json!([{"group": "g2", "level": "FULL_ACCESS"}]);
        }
        _ => return (StatusCode::NOT_FOUND, "no such collection").into_response(),
    }
    Json(document).into_response()
}
