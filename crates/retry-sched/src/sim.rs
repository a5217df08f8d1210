//! Simulators for consoles: one device's timeline given outcomes and outside events, and a
//! fleet's statistics given a per-attempt failure probability and a seed.
//!
//! Both drive the real [`Engine`]: the simulator is only the caller that quinn-proto's model
//! expects (it merges the engine's deadlines with the scenario's events in time order, and
//! answers each attempt).

use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;

use crate::engine::{Action, Attempt, AttemptCounts, Engine, Phase, Trigger};
use crate::error::{Error, Result};
use crate::hresult::HResult;
use crate::policy::RetryPolicy;
use crate::time::{Span, Timestamp};
use crate::timeline::{
    AttemptResult, DeviceEvent, EntryKind, Timeline, TimelineEnd, TimelineEntry,
};

/// The failure code [`failing_timeline`] and [`FleetConfig::default`] use:
/// `MENROLL_E_CONNECTIVITY` (0x80180010), "A network error occurred, such as DNS or a network
/// timeout" (MDMRegistration.h), the most common transient enrollment failure.
pub const DEFAULT_FAILURE_CODE: HResult = HResult(0x8018_0010);

/// When the next system start comes in [`FleetConfig::default`] and in the CLI's default
/// timeline: **24 h** after the first attempt (a device restarted once a day; an assumption of
/// this crate, not a Windows fact).
pub const DEFAULT_NEXT_START_AFTER: Span = Span::from_hours(24);

/// Most devices [`simulate_fleet`] accepts: 10 million (about 10 s of work).
pub const MAX_FLEET_DEVICES: u32 = 10_000_000;

/// Outside events for one simulated device.
///
/// ```
/// use retry_sched::{DeviceEvent, Scenario, Span, Timestamp};
/// let t0 = Timestamp::ZERO;
/// let s = Scenario::new(t0)
///     .event(t0 + Span::from_hours(5), DeviceEvent::Logon)
///     .event(t0 + Span::from_hours(5) + Span::from_mins(10), DeviceEvent::Idle)
///     .event(t0 + Span::from_hours(24), DeviceEvent::SystemStart);
/// assert_eq!(s.events.len(), 3);
/// ```
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Scenario {
    /// When the package is first applied (the first attempt).
    pub start: Timestamp,
    /// Outside events; the simulator sorts them by time (stable, so same-time events keep their
    /// order) and skips those before `start`.
    pub events: Vec<(Timestamp, DeviceEvent)>,
    /// Where the simulation stops even if the engine still waits for a deadline (`None`: run
    /// until the engine is terminal or has nothing left to wait for).
    pub until: Option<Timestamp>,
}

impl Scenario {
    /// A scenario whose first attempt is at `start`, with no events.
    pub fn new(start: Timestamp) -> Self {
        Scenario {
            start,
            events: Vec::new(),
            until: None,
        }
    }

    /// Adds an outside event.
    #[must_use]
    pub fn event(mut self, at: Timestamp, event: DeviceEvent) -> Self {
        self.events.push((at, event));
        self
    }

    /// Stops the simulation at `at`.
    #[must_use]
    pub fn until(mut self, at: Timestamp) -> Self {
        self.until = Some(at);
        self
    }
}

/// Runs one device and records its [`Timeline`]. `outcome` answers each attempt: `None` for
/// success, `Some(code)` for a failure with that HRESULT.
///
/// ```
/// use retry_sched::{simulate_device, HResult, RetryPolicy, Scenario, Timestamp, TimelineEnd};
/// let mut n = 0;
/// // Fails twice with ERROR_ALREADY_EXISTS, then applies (field case B35).
/// let t = simulate_device(&RetryPolicy::default(), &Scenario::new(Timestamp::ZERO), |_| {
///     n += 1;
///     (n <= 2).then_some(HResult(0x8007_00B7))
/// });
/// assert_eq!(t.end, TimelineEnd::Succeeded { at: Timestamp::ZERO, attempts: 3 });
/// ```
pub fn simulate_device(
    policy: &RetryPolicy,
    scenario: &Scenario,
    mut outcome: impl FnMut(&Attempt) -> Option<HResult>,
) -> Timeline {
    let mut events = scenario.events.clone();
    events.sort_by_key(|(at, _)| *at);
    let mut entries = Vec::new();
    let run = drive(
        policy.clone(),
        scenario.start,
        &events,
        scenario.until,
        &mut outcome,
        &mut |e| entries.push(e),
    );
    Timeline {
        policy: policy.clone(),
        start: scenario.start,
        entries,
        end: run.end,
    }
}

