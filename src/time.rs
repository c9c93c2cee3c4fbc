//! Time as the service keeps it: epoch milliseconds (so the frozen bound of a basket selection, the JSON
//! date and a data object's `creationDate` compare exactly), shown as ISO-8601 UTC with milliseconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    /// `2018-04-03T14:20:00.383Z`
    pub fn to_iso(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Parses an RFC 3339 date; the offset is optional (none means UTC), as REGARDS accepts; a date
    /// alone is its midnight UTC.
    pub fn parse_iso(text: &str) -> Option<Timestamp> {
        if let Ok(date) = DateTime::parse_from_rfc3339(text) {
            return Some(Timestamp(date.timestamp_millis()));
        }
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
            return Some(Timestamp(naive.and_utc().timestamp_millis()));
        }
        let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        Some(Timestamp(
            day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis(),
        ))
    }

    pub fn plus(self, duration: Duration) -> Timestamp {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(millis))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_iso())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_iso(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid ISO-8601 date: {text:?}")))
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .examples(["2018-04-03T14:20:00.383Z"])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

/// The service's clock. Real time, plus an offset that tests move forward to reach expiry dates and
/// lease ends without sleeping.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        Timestamp(Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(millis, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_have_milliseconds_and_z() {
        assert_eq!(
            Timestamp(1_522_765_200_383).to_iso(),
            "2018-04-03T14:20:00.383Z"
        );
        assert_eq!(Timestamp(0).to_iso(), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn iso_dates_parse_with_or_without_offset() {
        let expected = Some(Timestamp(1_522_765_200_383));
        assert_eq!(Timestamp::parse_iso("2018-04-03T14:20:00.383Z"), expected);
        assert_eq!(
            Timestamp::parse_iso("2018-04-03T16:20:00.383+02:00"),
            expected
        );
        assert_eq!(Timestamp::parse_iso("2018-04-03T14:20:00.383"), expected);
        assert_eq!(
            Timestamp::parse_iso("2018-04-03T14:20:00Z"),
            Some(Timestamp(1_522_765_200_000))
        );
        assert_eq!(
            Timestamp::parse_iso("2018-04-03"),
            Some(Timestamp(1_522_713_600_000))
        );
        assert_eq!(Timestamp::parse_iso("yesterday"), None);
    }

    #[test]
    fn clock_moves_forward_for_every_clone() {
        let clock = Clock::default();
        let other = clock.clone();
        let before = other.now();
        clock.advance(Duration::from_secs(3600));
        assert!(other.now().millis() - before.millis() >= 3_600_000);
    }
}
