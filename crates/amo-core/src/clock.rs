//! Time, in one place. Wall-clock seconds are what amoCRM stores and people read; milliseconds
//! schedule retries; RFC 3339 is how times are shown and printed.

use chrono::{DateTime, SecondsFormat, Utc};

/// Unix seconds, now.
pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// Unix milliseconds, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2026-11-27T20:40:27Z` for Unix seconds (the epoch for values chrono cannot represent).
pub fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Unix seconds of an RFC 3339 time with its offset (`2026-12-01T10:00:00+03:00`, `…Z`).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_seconds_and_survives_absurd_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(i64::MAX), "1970-01-01T00:00:00Z");
        assert!((now_ms() / 1000 - now()).abs() <= 1);
    }
}