/// The timeline when the first `fail` attempts fail with `code` and every later one succeeds;
/// the next system start comes `next_start_after` after the first attempt (`None`: it never
/// comes, and a timeline that gets that far ends waiting for it). This is what
/// `ppkg schedule --fail N` prints.
///
/// ```
/// use retry_sched::{failing_timeline, RetryPolicy, Span, TimelineEnd, DEFAULT_FAILURE_CODE};
/// let t = failing_timeline(&RetryPolicy::default(), 5, DEFAULT_FAILURE_CODE, None);
/// // Attempts 1-4 fail at once, 5 fails at +15 min, 6 applies at +1 h 15 min.
/// assert!(matches!(t.end, TimelineEnd::Succeeded { attempts: 6, .. }));
/// println!("{t}");
/// ```
pub fn failing_timeline(
    policy: &RetryPolicy,
    fail: u32,
    code: HResult,
    next_start_after: Option<Span>,
) -> Timeline {
    let start = Timestamp::ZERO;
    let mut scenario = Scenario::new(start);
    if let Some(after) = next_start_after {
        scenario = scenario.event(start + after, DeviceEvent::SystemStart);
    }
    simulate_device(policy, &scenario, |a| (a.number <= fail).then_some(code))
}

/// What one simulated device did.
struct Run {
    end: TimelineEnd,
    /// When and by which trigger it applied.
    success: Option<(Timestamp, Trigger)>,
    counts: AttemptCounts,
    /// Whether every scheduled retry failed at some point.
    exhausted: bool,
}

/// Drives one engine through `events` (sorted), answering attempts with `outcome` and handing
/// each timeline entry to `record`.
fn drive(
    policy: RetryPolicy,
    start: Timestamp,
    events: &[(Timestamp, DeviceEvent)],
    until: Option<Timestamp>,
    outcome: &mut impl FnMut(&Attempt) -> Option<HResult>,
    record: &mut impl FnMut(TimelineEntry),
) -> Run {
    let mut engine = Engine::new(policy, start);
    let mut success = None;
    let mut exhausted = false;
    let mut gave_up_at = None;
    let mut next_event = events.iter().skip_while(|(at, _)| *at < start).peekable();
    loop {
        while let Some(action) = engine.poll_action() {
            match action {
                Action::Attempt(a) => {
                    let result = match outcome(&a) {
                        None => {
                            must(engine.attempt_succeeded(a.at));
                            success = Some((a.at, a.trigger));
                            AttemptResult::Succeeded
                        }
                        Some(code) => {
                            must(engine.attempt_failed(a.at, code));
                            AttemptResult::Failed {
                                code,
                                class: code.class(),
                            }
                        }
                    };
                    record(TimelineEntry {
                        at: a.at,
                        kind: EntryKind::Attempt {
                            number: a.number,
                            trigger: a.trigger,
                            context: a.context,
                            result,
                        },
                    });
                }
                Action::Exhausted { at, diagnosis } => {
                    exhausted = true;
                    record(TimelineEntry {
                        at,
                        kind: EntryKind::Exhausted { diagnosis },
                    });
                }
                Action::GaveUp { at, diagnosis } => {
                    exhausted = true;
                    gave_up_at = Some(at);
                    record(TimelineEntry {
                        at,
                        kind: EntryKind::GaveUp { diagnosis },
                    });
                }
                // The success is recorded with its attempt above.
                _ => {}
            }
        }
        if engine.is_terminal() {
            break;
        }
        // The earliest of the engine's deadline and the next event; a deadline wins a tie, so a
        // timed retry due at the same instant as a boot runs before the boot is seen.
        let timer = engine.poll_timeout();
        let event = next_event.peek().copied();
        let at = match (timer, event) {
            (Some(t), Some((e, _))) => t.min(*e),
            (Some(t), None) => t,
            (None, Some((e, _))) => *e,
            (None, None) => break,
        };
        if until.is_some_and(|u| at > u) {
            break;
        }
        if timer == Some(at) {
            engine.handle_timeout(at);
        } else if let Some((at, ev)) = next_event.next() {
            record(TimelineEntry {
                at: *at,
                kind: EntryKind::Event { event: *ev },
            });
            must(match ev {
                DeviceEvent::SystemStart => engine.system_started(*at),
                DeviceEvent::Relaunch => engine.relaunched(*at),
                DeviceEvent::Logon => engine.user_logged_on(*at),
                DeviceEvent::Idle => engine.system_idle(*at),
            });
        }
    }
    let end = match (engine.phase(), success, gave_up_at) {
        (_, Some((at, _)), _) => TimelineEnd::Succeeded {
            at,
            attempts: engine.attempts().total(),
        },
        (_, None, Some(at)) => TimelineEnd::GaveUp { at },
        (Phase::WaitingForDelay { due, .. }, None, None) => TimelineEnd::WaitingForDelay { due },
        (Phase::WaitingForNextStart, None, None) => TimelineEnd::WaitingForNextStart,
        _ => TimelineEnd::WaitingForReapply,
    };
    Run {
        end,
        success,
        counts: engine.attempts(),
        exhausted,
    }
}

