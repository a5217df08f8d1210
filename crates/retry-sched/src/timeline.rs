//! A device's retry timeline: every attempt and outside event in time order, with a text
//! rendering (`Display`, used by `ppkg schedule`) and serde (`ppkg schedule --json`).

use std::fmt;

use crate::engine::{Diagnosis, Trigger};
use crate::hresult::{HResult, RetryClass};
use crate::policy::{RetryPolicy, RunContext};
use crate::time::Timestamp;

/// An event from outside the engine, as the simulator feeds it in.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DeviceEvent {
    /// The system started (boot).
    SystemStart,
    /// The engine was launched from elsewhere.
    Relaunch,
    /// A user signed in.
    Logon,
    /// The system became idle.
    Idle,
}

impl fmt::Display for DeviceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceEvent::SystemStart => "system start",
            DeviceEvent::Relaunch => "engine launched from elsewhere",
            DeviceEvent::Logon => "user signs in",
            DeviceEvent::Idle => "system idle",
        })
    }
}

/// The outcome of one attempt.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "result", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum AttemptResult {
    /// Applied.
    Succeeded,
    /// Failed with `code`, classed `class`.
    Failed {
        /// The HRESULT.
        code: HResult,
        /// Its class from the decoder.
        class: RetryClass,
    },
}

/// One line of a [`Timeline`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EntryKind {
    /// An attempt and its outcome.
    Attempt {
        /// 1-based number over all attempts.
        number: u32,
        /// Why it ran.
        trigger: Trigger,
        /// The account it ran in.
        context: RunContext,
        /// How it ended.
        result: AttemptResult,
    },
    /// An outside event.
    Event {
        /// Which.
        event: DeviceEvent,
    },
    /// Every scheduled retry failed (re-apply triggers remain).
    Exhausted {
        /// Why, and what to do.
        diagnosis: Diagnosis,
    },
    /// The engine stopped for good.
    GaveUp {
        /// Why, and what to do.
        diagnosis: Diagnosis,
    },
}

/// One timed line of a [`Timeline`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// What.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub kind: EntryKind,
}

/// How a timeline ends.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "state", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum TimelineEnd {
    /// Applied at `at` after `attempts` attempts.
    Succeeded {
        /// When.
        at: Timestamp,
        /// Attempts made.
        attempts: u32,
    },
    /// Stopped for good.
    GaveUp {
        /// When.
        at: Timestamp,
    },
    /// Still waiting for the delayed task's timed step at `due` (the simulation ended first).
    WaitingForDelay {
        /// The deadline.
        due: Timestamp,
    },
    /// Waiting for the next system start.
    WaitingForNextStart,
    /// Schedule exhausted: waiting for a relaunch or a sign-in + idle.
    WaitingForReapply,
}

/// A device's retry timeline.
///
/// `Display` renders a table with one line per attempt or event, times as offsets from
/// [`Timeline::start`]:
///
/// ```text
/// Provisioning retry timeline (3 immediate retries; delayed: +15 min, +1 h, +4 h, next system start)
///   when            #  trigger                              context   result
///   +0 s            1  first attempt                        launcher  failed 0x80180014 MENROLL_E_DEVICENOTSUPPORTED (likely permanent)
///   ...
/// ```
#[derive(Clone, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Timeline {
    /// The policy that produced it.
    pub policy: RetryPolicy,
    /// The first attempt's time; [`Display`](fmt::Display) shows offsets from it.
    pub start: Timestamp,
    /// Attempts and events, in time order.
    pub entries: Vec<TimelineEntry>,
    /// How it ends.
    pub end: TimelineEnd,
}

impl Timeline {
    /// The attempts, in order.
    pub fn attempts(&self) -> impl Iterator<Item = (Timestamp, Trigger, AttemptResult)> + '_ {
        self.entries.iter().filter_map(|e| match e.kind {
            EntryKind::Attempt {
                trigger, result, ..
            } => Some((e.at, trigger, result)),
            _ => None,
        })
    }
}

