//! The provisioning engine's retry behaviour as a state machine with no I/O and no clock.
//!
//! The shape follows quinn-proto's connection timers (STYLE.md §A6): the caller feeds events in
//! with the current time, drains the actions the engine wants performed with
//! [`Engine::poll_action`], asks when to call back with [`Engine::poll_timeout`], and calls
//! [`Engine::handle_timeout`] at (or after) that time.

use std::collections::VecDeque;
use std::fmt;

use crate::error::{Error, Result};
use crate::hresult::{Category, HResult, RetryClass};
use crate::policy::{RetryPolicy, RunContext};
use crate::time::{Span, Timestamp};

/// Why an attempt runs.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Trigger {
    /// The first attempt, when the package is applied.
    Initial,
    /// Immediate retry `n` (1-based) of [`RetryPolicy::immediate_retries`].
    ImmediateRetry {
        /// Which retry, from 1.
        n: u32,
    },
    /// Timed attempt `step` (1-based) of the delayed task, `delay` after the attempt before.
    Delayed {
        /// Which step, from 1.
        step: u32,
        /// The wait before it.
        delay: Span,
    },
    /// The delayed task's last attempt, at the next system start.
    NextSystemStart,
    /// A re-apply because the engine was launched from elsewhere.
    Relaunch,
    /// A re-apply in SYSTEM context after a sign-in, once the system is idle.
    LogonIdle,
}

impl Trigger {
    /// Whether the attempt is a step of the retry schedule (counted against
    /// [`RetryPolicy::max_scheduled_attempts`]) rather than a re-apply.
    pub fn is_scheduled(self) -> bool {
        !matches!(self, Trigger::Relaunch | Trigger::LogonIdle)
    }

    /// The account the attempt runs in.
    pub fn context(self) -> RunContext {
        match self {
            Trigger::Initial | Trigger::ImmediateRetry { .. } | Trigger::Relaunch => {
                RunContext::Launcher
            }
            Trigger::Delayed { .. } | Trigger::NextSystemStart | Trigger::LogonIdle => {
                RunContext::System
            }
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Initial => f.write_str("first attempt"),
            Trigger::ImmediateRetry { n } => write!(f, "immediate retry {n}"),
            Trigger::Delayed { step, delay } => write!(f, "delayed retry {step} (+{delay})"),
            Trigger::NextSystemStart => f.write_str("delayed retry at next system start"),
            Trigger::Relaunch => f.write_str("re-apply: engine relaunched"),
            Trigger::LogonIdle => f.write_str("re-apply: sign-in + idle"),
        }
    }
}

/// One attempt the engine asks the caller to make.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Attempt {
    /// 1-based count over every attempt of this engine.
    pub number: u32,
    /// Why it runs.
    pub trigger: Trigger,
    /// When it is due: the time of the event or timeout that caused it.
    pub at: Timestamp,
    /// The account it runs in.
    pub context: RunContext,
}

/// What the engine concluded from the last failure.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Diagnosis {
    /// The last failure's code, if any attempt failed.
    pub last_failure: Option<HResult>,
    /// Whether retrying can help, from the HRESULT decoder.
    pub class: RetryClass,
    /// The kind of cause.
    pub category: Category,
    /// What to do, in one sentence.
    pub hint: &'static str,
}

impl Diagnosis {
    fn from_failure(last: Option<HResult>) -> Self {
        let (class, category) = match last {
            Some(hr) => {
                let d = hr.decode();
                (d.class, d.category)
            }
            None => (RetryClass::Transient, Category::Unknown),
        };
        let hint = match class {
            RetryClass::LikelyPermanent => {
                "retrying will not help: change the package, the MDM server or the tenant, then \
                 apply again"
            }
            RetryClass::WaitsForLogon => {
                "needs an interactive user: the engine re-applies after the next sign-in once the \
                 system is idle"
            }
            _ => "a later trigger (relaunch, sign-in + idle) may still succeed",
        };
        Diagnosis {
            last_failure: last,
            class,
            category,
            hint,
        }
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.last_failure {
            Some(hr) => {
                let d = hr.decode();
                write!(f, "{hr}")?;
                if let Some(n) = d.name {
                    write!(f, " {n}")?;
                }
                write!(f, " ({}): {}", self.class, self.hint)
            }
            None => write!(f, "no failure recorded: {}", self.hint),
        }
    }
}

