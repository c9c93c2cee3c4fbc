//! Random and garbled query strings: a result or a 422, never a 500 and never a panic.

use regards_order::catalog::generate::SplitMix as Random;
use regards_order::catalog::search::{self, CatalogError};
use regards_order::domain::access::Scope;

use super::fixture::app_with_fixture;

const SEEDS: &[&str] = &[
    "platform:SPOT-6 OR orbit:42",
    "level:[1 TO 3] AND NOT platform:SPOT-6",
    "datetime:{2020-01-01T00:00:00.000Z TO *}",
    "platform:(SPOT-6 OR SENTINEL-1A) && !name:a\\*b",
    "+level:[* TO 2} -\"tile A\" swa*",
    "tags:\"URN:AIP:DATASET:PROJECT:x:V1\" AND creationDate:[* TO 2018-04-03T14:20:00.383Z]",
    "quality:[4 TO 6] || cloud_cover:10.5 || code:x:y",
];

const ALPHABET: &[char] = &[
    'a', 'Z', '0', '9', ' ', ':', '"', '(', ')', '[', ']', '{', '}', '*', '?', '\\', '+', '-', '!',
    '&', '|', '^', '~', '/', '.', 'T', 'O', 'A', 'N', 'D', 'é', '€', '\'', ';', '%', '_', '\t',
];

/// A garbled string: a seed query with characters inserted, deleted and replaced, or random characters.
fn garbled(random: &mut Random) -> String {
    if random.below(4) == 0 {
        let length = random.below(30);
        return (0..length)
            .map(|_| ALPHABET[random.below(ALPHABET.len())])
            .collect();
    }
    let mut chars: Vec<char> = SEEDS[random.below(SEEDS.len())].chars().collect();
    for _ in 0..=random.below(4) {
        let at = random.below(chars.len() + 1);
        match random.below(3) {
            0 => chars.insert(at, ALPHABET[random.below(ALPHABET.len())]),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars[at] = ALPHABET[random.below(ALPHABET.len())],
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[tokio::test]
async fn ten_thousand_garbled_queries_give_a_result_or_a_query_error() {
    let app = app_with_fixture().await;
    let store = app.state.store.as_ref();
    let mut random = Random(42);
    let (mut answered, mut refused) = (0, 0);
    for _ in 0..10_000 {
        let q = garbled(&mut random);
        // Through the same functions the endpoints call: search counts and pages, summary aggregates.
        let searched = search::search(store, &q, &Scope::All, 0, 5).await;
        let summed = search::summary(store, &q, &Scope::All).await;
        match (searched, summed) {
            (Ok(_), Ok(_)) => answered += 1,
            (Err(CatalogError::Query(a)), Err(CatalogError::Query(b))) => {
                assert_eq!(a, b, "{q:?}");
                assert!(a.column >= 1, "{q:?}: {a}");
                refused += 1;
            }
            (searched, summed) => panic!(
                "{q:?}: search {:?} / summary {:?}",
                searched.err(),
                summed.err()
            ),
        }
    }
    assert!(
        answered > 1000 && refused > 1000,
        "answered {answered}, refused {refused}"
    );
}

#[tokio::test]
async fn garbled_queries_over_http_are_never_a_500() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let mut random = Random(7);
    for n in 0..400 {
        let q = garbled(&mut random);
        let path = if n % 2 == 0 {
            "/catalog/search"
        } else {
            "/catalog/summary"
        };
        let response = app.get_as(&token, path, &[("q", &q)]).await;
        let status = response.status().as_u16();
        assert!(status == 200 || status == 422, "{q:?} on {path}: {status}");
        if status == 422 {
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(
                body["messages"][0]
                    .as_str()
                    .unwrap()
                    .contains(" at column "),
                "{q:?}: {body}"
            );
        }
    }
}
