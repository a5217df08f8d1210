//! The DMClient CSP's `Poll` schedule: when an enrolled device starts MDM sessions.
//!
//! Source: the DMClient DDF (`shared/reference/ddf/DMClient.xml`, node
//! `./Vendor/MSFT/DMClient/Provider/{ProviderID}/Poll`), whose descriptions give every default
//! and rule used here; the test `poll_defaults_match_the_ddf` reads them back from the file.
//! The DDF declares each count and interval as `<int/>` with `AllowedValues ValueType="None"`,
//! so it sets no range beyond "an integer": this crate takes `0..=i32::MAX` (a DDF `int` is a
//! 32-bit integer, and negative counts and minutes mean nothing), see [`POLL_INT_MAX`].

use std::fmt;

use crate::error::{Error, Result};
use crate::time::{Span, Timestamp};

/// Default `IntervalForFirstSetOfRetries`, minutes: **15** (DDF: "The default value is 15").
pub const DEFAULT_FIRST_INTERVAL_MIN: u32 = 15;
/// Default `NumberOfFirstRetries`: **10** (DDF: "The default value is 10").
pub const DEFAULT_FIRST_COUNT: u32 = 10;
/// Default `IntervalForSecondSetOfRetries`, minutes: **0**, schedule disabled (DDF: "Default
/// value is 0").
pub const DEFAULT_SECOND_INTERVAL_MIN: u32 = 0;
/// Default `NumberOfSecondRetries`: **0** (DDF: "Default value is 0").
pub const DEFAULT_SECOND_COUNT: u32 = 0;
/// Default `IntervalForRemainingScheduledRetries`, minutes: **0**, disabled (DDF: "Default
/// value is 0").
pub const DEFAULT_REMAINING_INTERVAL_MIN: u32 = 0;
/// Default `NumberOfRemainingScheduledRetries`: **0** (DDF: "Default value is 0").
pub const DEFAULT_REMAINING_COUNT: u32 = 0;
/// Default `PollOnLogin`: **false** (DDF `<DefaultValue>false</DefaultValue>`).
pub const DEFAULT_POLL_ON_LOGIN: bool = false;
/// Default `AllUsersPollOnFirstLogin`: **false** (DDF `<DefaultValue>false</DefaultValue>`).
pub const DEFAULT_ALL_USERS_POLL_ON_FIRST_LOGIN: bool = false;

/// Largest value of a count or interval: `i32::MAX`, the top of a 32-bit DDF `int` (the DDF
/// gives no narrower range).
pub const POLL_INT_MAX: u32 = i32::MAX as u32;

/// The interval of the schedule Windows adds when no set repeats forever: **24 h** (Poll node:
/// "If there is no infinite schedule set, then a 24-hour schedule is created and scheduled to
/// launch in the maintenance window").
pub const FALLBACK_INTERVAL: Span = Span::from_hours(24);

/// "The total time for first set of retries should not be more than a few hours"
/// (NumberOfFirstRetries): this crate reads "a few hours" as **4 h** and warns above it.
pub const FIRST_SET_MAX_TOTAL: Span = Span::from_hours(4);

/// Windows Phone 8.1 floor of `IntervalForRemainingScheduledRetries`: **1440 min**
/// (NumberOfRemainingScheduledRetries: "should not be set smaller than 1440 minutes (24 hours)
/// in Windows Phone 8.1 device"). Reported as a note only.
pub const WP81_MIN_REMAINING_INTERVAL_MIN: u32 = 1440;

/// Whether the first poll of a set comes one interval after the set starts (true) or at its
/// start: **true**. Reading: the sets are "retries" of the enrollment's first session, each
/// "waiting time" long, so every poll follows a wait.
pub const FIRST_POLL_AFTER_ONE_INTERVAL: bool = true;