/// Something the engine wants the caller to do or know, drained with [`Engine::poll_action`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "action", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Action {
    /// Run this attempt now and report its outcome with [`Engine::attempt_succeeded`] or
    /// [`Engine::attempt_failed`].
    Attempt(Attempt),
    /// The delayed task's timed step `step` (1-based) is due at `due` (also
    /// [`Engine::poll_timeout`]): call [`Engine::handle_timeout`] then.
    DelayedRetryScheduled {
        /// The step.
        step: u32,
        /// Its deadline.
        due: Timestamp,
    },
    /// The timed steps are used up; the delayed task's last attempt waits for the next system
    /// start ([`Engine::system_started`]).
    WaitingForNextStart {
        /// Since when.
        since: Timestamp,
    },
    /// The package applied (terminal).
    Succeeded {
        /// When.
        at: Timestamp,
        /// Attempts made, the successful one included.
        attempts: u32,
    },
    /// Every scheduled retry failed; only re-apply triggers (relaunch, sign-in + idle) remain.
    /// Field case B28's "FailedAfterRetries". Not terminal.
    Exhausted {
        /// When.
        at: Timestamp,
        /// Why, and what to do.
        diagnosis: Diagnosis,
    },
    /// The engine stopped for good (terminal): the schedule is exhausted and the policy has no
    /// re-apply trigger, or the policy stops on a likely-permanent failure.
    GaveUp {
        /// When.
        at: Timestamp,
        /// Why, and what to do.
        diagnosis: Diagnosis,
    },
}

/// Where the engine stands, from [`Engine::phase`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Phase {
    /// An attempt is outstanding: its outcome must be reported before any other event.
    Applying,
    /// Waiting for the delayed task's timed step `step` (1-based), due at `due`.
    WaitingForDelay {
        /// The step.
        step: u32,
        /// Its deadline (also [`Engine::poll_timeout`]).
        due: Timestamp,
    },
    /// Waiting for the next system start.
    WaitingForNextStart,
    /// Every scheduled retry failed; only re-apply triggers remain.
    Exhausted,
    /// Applied (terminal).
    Succeeded,
    /// Stopped for good (terminal).
    GaveUp,
}

/// Attempts made so far.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct AttemptCounts {
    /// Steps of the schedule: first attempt, immediate, delayed and boot retries.
    pub scheduled: u32,
    /// Re-applies (relaunch, sign-in + idle).
    pub reapply: u32,
}

impl AttemptCounts {
    /// All attempts.
    pub fn total(self) -> u32 {
        self.scheduled + self.reapply
    }
}

/// Internal position in the schedule.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Stage {
    /// The first run: `done` immediate retries made so far.
    Immediate {
        done: u32,
    },
    /// Waiting for timed delay index `idx` (0-based), due at `due`.
    Delayed {
        idx: usize,
        due: Timestamp,
    },
    /// A step of the delayed task (timed or boot) is running.
    Running,
    AwaitingBoot,
    Exhausted,
    Succeeded,
    GaveUp,
}

