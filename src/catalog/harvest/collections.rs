//! The Collections of a harvest's items, each fetched once, before the first item that names it, so its
//! dataset gets its title, description and `regards:access` (docs/decisions.md, "STAC API harvest").

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Map, Value};
use url::Url;

use super::HarvestError;
use super::fetch::Fetcher;
use super::request::PageRequest;
use crate::catalog::import::Importer;
use crate::catalog::stac::{self, Entity};

pub struct Collections {
    /// The collection ids already asked for (fetched, or found missing): each is asked for once.
    seen: HashSet<String>,
    /// The API root found from the typed URL: `…/search` or `…/collections/{id}/items` without the end.
    typed_root: Option<Url>,
    /// The API root a page's `rel="root"` link gives.
    linked_root: Option<Url>,
}

impl Collections {
    pub fn new(start: &Url) -> Collections {
        Collections {
            seen: HashSet::new(),
            typed_root: root_of(start),
            linked_root: None,
        }
    }

    /// Remembers the `rel="root"` link of a page, for a typed URL whose root cannot be told.
    pub fn learn_root(&mut self, links: Option<&Value>, page: &Url) {
        if self.typed_root.is_none() && self.linked_root.is_none() {
            self.linked_root = link(links, "root").and_then(|href| page.join(href).ok());
        }
    }

    /// Imports the Collection of `feature` when it is the first item of that collection: from the
    /// item's `rel="collection"` link, else `<API root>/collections/{id}`. A collection the API does not
    /// have (404, 410), or no link to find it, is noted and its items imported with the id as label; any
    /// other failure stops the harvest, since the access rights of the dataset would be unknown.
    pub async fn before_item(
        &mut self,
        feature: &Map<String, Value>,
        page: &Url,
        fetcher: &Fetcher<'_>,
        importer: &mut Importer,
    ) -> Result<(), HarvestError> {
        let Some(id) = feature.get("collection").and_then(Value::as_str) else {
            return Ok(());
        };
        if !self.seen.insert(id.to_owned()) {
            return Ok(());
        }
        let from_item = link(feature.get("links"), "collection").and_then(|h| page.join(h).ok());
        let Some(url) = from_item.or_else(|| self.url_of(id)) else {
            importer.note(format!(
                "collection {id}: neither a collection link nor an API root to fetch it from; \
                 its dataset is named {id}"
            ));
            return Ok(());
        };
        let request = PageRequest::get(url);
        match fetcher.json(&request).await {
            Ok(document) => import(importer, id, document, &request).await,
            Err(failed)
                if matches!(
                    failed.status,
                    Some(StatusCode::NOT_FOUND | StatusCode::GONE)
                ) =>
            {
                importer.note(format!(
                    "collection {id}: {}; its dataset is named {id}",
                    failed.message
                ));
                Ok(())
            }
            Err(failed) => Err(HarvestError::Stopped(format!(
                "cannot read collection {id}: {}",
                failed.message
            ))),
        }
    }

    fn url_of(&self, id: &str) -> Option<Url> {
        let mut url = self
            .typed_root
            .as_ref()
            .or(self.linked_root.as_ref())?
            .clone();
        url.set_query(None);
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .extend(["collections", id]);
        Some(url)
    }
}

/// A fetched Collection document, imported; one that is not a Collection is noted.
async fn import(
    importer: &mut Importer,
    id: &str,
    document: Value,
    request: &PageRequest,
) -> Result<(), HarvestError> {
    let origin = request.describe();
    match stac::entities(document).map(|mut entities| entities.pop()) {
        Ok(Some(Ok(Entity::Collection(collection)))) => {
            let entity = Ok(Entity::Collection(collection));
            importer.entity(entity, None, &origin).await?;
        }
        Ok(_) => importer.note(format!(
            "collection {id}: {origin} is not a STAC Collection; its dataset is named {id}"
        )),
        Err(problem) => importer.note(format!(
            "collection {id}: {origin}: {problem}; its dataset is named {id}"
        )),
    }
    Ok(())
}

/// The href of the first link with this `rel`.
fn link<'a>(links: Option<&'a Value>, rel: &str) -> Option<&'a str> {
    links?
        .as_array()?
        .iter()
        .find(|link| link.get("rel").and_then(Value::as_str) == Some(rel))?
        .get("href")?
        .as_str()
}

/// The API root of a search (`…/search`) or items (`…/collections/{id}/items`) URL.
fn root_of(url: &Url) -> Option<Url> {
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let keep = match segments.as_slice() {
        [.., "search"] => segments.len() - 1,
        [.., "collections", _, "items"] => segments.len() - 3,
        _ => return None,
    };
    let mut root = url.clone();
    root.set_query(None);
    root.set_fragment(None);
    root.path_segments_mut()
        .ok()?
        .clear()
        .extend(&segments[..keep]);
    Some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_root_is_the_typed_url_without_its_endpoint() {
        let root = |url: &str| root_of(&Url::parse(url).unwrap()).map(String::from);
        assert_eq!(
            root("http://h:8/stac/v1/search?limit=7").as_deref(),
            Some("http://h:8/stac/v1")
        );
        assert_eq!(
            root("https://h/collections/s2/items?page=2").as_deref(),
            Some("https://h/")
        );
        assert_eq!(root("https://h/features/x"), None);
        let collections = Collections::new(&Url::parse("http://h/api/search").unwrap());
        assert_eq!(
            collections.url_of("a b/c").unwrap().as_str(),
            "http://h/api/collections/a%20b%2Fc"
        );
    }
}
