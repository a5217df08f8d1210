//! The date the checks compare expiry dates against: now, or `--now DATE`.
//!
//! `--now` checks a package against the date a device will see when the package is applied
//! later (certificate NotAfter, bulk-token expiry). It takes RFC 3339 (`2026-03-01T12:00:00Z`)
//! or a plain date (`2026-03-01`, midnight UTC).

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Result};

static NOW: OnceLock<SystemTime> = OnceLock::new();

/// Sets the check date from `--now` (no-op for `None`). Call once, before any check.
pub(crate) fn set(now: Option<&str>) -> Result<()> {
    if let Some(s) = now {
        let t = parse(s)?;
        let _ = NOW.set(t);
    }
    Ok(())
}

/// The check date: `--now`, else the system clock.
pub(crate) fn now() -> SystemTime {
    NOW.get().copied().unwrap_or_else(SystemTime::now)
}

/// Parses RFC 3339 or `YYYY-MM-DD` (midnight UTC), with the profile's own date parser
/// ([`workplace::Timestamp::parse`]).
pub(crate) fn parse(s: &str) -> Result<SystemTime> {
    let secs = workplace::Timestamp::parse(s.trim())
        .map_err(|e| anyhow!("--now: {e}"))?
        .0;
    let base = SystemTime::UNIX_EPOCH;
    Ok(if secs >= 0 {
        base + Duration::from_secs(secs.unsigned_abs())
    } else {
        base - Duration::from_secs(secs.unsigned_abs())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_rfc3339() {
        let d = parse("2026-03-01").expect("date");
        let r = parse("2026-03-01T00:00:00Z").expect("rfc3339");
        assert_eq!(d, r);
        assert_eq!(
            d.duration_since(SystemTime::UNIX_EPOCH)
                .expect("after")
                .as_secs(),
            1_772_323_200
        );
        assert!(parse("01/03/2026").is_err());
    }
}
