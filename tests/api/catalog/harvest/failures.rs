//! Failing pages: tried again with backoff; a page that keeps failing stops the import, keeping what
//! the pages before brought.

use std::collections::HashMap;

use super::api::{Paging, Plan, StacApi};
use super::{SHORT_DELAYS, each_page_once, import, objects_in_database, search_total};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_page_failing_for_good_stops_the_import_naming_it_and_keeps_the_pages_before() {
    let app = spawn_app().await;
    let mut plan = Plan::new(5, 7, Paging::Get);
    plan.failures.insert(3, usize::MAX);
    let api = StacApi::start(plan).await;
    let imported = import(&app, &[&format!("{}/search", api.base)]).await;
    let stopped = imported.stopped.expect("the import stops at page 3");
    let page_3 = format!(
        "GET {}/search?page=3 answered 500 Internal Server Error",
        api.base
    );
    assert!(stopped.contains(&page_3), "{stopped}");
    assert!(stopped.contains("stopped at page 3"), "{stopped}");
    assert!(stopped.contains("(4 attempts)"), "{stopped}");
    assert_eq!(
        (imported.report.imported, imported.report.rejected),
        (14, 0)
    );
    assert_eq!(objects_in_database(&app).await, (14, 14));
    assert_eq!(search_total(&app, "").await, 14);
    let attempts = SHORT_DELAYS.len() + 1;
    assert_eq!(
        api.pages_asked(),
        HashMap::from([(1, 1), (2, 1), (3, attempts)]),
        "page 3 tried {attempts} times, page 4 never asked"
    );
}

#[tokio::test]
async fn a_page_failing_once_is_asked_again_and_the_import_completes() {
    for paging in [Paging::Get, Paging::Post] {
        let app = spawn_app().await;
        let mut plan = Plan::new(5, 7, paging);
        // Page 3 of the POST style is asked with a merged body and a header: the retry sends both again.
        plan.failures.insert(3, 1);
        let api = StacApi::start(plan).await;
        let imported = import(&app, &[&format!("{}/search", api.base)]).await;
        assert_eq!(imported.stopped, None);
        assert_eq!(
            (imported.report.imported, imported.report.rejected),
            (35, 0)
        );
        let mut asked = each_page_once(5);
        asked.insert(3, 2);
        assert_eq!(api.pages_asked(), asked);
        assert_eq!(objects_in_database(&app).await, (35, 35));
    }
}

#[tokio::test]
async fn a_collection_that_keeps_failing_stops_the_import_before_its_items() {
    let app = spawn_app().await;
    let mut plan = Plan::new(2, 7, Paging::Get);
    // c2's first item is the second of page 1: its rights unknown, none of its items may be imported.
    plan.failing_collection = Some("c2");
    let api = StacApi::start(plan).await;
    let imported = import(&app, &[&format!("{}/search", api.base)]).await;
    let stopped = imported.stopped.expect("the import stops");
    let expected = format!(
        "stopped at page 1: cannot read collection c2: GET {}/collections/c2 answered 500 \
         Internal Server Error (4 attempts)",
        api.base
    );
    assert!(stopped.contains(&expected), "{stopped}");
    assert_eq!(search_total(&app, "dataset:c2").await, 0);
    assert_eq!(
        search_total(&app, "").await,
        1,
        "item-1-0, of c1, came first"
    );
    assert_eq!(api.pages_asked(), HashMap::from([(1, 1)]));
}
