//! The JSON shapes of the catalog endpoints: datasets, data objects with their files, summaries.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::search::{DatasetSummary, FoundObject};
use crate::store::{DatasetRow, FileRow};
use crate::time::Timestamp;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetDto {
    ip_id: String,
    /// The STAC collection id.
    provider_id: String,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    objects_count: i64,
    creation_date: Timestamp,
    last_update: Timestamp,
}

impl From<DatasetRow> for DatasetDto {
    fn from(row: DatasetRow) -> Self {
        DatasetDto {
            ip_id: row.ip_id,
            provider_id: row.provider_id,
            label: row.label,
            description: row.description,
            objects_count: row.objects_count,
            creation_date: Timestamp(row.creation_date),
            last_update: Timestamp(row.last_update),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileDto {
    data_type: String,
    filename: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    filesize: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest_algorithm: Option<String>,
    mime_type: String,
    /// True for an external file (an http(s) URL), false for a file in a storage.
    reference: bool,
    /// The storage holding the file (not for references).
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<String>,
    /// The URL of an external file.
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
}

impl From<FileRow> for FileDto {
    fn from(row: FileRow) -> Self {
        let reference = row.reference != 0;
        FileDto {
            data_type: row.data_type,
            filename: row.filename,
            filesize: row.size,
            checksum: row.checksum,
            digest_algorithm: row.checksum_algo,
            mime_type: row.mime_type,
            reference,
            storage: row.storage,
            uri: reference.then_some(row.uri),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataObjectDto {
    ip_id: String,
    provider_id: String,
    label: String,
    dataset_ip_id: String,
    dataset_label: String,
    /// The dataset's ipId, then the STAC keywords.
    tags: Vec<String>,
    creation_date: Timestamp,
    last_update: Timestamp,
    /// The STAC properties as imported.
    #[schema(value_type = Object)]
    properties: serde_json::Value,
    files: Vec<FileDto>,
}

impl From<FoundObject> for DataObjectDto {
    fn from(found: FoundObject) -> Self {
        let object = found.object;
        DataObjectDto {
            ip_id: object.ip_id,
            provider_id: object.provider_id,
            label: object.label,
            dataset_ip_id: object.dataset_ip_id,
            dataset_label: object.dataset_label,
            tags: found.tags,
            creation_date: Timestamp(object.creation_date),
            last_update: Timestamp(object.last_update),
            properties: serde_json::from_str(&object.properties).unwrap_or_default(),
            files: found.files.into_iter().map(FileDto::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesTotals {
    files_count: i64,
    files_size: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSummaryDto {
    dataset_ip_id: String,
    dataset_label: String,
    /// Objects with at least one orderable file.
    objects_count: i64,
    files_count: i64,
    files_size: i64,
    /// The same, per orderable data type (RAWDATA, QUICKLOOK_SD, QUICKLOOK_MD, QUICKLOOK_HD).
    file_types: BTreeMap<String, FilesTotals>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryDto {
    objects_count: i64,
    files_count: i64,
    files_size: i64,
    datasets: Vec<DatasetSummaryDto>,
}

impl From<Vec<DatasetSummary>> for SummaryDto {
    fn from(summaries: Vec<DatasetSummary>) -> Self {
        let datasets: Vec<DatasetSummaryDto> = summaries
            .into_iter()
            .map(|s| DatasetSummaryDto {
                dataset_ip_id: s.dataset.ip_id,
                dataset_label: s.dataset.label,
                objects_count: s.objects,
                files_count: s.files,
                files_size: s.bytes,
                file_types: s
                    .by_type
                    .into_iter()
                    .map(|(t, totals)| {
                        (
                            t.to_string(),
                            FilesTotals {
                                files_count: totals.files,
                                files_size: totals.bytes,
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        SummaryDto {
            objects_count: datasets.iter().map(|d| d.objects_count).sum(),
            files_count: datasets.iter().map(|d| d.files_count).sum(),
            files_size: datasets.iter().map(|d| d.files_size).sum(),
            datasets,
        }
    }
}
