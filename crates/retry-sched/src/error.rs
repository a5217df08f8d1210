//! The crate's one error type.

use std::fmt;

use crate::time::Timestamp;

/// Result alias with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong: a policy that cannot be built, an event the state machine
/// cannot accept in its current state, or text that is not an HRESULT.
///
/// Errors never change the state machine: an event that returns `Err` is ignored.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A policy or poll-schedule field is out of range; `field` names it as the builder does
    /// (`delays[2]`, `immediate_retries`, `Poll/NumberOfFirstRetries`).
    InvalidPolicy {
        /// The field.
        field: String,
        /// What is wrong, with the limit and its source.
        reason: String,
    },
    /// An event carried a time earlier than one already seen: time never goes backwards.
    TimeWentBackwards {
        /// The event's time.
        now: Timestamp,
        /// The latest time seen before.
        latest: Timestamp,
    },
    /// An attempt outcome was reported while no attempt was outstanding.
    NoAttemptOutstanding {
        /// The event's time.
        at: Timestamp,
    },
    /// Another event arrived while an attempt was still outstanding: report its outcome first.
    AttemptOutstanding {
        /// The event's time.
        at: Timestamp,
        /// The number (1-based) of the outstanding attempt.
        attempt: u32,
    },
    /// Text that is not an HRESULT.
    InvalidHResult {
        /// The text as given.
        input: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPolicy { field, reason } => write!(f, "invalid {field}: {reason}"),
            Error::TimeWentBackwards { now, latest } => {
                write!(f, "event at {now} is earlier than {latest}, already seen")
            }
            Error::NoAttemptOutstanding { at } => {
                write!(f, "attempt outcome at {at}, but no attempt is outstanding")
            }
            Error::AttemptOutstanding { at, attempt } => write!(
                f,
                "event at {at} while attempt {attempt} is outstanding: report its outcome first"
            ),
            Error::InvalidHResult { input } => write!(
                f,
                "{input:?} is not an HRESULT (expected 0x80180014, 80180014 or 2149056532)"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_formats() {
        let t = Timestamp::from_millis(60_000);
        let all = [
            Error::InvalidPolicy {
                field: "delays[0]".into(),
                reason: "must be longer than 0".into(),
            },
            Error::TimeWentBackwards {
                now: Timestamp::ZERO,
                latest: t,
            },
            Error::NoAttemptOutstanding { at: t },
            Error::AttemptOutstanding { at: t, attempt: 2 },
            Error::InvalidHResult { input: "x".into() },
        ];
        for e in all {
            let s = e.to_string();
            assert!(!s.is_empty());
            assert!(
                s.contains("t+") || s.contains("HRESULT") || s.contains("delays[0]"),
                "{s}"
            );
        }
    }
}
