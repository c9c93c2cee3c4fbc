//! What the catalog store reads and writes: datasets, data objects with their files, tags and property
//! values, and summaries.

use crate::domain::counts::OrderableCounts;
use crate::domain::files::{Checksum, DataType};

#[derive(Debug, Clone)]
pub struct NewDataset {
    pub ip_id: String,
    pub provider_id: String,
    pub label: String,
    pub description: Option<String>,
}

/// A file to store with its data object.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFile {
    pub asset_key: String,
    pub data_type: DataType,
    pub filename: String,
    pub size: Option<u64>,
    pub checksum: Option<Checksum>,
    pub crc32: Option<u32>,
    pub mime_type: String,
    pub uri: String,
    /// The storage holding the file; `None` for an external reference (http).
    pub storage: Option<String>,
}

/// One value of a property, as queries compare it.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyValue {
    pub name: String,
    pub text: String,
    /// Numbers, and dates as epoch milliseconds.
    pub num: Option<f64>,
}

/// A data object to create or update (a STAC Item), with everything that hangs on it.
#[derive(Debug, Clone)]
pub struct NewObject {
    pub ip_id: String,
    pub provider_id: String,
    pub label: String,
    pub dataset_id: i64,
    /// The STAC properties, JSON.
    pub properties: String,
    pub tags: Vec<String>,
    pub values: Vec<PropertyValue>,
    pub files: Vec<NewFile>,
}

/// The orderable counts of an object (or a sum of objects), stored in the `COUNTER_COLUMNS`.
pub type Counters = OrderableCounts;

impl NewObject {
    pub fn counters(&self) -> Counters {
        OrderableCounts::of_object(
            self.files
                .iter()
                .map(|f| (f.data_type, f.size, f.storage.is_none())),
        )
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    pub inserted: u64,
    pub updated: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DatasetRow {
    pub id: i64,
    pub ip_id: String,
    pub provider_id: String,
    pub label: String,
    pub description: Option<String>,
    pub creation_date: i64,
    pub last_update: i64,
    pub objects_count: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ObjectRow {
    pub id: i64,
    pub ip_id: String,
    pub provider_id: String,
    pub label: String,
    pub dataset_ip_id: String,
    pub dataset_label: String,
    pub creation_date: i64,
    pub last_update: i64,
    pub properties: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRow {
    pub id: i64,
    pub object_id: i64,
    pub data_type: String,
    pub filename: String,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub checksum_algo: Option<String>,
    pub crc32: Option<i64>,
    pub mime_type: String,
    pub uri: String,
    pub storage: Option<String>,
    pub reference: i64,
}

/// Orderable totals of the objects of one dataset matching a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub dataset_id: i64,
    /// As `NewObject::counters`: objects with an orderable file, then count and bytes per type.
    pub counters: Counters,
}
