//! The default timeline and the relaunch and sign-in + idle paths, printed and checked.

use retry_sched::{
    failing_timeline, simulate_device, Action, DeviceEvent, Engine, EntryKind, Error, HResult,
    Phase, RetryPolicy, RunContext, Scenario, Span, TimelineEnd, Timestamp, Trigger,
};

const CONNECTIVITY: HResult = HResult(0x8018_0010);

fn mins(m: u64) -> Span {
    Span::from_mins(m)
}

/// Drains the engine's actions, expecting exactly one attempt, and returns it.
fn one_attempt(e: &mut Engine) -> retry_sched::Attempt {
    let mut attempts = Vec::new();
    while let Some(a) = e.poll_action() {
        if let Action::Attempt(a) = a {
            attempts.push(a);
        }
    }
    assert_eq!(attempts.len(), 1, "expected one attempt, got {attempts:?}");
    attempts[0]
}

#[test]
fn default_timeline_printed_and_checked() {
    let boot_after = Span::from_hours(24);
    let t = failing_timeline(
        &RetryPolicy::windows_default(),
        u32::MAX,
        CONNECTIVITY,
        Some(boot_after),
    );
    println!("{t}");
    let t0 = t.start;
    let got: Vec<(Timestamp, Trigger, RunContext)> = t
        .entries
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Attempt {
                trigger, context, ..
            } => Some((e.at, trigger, context)),
            _ => None,
        })
        .collect();
    let after_15 = t0 + mins(15);
    let after_1h = after_15 + Span::from_hours(1);
    let after_4h = after_1h + Span::from_hours(4);
    let want = vec![
        (t0, Trigger::Initial, RunContext::Launcher),
        (t0, Trigger::ImmediateRetry { n: 1 }, RunContext::Launcher),
        (t0, Trigger::ImmediateRetry { n: 2 }, RunContext::Launcher),
        (t0, Trigger::ImmediateRetry { n: 3 }, RunContext::Launcher),
        (
            after_15,
            Trigger::Delayed {
                step: 1,
                delay: mins(15),
            },
            RunContext::System,
        ),
        (
            after_1h,
            Trigger::Delayed {
                step: 2,
                delay: Span::from_hours(1),
            },
            RunContext::System,
        ),
        (
            after_4h,
            Trigger::Delayed {
                step: 3,
                delay: Span::from_hours(4),
            },
            RunContext::System,
        ),
        (
            t0 + boot_after,
            Trigger::NextSystemStart,
            RunContext::System,
        ),
    ];
    assert_eq!(got, want);
    assert_eq!(after_4h, t0 + Span::from_mins(315), "t+5 h 15 min");
    assert_eq!(t.end, TimelineEnd::WaitingForReapply);
    let text = t.to_string();
    for needle in [
        "3 immediate retries; delayed: +15 min, +1 h, +4 h, next system start",
        "+15 min",
        "+1 h 15 min",
        "+5 h 15 min",
        "+1 d",
        "delayed retry 4 of 4 (next start)",
        "SYSTEM",
        "every scheduled retry failed",
        "0x80180010 MENROLL_E_CONNECTIVITY (transient)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn default_schedule_through_the_bare_engine() {
    let t0 = Timestamp::from_millis(1_000);
    let mut e = Engine::new(RetryPolicy::default(), t0);
    for n in 0..4 {
        let a = one_attempt(&mut e);
        assert_eq!(a.at, t0);
        assert_eq!(a.number, n + 1);
        assert_eq!(e.poll_timeout(), None);
        e.attempt_failed(t0, CONNECTIVITY).unwrap();
    }
    let mut last = t0;
    for (step, delay) in [mins(15), Span::from_hours(1), Span::from_hours(4)]
        .into_iter()
        .enumerate()
    {
        let due = last + delay;
        // The engine announces the step, then waits for its deadline.
        assert_eq!(
            e.poll_action(),
            Some(Action::DelayedRetryScheduled {
                step: step as u32 + 1,
                due
            })
        );
        assert_eq!(e.poll_timeout(), Some(due));
        assert_eq!(
            e.phase(),
            Phase::WaitingForDelay {
                step: step as u32 + 1,
                due
            }
        );
        // Too early: nothing happens.
        e.handle_timeout(due - Span::from_millis(1));
        assert!(e.poll_action().is_none());
        e.handle_timeout(due);
        let a = one_attempt(&mut e);
        assert_eq!(a.at, due);
        e.attempt_failed(due, CONNECTIVITY).unwrap();
        last = due;
    }
    assert_eq!(
        e.poll_action(),
        Some(Action::WaitingForNextStart { since: last })
    );
    assert_eq!(e.phase(), Phase::WaitingForNextStart);
    assert_eq!(e.poll_timeout(), None);
    let boot = last + Span::from_hours(3);
    e.system_started(boot).unwrap();
    let a = one_attempt(&mut e);
    assert_eq!(
        (a.trigger, a.at, a.number),
        (Trigger::NextSystemStart, boot, 8)
    );
    e.attempt_failed(boot, CONNECTIVITY).unwrap();
    assert!(matches!(e.poll_action(), Some(Action::Exhausted { .. })));
    assert_eq!(e.phase(), Phase::Exhausted);
    assert!(!e.is_terminal());
    assert_eq!(e.attempts().scheduled, 8);
}

