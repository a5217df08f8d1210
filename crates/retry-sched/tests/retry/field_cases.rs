//! The field cases of `shared/cases/field-cases.md` that concern retries, by their test names.

use retry_sched::{
    failing_timeline, simulate_device, Action, Category, DeviceEvent, Engine, EntryKind, HResult,
    RetryClass, RetryPolicy, Scenario, Span, TimelineEnd, Timestamp, Trigger,
};

/// B28: 0x80180014 every time. The schedule runs in full (1 + 3 immediate, then +15 min, +1 h,
/// +4 h, next boot: 8 attempts), ends "failed after retries" with the diagnosis
/// LikelyPermanent(PolicyBlocked) and a hint that retrying will not help; nothing is invented.
#[test]
fn retry_model_policy_failure() {
    let blocked = HResult(0x8018_0014);
    let t = failing_timeline(
        &RetryPolicy::windows_default(),
        u32::MAX,
        blocked,
        Some(Span::from_hours(24)),
    );
    println!("{t}");
    assert_eq!(t.attempts().count(), 8);
    let exhausted: Vec<_> = t
        .entries
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Exhausted { diagnosis } => Some(diagnosis),
            _ => None,
        })
        .collect();
    assert_eq!(exhausted.len(), 1);
    let d = exhausted[0];
    assert_eq!(d.last_failure, Some(blocked));
    assert_eq!(d.class, RetryClass::LikelyPermanent);
    assert_eq!(d.category, Category::PolicyBlocked);
    assert!(d.hint.contains("retrying will not help"), "{}", d.hint);
    assert_eq!(t.end, TimelineEnd::WaitingForReapply);
    // No attempt after the schedule without an outside trigger.
    let last = t.entries.last().unwrap();
    assert!(matches!(last.kind, EntryKind::Exhausted { .. }));
    assert!(t.to_string().contains("MENROLL_E_DEVICENOTSUPPORTED"));
}

/// B30: boot at t0, no user, failures; sign-in at t0+5 h, idle at t0+5 h 10 min. Before the
/// sign-in only the scheduled retries; exactly one LogonIdle re-apply after the idle point; the
/// NextSystemStart attempt fires once at the next boot; the event list is deterministic.
#[test]
fn retry_model_login_idle_trigger() {
    let t0 = Timestamp::ZERO;
    let scenario = Scenario::new(t0)
        .event(t0, DeviceEvent::SystemStart)
        .event(t0 + Span::from_hours(5), DeviceEvent::Logon)
        .event(
            t0 + Span::from_hours(5) + Span::from_mins(10),
            DeviceEvent::Idle,
        )
        .event(t0 + Span::from_hours(30), DeviceEvent::SystemStart);
    let run = || {
        simulate_device(&RetryPolicy::default(), &scenario, |_| {
            Some(HResult(0x8007_0525))
        })
    };
    let t = run();
    assert_eq!(t, run(), "deterministic");
    let triggers: Vec<_> = t.attempts().map(|(at, trig, _)| (at, trig)).collect();
    let h = Span::from_hours;
    let m = Span::from_mins;
    let expected = vec![
        (t0, Trigger::Initial),
        (t0, Trigger::ImmediateRetry { n: 1 }),
        (t0, Trigger::ImmediateRetry { n: 2 }),
        (t0, Trigger::ImmediateRetry { n: 3 }),
        (
            t0 + m(15),
            Trigger::Delayed {
                step: 1,
                delay: m(15),
            },
        ),
        (
            t0 + m(75),
            Trigger::Delayed {
                step: 2,
                delay: h(1),
            },
        ),
        (t0 + h(5) + m(10), Trigger::LogonIdle),
        (
            t0 + m(315),
            Trigger::Delayed {
                step: 3,
                delay: h(4),
            },
        ),
        (t0 + h(30), Trigger::NextSystemStart),
    ];
    assert_eq!(triggers, expected);
    // The boot at t0 (the one the package was applied in) triggers nothing.
    assert_eq!(
        t.attempts()
            .filter(|(_, trig, _)| *trig == Trigger::NextSystemStart)
            .count(),
        1
    );
}

/// B35: 0x800700B7 on attempts 1 and 2, success on attempt 3: success on the second immediate
/// retry, and no delayed task is scheduled.
#[test]
fn retry_model_transient_then_success() {
    let t0 = Timestamp::ZERO;
    let mut e = Engine::new(RetryPolicy::default(), t0);
    let mut outcomes = [Some(HResult(0x8007_00B7)), Some(HResult(0x8007_00B7)), None].into_iter();
    let mut seen = Vec::new();
    while let Some(action) = e.poll_action() {
        match action {
            Action::Attempt(a) => {
                seen.push(a.trigger);
                match outcomes.next().unwrap() {
                    Some(code) => e.attempt_failed(a.at, code).unwrap(),
                    None => e.attempt_succeeded(a.at).unwrap(),
                }
                assert_eq!(e.poll_timeout(), None, "no delayed task");
            }
            Action::Succeeded { attempts, .. } => assert_eq!(attempts, 3),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            Trigger::Initial,
            Trigger::ImmediateRetry { n: 1 },
            Trigger::ImmediateRetry { n: 2 }
        ]
    );
    assert!(e.is_terminal());
    // Terminal: later events do nothing.
    e.relaunched(t0 + Span::from_hours(1)).unwrap();
    e.system_started(t0 + Span::from_hours(2)).unwrap();
    e.handle_timeout(t0 + Span::from_hours(3));
    assert!(e.poll_action().is_none());
    assert_eq!(HResult(0x8007_00B7).class(), RetryClass::Transient);
}