/// The `Poll` node's settings. Plain data with public fields (one per DDF node, so the set is
/// closed): every combination is representable, and [`PollSchedule::check`] reports what the
/// DDF warns about.
///
/// ```
/// use retry_sched::{PollSchedule, Span, Timestamp};
/// let p = PollSchedule::default();
/// assert_eq!((p.interval_for_first_set_of_retries, p.number_of_first_retries), (15, 10));
/// let t = p.timeline(Timestamp::ZERO, &[], 12);
/// assert_eq!(t.sessions[0].at, Timestamp::ZERO + Span::from_mins(15));
/// assert_eq!(t.sessions[9].at, Timestamp::ZERO + Span::from_mins(150));
/// // No set repeats forever, so Windows adds its 24-hour schedule.
/// assert_eq!(t.sessions[10].at, Timestamp::ZERO + Span::from_mins(150) + Span::from_hours(24));
/// ```
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "PascalCase", default))]
pub struct PollSchedule {
    /// `IntervalForFirstSetOfRetries`, minutes; 0 disables the first set. Default 15.
    pub interval_for_first_set_of_retries: u32,
    /// `NumberOfFirstRetries`; 0 with a non-zero interval repeats forever. Default 10.
    pub number_of_first_retries: u32,
    /// `IntervalForSecondSetOfRetries`, minutes; 0 disables the second set. Default 0.
    pub interval_for_second_set_of_retries: u32,
    /// `NumberOfSecondRetries`; 0 with a non-zero interval repeats forever unless the first set
    /// already does. Default 0.
    pub number_of_second_retries: u32,
    /// `IntervalForRemainingScheduledRetries`, minutes; 0 disables the set. Default 0.
    pub interval_for_remaining_scheduled_retries: u32,
    /// `NumberOfRemainingScheduledRetries`; 0 with a non-zero interval repeats forever unless an
    /// earlier set already does. Default 0.
    pub number_of_remaining_scheduled_retries: u32,
    /// `PollOnLogin`: a session at every sign-in. Default false.
    pub poll_on_login: bool,
    /// `AllUsersPollOnFirstLogin`: a session at each user's first sign-in. Default false.
    pub all_users_poll_on_first_login: bool,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            interval_for_first_set_of_retries: DEFAULT_FIRST_INTERVAL_MIN,
            number_of_first_retries: DEFAULT_FIRST_COUNT,
            interval_for_second_set_of_retries: DEFAULT_SECOND_INTERVAL_MIN,
            number_of_second_retries: DEFAULT_SECOND_COUNT,
            interval_for_remaining_scheduled_retries: DEFAULT_REMAINING_INTERVAL_MIN,
            number_of_remaining_scheduled_retries: DEFAULT_REMAINING_COUNT,
            poll_on_login: DEFAULT_POLL_ON_LOGIN,
            all_users_poll_on_first_login: DEFAULT_ALL_USERS_POLL_ON_FIRST_LOGIN,
        }
    }
}

/// How a set of retries runs once the DDF's rules are applied.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum SetMode {
    /// Interval 0, or disabled because an earlier set repeats forever.
    Disabled,
    /// `count` polls, `interval` apart.
    Finite {
        /// Polls in the set.
        count: u32,
        /// Wait before each.
        interval: Span,
    },
    /// Polls `interval` apart, forever (count 0 with a non-zero interval).
    Infinite {
        /// Wait before each.
        interval: Span,
    },
}

/// Which of the three sets.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum PollSet {
    /// NumberOfFirstRetries / IntervalForFirstSetOfRetries.
    First,
    /// NumberOfSecondRetries / IntervalForSecondSetOfRetries.
    Second,
    /// NumberOfRemainingScheduledRetries / IntervalForRemainingScheduledRetries.
    Remaining,
    /// The 24-hour schedule Windows adds when no set repeats forever ([`FALLBACK_INTERVAL`]).
    Fallback,
}

impl fmt::Display for PollSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PollSet::First => "first set",
            PollSet::Second => "second set",
            PollSet::Remaining => "remaining set",
            PollSet::Fallback => "24-hour fallback",
        })
    }
}