/// The provisioning engine's retry state machine for one package on one device.
///
/// Protocol:
/// 1. [`Engine::new`] queues the first attempt.
/// 2. Drain [`Engine::poll_action`]: for each [`Action::Attempt`], run it and report
///    [`attempt_succeeded`](Engine::attempt_succeeded) or
///    [`attempt_failed`](Engine::attempt_failed) with the time it finished. Exactly one attempt
///    is outstanding at a time; other events are refused until its outcome is in.
/// 3. Feed outside events as they happen: [`system_started`](Engine::system_started),
///    [`relaunched`](Engine::relaunched), [`user_logged_on`](Engine::user_logged_on),
///    [`system_idle`](Engine::system_idle).
/// 4. Call [`handle_timeout`](Engine::handle_timeout) once [`poll_timeout`](Engine::poll_timeout)
///    has passed.
///
/// Times must not go backwards (an earlier time is refused with
/// [`Error::TimeWentBackwards`]); a refused event changes nothing.
///
/// ```
/// use retry_sched::{Action, Engine, HResult, RetryPolicy, Span, Timestamp, Trigger};
/// let t0 = Timestamp::ZERO;
/// let mut e = Engine::new(RetryPolicy::windows_default(), t0);
/// // The first attempt and the three immediate retries fail at t0.
/// for _ in 0..4 {
///     let Some(Action::Attempt(a)) = e.poll_action() else { unreachable!() };
///     assert_eq!(a.at, t0);
///     e.attempt_failed(t0, HResult(0x8018_0010))?;
/// }
/// // The delayed task's first step is due 15 minutes later.
/// let due = t0 + Span::from_mins(15);
/// assert_eq!(e.poll_action(), Some(Action::DelayedRetryScheduled { step: 1, due }));
/// assert_eq!(e.poll_timeout(), Some(due));
/// e.handle_timeout(t0 + Span::from_mins(15));
/// let Some(Action::Attempt(a)) = e.poll_action() else { unreachable!() };
/// assert!(matches!(a.trigger, Trigger::Delayed { step: 1, .. }));
/// e.attempt_succeeded(a.at)?;
/// assert!(e.is_terminal());
/// # Ok::<(), retry_sched::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    policy: RetryPolicy,
    stage: Stage,
    outstanding: Option<Attempt>,
    actions: VecDeque<Action>,
    counts: AttemptCounts,
    latest: Timestamp,
    logon_armed: bool,
    last_failure: Option<HResult>,
}

impl Engine {
    /// A new engine whose first attempt is due at `now` (queued as an [`Action::Attempt`]).
    pub fn new(policy: RetryPolicy, now: Timestamp) -> Self {
        let mut e = Engine {
            policy,
            stage: Stage::Immediate { done: 0 },
            outstanding: None,
            actions: VecDeque::new(),
            counts: AttemptCounts::default(),
            latest: now,
            logon_armed: false,
            last_failure: None,
        };
        e.start_attempt(Trigger::Initial, now);
        e
    }

