//! The import of STAC entities into the catalog, in batches. Collections become datasets; items become
//! data objects (created, or updated in place when already known); an item that cannot be imported is
//! reported and skipped, and the import goes on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::assets::{OUTSIDE_ROOTS, Resolver, StorageRoots, resolve};
use super::ids;
pub use super::report::ImportReport;
use super::report::ItemNotes;
use super::stac::{CollectionDoc, Entity, ItemDoc};
use crate::domain::access::DatasetAccess;
use crate::domain::query::sql::ValueType;
use crate::store::{NewDataset, NewObject, PropertyValue, Store, StoreError, WriteOutcome};
use crate::time::Timestamp;

/// Items written per transaction.
const BATCH_SIZE: usize = 1000;
/// Longer text values are kept in the object's properties but not indexed for queries.
const MAX_INDEXED_TEXT: usize = 256;
/// Imports writing more objects than this refresh the planner's statistics at the end.
const ANALYZE_AFTER: u64 = 10_000;

/// Called after every batch with the report so far.
type Progress = Box<dyn FnMut(&ImportReport) + Send>;

struct Pending {
    item: ItemDoc,
    base: Option<PathBuf>,
    origin: String,
}

pub struct Importer {
    store: Arc<dyn Store>,
    roots: StorageRoots,
    tenant: String,
    now: Timestamp,
    datasets: HashMap<String, i64>,
    types: HashMap<String, ValueType>,
    pending: Vec<Pending>,
    report: ImportReport,
    progress: Option<Progress>,
    /// The batch being written.
    writing: Option<tokio::task::JoinHandle<Result<WriteOutcome, StoreError>>>,
}

impl Importer {
    pub async fn new(
        store: Arc<dyn Store>,
        roots: StorageRoots,
        tenant: &str,
        now: Timestamp,
    ) -> Result<Importer, StoreError> {
        let types = store.property_types().await?;
        Ok(Importer {
            store,
            roots,
            tenant: tenant.to_owned(),
            now,
            datasets: HashMap::new(),
            types,
            pending: Vec::new(),
            report: ImportReport::default(),
            progress: None,
            writing: None,
        })
    }

    /// Called after every batch with the report so far.
    pub fn on_progress(&mut self, progress: impl FnMut(&ImportReport) + Send + 'static) {
        self.progress = Some(Box::new(progress));
    }

    /// Something that could not be read at all (a malformed line or document).
    pub fn reject(&mut self, problem: String) {
        self.report.reject(problem);
    }

    /// A line for the report that rejects nothing (what a harvest could not do for a dataset).
    pub fn note(&mut self, line: String) {
        self.report.note(line);
    }

    /// Takes one entity read from `origin` (`file.ndjson:12`); `base` resolves relative hrefs.
    pub async fn entity(
        &mut self,
        entity: Result<Entity, String>,
        base: Option<PathBuf>,
        origin: &str,
    ) -> Result<(), StoreError> {
        match entity {
            Err(problem) => self.report.reject(format!("{origin}: {problem}")),
            Ok(Entity::Collection(collection)) => self.collection(collection).await?,
            Ok(Entity::Item(item)) => {
                self.pending.push(Pending {
                    item,
                    base,
                    origin: origin.to_owned(),
                });
                if self.pending.len() >= BATCH_SIZE {
                    self.flush().await?;
                }
            }
        }
        Ok(())
    }

    async fn collection(&mut self, collection: CollectionDoc) -> Result<(), StoreError> {
        let dataset = NewDataset {
            ip_id: ids::dataset_ip_id(&self.tenant, &collection.id),
            label: collection
                .title
                .clone()
                .unwrap_or_else(|| collection.id.clone()),
            provider_id: collection.id.clone(),
            description: collection.description,
        };
        let id = self.store.upsert_dataset(&dataset, self.now).await?;
        if let Some(access) = collection.access {
            self.give_access(&collection.id, id, access).await?;
        }
        self.datasets.insert(collection.id, id);
        self.report.datasets += 1;
        Ok(())
    }

