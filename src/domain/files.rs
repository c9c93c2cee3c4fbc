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

/// A name fit for one path component on any client: path separators (`/`, `\`) and control characters
/// become `_`, a name that is `.` or `..` (or empty) becomes `_`, so that no zip entry or metalink file can
/// climb out of the folder it is extracted to.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.trim() {
        "" | "." | ".." => "_".to_owned(),
        _ => cleaned,
    }
}

/// A digest and its algorithm name as REGARDS writes it (`MD5`, `SHA-1`, `SHA-256`, `SHA-512`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: &'static str,
    /// Lowercase hex.
    pub hex: String,
}

/// Multihash codes (multiformats table) of the algorithms we read, with their digest lengths in bytes.
const MULTIHASHES: [(u64, usize, &str); 4] = [
    (0xd5, 16, "MD5"),
    (0x11, 20, "SHA-1"),
    (0x12, 32, "SHA-256"),
    (0x13, 64, "SHA-512"),
];

/// Room for the longest digest we read (SHA-512).
type Multihash = multihash::Multihash<64>;

impl Checksum {
    pub fn md5(hex: String) -> Checksum {
        Checksum {
            algorithm: "MD5",
            hex,
        }
    }

    /// Reads a STAC `file:checksum`: a hex multihash, whose code and length are unsigned varints
    /// (`d50110` + 32 hex digits for MD5, `1114` + 40 for SHA-1, `1220` + 64 for SHA-256, `1340` + 128
    /// for SHA-512). The form `d510` + 32 hex digits, which `catalog generate` wrote before it followed
    /// the varint rule, is still read so that existing data dirs keep working.
    pub fn from_multihash(text: &str) -> Result<Checksum, String> {
        let text = text.trim().to_ascii_lowercase();
        let invalid = || {
            format!(
                "file:checksum {text:?} is not a hex multihash of md5, sha1, sha2-256 or sha2-512"
            )
        };
        let bytes = decode_hex(&text).ok_or_else(invalid)?;
        if let Ok(hash) = Multihash::from_bytes(&bytes) {
            let (_, length, algorithm) = MULTIHASHES
                .iter()
                .find(|(code, _, _)| *code == hash.code())
                .ok_or_else(invalid)?;
            if hash.digest().len() != *length {
                return Err(invalid());
            }
            return Ok(Checksum {
                algorithm,
                hex: encode_hex(hash.digest()),
            });
        }
        match text.strip_prefix("d510") {
            Some(digest) if digest.len() == 32 => Ok(Checksum::md5(digest.to_owned())),
            _ => Err(invalid()),
        }
    }

    /// The hex multihash of this checksum (what STAC's `file:checksum` holds).
    pub fn to_multihash(&self) -> String {
        let (code, _, _) = MULTIHASHES
            .iter()
            .find(|(_, _, name)| *name == self.algorithm)
            .expect("checksums only hold known algorithms");
        let digest = decode_hex(&self.hex).expect("checksums hold hex digests");
        let hash = Multihash::wrap(*code, &digest).expect("digests fit 64 bytes");
        encode_hex(&hash.to_bytes())
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    fn names_cannot_climb_out_of_their_folder() {
        assert_eq!(safe_name("../../../tmp/evil.sh"), ".._.._.._tmp_evil.sh");
        assert_eq!(safe_name("..\\windows\\x.dll"), ".._windows_x.dll");
        assert_eq!(safe_name(".."), "_");
        assert_eq!(safe_name("."), "_");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("a\nb\u{7}c.txt"), "a_b_c.txt");
        assert_eq!(safe_name("été 2024.dat"), "été 2024.dat");
        assert_eq!(safe_name("..hidden"), "..hidden");
    }

    /// Test vectors written by an independent implementation, Python's `multiformats` 0.3
    /// (`multihash.digest(data, alg).hex()`) for b"" and b"hello".
    const VECTORS: [(&str, &str); 8] = [
        ("MD5", "d50110d41d8cd98f00b204e9800998ecf8427e"),
        ("MD5", "d501105d41402abc4b2a76b9719d911017c592"),
        ("SHA-1", "1114da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("SHA-1", "1114aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        (
            "SHA-256",
            "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "SHA-256",
            "12202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        (
            "SHA-512",
            "1340cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ),
        (
            "SHA-512",
            "13409b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
        ),
    ];

    #[test]
    fn standard_multihashes_are_read_and_written_back_unchanged() {
        for (algorithm, text) in VECTORS {
            let checksum = Checksum::from_multihash(text).unwrap();
            assert_eq!(checksum.algorithm, algorithm, "{text}");
            assert_eq!(checksum.to_multihash(), text);
        }
        let empty_md5 = Checksum::from_multihash(VECTORS[0].1).unwrap();
        assert_eq!(empty_md5.hex, "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            Checksum::from_multihash(&VECTORS[2].1.to_uppercase()).unwrap(),
            Checksum::from_multihash(VECTORS[2].1).unwrap()
        );
    }

    #[test]
    fn the_old_md5_form_is_read_and_written_the_standard_way() {
        let old = Checksum::from_multihash("d510d41d8cd98f00b204e9800998ecf8427e").unwrap();
        assert_eq!(
            old,
            Checksum::md5("d41d8cd98f00b204e9800998ecf8427e".into())
        );
        assert_eq!(old.to_multihash(), VECTORS[0].1);
    }

    #[test]
    fn what_is_not_a_known_multihash_is_refused() {
        let sha256_short = format!("1210{}", "ab".repeat(16));
        let sha256_long = format!("1220{}", "ab".repeat(33));
        for bad in [
            "",
            "d510abc",
            "d50110abc",
            "zz10",
            "d41d8cd98f00b204e9800998ecf8427e",
            "9910aa",
            // blake2b-256 (0xb220): a real multihash of an algorithm we cannot check.
            "a0e40220d41d8cd98f00b204e9800998ecf8427ed41d8cd98f00b204e9800998ecf8427e",
            sha256_short.as_str(),
            sha256_long.as_str(),
        ] {
            assert!(Checksum::from_multihash(bad).is_err(), "{bad}");
        }
    }
}