/// The driver never sends an event the engine refuses: it answers every attempt before
/// anything else, and feeds times in order. A refusal would be a bug in this module.
fn must(r: Result<()>) {
    debug_assert!(r.is_ok(), "simulator sent a refused event: {r:?}");
}

/// A fleet to simulate with [`simulate_fleet`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct FleetConfig {
    /// Number of devices (at most [`MAX_FLEET_DEVICES`]). Default 100 000.
    pub devices: u32,
    /// Probability that any one attempt fails, independently, in `0.0..=1.0`. Default 0.3.
    pub failure_probability: f64,
    /// The code each failure reports. Default [`DEFAULT_FAILURE_CODE`].
    pub failure_code: HResult,
    /// Seed of the random numbers (xorshift128, Marsaglia 2003, through `rand_xorshift`): the
    /// same config gives the same report on every platform. Default 1.
    pub seed: u64,
    /// Time from the first attempt to the next system start. Default
    /// [`DEFAULT_NEXT_START_AFTER`].
    pub next_start_after: Span,
    /// Extra random delay of the next system start, uniform in `0..=jitter` per device.
    /// Default 0.
    pub next_start_jitter: Span,
    /// A user signs in and the system goes idle this long after the first attempt (`None`: no
    /// sign-in). Default `None`.
    pub logon_idle_after: Option<Span>,
    /// The retry policy. Default Windows'.
    pub policy: RetryPolicy,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            devices: 100_000,
            failure_probability: 0.3,
            failure_code: DEFAULT_FAILURE_CODE,
            seed: 1,
            next_start_after: DEFAULT_NEXT_START_AFTER,
            next_start_jitter: Span::ZERO,
            logon_idle_after: None,
            policy: RetryPolicy::windows_default(),
        }
    }
}

/// Time-to-success percentiles (nearest-rank method: the p-th percentile is the smallest time
/// that at least p % of the successful devices reached).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Percentiles {
    /// Median.
    pub p50: Span,
    /// 90th percentile.
    pub p90: Span,
    /// 95th percentile.
    pub p95: Span,
    /// 99th percentile.
    pub p99: Span,
    /// Slowest.
    pub max: Span,
}

impl Percentiles {
    /// Nearest-rank percentiles of `times` (sorted in place), or `None` when empty.
    pub fn of(times: &mut [Span]) -> Option<Self> {
        if times.is_empty() {
            return None;
        }
        times.sort_unstable();
        let n = times.len();
        let rank = |pct: usize| {
            let r = (pct * n).div_ceil(100).max(1);
            times.get(r - 1).copied().unwrap_or(Span::ZERO)
        };
        Some(Percentiles {
            p50: rank(50),
            p90: rank(90),
            p95: rank(95),
            p99: rank(99),
            max: times.last().copied().unwrap_or(Span::ZERO),
        })
    }
}

/// How many devices applied at each kind of attempt.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct SuccessBreakdown {
    /// At the first attempt.
    pub first_attempt: u32,
    /// At an immediate retry.
    pub immediate_retry: u32,
    /// At a timed delayed retry.
    pub delayed_retry: u32,
    /// At the next system start.
    pub next_system_start: u32,
    /// At a relaunch re-apply.
    pub relaunch: u32,
    /// At a sign-in + idle re-apply.
    pub logon_idle: u32,
}

/// What [`simulate_fleet`] found.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct FleetReport {
    /// Devices simulated.
    pub devices: u32,
    /// The seed used.
    pub seed: u64,
    /// The per-attempt failure probability used.
    pub failure_probability: f64,
    /// Devices that applied the package.
    pub succeeded: u32,
    /// Devices whose every scheduled retry failed and that never applied.
    pub exhausted: u32,
    /// Devices whose every scheduled retry failed but that applied later through a re-apply.
    pub rescued_by_reapply: u32,
    /// Devices that neither applied nor used up the schedule: their system start came before
    /// the timed retries were done ([`BOOT_ATTEMPT_ONLY_AFTER_TIMED`](crate::policy::BOOT_ATTEMPT_ONLY_AFTER_TIMED)),
    /// so they still wait for the next one.
    pub still_waiting: u32,
    /// Where the successes happened.
    pub succeeded_at: SuccessBreakdown,
    /// Time from the first attempt to success, over the devices that applied.
    pub time_to_success: Option<Percentiles>,
    /// Attempts made over the whole fleet.
    pub total_attempts: u64,
}

