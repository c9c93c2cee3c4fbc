//! Reading STAC documents: Collections become datasets, Items data objects, assets files.
//! ItemCollections (`FeatureCollection`) carry items; Catalogs carry nothing we import.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::access::{DatasetAccess, Right};

/// A STAC Collection, as far as the catalog uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionDoc {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `regards:access`: the rights `[{group, level}]` (or `"open"`) the dataset gets when it has none
    /// yet; an unreadable value says why.
    pub access: Option<Result<DatasetAccess, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemDoc {
    pub id: String,
    pub collection: String,
    pub properties: Map<String, Value>,
    pub assets: Vec<AssetDoc>,
    /// Assets that could not be read (their key and why): skipped, the item kept.
    pub unreadable_assets: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssetDoc {
    #[serde(skip)]
    pub key: String,
    pub href: String,
    #[serde(rename = "type")]
    pub media_type: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(rename = "file:size")]
    pub size: Option<u64>,
    /// Kept as any JSON value: a checksum that cannot be read is dropped, not the asset.
    #[serde(rename = "file:checksum")]
    pub checksum: Option<Value>,
    /// Our extension: the CRC-32 of the file, so zips can be laid out in advance.
    #[serde(rename = "regards:crc32")]
    pub crc32: Option<u32>,
    /// Our extension: the REGARDS data type, overriding the roles.
    #[serde(rename = "regards:data_type")]
    pub data_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entity {
    Collection(CollectionDoc),
    Item(ItemDoc),
}

/// The entities of one JSON document, in document order. An error says what is wrong; for an
/// ItemCollection the bad features are reported one by one (`Err` in the list) and the others kept.
pub fn entities(document: Value) -> Result<Vec<Result<Entity, String>>, String> {
    let Value::Object(object) = document else {
        return Err("expected a JSON object (a STAC Collection, Item or ItemCollection)".into());
    };
    match object.get("type").and_then(Value::as_str) {
        Some("Collection") => Ok(vec![collection(object)]),
        Some("Feature") => Ok(vec![item(object)]),
        Some("FeatureCollection") => {
            let Some(Value::Array(features)) = object.get("features") else {
                return Err("an ItemCollection needs a \"features\" array".into());
            };
            Ok(features
                .iter()
                .enumerate()
                .map(|(n, feature)| match feature {
                    Value::Object(feature) => {
                        item(feature.clone()).map_err(|e| format!("feature {n}: {e}"))
                    }
                    _ => Err(format!("feature {n}: not a JSON object")),
                })
                .collect())
        }
        Some("Catalog") => Ok(Vec::new()),
        Some(other) => Err(format!("unsupported STAC type {other:?}")),
        None => Err("missing \"type\" (expected Collection, Feature or FeatureCollection)".into()),
    }
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn required_id(object: &Map<String, Value>) -> Result<String, String> {
    let id = text(object, "id")
        .filter(|id| !id.trim().is_empty())
        .ok_or("missing \"id\"")?;
    if id.chars().count() > 255 {
        return Err(format!(
            "id longer than 255 characters: {}...",
            id.chars().take(40).collect::<String>()
        ));
    }
    Ok(id)
}

fn collection(object: Map<String, Value>) -> Result<Entity, String> {
    Ok(Entity::Collection(CollectionDoc {
        id: required_id(&object)?,
        title: text(&object, "title").filter(|t| !t.trim().is_empty()),
        description: text(&object, "description"),
        access: object.get(ACCESS_FIELD).map(access),
    }))
}

/// The Collection field that carries a dataset's access rights.
pub const ACCESS_FIELD: &str = "regards:access";

fn access(value: &Value) -> Result<DatasetAccess, String> {
    if value.as_str() == Some("open") {
        return Ok(DatasetAccess::Open);
    }
    serde_json::from_value::<Vec<Right>>(value.clone())
        .map(DatasetAccess::Rights)
        .map_err(|error| {
            format!(
                "{error} (expected \"open\" or [{{\"group\": \"g\", \"level\": \"RESTRICTED_ACCESS\" or \"FULL_ACCESS\"}}])"
            )
        })
}

fn item(mut object: Map<String, Value>) -> Result<Entity, String> {
    let id = required_id(&object)?;
    let in_item = |message: String| format!("item {id:?}: {message}");
    let collection = text(&object, "collection")
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| in_item("missing \"collection\"".into()))?;
    let properties = match object.remove("properties") {
        Some(Value::Object(properties)) => properties,
        Some(Value::Null) | None => Map::new(),
        Some(_) => return Err(in_item("\"properties\" is not an object".into())),
    };
    let mut assets = Vec::new();
    let mut unreadable_assets = Vec::new();
    match object.remove("assets") {
        Some(Value::Object(map)) => {
            for (key, value) in map {
                match serde_json::from_value::<AssetDoc>(value) {
                    Ok(mut asset) => {
                        asset.key = key;
                        assets.push(asset);
                    }
                    Err(error) => unreadable_assets.push((key, error.to_string())),
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => return Err(in_item("\"assets\" is not an object".into())),
    }
    Ok(Entity::Item(ItemDoc {
        id,
        collection,
        properties,
        assets,
        unreadable_assets,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_collection_carries_its_access_rights_or_says_why_not() {
        let read = |access: serde_json::Value| {
            let doc = json!({"type": "Collection", "id": "c", "regards:access": access});
            match entities(doc).unwrap().remove(0).unwrap() {
                Entity::Collection(collection) => collection.access.unwrap(),
                other => panic!("not a collection: {other:?}"),
            }
        };
        assert_eq!(read(json!("open")), Ok(DatasetAccess::Open));
        assert_eq!(
            read(json!([{"group": "A", "level": "FULL_ACCESS"}])),
            Ok(DatasetAccess::Rights(vec![Right {
                group: "A".into(),
                level: crate::domain::access::Level::FullAccess
            }]))
        );
        let error = read(json!([{"group": "A", "level": "EVERYTHING"}])).unwrap_err();
        assert!(error.contains("EVERYTHING"), "{error}");
    }

    #[test]
    fn collections_items_and_item_collections_are_read() {
        let collection =
            json!({"type": "Collection", "id": "s2", "title": "Sentinel-2", "description": "d"});
        assert_eq!(
            entities(collection).unwrap(),
            [Ok(Entity::Collection(CollectionDoc {
                id: "s2".into(),
                title: Some("Sentinel-2".into()),
                description: Some("d".into()),
                access: None,
            }))]
        );
        let item = json!({
            "type": "Feature", "id": "a", "collection": "s2",
            "properties": {"datetime": "2020-01-01T00:00:00Z"},
            "assets": {"data": {"href": "a.tif", "roles": ["data"], "file:size": 3, "type": "image/tiff"}}
        });
        let read = entities(item.clone()).unwrap();
        let [Ok(Entity::Item(parsed))] = read.as_slice() else {
            panic!("not one item")
        };
        assert_eq!(parsed.assets[0].key, "data");
        assert_eq!(parsed.assets[0].size, Some(3));
        let many = json!({"type": "FeatureCollection", "features": [item, {"type": "Feature"}]});
        let read = entities(many).unwrap();
        assert!(read[0].is_ok());
        assert_eq!(read[1], Err("feature 1: missing \"id\"".into()));
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        assert!(
            entities(json!([1]))
                .unwrap_err()
                .contains("expected a JSON object")
        );
        assert!(
            entities(json!({"id": "x"}))
                .unwrap_err()
                .contains("missing \"type\"")
        );
        let no_collection = entities(json!({"type": "Feature", "id": "x"})).unwrap();
        assert_eq!(
            no_collection,
            [Err("item \"x\": missing \"collection\"".into())]
        );
        let bad_asset = entities(json!({
            "type": "Feature", "id": "x", "collection": "c",
            "assets": {"a": {}, "b": {"href": "b.tif", "file:size": 1.5}, "c": {"href": "c.tif"}}
        }))
        .unwrap();
        let [Ok(Entity::Item(item))] = bad_asset.as_slice() else {
            panic!("an item with unreadable assets is still an item: {bad_asset:?}")
        };
        assert_eq!(item.assets.len(), 1);
        assert_eq!(item.unreadable_assets[0].0, "a");
        assert!(item.unreadable_assets[0].1.contains("missing field `href`"));
        assert_eq!(item.unreadable_assets[1].0, "b");
        assert_eq!(
            entities(json!({"type": "Catalog", "id": "root"})).unwrap(),
            []
        );
    }
}