#[test]
fn relaunch_path_reapplies_without_moving_the_schedule() {
    let t0 = Timestamp::ZERO;
    let scenario = Scenario::new(t0)
        .event(t0 + mins(30), DeviceEvent::Relaunch)
        .event(t0 + mins(40), DeviceEvent::Relaunch);
    let mut n = 0;
    // Everything fails until the second relaunch, which applies.
    let t = simulate_device(&RetryPolicy::default(), &scenario, |a| {
        n += 1;
        (a.at < t0 + mins(40)).then_some(CONNECTIVITY)
    });
    println!("{t}");
    let attempts: Vec<_> = t.attempts().map(|(at, trig, _)| (at, trig)).collect();
    assert_eq!(attempts.len(), 7);
    assert_eq!(attempts[4].0, t0 + mins(15));
    assert_eq!(attempts[5], (t0 + mins(30), Trigger::Relaunch));
    assert_eq!(attempts[6], (t0 + mins(40), Trigger::Relaunch));
    assert_eq!(
        t.end,
        TimelineEnd::Succeeded {
            at: t0 + mins(40),
            attempts: 7
        }
    );
    assert_eq!(n, 7);
    assert!(t.to_string().contains("re-apply: engine relaunched"));

    // A failed relaunch leaves the next timed retry where it was (15 min + 1 h).
    let mut e = Engine::new(RetryPolicy::default(), t0);
    for _ in 0..4 {
        one_attempt(&mut e);
        e.attempt_failed(t0, CONNECTIVITY).unwrap();
    }
    e.handle_timeout(t0 + mins(15));
    one_attempt(&mut e);
    e.attempt_failed(t0 + mins(15), CONNECTIVITY).unwrap();
    let due = t0 + mins(75);
    assert_eq!(e.poll_timeout(), Some(due));
    e.relaunched(t0 + mins(30)).unwrap();
    let a = one_attempt(&mut e);
    assert_eq!(
        (a.trigger, a.context),
        (Trigger::Relaunch, RunContext::Launcher)
    );
    assert_eq!(e.phase(), Phase::Applying);
    e.attempt_failed(t0 + mins(31), CONNECTIVITY).unwrap();
    assert_eq!(e.poll_timeout(), Some(due));
    assert_eq!(e.attempts().reapply, 1);
}

#[test]
fn logon_idle_path_waits_for_a_signin_then_idle() {
    // Field case B30's timeline: boot at t0, nobody signed in, every attempt fails with
    // ERROR_NO_SUCH_USER; a user signs in at 5 h and the system is idle at 5 h 10 min; the
    // next boot is a day later.
    let t0 = Timestamp::ZERO;
    let logon = t0 + Span::from_hours(5);
    let idle = logon + mins(10);
    let boot = t0 + Span::from_hours(24);
    let no_user = HResult(0x8007_0525);
    let scenario = Scenario::new(t0)
        .event(t0 + mins(20), DeviceEvent::Idle) // idle without a sign-in: nothing
        .event(logon, DeviceEvent::Logon)
        .event(idle, DeviceEvent::Idle)
        .event(idle + mins(1), DeviceEvent::Idle) // a second idle: still one re-apply
        .event(boot, DeviceEvent::SystemStart);
    let t = simulate_device(&RetryPolicy::default(), &scenario, |_| Some(no_user));
    println!("{t}");
    let logon_idle: Vec<_> = t
        .attempts()
        .filter(|(_, trig, _)| *trig == Trigger::LogonIdle)
        .collect();
    assert_eq!(logon_idle.len(), 1, "exactly one sign-in + idle re-apply");
    assert_eq!(logon_idle[0].0, idle);
    assert!(t
        .attempts()
        .all(|(at, trig, _)| trig != Trigger::LogonIdle || at >= idle));
    let boots: Vec<_> = t
        .attempts()
        .filter(|(_, trig, _)| *trig == Trigger::NextSystemStart)
        .collect();
    assert_eq!(boots.len(), 1);
    assert_eq!(boots[0].0, boot);
    // Before the sign-in only scheduled retries ran.
    assert!(t
        .attempts()
        .filter(|(at, _, _)| *at < logon)
        .all(|(_, trig, _)| trig.is_scheduled()));
    assert_eq!(t.attempts().count(), 9);
    let text = t.to_string();
    assert!(text.contains("re-apply: sign-in + idle"), "{text}");
    assert!(text.contains("waits for logon"), "{text}");

    // The same device applies about 30 s after the sign-in once the re-apply runs as SYSTEM.
    let t = simulate_device(&RetryPolicy::default(), &scenario, |a| {
        (a.trigger != Trigger::LogonIdle).then_some(no_user)
    });
    assert_eq!(
        t.end,
        TimelineEnd::Succeeded {
            at: idle,
            attempts: 7
        }
    );
}

