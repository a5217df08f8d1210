//! The fleet simulator: determinism, the edge probabilities, and agreement with the binomial
//! arithmetic of independent failures. (Its speed is measured by the criterion bench
//! `benches/benches/retry.rs`, not here.)

use retry_sched::{simulate_fleet, Error, FleetConfig, HResult, RetryPolicy, Span};

fn cfg(devices: u32, p: f64) -> FleetConfig {
    FleetConfig {
        devices,
        failure_probability: p,
        ..FleetConfig::default()
    }
}

#[test]
fn same_seed_same_report_other_seed_other_report() {
    let a = simulate_fleet(&cfg(5_000, 0.4)).unwrap();
    let b = simulate_fleet(&cfg(5_000, 0.4)).unwrap();
    assert_eq!(a, b);
    let c = simulate_fleet(&FleetConfig {
        seed: 2,
        ..cfg(5_000, 0.4)
    })
    .unwrap();
    assert_ne!(a.succeeded_at, c.succeeded_at);
}

#[test]
fn never_failing_and_always_failing() {
    let r = simulate_fleet(&cfg(1_000, 0.0)).unwrap();
    assert_eq!(r.succeeded, 1_000);
    assert_eq!(r.succeeded_at.first_attempt, 1_000);
    assert_eq!(r.total_attempts, 1_000);
    let pct = r.time_to_success.unwrap();
    assert_eq!(pct.max, Span::ZERO);

    let r = simulate_fleet(&cfg(1_000, 1.0)).unwrap();
    assert_eq!((r.succeeded, r.exhausted), (0, 1_000));
    assert_eq!(
        r.total_attempts, 8_000,
        "8 scheduled attempts each, none invented"
    );
    assert!(r.time_to_success.is_none());
    assert!((r.mean_attempts() - 8.0).abs() < 1e-12);
}

#[test]
fn matches_independent_failure_arithmetic() {
    // With failure probability p, a device needs attempt k with probability p^(k-1); the share
    // that fails all 8 scheduled attempts is p^8.
    let p: f64 = 0.5;
    let n = 40_000u32;
    let r = simulate_fleet(&cfg(n, p)).unwrap();
    println!("{r:#?}");
    let expect = |share: f64| share * f64::from(n);
    let within = |got: u32, share: f64| {
        let mean = expect(share);
        let sd = (f64::from(n) * share * (1.0 - share)).sqrt();
        (f64::from(got) - mean).abs() <= 5.0 * sd + 1.0
    };
    let b = r.succeeded_at;
    assert!(within(b.first_attempt, 1.0 - p), "{b:?}");
    // Immediate retries: attempts 2-4.
    assert!(within(b.immediate_retry, p - p.powi(4)), "{b:?}");
    assert!(within(b.delayed_retry, p.powi(4) - p.powi(7)), "{b:?}");
    assert!(within(b.next_system_start, p.powi(7) - p.powi(8)), "{b:?}");
    assert!(within(r.exhausted, p.powi(8)), "{}", r.exhausted);
    assert_eq!(r.succeeded + r.exhausted + r.still_waiting, n);
    let pct = r.time_to_success.unwrap();
    // Over half apply at once; the slowest apply at the next start (24 h).
    assert_eq!(pct.p50, Span::ZERO);
    assert_eq!(pct.max, Span::from_hours(24));
    assert!(pct.p99 >= Span::from_mins(15));
}

#[test]
fn signin_rescues_and_early_boots_wait() {
    // Sign-in + idle at 30 h, after the boot attempt at 24 h: devices that used up the schedule
    // get one more try.
    let r = simulate_fleet(&FleetConfig {
        logon_idle_after: Some(Span::from_hours(30)),
        ..cfg(20_000, 0.5)
    })
    .unwrap();
    assert!(r.rescued_by_reapply > 0);
    assert_eq!(r.succeeded_at.logon_idle, r.rescued_by_reapply);
    // A boot before the timed retries are done (at 1 h) is not the boot attempt: devices still
    // failing then wait for the next one.
    let r = simulate_fleet(&FleetConfig {
        next_start_after: Span::from_hours(1),
        ..cfg(20_000, 0.5)
    })
    .unwrap();
    assert_eq!(r.exhausted, 0);
    assert!(r.still_waiting > 0);
    assert_eq!(r.succeeded_at.next_system_start, 0);
    // Jitter spreads the boot attempt's time.
    let r = simulate_fleet(&FleetConfig {
        next_start_jitter: Span::from_hours(12),
        ..cfg(20_000, 0.5)
    })
    .unwrap();
    let max = r.time_to_success.unwrap().max;
    assert!(
        max > Span::from_hours(24) && max <= Span::from_hours(36),
        "{max}"
    );
}

#[test]
fn bad_configs_name_the_field() {
    for p in [-0.1, 1.5, f64::NAN] {
        let e = simulate_fleet(&cfg(10, p)).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidPolicy { field, .. } if field == "failure_probability"),
            "{e}"
        );
    }
    let e = simulate_fleet(&cfg(10_000_001, 0.1)).unwrap_err();
    assert!(e.to_string().contains("devices"), "{e}");
}

#[test]
fn custom_policy_and_code() {
    let policy = RetryPolicy::builder()
        .immediate_retries(0)
        .delays([Span::from_mins(5)])
        .retry_at_next_start(false)
        .build()
        .unwrap();
    let r = simulate_fleet(&FleetConfig {
        policy,
        failure_code: HResult(0x8018_0014),
        ..cfg(1_000, 1.0)
    })
    .unwrap();
    assert_eq!(r.total_attempts, 2_000);
    assert_eq!(r.exhausted, 1_000);
}
