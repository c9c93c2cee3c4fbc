//! Data files: their types (which ones can be ordered) and their checksums.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// REGARDS data types. Only RAWDATA and the three quicklook sizes can be ordered.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DataType {
    Rawdata,
    QuicklookSd,
    QuicklookMd,
    QuicklookHd,
    Thumbnail,
    Description,
    Document,
    Aip,
    Other,
}

impl DataType {
    pub const ALL: [DataType; 9] = [
        DataType::Rawdata,
        DataType::QuicklookSd,
        DataType::QuicklookMd,
        DataType::QuicklookHd,
        DataType::Thumbnail,
        DataType::Description,
        DataType::Document,
        DataType::Aip,
        DataType::Other,
    ];

    /// The orderable types, in the order summaries list them.
    pub const ORDERABLE: [DataType; 4] = [
        DataType::Rawdata,
        DataType::QuicklookSd,
        DataType::QuicklookMd,
        DataType::QuicklookHd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Rawdata => "RAWDATA",
            DataType::QuicklookSd => "QUICKLOOK_SD",
            DataType::QuicklookMd => "QUICKLOOK_MD",
            DataType::QuicklookHd => "QUICKLOOK_HD",
            DataType::Thumbnail => "THUMBNAIL",
            DataType::Description => "DESCRIPTION",
            DataType::Document => "DOCUMENT",
            DataType::Aip => "AIP",
            DataType::Other => "OTHER",
        }
    }

    pub fn is_orderable(self) -> bool {
        DataType::ORDERABLE.contains(&self)
    }

    /// Position among the orderable types (for per-type counters), if orderable.
    pub fn orderable_index(self) -> Option<usize> {
        DataType::ORDERABLE.iter().position(|t| *t == self)
    }

    /// The type of a STAC asset from its roles: `data` → RAWDATA, `overview` → QUICKLOOK_HD, `visual` →
    /// QUICKLOOK_MD, `thumbnail` → THUMBNAIL, `metadata` → DESCRIPTION; no role at all → RAWDATA; only
    /// other roles → OTHER.
    pub fn from_stac_roles<S: AsRef<str>>(roles: &[S]) -> DataType {
        if roles.is_empty() {
            return DataType::Rawdata;
        }
        let has = |role: &str| roles.iter().any(|r| r.as_ref() == role);
        [
            ("data", DataType::Rawdata),
            ("overview", DataType::QuicklookHd),
            ("visual", DataType::QuicklookMd),
            ("thumbnail", DataType::Thumbnail),
            ("metadata", DataType::Description),
        ]
        .into_iter()
        .find(|(role, _)| has(role))
        .map_or(DataType::Other, |(_, data_type)| data_type)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataType {
    type Err = String;

    fn from_str(text: &str) -> Result<DataType, String> {
        DataType::ALL
            .into_iter()
            .find(|t| t.as_str() == text)
            .ok_or_else(|| format!("unknown data type {text:?}"))
    }
}

/// A digest and its algorithm name as REGARDS writes it (`MD5`, `SHA-1`, `SHA-256`, `SHA-512`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: &'static str,
    /// Lowercase hex.
    pub hex: String,
}

/// Multihash codes of the algorithms we read (code, digest length in bytes, name).
const MULTIHASHES: [(u8, usize, &str); 4] = [
    (0xd5, 16, "MD5"),
    (0x11, 20, "SHA-1"),
    (0x12, 32, "SHA-256"),
    (0x13, 64, "SHA-512"),
];

impl Checksum {
    pub fn md5(hex: String) -> Checksum {
        Checksum {
            algorithm: "MD5",
            hex,
        }
    }

    /// Reads a STAC `file:checksum`: a hex multihash (`d510` + 32 hex digits for MD5, `1220` + 64 for
    /// SHA-256, ...).
    pub fn from_multihash(text: &str) -> Result<Checksum, String> {
        let text = text.trim().to_ascii_lowercase();
        let invalid = || {
            format!(
                "file:checksum {text:?} is not a hex multihash of md5, sha1, sha2-256 or sha2-512"
            )
        };
        if text.len() < 4 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let code = u8::from_str_radix(&text[0..2], 16).map_err(|_| invalid())?;
        let length = usize::from_str_radix(&text[2..4], 16).map_err(|_| invalid())?;
        let (_, _, algorithm) = MULTIHASHES
            .iter()
            .find(|(c, l, _)| *c == code && *l == length)
            .ok_or_else(invalid)?;
        if text.len() != 4 + 2 * length {
            return Err(invalid());
        }
        Ok(Checksum {
            algorithm,
            hex: text[4..].to_owned(),
        })
    }

    /// The hex multihash of this checksum (what STAC's `file:checksum` holds).
    pub fn to_multihash(&self) -> String {
        let (code, length, _) = MULTIHASHES
            .iter()
            .find(|(_, _, name)| *name == self.algorithm)
            .expect("checksums only hold known algorithms");
        format!("{code:02x}{length:02x}{}", self.hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stac_roles_map_to_regards_types() {
        assert_eq!(DataType::from_stac_roles(&["data"]), DataType::Rawdata);
        assert_eq!(
            DataType::from_stac_roles(&["overview"]),
            DataType::QuicklookHd
        );
        assert_eq!(
            DataType::from_stac_roles(&["visual", "overview"]),
            DataType::QuicklookHd
        );
        assert_eq!(
            DataType::from_stac_roles(&["visual"]),
            DataType::QuicklookMd
        );
        assert_eq!(
            DataType::from_stac_roles(&["thumbnail"]),
            DataType::Thumbnail
        );
        assert_eq!(
            DataType::from_stac_roles(&["metadata"]),
            DataType::Description
        );
        assert_eq!(DataType::from_stac_roles::<&str>(&[]), DataType::Rawdata);
        assert_eq!(DataType::from_stac_roles(&["reflectance"]), DataType::Other);
        assert!(DataType::QuicklookSd.is_orderable() && !DataType::Thumbnail.is_orderable());
        assert_eq!(
            "QUICKLOOK_MD".parse::<DataType>(),
            Ok(DataType::QuicklookMd)
        );
    }

    #[test]
    fn multihashes_decode_and_encode() {
        let md5 = Checksum::from_multihash("d510d41d8cd98f00b204e9800998ecf8427e").unwrap();
        assert_eq!(
            md5,
            Checksum::md5("d41d8cd98f00b204e9800998ecf8427e".into())
        );
        assert_eq!(md5.to_multihash(), "d510d41d8cd98f00b204e9800998ecf8427e");
        let sha256 = format!("1220{}", "ab".repeat(32));
        assert_eq!(
            Checksum::from_multihash(&sha256).unwrap().algorithm,
            "SHA-256"
        );
        for bad in [
            "",
            "d510abc",
            "zz10",
            "d41d8cd98f00b204e9800998ecf8427e",
            "9910aa",
        ] {
            assert!(Checksum::from_multihash(bad).is_err(), "{bad}");
        }
    }
}