    /// A Collection's `regards:access`, applied only to a dataset that has no rights yet (an admin's
    /// change is never overwritten). Unreadable rights close the dataset to all but admins rather than
    /// leave it to the default.
    async fn give_access(
        &mut self,
        collection: &str,
        dataset: i64,
        access: Result<DatasetAccess, String>,
    ) -> Result<(), StoreError> {
        let access = match access.map(|a| crate::access::normalized(a).map_err(|e| e.to_string())) {
            Ok(Ok(access)) => access,
            Ok(Err(error)) | Err(error) => {
                self.report.note(format!(
                    "collection {collection}: {} unreadable, the dataset is closed to all but admins \
                     until an admin gives it rights: {error}",
                    crate::catalog::stac::ACCESS_FIELD
                ));
                DatasetAccess::Rights(vec![])
            }
        };
        self.store
            .set_dataset_access_if_unset(dataset, &access)
            .await?;
        Ok(())
    }

    /// The dataset of a collection id, created with the id as label when its Collection was not seen.
    async fn dataset_id(&mut self, collection: &str) -> Result<i64, StoreError> {
        if let Some(id) = self.datasets.get(collection) {
            return Ok(*id);
        }
        let dataset = NewDataset {
            ip_id: ids::dataset_ip_id(&self.tenant, collection),
            provider_id: collection.to_owned(),
            label: collection.to_owned(),
            description: None,
        };
        let id = self.store.ensure_dataset(&dataset, self.now).await?;
        self.datasets.insert(collection.to_owned(), id);
        Ok(id)
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let mut dataset_ids = Vec::with_capacity(pending.len());
        for p in &pending {
            dataset_ids.push(self.dataset_id(&p.item.collection).await?);
        }
        let roots = self.roots.clone();
        let tenant = self.tenant.clone();
        // Resolving assets touches the file system (and hashes files without checksum).
        let prepared = tokio::task::spawn_blocking(move || {
            let mut resolver = Resolver::new(&roots);
            pending
                .into_iter()
                .zip(dataset_ids)
                .map(|(p, dataset_id)| prepare(&p, dataset_id, &mut resolver, &tenant))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|error| StoreError::Worker(format!("import worker failed: {error}")))?;

        let mut objects = Vec::with_capacity(prepared.len());
        let mut new_types = Vec::new();
        for result in prepared {
            match result {
                Err(problem) => self.report.reject(problem),
                Ok((object, kinds, notes)) => {
                    self.report.add_notes(notes);
                    self.report.files += object.files.len() as u64;
                    for (name, kind) in kinds {
                        let merged = match self.types.get(&name) {
                            Some(known) if *known == kind => continue,
                            Some(_) => ValueType::Text,
                            None => kind,
                        };
                        if self.types.insert(name.clone(), merged) != Some(merged) {
                            new_types.push((name, kind));
                        }
                    }
                    objects.push(object);
                }
            }
        }
        if !new_types.is_empty() {
            self.store.merge_property_types(&new_types).await?;
        }
        // The write runs while the next batch is read and prepared; batches are written in order.
        self.wait_for_write().await?;
        let (store, now) = (self.store.clone(), self.now);
        self.writing = Some(tokio::spawn(async move {
            store.write_objects(&objects, now).await
        }));
        Ok(())
    }

    async fn wait_for_write(&mut self) -> Result<(), StoreError> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        let outcome = writing
            .await
            .map_err(|error| StoreError::Worker(format!("import writer failed: {error}")))??;
        self.report.imported += outcome.inserted;
        self.report.updated += outcome.updated;
        if let Some(progress) = self.progress.as_mut() {
            progress(&self.report);
        }
        Ok(())
    }

    /// Writes what is left, refreshes the dataset counts, and returns the report.
    pub async fn finish(mut self) -> Result<ImportReport, StoreError> {
        self.flush().await?;
        self.wait_for_write().await?;
        self.store.refresh_dataset_counts().await?;
        if self.report.imported + self.report.updated > ANALYZE_AFTER {
            self.store.analyze().await?;
        }
        Ok(self.report)
    }
}

/// An item ready to be written: its object, the types of its properties, what was left out of it.
type Prepared = (NewObject, Vec<(String, ValueType)>, ItemNotes);

