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

/// Parses RFC 3339 or `YYYY-MM-DD` (midnight UTC).
pub(crate) fn parse(s: &str) -> Result<SystemTime> {
    use time::format_description::well_known::Rfc3339;
    let t = s.trim();
    let dt = if t.len() == 10 {
        let bad = || anyhow!("--now {s:?}: not YYYY-MM-DD");
        let mut parts = t.split('-');
        let mut num = || -> Result<i32> {
            parts
                .next()
                .and_then(|p| p.parse::<i32>().ok())
                .ok_or_else(bad)
        };
        let (y, m, d) = (num()?, num()?, num()?);
        let month = u8::try_from(m)
            .ok()
            .and_then(|m| time::Month::try_from(m).ok())
            .ok_or_else(bad)?;
        let day = u8::try_from(d).map_err(|_| bad())?;
        time::Date::from_calendar_date(y, month, day)
            .map(|d| d.midnight().assume_utc())
            .map_err(|e| anyhow!("--now {s:?}: not a date ({e})"))?
    } else {
        time::OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|e| anyhow!("--now {s:?}: not an RFC 3339 date-time or YYYY-MM-DD ({e})"))?
    };
    let secs = dt.unix_timestamp();
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