    /// The policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The next action, oldest first, or `None` when there is nothing to do now.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next, or `None` when the
    /// engine waits only for events (or is terminal).
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match self.stage {
            Stage::Delayed { due, .. } => Some(due),
            _ => None,
        }
    }

    /// Fires the delayed task's step when its deadline has passed; otherwise (too early, or an
    /// attempt still outstanding) does nothing, so calling it early is harmless. A `now` earlier
    /// than a time already seen is ignored.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if now < self.latest || self.outstanding.is_some() {
            return;
        }
        self.latest = now;
        if let Stage::Delayed { idx, due } = self.stage {
            if due <= now {
                let delay = self.policy.delays().get(idx).copied().unwrap_or(Span::ZERO);
                let step = u32::try_from(idx + 1).unwrap_or(u32::MAX);
                self.start_attempt(Trigger::Delayed { step, delay }, now);
            }
        }
    }

    /// Reports that the outstanding attempt succeeded at `now`: the engine ends in
    /// [`Phase::Succeeded`] and queues [`Action::Succeeded`].
    ///
    /// # Errors
    /// [`Error::NoAttemptOutstanding`] when no attempt is outstanding;
    /// [`Error::TimeWentBackwards`] when `now` is earlier than a time already seen.
    pub fn attempt_succeeded(&mut self, now: Timestamp) -> Result<()> {
        self.check_time(now)?;
        if self.outstanding.take().is_none() {
            return Err(Error::NoAttemptOutstanding { at: now });
        }
        self.latest = now;
        self.stage = Stage::Succeeded;
        self.logon_armed = false;
        self.actions.push_back(Action::Succeeded {
            at: now,
            attempts: self.counts.total(),
        });
        Ok(())
    }

    /// Reports that the outstanding attempt failed at `now` with `code`, and moves the schedule
    /// on: the next immediate retry (queued at `now`), the next timed step (a deadline), the
    /// wait for the next system start, or the end of the schedule.
    ///
    /// # Errors
    /// As [`attempt_succeeded`](Self::attempt_succeeded).
    pub fn attempt_failed(&mut self, now: Timestamp, code: HResult) -> Result<()> {
        self.check_time(now)?;
        let Some(attempt) = self.outstanding.take() else {
            return Err(Error::NoAttemptOutstanding { at: now });
        };
        self.latest = now;
        self.last_failure = Some(code);
        if self.policy.stop_on_likely_permanent() && code.class() == RetryClass::LikelyPermanent {
            self.give_up(now);
            return Ok(());
        }
        match attempt.trigger {
            Trigger::Initial | Trigger::ImmediateRetry { .. } => {
                let done = match self.stage {
                    Stage::Immediate { done } => done,
                    _ => self.policy.immediate_retries(),
                };
                if done < self.policy.immediate_retries() {
                    self.stage = Stage::Immediate { done: done + 1 };
                    self.start_attempt(Trigger::ImmediateRetry { n: done + 1 }, now);
                } else {
                    self.enter_delayed(now, 0);
                }
            }
            Trigger::Delayed { step, .. } => {
                self.enter_delayed(now, usize::try_from(step).unwrap_or(usize::MAX));
            }
            Trigger::NextSystemStart => self.schedule_exhausted(now),
            // A failed re-apply leaves the schedule where it was (REAPPLY_OUTSIDE_SCHEDULE).
            Trigger::Relaunch | Trigger::LogonIdle => {}
        }
        Ok(())
    }

    /// Reports a system start at `now`. Signs every user out (a pending sign-in + idle re-apply
    /// is dropped) and, when the schedule waits for it, runs the boot attempt.
    ///
    /// # Errors
    /// [`Error::AttemptOutstanding`] while an attempt is outstanding;
    /// [`Error::TimeWentBackwards`].
    pub fn system_started(&mut self, now: Timestamp) -> Result<()> {
        self.check_event(now)?;
        self.logon_armed = false;
        if self.stage == Stage::AwaitingBoot {
            self.start_attempt(Trigger::NextSystemStart, now);
        }
        Ok(())
    }

    /// Reports that the engine was launched from elsewhere at `now` (a double-click,
    /// `Install-ProvisioningPackage`): one re-apply attempt when the policy allows it and the
    /// engine is not terminal.
    ///
    /// # Errors
    /// As [`system_started`](Self::system_started).
    pub fn relaunched(&mut self, now: Timestamp) -> Result<()> {
        self.check_event(now)?;
        if self.policy.reapply_on_relaunch() && !self.is_terminal() {
            self.start_attempt(Trigger::Relaunch, now);
        }
        Ok(())
    }

    /// Reports a user sign-in at `now`: arms one sign-in + idle re-apply, run at the next
    /// [`system_idle`](Self::system_idle).
    ///
    /// # Errors
    /// As [`system_started`](Self::system_started).
    pub fn user_logged_on(&mut self, now: Timestamp) -> Result<()> {
        self.check_event(now)?;
        if self.policy.reapply_after_logon_idle() && !self.is_terminal() {
            self.logon_armed = true;
        }
        Ok(())
    }

    /// Reports that the system became idle at `now`: runs the armed sign-in + idle re-apply, if
    /// any (idle without a sign-in before it does nothing).
    ///
    /// # Errors
    /// As [`system_started`](Self::system_started).
    pub fn system_idle(&mut self, now: Timestamp) -> Result<()> {
        self.check_event(now)?;
        if self.logon_armed && !self.is_terminal() {
            self.logon_armed = false;
            self.start_attempt(Trigger::LogonIdle, now);
        }
        Ok(())
    }

    /// Where the engine stands.
    pub fn phase(&self) -> Phase {
        if self.outstanding.is_some() {
            return Phase::Applying;
        }
        match self.stage {
            Stage::Immediate { .. } | Stage::Running => Phase::Applying,
            Stage::Delayed { idx, due } => Phase::WaitingForDelay {
                step: u32::try_from(idx + 1).unwrap_or(u32::MAX),
                due,
            },
            Stage::AwaitingBoot => Phase::WaitingForNextStart,
            Stage::Exhausted => Phase::Exhausted,
            Stage::Succeeded => Phase::Succeeded,
            Stage::GaveUp => Phase::GaveUp,
        }
    }

    /// Whether the engine has finished for good ([`Phase::Succeeded`] or [`Phase::GaveUp`]).
    /// A terminal engine accepts events but never acts again.
    pub fn is_terminal(&self) -> bool {
        matches!(self.stage, Stage::Succeeded | Stage::GaveUp)
    }

    /// The outstanding attempt, if any.
    pub fn outstanding(&self) -> Option<Attempt> {
        self.outstanding
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> AttemptCounts {
        self.counts
    }

    /// The latest time any event or timeout carried.
    pub fn latest(&self) -> Timestamp {
        self.latest
    }

    /// What the last failure says, and what to do.
    pub fn diagnosis(&self) -> Diagnosis {
        Diagnosis::from_failure(self.last_failure)
    }

    fn check_time(&self, now: Timestamp) -> Result<()> {
        if now < self.latest {
            return Err(Error::TimeWentBackwards {
                now,
                latest: self.latest,
            });
        }
        Ok(())
    }

    /// Checks an outside event: time order, and no attempt outstanding.
    fn check_event(&mut self, now: Timestamp) -> Result<()> {
        self.check_time(now)?;
        if let Some(a) = self.outstanding {
            return Err(Error::AttemptOutstanding {
                at: now,
                attempt: a.number,
            });
        }
        self.latest = now;
        Ok(())
    }

    fn start_attempt(&mut self, trigger: Trigger, now: Timestamp) {
        if trigger.is_scheduled() {
            self.counts.scheduled += 1;
        } else {
            self.counts.reapply += 1;
        }
        let a = Attempt {
            number: self.counts.total(),
            trigger,
            at: now,
            context: trigger.context(),
        };
        if matches!(trigger, Trigger::Delayed { .. } | Trigger::NextSystemStart) {
            // The step is running: no deadline is pending until its outcome is in.
            self.stage = Stage::Running;
        }
        self.outstanding = Some(a);
        self.actions.push_back(Action::Attempt(a));
    }

    fn enter_delayed(&mut self, now: Timestamp, idx: usize) {
        if let Some(delay) = self.policy.delays().get(idx) {
            let due = now + *delay;
            self.stage = Stage::Delayed { idx, due };
            self.actions.push_back(Action::DelayedRetryScheduled {
                step: u32::try_from(idx + 1).unwrap_or(u32::MAX),
                due,
            });
        } else if self.policy.retry_at_next_start() {
            self.stage = Stage::AwaitingBoot;
            self.actions
                .push_back(Action::WaitingForNextStart { since: now });
        } else {
            self.schedule_exhausted(now);
        }
    }

    fn schedule_exhausted(&mut self, now: Timestamp) {
        if self.policy.has_reapply_triggers() {
            self.stage = Stage::Exhausted;
            self.actions.push_back(Action::Exhausted {
                at: now,
                diagnosis: self.diagnosis(),
            });
        } else {
            self.give_up(now);
        }
    }

    fn give_up(&mut self, now: Timestamp) {
        self.stage = Stage::GaveUp;
        self.logon_armed = false;
        self.actions.push_back(Action::GaveUp {
            at: now,
            diagnosis: self.diagnosis(),
        });
    }
}
