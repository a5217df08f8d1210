//! The provisioning engine's retry policy: Windows' default and a builder for others.
//!
//! Source of every default: Microsoft Learn, "Bulk enrollment using Windows Configuration
//! Designer", section "Retry logic if there's a failure"
//! (<https://learn.microsoft.com/windows/client-management/bulk-enrollment-using-windows-provisioning-tool>,
//! summarised in FORMAT.md §7):
//!
//! > If the provisioning engine receives a failure from a CSP, it retries provisioning three
//! > times in a row. If all immediate attempts fail, a delayed task is launched to try
//! > provisioning again later. It will retry four times at a decaying rate of 15 minutes -> 1 hr
//! > -> 4 hr -> "Next System Start". These attempts are run from the SYSTEM context. It also
//! > retries the provisioning each time it's launched, if started from somewhere else as well.
//! > In addition, provisioning will be restarted in the SYSTEM context after a sign in and the
//! > system is idle.
//!
//! Each reading of that text is a named constant below.

use crate::error::{Error, Result};
use crate::time::Span;

/// Immediate retries after a failed first attempt: **3**.
///
/// Reading: "retries provisioning three times in a row" means three retries *after* the first
/// attempt, so up to four attempts run back to back. Field case B28 counts it the same way
/// ("1 + 3 immediate").
pub const DEFAULT_IMMEDIATE_RETRIES: u32 = 3;

/// The timed delays of the delayed task: **15 min, 1 h, 4 h**.
///
/// Reading: "a decaying rate of 15 minutes -> 1 hr -> 4 hr" gives the *gap before each
/// attempt*, counted from the previous attempt ([`DELAYS_ARE_CHAINED`]): attempts at
/// t+15 min, t+1 h 15 min and t+5 h 15 min after the last immediate retry at t.
pub const DEFAULT_DELAYS: [Span; 3] = [
    Span::from_mins(15),
    Span::from_hours(1),
    Span::from_hours(4),
];

/// Whether each delay counts from the previous attempt (true) or from the last immediate retry
/// (false): **true**.
///
/// Reading: "retry four times at a decaying rate of 15 minutes -> 1 hr -> 4 hr" lists the
/// intervals of a decaying (backing-off) rate, so each is the wait after the attempt before.
/// This is also how the issue states the expected timeline ("t+15 min, +1 h, +4 h after that").
pub const DELAYS_ARE_CHAINED: bool = true;

/// Whether the delayed task's last attempt runs at the next system start: **true**.
///
/// Reading: the "four" delayed attempts are 15 min, 1 h, 4 h **and** "Next System Start", so
/// the boot attempt is the fourth delayed attempt, not a fifth. Total scheduled attempts:
/// 1 + 3 + 4 = [`DEFAULT_MAX_SCHEDULED_ATTEMPTS`] (field case B28: "for 8 attempts in total").
pub const DEFAULT_RETRY_AT_NEXT_START: bool = true;

/// Every attempt the default schedule can make without outside triggers: **8**.
pub const DEFAULT_MAX_SCHEDULED_ATTEMPTS: u32 = 1 + DEFAULT_IMMEDIATE_RETRIES + 3 + 1;

/// Whether a system start before the timed delays have all run triggers the boot attempt:
/// **false**.
///
/// Reading: the article lists "Next System Start" *after* the 4 h step of one decaying
/// sequence, so the boot attempt is armed only once the last timed attempt has failed. A
/// restart earlier does not skip the remaining timed attempts: the delayed task's deadlines
/// are kept (Task Scheduler keeps time triggers across restarts).
pub const BOOT_ATTEMPT_ONLY_AFTER_TIMED: bool = true;

/// Whether each launch of the engine "from somewhere else" re-applies: **true**, one attempt per
/// launch.
///
/// Reading: "It also retries the provisioning each time it's launched, if started from somewhere
/// else as well." A re-apply is one attempt; it neither consumes nor resets the delayed task's
/// schedule ([`REAPPLY_OUTSIDE_SCHEDULE`]).
pub const DEFAULT_REAPPLY_ON_RELAUNCH: bool = true;