/// How bad a [`PollDiagnostic`] is.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing.
    Note,
    /// Allowed, but the DDF advises against it.
    Warning,
    /// Out of range: the device will correct or drop the schedule.
    Error,
}

/// One finding of [`PollSchedule::check`].
#[derive(Clone, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct PollDiagnostic {
    /// Stable code, for example `PollSecondIntervalNotLonger`.
    pub code: &'static str,
    /// How bad.
    pub severity: Severity,
    /// The node under `Poll/`, for example `Poll/IntervalForSecondSetOfRetries`.
    pub field: &'static str,
    /// What is wrong and which DDF sentence says so.
    pub message: String,
}

impl fmt::Display for PollDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{sev}[{}] {}: {}", self.code, self.field, self.message)
    }
}

/// One MDM session in a [`PollTimeline`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct PollSession {
    /// When.
    pub at: Timestamp,
    /// Why.
    pub cause: PollCause,
}

/// Why a session starts.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum PollCause {
    /// Poll `n` (1-based) of a set.
    Scheduled {
        /// The set.
        set: PollSet,
        /// Which poll in it.
        n: u32,
    },
    /// A sign-in with `PollOnLogin`.
    Login {
        /// The user (the caller's id).
        user: u32,
    },
    /// A user's first sign-in with `AllUsersPollOnFirstLogin`.
    FirstLogin {
        /// The user.
        user: u32,
    },
}

/// The sessions a [`PollSchedule`] produces, in time order.
#[derive(Clone, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct PollTimeline {
    /// When the schedule started (enrollment).
    pub start: Timestamp,
    /// How each set runs.
    pub sets: [SetMode; 3],
    /// The first sessions, as many as requested. The schedule always goes on past the last one
    /// listed: either a set repeats forever or the 24-hour fallback does.
    pub sessions: Vec<PollSession>,
}

impl fmt::Display for PollTimeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "DMClient poll schedule from {}:", self.start)?;
        for (name, mode) in ["first set", "second set", "remaining set"]
            .iter()
            .zip(self.sets)
        {
            match mode {
                SetMode::Disabled => writeln!(f, "  {name}: disabled")?,
                SetMode::Finite { count, interval } => {
                    writeln!(f, "  {name}: {count} polls every {interval}")?;
                }
                SetMode::Infinite { interval } => {
                    writeln!(f, "  {name}: every {interval}, forever")?;
                }
            }
        }
        for s in &self.sessions {
            let at = s.at.to_string();
            match s.cause {
                PollCause::Scheduled { set, n } => writeln!(f, "  {at:<18} {set} #{n}")?,
                PollCause::Login { user } => writeln!(f, "  {at:<18} sign-in of user {user}")?,
                PollCause::FirstLogin { user } => {
                    writeln!(f, "  {at:<18} first sign-in of user {user}")?;
                }
            }
        }
        writeln!(f, "  ... (continues)")
    }
}

impl PollSchedule {
    /// How each set runs under the DDF's rules: interval 0 disables a set; count 0 with a
    /// non-zero interval repeats forever; once a set repeats forever, every later set is
    /// disabled (NumberOfSecondRetries: "if the first set of retries is set at infinite, then
    /// this schedule is disabled"; NumberOfRemainingScheduledRetries: "if either or both of the
    /// first and second set of retries are set as infinite, then this schedule will be
    /// disabled").
    pub fn set_modes(&self) -> [SetMode; 3] {
        let raw = [
            (
                self.interval_for_first_set_of_retries,
                self.number_of_first_retries,
            ),
            (
                self.interval_for_second_set_of_retries,
                self.number_of_second_retries,
            ),
            (
                self.interval_for_remaining_scheduled_retries,
                self.number_of_remaining_scheduled_retries,
            ),
        ];
        let mut out = [SetMode::Disabled; 3];
        let mut infinite_before = false;
        for (slot, (interval, count)) in out.iter_mut().zip(raw) {
            if infinite_before || interval == 0 {
                continue;
            }
            let interval = Span::from_mins(u64::from(interval));
            *slot = if count == 0 {
                infinite_before = true;
                SetMode::Infinite { interval }
            } else {
                SetMode::Finite { count, interval }
            };
        }
        out
    }

