//! REGARDS identifiers of what the catalog imports, stable across imports (UUID v5 of the STAC ids).

use uuid::Uuid;

/// `URN:AIP:DATASET:<tenant>:<uuid v5 of "stac:<collection>">:V1`
pub fn dataset_ip_id(tenant: &str, collection: &str) -> String {
    let uuid = Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("stac:{collection}").as_bytes(),
    );
    format!("URN:AIP:DATASET:{tenant}:{uuid}:V1")
}

/// `URN:AIP:DATA:<tenant>:<uuid v5 of "stac:<collection>/<item>">:V1`
pub fn object_ip_id(tenant: &str, collection: &str, item: &str) -> String {
    let uuid = Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("stac:{collection}/{item}").as_bytes(),
    );
    format!("URN:AIP:DATA:{tenant}:{uuid}:V1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let dataset = dataset_ip_id("PROJECT", "s2");
        assert_eq!(dataset, dataset_ip_id("PROJECT", "s2"));
        assert!(dataset.starts_with("URN:AIP:DATASET:PROJECT:") && dataset.ends_with(":V1"));
        assert_ne!(
            object_ip_id("PROJECT", "s2", "a"),
            object_ip_id("PROJECT", "s2", "b")
        );
        assert_ne!(
            object_ip_id("PROJECT", "s2", "a"),
            object_ip_id("PROJECT", "s1", "a")
        );
        // UUID v5 of the URL namespace, as docs/decisions.md ("Identifiers") fixes it.
        assert_eq!(
            dataset_ip_id("T", "x"),
            format!(
                "URN:AIP:DATASET:T:{}:V1",
                Uuid::new_v5(&Uuid::NAMESPACE_URL, b"stac:x")
            )
        );
    }
}