/// One-line summary of a policy: `3 immediate retries; delayed: +15 min, +1 h, +4 h, next system
/// start`.
pub(crate) fn policy_summary(p: &RetryPolicy) -> String {
    let mut steps: Vec<String> = p.delays().iter().map(|d| format!("+{d}")).collect();
    if p.retry_at_next_start() {
        steps.push("next system start".into());
    }
    let delayed = if steps.is_empty() {
        "none".to_owned()
    } else {
        steps.join(", ")
    };
    format!(
        "{} immediate retries; delayed: {delayed}",
        p.immediate_retries()
    )
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Provisioning retry timeline ({})",
            policy_summary(&self.policy)
        )?;
        writeln!(
            f,
            "  {:<15} {:>2}  {:<36} {:<8}  result",
            "when", "#", "trigger", "context"
        )?;
        for e in &self.entries {
            let when = format!("+{}", e.at.since(self.start));
            match e.kind {
                EntryKind::Attempt {
                    number,
                    trigger,
                    context,
                    result,
                } => {
                    let ctx = match context {
                        RunContext::System => "SYSTEM",
                        _ => "launcher",
                    };
                    let trig = describe_trigger(&self.policy, trigger);
                    let res = match result {
                        AttemptResult::Succeeded => "succeeded".to_owned(),
                        AttemptResult::Failed { code, class } => {
                            let d = code.decode();
                            match d.name {
                                Some(n) => format!("failed {code} {n} ({class})"),
                                None => format!("failed {code} ({class})"),
                            }
                        }
                    };
                    writeln!(f, "  {when:<15} {number:>2}  {trig:<36} {ctx:<8}  {res}")?;
                }
                EntryKind::Event { event } => {
                    writeln!(f, "  {when:<15} {:>2}  {event}", "-")?;
                }
                EntryKind::Exhausted { diagnosis } => {
                    writeln!(f, "  {when:<15} {:>2}  every scheduled retry failed", "-")?;
                    writeln!(f, "  {:<15} {:>2}  diagnosis: {diagnosis}", "", "")?;
                }
                EntryKind::GaveUp { diagnosis } => {
                    writeln!(f, "  {when:<15} {:>2}  gave up", "-")?;
                    writeln!(f, "  {:<15} {:>2}  diagnosis: {diagnosis}", "", "")?;
                }
            }
        }
        match self.end {
            TimelineEnd::Succeeded { at, attempts } => writeln!(
                f,
                "end: applied at +{} after {attempts} attempt{}",
                at.since(self.start),
                if attempts == 1 { "" } else { "s" }
            ),
            TimelineEnd::GaveUp { at } => {
                writeln!(f, "end: gave up at +{}", at.since(self.start))
            }
            TimelineEnd::WaitingForDelay { due } => writeln!(
                f,
                "end: waiting for the delayed retry due at +{}",
                due.since(self.start)
            ),
            TimelineEnd::WaitingForNextStart => {
                writeln!(f, "end: waiting for the next system start")
            }
            TimelineEnd::WaitingForReapply => writeln!(
                f,
                "end: waiting for a relaunch or a sign-in + idle (no scheduled retry is left)"
            ),
        }
    }
}

/// Trigger text with the step out of the total, for example `delayed retry 2 of 4 (+1 h)`.
fn describe_trigger(p: &RetryPolicy, t: Trigger) -> String {
    let delayed_total = p.delays().len() + usize::from(p.retry_at_next_start());
    match t {
        Trigger::ImmediateRetry { n } => {
            format!("immediate retry {n} of {}", p.immediate_retries())
        }
        Trigger::Delayed { step, delay } => {
            format!("delayed retry {step} of {delayed_total} (+{delay})")
        }
        Trigger::NextSystemStart => {
            format!("delayed retry {delayed_total} of {delayed_total} (next start)")
        }
        other => other.to_string(),
    }
}
