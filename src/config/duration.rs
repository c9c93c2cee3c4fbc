//! Durations as the configuration writes them: `"500ms"`, `"90s"`, `"15m"`, `"24h"`, `"3d"`. Our own
//! parser rather than humantime's, which accepts more than these (and `"1M"` as a month): the reason is
//! in docs/ARCHITECTURE.md, "Crates preferred to hand-written code".

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Parses `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let invalid = || {
        format!(
            "invalid duration {text:?}: expected a whole number followed by ms, s, m, h or d (e.g. \"90s\", \"3d\")"
        )
    };
    let value: u64 = number.parse().map_err(|_| invalid())?;
    let millis_per_unit: u64 = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(invalid()),
    };
    value
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(invalid)
}

/// Serde adapter for `#[serde(deserialize_with = "...")]` on `Duration` fields.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Serde adapter for an optional duration: `"never"` is none.
pub fn deserialize_or_never<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim() == "never" {
        return Ok(None);
    }
    parse_duration(&text)
        .map(Some)
        .map_err(|error| serde::de::Error::custom(format!("{error}, or \"never\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_parses() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("3d"), Ok(Duration::from_secs(259_200)));
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        for bad in ["", "3", "d", "3w", "-1s", "1.5h", "99999999999999999999d"] {
            let error = parse_duration(bad).unwrap_err();
            assert!(error.contains("expected a whole number"), "{bad}: {error}");
        }
    }

    #[test]
    fn what_humantime_would_read_otherwise_is_refused() {
        // A month, a bare zero, two units, a unit in words, microseconds: valid for humantime, a
        // mistake (or a unit the configuration has no use for) here, so the start stops naming it.
        for bad in ["1M", "0", "1h 30m", "2 days", "10us", "5min"] {
            let error = parse_duration(bad).unwrap_err();
            assert!(error.contains("expected a whole number"), "{bad}: {error}");
        }
        assert_eq!(
            parse_duration("1M").unwrap_err(),
            "invalid duration \"1M\": expected a whole number followed by ms, s, m, h or d (e.g. \"90s\", \"3d\")"
        );
    }
}