/// Whether the engine re-applies in SYSTEM context after a user signs in and the system is then
/// idle: **true**, once per sign-in, at the first idle point after it.
///
/// Reading: "provisioning will be restarted in the SYSTEM context after a sign in and the system
/// is idle" (idle as Task Scheduler defines it, "Task Idle Conditions"). Field case B30 expects
/// exactly one such re-apply per sign-in and none before a sign-in.
pub const DEFAULT_REAPPLY_AFTER_LOGON_IDLE: bool = true;

/// Whether re-applies (relaunch, logon + idle) sit outside the retry schedule: **true**.
///
/// Reading: the article lists them as separate triggers ("It also retries…", "In addition…"),
/// not as steps of the delayed task. So they neither count against
/// [`RetryPolicy::max_scheduled_attempts`] nor move the delayed task's deadlines, and they still
/// fire after the schedule is exhausted (a user signing in after the boot attempt failed gets one
/// more try).
pub const REAPPLY_OUTSIDE_SCHEDULE: bool = true;

/// Immediate retries after a failed re-apply (relaunch or logon + idle): **0**.
///
/// Reading: the article's "three times in a row" describes the first run; it says nothing of
/// retries inside a re-apply, and field case B30 counts "exactly one LoginIdle re-apply". One
/// attempt per trigger is the reading that invents no attempts.
pub const REAPPLY_IMMEDIATE_RETRIES: u32 = 0;

/// Upper bound on immediate retries a policy may ask for: 64 (a sanity limit of this crate).
pub const MAX_IMMEDIATE_RETRIES: u32 = 64;

/// Upper bound on timed delays a policy may list: 64 (a sanity limit of this crate).
pub const MAX_DELAYS: usize = 64;

/// Longest single delay a policy may ask for: 365 days (a sanity limit of this crate).
pub const MAX_DELAY: Span = Span::from_days(365);

/// In which account an attempt runs.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum RunContext {
    /// Whatever launched the engine (OOBE, a double-click, `Install-ProvisioningPackage`): the
    /// first attempt, its immediate retries and relaunch re-applies.
    Launcher,
    /// The SYSTEM account: the delayed task's attempts and the logon + idle re-apply ("These
    /// attempts are run from the SYSTEM context").
    System,
}

/// When and how often the provisioning engine tries again.
///
/// Build one with [`RetryPolicy::builder`]; [`RetryPolicy::windows_default`] (also `Default`) is
/// Windows' documented policy. Fields are read with accessors so that a policy always holds
/// values the builder checked.
///
/// ```
/// use retry_sched::{RetryPolicy, Span};
/// let p = RetryPolicy::windows_default();
/// assert_eq!(p.immediate_retries(), 3);
/// assert_eq!(p.delays(), &[Span::from_mins(15), Span::from_hours(1), Span::from_hours(4)]);
/// assert_eq!(p.max_scheduled_attempts(), 8);
///
/// let quick = RetryPolicy::builder()
///     .immediate_retries(1)
///     .delays([Span::from_mins(1), Span::from_mins(5)])
///     .retry_at_next_start(false)
///     .build()?;
/// assert_eq!(quick.max_scheduled_attempts(), 4);
/// # Ok::<(), retry_sched::Error>(())
/// ```
#[derive(Clone, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RetryPolicy {
    immediate_retries: u32,
    delays: Vec<Span>,
    retry_at_next_start: bool,
    reapply_on_relaunch: bool,
    reapply_after_logon_idle: bool,
    stop_on_likely_permanent: bool,
}

impl RetryPolicy {
    /// Windows' documented policy (see the module docs and each `DEFAULT_*` constant).
    pub fn windows_default() -> Self {
        RetryPolicy {
            immediate_retries: DEFAULT_IMMEDIATE_RETRIES,
            delays: DEFAULT_DELAYS.to_vec(),
            retry_at_next_start: DEFAULT_RETRY_AT_NEXT_START,
            reapply_on_relaunch: DEFAULT_REAPPLY_ON_RELAUNCH,
            reapply_after_logon_idle: DEFAULT_REAPPLY_AFTER_LOGON_IDLE,
            stop_on_likely_permanent: false,
        }
    }