    /// Every problem the DDF describes, at once (empty when none).
    pub fn check(&self) -> Vec<PollDiagnostic> {
        let mut out = Vec::new();
        let fields: [(&'static str, u32); 6] = [
            (
                "Poll/IntervalForFirstSetOfRetries",
                self.interval_for_first_set_of_retries,
            ),
            ("Poll/NumberOfFirstRetries", self.number_of_first_retries),
            (
                "Poll/IntervalForSecondSetOfRetries",
                self.interval_for_second_set_of_retries,
            ),
            ("Poll/NumberOfSecondRetries", self.number_of_second_retries),
            (
                "Poll/IntervalForRemainingScheduledRetries",
                self.interval_for_remaining_scheduled_retries,
            ),
            (
                "Poll/NumberOfRemainingScheduledRetries",
                self.number_of_remaining_scheduled_retries,
            ),
        ];
        for (field, v) in fields {
            if v > POLL_INT_MAX {
                out.push(PollDiagnostic {
                    code: "PollValueOutOfRange",
                    severity: Severity::Error,
                    field,
                    message: format!("{v} is above {POLL_INT_MAX}, the largest DDF int"),
                });
            }
        }
        let modes = self.set_modes();
        if self.number_of_first_retries == 0 && self.interval_for_first_set_of_retries != 0 {
            out.push(PollDiagnostic {
                code: "PollFirstSetInfinite",
                severity: Severity::Warning,
                field: "Poll/NumberOfFirstRetries",
                message: "0 makes the first set repeat forever and disables the second and \
                          remaining sets; DDF: \"The server should not set NumberOfFirstRetries \
                          to be 0\""
                    .into(),
            });
        }
        if let SetMode::Finite { count, interval } = modes[0] {
            let total = interval.saturating_mul(u64::from(count));
            if total > FIRST_SET_MAX_TOTAL {
                out.push(PollDiagnostic {
                    code: "PollFirstSetTooLong",
                    severity: Severity::Warning,
                    field: "Poll/NumberOfFirstRetries",
                    message: format!(
                        "the first set lasts {total}; DDF: \"The total time for first set of \
                         retries should not be more than a few hours\" (read as \
                         {FIRST_SET_MAX_TOTAL})"
                    ),
                });
            }
        }
        let i1 = self.interval_for_first_set_of_retries;
        let i2 = self.interval_for_second_set_of_retries;
        if i2 != 0 && i1 != 0 && i2 <= i1 {
            out.push(PollDiagnostic {
                code: "PollSecondIntervalNotLonger",
                severity: Severity::Warning,
                field: "Poll/IntervalForSecondSetOfRetries",
                message: format!(
                    "{i2} min is not longer than IntervalForFirstSetOfRetries ({i1} min); DDF: \
                     \"the IntervalForSecondSetOfRetries should be longer than \
                     IntervalForFirstSetOfRetries\""
                ),
            });
        }
        let disabled_by_infinite = |i: usize, interval: u32, field: &'static str| {
            (interval != 0 && modes[i] == SetMode::Disabled).then(|| PollDiagnostic {
                code: "PollSetDisabledByInfinite",
                severity: Severity::Note,
                field,
                message: "this set never runs: an earlier set repeats forever".into(),
            })
        };
        out.extend(disabled_by_infinite(
            1,
            i2,
            "Poll/IntervalForSecondSetOfRetries",
        ));
        out.extend(disabled_by_infinite(
            2,
            self.interval_for_remaining_scheduled_retries,
            "Poll/IntervalForRemainingScheduledRetries",
        ));
        let ir = self.interval_for_remaining_scheduled_retries;
        if ir != 0 && ir < WP81_MIN_REMAINING_INTERVAL_MIN {
            out.push(PollDiagnostic {
                code: "PollRemainingIntervalBelowWp81Floor",
                severity: Severity::Note,
                field: "Poll/IntervalForRemainingScheduledRetries",
                message: format!(
                    "{ir} min is below {WP81_MIN_REMAINING_INTERVAL_MIN} min, the floor the DDF \
                     gives for Windows Phone 8.1 devices"
                ),
            });
        }
        if !modes.iter().any(|m| matches!(m, SetMode::Infinite { .. })) {
            out.push(PollDiagnostic {
                code: "PollNoInfiniteSchedule",
                severity: Severity::Note,
                field: "Poll",
                message: format!(
                    "no set repeats forever, so Windows adds a {FALLBACK_INTERVAL} schedule in the \
                     maintenance window (Poll node description)"
                ),
            });
        }
        out
    }

