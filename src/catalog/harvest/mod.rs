//! `catalog import URL`: harvesting a STAC API's items or search endpoint, one ItemCollection page at a
//! time (memory stays flat), following each page's `rel="next"` link, each item's Collection fetched
//! once (docs/decisions.md, "STAC API harvest"; docs/ARCHITECTURE.md, "STAC API harvest").

mod collections;
mod fetch;
mod request;

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

use super::import::Importer;
use super::stac;
use crate::outbound::HttpClients;
use crate::store::StoreError;
use collections::Collections;
use fetch::Fetcher;
use request::PageRequest;

/// A page larger than this is refused: the limit of a JSON document posted to `/catalog/import`.
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct HarvestOptions {
    /// The waits before each new attempt at a request that failed in a way that may pass: 1 s, 2 s and
    /// 4 s by default (four attempts in all). Tests make them short.
    pub retry_delays: Vec<Duration>,
    /// The largest page (or Collection) read.
    pub max_page_bytes: usize,
}

impl Default for HarvestOptions {
    fn default() -> Self {
        HarvestOptions {
            retry_delays: [1, 2, 4].map(Duration::from_secs).to_vec(),
            max_page_bytes: MAX_PAGE_BYTES,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    /// A page or a Collection could not be read (after its retries): the harvest stops there, what was
    /// read before is imported.
    #[error("{0}")]
    Stopped(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a harvest is, after each page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageProgress {
    pub pages: u64,
    /// Features read.
    pub items: u64,
    /// The API's `numberMatched` (or `context.matched`), when it gives one.
    pub matched: Option<u64>,
}

/// Imports every item of every page from `start` on, calling `on_page` after each page.
pub async fn harvest(
    importer: &mut Importer,
    clients: &HttpClients,
    start: &Url,
    options: &HarvestOptions,
    on_page: &mut (dyn FnMut(&PageProgress) + Send),
) -> Result<(), HarvestError> {
    let fetcher = Fetcher::new(clients, start, options);
    let mut harvest = Harvest {
        start: crate::config::redact_url(start.as_str()),
        collections: Collections::new(start),
        progress: PageProgress::default(),
    };
    let mut request = PageRequest::get(start.clone());
    let mut asked = HashSet::new();
    loop {
        harvest.progress.pages += 1;
        if !asked.insert(request.fingerprint()) {
            return Err(harvest.stopped(format!(
                "its next link repeats the request of an earlier page ({})",
                request.describe()
            )));
        }
        let page = match fetcher.json(&request).await {
            Ok(page) => page,
            Err(failed) => return Err(harvest.stopped(failed.message)),
        };
        let next = harvest.page(page, &request, &fetcher, importer).await?;
        on_page(&harvest.progress);
        match next {
            Some(next) => request = next,
            None => return Ok(()),
        }
    }
}

struct Harvest {
    /// The typed URL, as messages name it.
    start: String,
    collections: Collections,
    progress: PageProgress,
}

impl Harvest {
    fn stopped(&self, reason: String) -> HarvestError {
        HarvestError::Stopped(format!(
            "the harvest of {} stopped at page {}: {reason}",
            self.start, self.progress.pages
        ))
    }

    /// Imports the items of one page (each item's Collection first, when it is new) and returns the
    /// request of the next page.
    async fn page(
        &mut self,
        page: Value,
        request: &PageRequest,
        fetcher: &Fetcher<'_>,
        importer: &mut Importer,
    ) -> Result<Option<PageRequest>, HarvestError> {
        let mut page = item_collection(page).map_err(|problem| {
            self.stopped(format!("{} answered {problem}", request.describe()))
        })?;
        let next = request
            .next(page.get("links"))
            .map_err(|problem| self.stopped(problem))?;
        self.collections.learn_root(page.get("links"), &request.url);
        self.progress.matched = matched(&page).or(self.progress.matched);
        let Some(Value::Array(features)) = page.remove("features") else {
            return Err(self.stopped("the page has no \"features\" array".into()));
        };
        let origin = format!("{} page {}", self.start, self.progress.pages);
        for (n, feature) in features.into_iter().enumerate() {
            self.progress.items += 1;
            let Value::Object(feature) = feature else {
                importer.reject(format!("{origin}: feature {n}: not a JSON object"));
                continue;
            };
            let collections = &mut self.collections;
            match collections
                .before_item(&feature, &request.url, fetcher, importer)
                .await
            {
                Ok(()) => {}
                Err(HarvestError::Stopped(reason)) => return Err(self.stopped(reason)),
                Err(error) => return Err(error),
            }
            item(importer, feature, &format!("{origin}: feature {n}")).await?;
        }
        Ok(next)
    }
}

/// A page as an ItemCollection, or what it is instead.
fn item_collection(page: Value) -> Result<Map<String, Value>, String> {
    match page {
        Value::Object(page)
            if page.get("type").and_then(Value::as_str) == Some("FeatureCollection") =>
        {
            Ok(page)
        }
        Value::Object(page) => Err(format!(
            "a document of type {} where an ItemCollection (FeatureCollection) was expected; \
             harvest a search (…/search) or items (…/collections/{{id}}/items) URL",
            page.get("type").unwrap_or(&Value::Null)
        )),
        _ => Err("JSON that is not an object where an ItemCollection was expected".into()),
    }
}

/// One feature of a page, imported (or rejected with its place).
async fn item(
    importer: &mut Importer,
    feature: Map<String, Value>,
    origin: &str,
) -> Result<(), StoreError> {
    match stac::entities(Value::Object(feature)) {
        Ok(entities) => {
            for entity in entities {
                importer.entity(entity, None, origin).await?;
            }
        }
        Err(problem) => importer.reject(format!("{origin}: {problem}")),
    }
    Ok(())
}

/// STAC API's `numberMatched`, or the older context extension's `context.matched`.
fn matched(page: &Map<String, Value>) -> Option<u64> {
    page.get("numberMatched")
        .or_else(|| page.get("context")?.get("matched"))
        .and_then(Value::as_u64)
}