    /// A builder that starts from [`RetryPolicy::windows_default`].
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: RetryPolicy::windows_default(),
        }
    }

    /// Retries run at once after a failed first attempt.
    pub fn immediate_retries(&self) -> u32 {
        self.immediate_retries
    }

    /// The delayed task's timed delays, each counted from the attempt before
    /// ([`DELAYS_ARE_CHAINED`]).
    pub fn delays(&self) -> &[Span] {
        &self.delays
    }

    /// Whether the delayed task ends with an attempt at the next system start.
    pub fn retry_at_next_start(&self) -> bool {
        self.retry_at_next_start
    }

    /// Whether each launch from elsewhere re-applies.
    pub fn reapply_on_relaunch(&self) -> bool {
        self.reapply_on_relaunch
    }

    /// Whether a sign-in followed by idle re-applies.
    pub fn reapply_after_logon_idle(&self) -> bool {
        self.reapply_after_logon_idle
    }

    /// Whether a failure that [`RetryClass::LikelyPermanent`](crate::RetryClass) describes ends
    /// the schedule at once. Windows does not do this (its engine does not classify codes), so
    /// it is off by default; a console may turn it on to model "stop wasting retries".
    pub fn stop_on_likely_permanent(&self) -> bool {
        self.stop_on_likely_permanent
    }

    /// Attempts the schedule alone can make: the first attempt, the immediate retries, the timed
    /// delays and the boot attempt. Re-applies come on top, one per trigger
    /// ([`REAPPLY_OUTSIDE_SCHEDULE`]).
    pub fn max_scheduled_attempts(&self) -> u32 {
        let delays = u32::try_from(self.delays.len()).unwrap_or(u32::MAX);
        1 + self.immediate_retries + delays + u32::from(self.retry_at_next_start)
    }

    /// Whether any re-apply trigger is on: when none is, the state machine gives up (terminal)
    /// once the schedule is exhausted instead of waiting for one.
    pub fn has_reapply_triggers(&self) -> bool {
        self.reapply_on_relaunch || self.reapply_after_logon_idle
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::windows_default()
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for RetryPolicy {
    /// Deserializes the same fields and runs the builder's checks, so a deserialized policy is as
    /// valid as a built one. Missing fields take Windows' defaults.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            immediate_retries: Option<u32>,
            delays: Option<Vec<Span>>,
            retry_at_next_start: Option<bool>,
            reapply_on_relaunch: Option<bool>,
            reapply_after_logon_idle: Option<bool>,
            stop_on_likely_permanent: Option<bool>,
        }
        let raw = <Raw as serde::Deserialize>::deserialize(d)?;
        let mut b = RetryPolicy::builder();
        if let Some(v) = raw.immediate_retries {
            b = b.immediate_retries(v);
        }
        if let Some(v) = raw.delays {
            b = b.delays(v);
        }
        if let Some(v) = raw.retry_at_next_start {
            b = b.retry_at_next_start(v);
        }
        if let Some(v) = raw.reapply_on_relaunch {
            b = b.reapply_on_relaunch(v);
        }
        if let Some(v) = raw.reapply_after_logon_idle {
            b = b.reapply_after_logon_idle(v);
        }
        if let Some(v) = raw.stop_on_likely_permanent {
            b = b.stop_on_likely_permanent(v);
        }
        b.build().map_err(serde::de::Error::custom)
    }
}