#[test]
fn a_boot_signs_users_out() {
    let t0 = Timestamp::ZERO;
    let mut e = Engine::new(RetryPolicy::default(), t0);
    one_attempt(&mut e);
    e.attempt_failed(t0, CONNECTIVITY).unwrap();
    for _ in 0..3 {
        one_attempt(&mut e);
        e.attempt_failed(t0, CONNECTIVITY).unwrap();
    }
    assert!(matches!(
        e.poll_action(),
        Some(Action::DelayedRetryScheduled { step: 1, .. })
    ));
    e.user_logged_on(t0 + mins(1)).unwrap();
    e.system_started(t0 + mins(2)).unwrap(); // timed retries pending: no boot attempt
    assert!(e.poll_action().is_none());
    e.system_idle(t0 + mins(3)).unwrap(); // the sign-in was before the boot
    assert!(e.poll_action().is_none());
    assert_eq!(e.poll_timeout(), Some(t0 + mins(15)));
}

#[test]
fn refused_events_change_nothing() {
    let t0 = Timestamp::from_millis(10_000);
    let mut e = Engine::new(RetryPolicy::default(), t0);
    // The first attempt is outstanding: outside events are refused.
    let err = e.relaunched(t0).unwrap_err();
    assert_eq!(err, Error::AttemptOutstanding { at: t0, attempt: 1 });
    assert!(err.to_string().contains("attempt 1 is outstanding"));
    let a = one_attempt(&mut e);
    // Time going backwards is refused.
    let early = t0 - Span::from_millis(1);
    let err = e.attempt_failed(early, CONNECTIVITY).unwrap_err();
    assert!(matches!(err, Error::TimeWentBackwards { .. }), "{err}");
    assert_eq!(e.outstanding(), Some(a));
    e.attempt_succeeded(t0).unwrap();
    // No attempt outstanding any more.
    let err = e.attempt_failed(t0, CONNECTIVITY).unwrap_err();
    assert_eq!(err, Error::NoAttemptOutstanding { at: t0 });
    assert!(e.is_terminal());
    assert_eq!(e.phase(), Phase::Succeeded);
}

#[test]
fn custom_policy_without_reapply_gives_up() {
    let p = RetryPolicy::builder()
        .immediate_retries(0)
        .delays([mins(1)])
        .retry_at_next_start(false)
        .reapply_on_relaunch(false)
        .reapply_after_logon_idle(false)
        .build()
        .unwrap();
    let t = failing_timeline(&p, u32::MAX, CONNECTIVITY, None);
    println!("{t}");
    assert_eq!(t.attempts().count(), 2);
    assert_eq!(
        t.end,
        TimelineEnd::GaveUp {
            at: Timestamp::ZERO + mins(1)
        }
    );
    assert!(t.to_string().contains("gave up"));
}

#[test]
fn stop_on_likely_permanent_ends_at_the_first_such_failure() {
    let p = RetryPolicy::builder()
        .stop_on_likely_permanent(true)
        .build()
        .unwrap();
    let blocked = HResult(0x8018_0014);
    let t = failing_timeline(&p, u32::MAX, blocked, None);
    assert_eq!(t.attempts().count(), 1);
    assert!(matches!(t.end, TimelineEnd::GaveUp { .. }));
    // A transient code still runs the whole schedule.
    let t = failing_timeline(&p, u32::MAX, CONNECTIVITY, Some(Span::from_hours(24)));
    assert_eq!(t.attempts().count(), 8);
}

/// What `ppkg schedule` prints with no boot time: the schedule up to the boot attempt, then a
/// wait for the next system start; `--fail N` below the schedule ends in success.
#[test]
fn cli_timeline_without_a_boot() {
    let p = RetryPolicy::windows_default();
    let t = failing_timeline(&p, u32::MAX, CONNECTIVITY, None);
    assert_eq!(t.attempts().count(), 7);
    assert_eq!(t.end, TimelineEnd::WaitingForNextStart);
    assert!(t
        .to_string()
        .ends_with("end: waiting for the next system start\n"));
    for fail in 0..7u32 {
        let t = failing_timeline(&p, fail, CONNECTIVITY, None);
        assert!(
            matches!(t.end, TimelineEnd::Succeeded { attempts, .. } if attempts == fail + 1),
            "--fail {fail}: {:?}",
            t.end
        );
    }
}
