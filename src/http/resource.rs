//! The HATEOAS shapes of REGARDS: a resource is `{"content": {...}, "links": [...]}`, a page is
//! `{"metadata": {...}, "content": [resource...], "links": [...]}`.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Most items a page may hold.
pub const MAX_PAGE_SIZE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub rel: String,
    pub href: String,
}

impl Link {
    pub fn new(rel: &str, href: impl Into<String>) -> Link {
        Link {
            rel: rel.to_owned(),
            href: href.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resource<T> {
    pub content: T,
    pub links: Vec<Link>,
}

impl<T> Resource<T> {
    pub fn new(content: T, links: Vec<Link>) -> Resource<T> {
        Resource { content, links }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMetadata {
    pub size: u64,
    pub total_elements: u64,
    pub total_pages: u64,
    pub number: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub metadata: PageMetadata,
    pub content: Vec<Resource<T>>,
    pub links: Vec<Link>,
}

/// `?page=&size=` as sent (page 0 is the first).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, 0 for the first page.
    pub page: Option<u32>,
    /// Items per page (default from `orders.page_size`, at most 1000).
    pub size: Option<u32>,
}

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub number: u32,
    pub size: u32,
}

impl PageParams {
    /// `size` defaults to `default_size`; 0 is refused, more than 1000 is cut to 1000.
    pub fn resolve(&self, default_size: u32) -> Result<PageRequest, AppError> {
        let size = self.size.unwrap_or(default_size);
        if size == 0 {
            return Err(AppError::BadRequest("Page size must be at least 1".into()));
        }
        Ok(PageRequest {
            number: self.page.unwrap_or(0),
            size: size.min(MAX_PAGE_SIZE),
        })
    }
}

impl PageRequest {
    pub fn offset(&self) -> u64 {
        u64::from(self.number) * u64::from(self.size)
    }

    pub fn limit(&self) -> u64 {
        u64::from(self.size)
    }
}

impl<T> Page<T> {
    /// A page of `content` out of `total_elements`, with `self`, `prev` and `next` links built from
    /// `base_href` (the list's URL without its page parameters).
    pub fn new(
        content: Vec<Resource<T>>,
        request: PageRequest,
        total_elements: u64,
        base_href: &str,
    ) -> Page<T> {
        let size = u64::from(request.size);
        let number = u64::from(request.number);
        let total_pages = total_elements.div_ceil(size);
        let separator = if base_href.contains('?') { '&' } else { '?' };
        let href = |page: u64| format!("{base_href}{separator}page={page}&size={size}");
        let mut links = vec![Link::new("self", href(number))];
        if number > 0 {
            links.push(Link::new("prev", href(number - 1)));
        }
        if number + 1 < total_pages {
            links.push(Link::new("next", href(number + 1)));
        }
        Page {
            metadata: PageMetadata {
                size,
                total_elements,
                total_pages,
                number,
            },
            content,
            links,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_resource_is_content_and_links() {
        let resource = Resource::new(json!({"id": 1}), vec![Link::new("self", "/x/1")]);
        assert_eq!(
            serde_json::to_value(resource).unwrap(),
            json!({"content": {"id": 1}, "links": [{"rel": "self", "href": "/x/1"}]})
        );
    }

    #[test]
    fn a_page_has_regards_metadata_and_neighbour_links() {
        let items = vec![
            Resource::new(json!(3), vec![]),
            Resource::new(json!(4), vec![]),
        ];
        let request = PageParams {
            page: Some(1),
            size: Some(2),
        }
        .resolve(20)
        .unwrap();
        let page = Page::new(items, request, 5, "http://h/user/orders");
        assert_eq!(
            serde_json::to_value(page).unwrap(),
            json!({
                "metadata": {"size": 2, "totalElements": 5, "totalPages": 3, "number": 1},
                "content": [{"content": 3, "links": []}, {"content": 4, "links": []}],
                "links": [
                    {"rel": "self", "href": "http://h/user/orders?page=1&size=2"},
                    {"rel": "prev", "href": "http://h/user/orders?page=0&size=2"},
                    {"rel": "next", "href": "http://h/user/orders?page=2&size=2"},
                ]
            })
        );
    }

    #[test]
    fn page_sizes_default_are_capped_and_never_zero() {
        assert_eq!(
            PageParams::default().resolve(20).unwrap(),
            PageRequest {
                number: 0,
                size: 20
            }
        );
        let big = PageParams {
            page: None,
            size: Some(5000),
        }
        .resolve(20)
        .unwrap();
        assert_eq!(big.size, MAX_PAGE_SIZE);
        assert!(
            PageParams {
                page: None,
                size: Some(0)
            }
            .resolve(20)
            .is_err()
        );
        assert_eq!(
            PageRequest {
                number: 3,
                size: 20
            }
            .offset(),
            60
        );
    }
}