/// Builds a [`RetryPolicy`], starting from Windows' default. Setters take and return `self`;
/// [`build`](Self::build) checks the limits.
#[derive(Clone, Debug)]
#[must_use]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Immediate retries after a failed first attempt (default
    /// [`DEFAULT_IMMEDIATE_RETRIES`]); at most [`MAX_IMMEDIATE_RETRIES`].
    pub fn immediate_retries(mut self, n: u32) -> Self {
        self.policy.immediate_retries = n;
        self
    }

    /// The delayed task's timed delays, each from the attempt before (default
    /// [`DEFAULT_DELAYS`]); each longer than zero and at most [`MAX_DELAY`], at most
    /// [`MAX_DELAYS`] of them. An empty list means no timed attempts.
    pub fn delays(mut self, delays: impl IntoIterator<Item = Span>) -> Self {
        self.policy.delays = delays.into_iter().collect();
        self
    }

    /// Whether the delayed task ends with an attempt at the next system start (default
    /// [`DEFAULT_RETRY_AT_NEXT_START`]).
    pub fn retry_at_next_start(mut self, on: bool) -> Self {
        self.policy.retry_at_next_start = on;
        self
    }

    /// Whether each launch from elsewhere re-applies (default
    /// [`DEFAULT_REAPPLY_ON_RELAUNCH`]).
    pub fn reapply_on_relaunch(mut self, on: bool) -> Self {
        self.policy.reapply_on_relaunch = on;
        self
    }

    /// Whether a sign-in followed by idle re-applies (default
    /// [`DEFAULT_REAPPLY_AFTER_LOGON_IDLE`]).
    pub fn reapply_after_logon_idle(mut self, on: bool) -> Self {
        self.policy.reapply_after_logon_idle = on;
        self
    }

    /// Whether a likely-permanent failure ends the schedule at once (default false, as Windows).
    pub fn stop_on_likely_permanent(mut self, on: bool) -> Self {
        self.policy.stop_on_likely_permanent = on;
        self
    }

    /// Checks the limits and returns the policy.
    ///
    /// # Errors
    /// [`Error::InvalidPolicy`] naming the field (`immediate_retries`, `delays`, `delays[i]`)
    /// when a limit of this crate is broken.
    pub fn build(self) -> Result<RetryPolicy> {
        let p = self.policy;
        if p.immediate_retries > MAX_IMMEDIATE_RETRIES {
            return Err(Error::InvalidPolicy {
                field: "immediate_retries".into(),
                reason: format!(
                    "{} is more than {MAX_IMMEDIATE_RETRIES}, this crate's limit",
                    p.immediate_retries
                ),
            });
        }
        if p.delays.len() > MAX_DELAYS {
            return Err(Error::InvalidPolicy {
                field: "delays".into(),
                reason: format!(
                    "{} delays is more than {MAX_DELAYS}, this crate's limit",
                    p.delays.len()
                ),
            });
        }
        for (i, d) in p.delays.iter().enumerate() {
            if *d == Span::ZERO || *d > MAX_DELAY {
                return Err(Error::InvalidPolicy {
                    field: format!("delays[{i}]"),
                    reason: format!(
                        "{d} is not between 1 ms and {MAX_DELAY} (a zero delay is an immediate \
                         retry: use immediate_retries)"
                    ),
                });
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_the_article() {
        let p = RetryPolicy::default();
        assert_eq!(p.immediate_retries(), 3);
        assert_eq!(p.delays().len() + usize::from(p.retry_at_next_start()), 4);
        assert_eq!(p.max_scheduled_attempts(), DEFAULT_MAX_SCHEDULED_ATTEMPTS);
        assert_eq!(DEFAULT_MAX_SCHEDULED_ATTEMPTS, 8);
        assert!(p.has_reapply_triggers());
    }

    #[test]
    fn builder_rejects_out_of_range_fields() {
        let e = RetryPolicy::builder()
            .delays([Span::from_mins(1), Span::ZERO])
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("delays[1]"), "{e}");
        let e = RetryPolicy::builder()
            .immediate_retries(65)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("immediate_retries"), "{e}");
        let e = RetryPolicy::builder()
            .delays(vec![Span::from_mins(1); 65])
            .build()
            .unwrap_err();
        assert!(e.to_string().starts_with("invalid delays:"), "{e}");
        let e = RetryPolicy::builder()
            .delays([Span::from_days(366)])
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("delays[0]"), "{e}");
    }
}
