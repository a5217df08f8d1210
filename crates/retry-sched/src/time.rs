//! Time as plain numbers: an instant ([`Timestamp`]) and a length of time ([`Span`]), both in
//! milliseconds. Nothing here reads a clock (quinn-proto's timer model, STYLE.md §A6): the caller
//! chooses the epoch and passes every "now" in.

use std::fmt;
use std::ops::{Add, Sub};

/// Milliseconds in one second.
const MS_PER_S: u64 = 1_000;
/// Milliseconds in one minute.
const MS_PER_MIN: u64 = 60 * MS_PER_S;
/// Milliseconds in one hour.
const MS_PER_H: u64 = 60 * MS_PER_MIN;
/// Milliseconds in one day.
const MS_PER_D: u64 = 24 * MS_PER_H;

/// An instant: milliseconds since an epoch the caller chooses (for example the device's first
/// boot, or the Unix epoch).
///
/// Arithmetic saturates at `u64::MAX` (about 584 million years), so no input can overflow.
///
/// ```
/// use retry_sched::{Span, Timestamp};
/// let t = Timestamp::ZERO + Span::from_mins(15);
/// assert_eq!(t.as_millis(), 900_000);
/// assert_eq!(t.since(Timestamp::ZERO), Span::from_mins(15));
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Timestamp(u64);

impl Timestamp {
    /// The epoch itself.
    pub const ZERO: Timestamp = Timestamp(0);

    /// The instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, or [`Span::ZERO`] when `earlier` is later.
    pub const fn since(self, earlier: Timestamp) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Span> for Timestamp {
    type Output = Timestamp;

    fn add(self, rhs: Span) -> Timestamp {
        Timestamp(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Span> for Timestamp {
    type Output = Timestamp;

    /// The instant `rhs` earlier, saturating at the epoch.
    fn sub(self, rhs: Span) -> Timestamp {
        Timestamp(self.0.saturating_sub(rhs.0))
    }
}

impl Sub<Timestamp> for Timestamp {
    type Output = Span;

    fn sub(self, rhs: Timestamp) -> Span {
        self.since(rhs)
    }
}

impl fmt::Display for Timestamp {
    /// Formats as the offset from the epoch, for example `t+1 h 15 min`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{}", Span(self.0))
    }
}

/// A length of time in milliseconds.
///
/// [`Display`](fmt::Display) writes the largest whole units, for example `15 min`, `1 h`,
/// `1 h 15 min`, `2 d 3 h`, `0 s`, `250 ms`.
///
/// ```
/// use retry_sched::Span;
/// assert_eq!(Span::from_hours(1) + Span::from_mins(15), Span::from_mins(75));
/// assert_eq!(Span::from_mins(75).to_string(), "1 h 15 min");
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Span(u64);

impl Span {
    /// No time at all.
    pub const ZERO: Span = Span(0);

    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Span(ms)
    }

    /// `s` seconds (saturating).
    pub const fn from_secs(s: u64) -> Self {
        Span(s.saturating_mul(MS_PER_S))
    }

    /// `m` minutes (saturating). DMClient Poll intervals are given in minutes.
    pub const fn from_mins(m: u64) -> Self {
        Span(m.saturating_mul(MS_PER_MIN))
    }

    /// `h` hours (saturating).
    pub const fn from_hours(h: u64) -> Self {
        Span(h.saturating_mul(MS_PER_H))
    }

    /// `d` days (saturating).
    pub const fn from_days(d: u64) -> Self {
        Span(d.saturating_mul(MS_PER_D))
    }

    /// The length in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The length in whole minutes (rounded down).
    pub const fn as_mins(self) -> u64 {
        self.0 / MS_PER_MIN
    }

    /// `self * n`, saturating.
    pub const fn saturating_mul(self, n: u64) -> Span {
        Span(self.0.saturating_mul(n))
    }
}

impl Add for Span {
    type Output = Span;

    fn add(self, rhs: Span) -> Span {
        Span(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest == 0 {
            return f.write_str("0 s");
        }
        let units = [
            (MS_PER_D, "d"),
            (MS_PER_H, "h"),
            (MS_PER_MIN, "min"),
            (MS_PER_S, "s"),
            (1, "ms"),
        ];
        let mut first = true;
        for (size, name) in units {
            let n = rest / size;
            if n > 0 {
                if !first {
                    f.write_str(" ")?;
                }
                write!(f, "{n} {name}")?;
                first = false;
                rest %= size;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_display_uses_whole_units() {
        assert_eq!(Span::ZERO.to_string(), "0 s");
        assert_eq!(Span::from_mins(15).to_string(), "15 min");
        assert_eq!(Span::from_hours(4).to_string(), "4 h");
        assert_eq!(Span::from_mins(315).to_string(), "5 h 15 min");
        assert_eq!(Span::from_millis(250).to_string(), "250 ms");
        assert_eq!(
            (Span::from_days(2) + Span::from_hours(3)).to_string(),
            "2 d 3 h"
        );
    }

    #[test]
    fn arithmetic_saturates() {
        let end = Timestamp::from_millis(u64::MAX) + Span::from_days(1);
        assert_eq!(end.as_millis(), u64::MAX);
        assert_eq!(Timestamp::ZERO - Timestamp::from_millis(5), Span::ZERO);
        assert_eq!(Span::from_days(u64::MAX).as_millis(), u64::MAX);
    }

    #[test]
    fn timestamp_display_is_an_offset() {
        let t = Timestamp::ZERO + Span::from_mins(75);
        assert_eq!(t.to_string(), "t+1 h 15 min");
    }
}