impl FleetReport {
    /// Mean attempts per device.
    pub fn mean_attempts(&self) -> f64 {
        if self.devices == 0 {
            0.0
        } else {
            self.total_attempts as f64 / f64::from(self.devices)
        }
    }
}

/// Simulates `cfg.devices` devices, each starting at the same instant and failing every attempt
/// independently with `cfg.failure_probability`, through the real [`Engine`].
///
/// ```
/// use retry_sched::{simulate_fleet, FleetConfig};
/// let r = simulate_fleet(&FleetConfig { devices: 1000, failure_probability: 0.5, ..FleetConfig::default() })?;
/// assert_eq!(r.succeeded + r.exhausted + r.still_waiting, 1000);
/// // 8 scheduled attempts at 50 %: about 1000 / 2^8 ≈ 4 devices fail them all.
/// assert!(r.exhausted < 20);
/// # Ok::<(), retry_sched::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidPolicy`] naming `failure_probability` (not a number in `0..=1`) or `devices`
/// (above [`MAX_FLEET_DEVICES`]).
pub fn simulate_fleet(cfg: &FleetConfig) -> Result<FleetReport> {
    let p = cfg.failure_probability;
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::InvalidPolicy {
            field: "failure_probability".into(),
            reason: format!("{p} is not a probability in 0..=1"),
        });
    }
    if cfg.devices > MAX_FLEET_DEVICES {
        return Err(Error::InvalidPolicy {
            field: "devices".into(),
            reason: format!("{} is above {MAX_FLEET_DEVICES}", cfg.devices),
        });
    }
    // A failure is `next_u64() < threshold`, threshold = p * 2^64 (exact for p = 0 and p = 1).
    let threshold = if p >= 1.0 {
        None
    } else {
        Some((p * 18_446_744_073_709_551_616.0) as u64)
    };
    let mut rng = XorShiftRng::seed_from_u64(cfg.seed);
    let start = Timestamp::ZERO;
    let mut events: Vec<(Timestamp, DeviceEvent)> = Vec::with_capacity(3);
    let mut times = Vec::with_capacity(cfg.devices as usize);
    let mut report = FleetReport {
        devices: cfg.devices,
        seed: cfg.seed,
        failure_probability: p,
        succeeded: 0,
        exhausted: 0,
        rescued_by_reapply: 0,
        still_waiting: 0,
        succeeded_at: SuccessBreakdown::default(),
        time_to_success: None,
        total_attempts: 0,
    };
    for _ in 0..cfg.devices {
        events.clear();
        let jitter = match cfg.next_start_jitter.as_millis() {
            0 => 0,
            j => rng.next_u64() % j.saturating_add(1),
        };
        if let Some(after) = cfg.logon_idle_after {
            events.push((start + after, DeviceEvent::Logon));
            events.push((start + after, DeviceEvent::Idle));
        }
        events.push((
            start + cfg.next_start_after + Span::from_millis(jitter),
            DeviceEvent::SystemStart,
        ));
        events.sort_by_key(|(at, _)| *at);
        let mut outcome = |_: &Attempt| {
            let fails = match threshold {
                None => true,
                Some(th) => rng.next_u64() < th,
            };
            fails.then_some(cfg.failure_code)
        };
        let run = drive(
            cfg.policy.clone(),
            start,
            &events,
            None,
            &mut outcome,
            &mut |_| {},
        );
        report.total_attempts += u64::from(run.counts.total());
        match run.success {
            Some((at, trigger)) => {
                report.succeeded += 1;
                if run.exhausted {
                    report.rescued_by_reapply += 1;
                }
                times.push(at.since(start));
                let b = &mut report.succeeded_at;
                match trigger {
                    Trigger::Initial => b.first_attempt += 1,
                    Trigger::ImmediateRetry { .. } => b.immediate_retry += 1,
                    Trigger::Delayed { .. } => b.delayed_retry += 1,
                    Trigger::NextSystemStart => b.next_system_start += 1,
                    Trigger::Relaunch => b.relaunch += 1,
                    Trigger::LogonIdle => b.logon_idle += 1,
                }
            }
            None if run.exhausted => report.exhausted += 1,
            None => report.still_waiting += 1,
        }
    }
    report.time_to_success = Percentiles::of(&mut times);
    Ok(report)
}
