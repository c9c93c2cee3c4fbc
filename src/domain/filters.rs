//! File filters of a basket's dataset selection (docs/decisions.md "Basket upload and file filters"):
//! which orderable types (`RAWDATA`, `QUICKLOOK` for the three quicklook sizes; none listed: all) and a
//! pattern the **whole** file name must match. The dataset selection's counts, the order's expansion and
//! its dataset task all use the same filter.

use serde::{Deserialize, Serialize};

use super::files::DataType;

/// A filter as the API carries it: `{"fileTypes": ["RAWDATA" | "QUICKLOOK"], "fileNamePattern": "regex"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileFilter {
    #[serde(default)]
    pub file_types: Vec<FilterType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name_pattern: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilterType {
    Rawdata,
    /// QUICKLOOK_SD, QUICKLOOK_MD and QUICKLOOK_HD.
    Quicklook,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid fileNamePattern {pattern:?}: {reason}")]
pub struct FilterError {
    pub pattern: String,
    pub reason: String,
}

/// The most memory a compiled pattern may take.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// A filter ready to test files.
#[derive(Debug, Clone)]
pub struct Compiled {
    types: Vec<FilterType>,
    name: Option<regex::Regex>,
    nothing: bool,
}

impl FileFilter {
    /// Checks the pattern; `None` for a filter that keeps every orderable file (no type, no pattern).
    pub fn compile(&self) -> Result<Option<Compiled>, FilterError> {
        let pattern = self.file_name_pattern.as_deref().filter(|p| !p.is_empty());
        if self.file_types.is_empty() && pattern.is_none() {
            return Ok(None);
        }
        let name = pattern
            .map(|pattern| {
                regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .build()
                    .map_err(|error| FilterError {
                        pattern: pattern.to_owned(),
                        reason: error.to_string(),
                    })
            })
            .transpose()?;
        Ok(Some(Compiled {
            types: self.file_types.clone(),
            name,
            nothing: false,
        }))
    }

    /// A filter as stored (JSON, checked when it was set): `None` keeps every orderable file; one that no
    /// longer reads or compiles keeps nothing rather than everything.
    pub fn stored(json: &str) -> Option<Compiled> {
        match serde_json::from_str::<FileFilter>(json).map(|f| f.compile()) {
            Ok(Ok(compiled)) => compiled,
            _ => Some(Compiled::nothing()),
        }
    }

    /// How the order's dataset task shows it (`fileSelectionDescription`).
    pub fn describe(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Compiled {
    /// A filter that keeps no file (for one that can no longer be read).
    pub fn nothing() -> Compiled {
        Compiled {
            types: Vec::new(),
            name: None,
            nothing: true,
        }
    }

    /// Whether a file of this type and name is kept (non-orderable types never are).
    pub fn keeps(&self, data_type: DataType, filename: &str) -> bool {
        !self.nothing
            && self.keeps_type(data_type)
            && self
                .name
                .as_ref()
                .is_none_or(|name| name.is_match(filename))
    }

    /// The orderable types whose files it may keep (none for a filter that keeps nothing).
    pub fn kept_types(&self) -> Vec<DataType> {
        DataType::ORDERABLE
            .into_iter()
            .filter(|t| !self.nothing && self.keeps_type(*t))
            .collect()
    }

    /// Whether it tests names (else the object counters of the kept types say everything).
    pub fn tests_names(&self) -> bool {
        self.name.is_some()
    }

    fn keeps_type(&self, data_type: DataType) -> bool {
        match data_type {
            DataType::Rawdata => self.allows(FilterType::Rawdata),
            DataType::QuicklookSd | DataType::QuicklookMd | DataType::QuicklookHd => {
                self.allows(FilterType::Quicklook)
            }
            _ => false,
        }
    }

    fn allows(&self, wanted: FilterType) -> bool {
        self.types.is_empty() || self.types.contains(&wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(types: &[FilterType], pattern: Option<&str>) -> Option<Compiled> {
        FileFilter {
            file_types: types.to_vec(),
            file_name_pattern: pattern.map(str::to_owned),
        }
        .compile()
        .unwrap()
    }

    #[test]
    fn types_and_whole_name_patterns() {
        assert!(
            filter(&[], None).is_none(),
            "no type, no pattern: no filter"
        );
        let raw = filter(&[FilterType::Rawdata], None).unwrap();
        assert!(raw.keeps(DataType::Rawdata, "a.dat"));
        assert!(!raw.keeps(DataType::QuicklookMd, "a.png"));
        let ql = filter(&[FilterType::Quicklook], None).unwrap();
        for t in [
            DataType::QuicklookSd,
            DataType::QuicklookMd,
            DataType::QuicklookHd,
        ] {
            assert!(ql.keeps(t, "q.png"));
        }
        assert!(!ql.keeps(DataType::Rawdata, "q.png"));
        let named = filter(&[], Some(r"S2.*\.tif")).unwrap();
        assert!(named.keeps(DataType::Rawdata, "S2_B04.tif"));
        assert!(named.keeps(DataType::QuicklookSd, "S2_B04.tif"));
        assert!(
            !named.keeps(DataType::Rawdata, "S2_B04.tif.aux"),
            "the whole name"
        );
        assert!(
            !named.keeps(DataType::Rawdata, "xS2_B04.tif"),
            "the whole name"
        );
        assert!(
            !named.keeps(DataType::Thumbnail, "S2_B04.tif"),
            "never a thumbnail"
        );
        let alternation = filter(&[], Some("a|b")).unwrap();
        assert!(alternation.keeps(DataType::Rawdata, "b"));
        assert!(
            !alternation.keeps(DataType::Rawdata, "ab"),
            "anchored around the alternation"
        );
    }

    #[test]
    fn a_bad_pattern_says_why() {
        let error = FileFilter {
            file_types: vec![],
            file_name_pattern: Some("([a-z".into()),
        }
        .compile()
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("Invalid fileNamePattern \"([a-z\"")
        );
    }
}