    /// Like [`check`](Self::check), but fails on the first error-level finding.
    ///
    /// # Errors
    /// [`Error::InvalidPolicy`] naming the `Poll/…` field.
    pub fn validate(&self) -> Result<()> {
        match self
            .check()
            .into_iter()
            .find(|d| d.severity == Severity::Error)
        {
            Some(d) => Err(Error::InvalidPolicy {
                field: d.field.into(),
                reason: d.message,
            }),
            None => Ok(()),
        }
    }

    /// The first `max_sessions` sessions after enrollment at `start`: the scheduled polls of
    /// each set in turn (each set starting where the one before ended,
    /// [`FIRST_POLL_AFTER_ONE_INTERVAL`]), then the 24-hour fallback when no set repeats
    /// forever (its first run one day after the last finite poll: the DDF says only "in the
    /// maintenance window"), merged with sign-in sessions. `logins` lists `(time, user)` sign-ins;
    /// `PollOnLogin` makes each one a session, `AllUsersPollOnFirstLogin` each user's first
    /// (both on: one session per sign-in).
    pub fn timeline(
        &self,
        start: Timestamp,
        logins: &[(Timestamp, u32)],
        max_sessions: usize,
    ) -> PollTimeline {
        let sets = self.set_modes();
        let mut scheduled = Vec::new();
        let mut t = start;
        let names = [PollSet::First, PollSet::Second, PollSet::Remaining];
        let mut infinite = None;
        'sets: for (mode, set) in sets.iter().zip(names) {
            match *mode {
                SetMode::Disabled => {}
                SetMode::Finite { count, interval } => {
                    for n in 1..=count {
                        if scheduled.len() >= max_sessions {
                            break 'sets;
                        }
                        t = t + interval;
                        scheduled.push(PollSession {
                            at: t,
                            cause: PollCause::Scheduled { set, n },
                        });
                    }
                }
                SetMode::Infinite { interval } => {
                    infinite = Some((set, interval));
                    break 'sets;
                }
            }
        }
        let (tail_set, tail_interval) = infinite.unwrap_or((PollSet::Fallback, FALLBACK_INTERVAL));
        let mut n = 0u32;
        while scheduled.len() < max_sessions {
            n += 1;
            t = t + tail_interval;
            scheduled.push(PollSession {
                at: t,
                cause: PollCause::Scheduled { set: tail_set, n },
            });
        }
        let mut sessions = scheduled;
        let mut seen_users: Vec<u32> = Vec::new();
        let mut sorted_logins = logins.to_vec();
        sorted_logins.sort_by_key(|(at, _)| *at);
        for (at, user) in sorted_logins {
            if at < start {
                continue;
            }
            let first = !seen_users.contains(&user);
            if first {
                seen_users.push(user);
            }
            let cause = if self.poll_on_login {
                Some(PollCause::Login { user })
            } else if self.all_users_poll_on_first_login && first {
                Some(PollCause::FirstLogin { user })
            } else {
                None
            };
            if let Some(cause) = cause {
                sessions.push(PollSession { at, cause });
            }
        }
        sessions.sort_by_key(|s| s.at);
        sessions.truncate(max_sessions);
        PollTimeline {
            start,
            sets,
            sessions,
        }
    }
}