/// An item as a data object with the files of its usable assets, the types of its properties, and what
/// was left out (assets skipped, checksums dropped). An item with no usable asset is still an object.
fn prepare(
    pending: &Pending,
    dataset_id: i64,
    resolver: &mut Resolver,
    tenant: &str,
) -> Result<Prepared, String> {
    let item = &pending.item;
    let name = format!("{}: {}", pending.origin, item.id);
    let mut notes = ItemNotes::default();
    for (key, reason) in &item.unreadable_assets {
        notes.skip(&name, key, reason);
    }
    let mut files = Vec::with_capacity(item.assets.len());
    for asset in &item.assets {
        match resolve(asset, pending.base.as_deref(), resolver) {
            Ok(resolved) => {
                if let Some(reason) = resolved.checksum_dropped {
                    notes.checksums_dropped += 1;
                    notes.lines.push(format!(
                        "{name}: asset {}: checksum dropped: {reason}",
                        asset.key
                    ));
                }
                files.push(resolved.file);
            }
            Err(reason) => {
                if reason.contains(OUTSIDE_ROOTS) {
                    notes.outside_roots += 1;
                }
                notes.skip(&name, &asset.key, &reason);
            }
        }
    }
    let (values, kinds) = typed_values(&item.properties);
    let object = NewObject {
        ip_id: ids::object_ip_id(tenant, &item.collection, &item.id),
        provider_id: item.id.clone(),
        label: label_of(item),
        dataset_id,
        properties: Value::Object(item.properties.clone()).to_string(),
        tags: tags_of(item),
        values,
        files,
    };
    Ok((object, kinds, notes))
}

/// The queryable values of an item's properties, and the type of each property name.
fn typed_values(properties: &Map<String, Value>) -> (Vec<PropertyValue>, Vec<(String, ValueType)>) {
    let mut values = Vec::new();
    let mut kinds = Vec::new();
    for (name, value) in properties {
        property_values(name, value, &mut values, &mut kinds);
    }
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    kinds.dedup_by(|a, b| {
        if a.0 == b.0 && a.1 != b.1 {
            b.1 = ValueType::Text;
        }
        a.0 == b.0
    });
    (values, kinds)
}

/// The STAC `keywords`.
fn tags_of(item: &ItemDoc) -> Vec<String> {
    match item.properties.get("keywords") {
        Some(Value::Array(words)) => words
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The `title`, else the id.
fn label_of(item: &ItemDoc) -> String {
    match item.properties.get("title") {
        Some(Value::String(title)) if !title.trim().is_empty() => title.clone(),
        _ => item.id.clone(),
    }
}

/// The queryable values of a property: numbers, dates (RFC 3339 strings), other scalars as text; arrays
/// give one value per element, objects are flattened as `name.key`.
pub fn property_values(
    name: &str,
    value: &Value,
    values: &mut Vec<PropertyValue>,
    kinds: &mut Vec<(String, ValueType)>,
) {
    let mut push = |text: String, num: Option<f64>, kind: ValueType| {
        values.push(PropertyValue {
            name: name.to_owned(),
            text,
            num,
        });
        kinds.push((name.to_owned(), kind));
    };
    match value {
        Value::Null => {}
        Value::Bool(flag) => push(flag.to_string(), None, ValueType::Text),
        Value::Number(number) => match number.as_f64().filter(|n| n.is_finite()) {
            Some(n) => push(number.to_string(), Some(n), ValueType::Number),
            None => push(number.to_string(), None, ValueType::Text),
        },
        Value::String(text) if text.chars().count() <= MAX_INDEXED_TEXT => {
            match chrono::DateTime::parse_from_rfc3339(text) {
                Ok(date) => push(
                    text.clone(),
                    Some(date.timestamp_millis() as f64),
                    ValueType::Date,
                ),
                Err(_) => push(text.clone(), None, ValueType::Text),
            }
        }
        Value::String(_) => {}
        Value::Array(elements) => {
            for element in elements.iter().filter(|e| !e.is_array() && !e.is_object()) {
                property_values(name, element, values, kinds);
            }
        }
        Value::Object(fields) => flatten(name, fields, values, kinds),
    }
}

fn flatten(
    prefix: &str,
    fields: &Map<String, Value>,
    values: &mut Vec<PropertyValue>,
    kinds: &mut Vec<(String, ValueType)>,
) {
    for (key, value) in fields {
        property_values(&format!("{prefix}.{key}"), value, values, kinds);
    }
}
