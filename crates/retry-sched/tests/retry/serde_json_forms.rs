//! JSON forms (feature `serde`): what `ppkg schedule --json` and a console read.

use retry_sched::{
    failing_timeline, simulate_fleet, FleetConfig, FleetReport, HResult, PollSchedule, RetryPolicy,
    Span, DEFAULT_FAILURE_CODE,
};
use serde_json::json;

#[test]
fn hresult_is_a_hex_string() {
    let v = serde_json::to_value(HResult(0x8018_0014)).unwrap();
    assert_eq!(v, json!("0x80180014"));
    let back: HResult = serde_json::from_value(v).unwrap();
    assert_eq!(back, HResult(0x8018_0014));
    let from_num: HResult = serde_json::from_value(json!(2_149_056_532u64)).unwrap();
    assert_eq!(from_num, HResult(0x8018_0014));
    let from_neg: HResult = serde_json::from_value(json!(-2_145_910_764i64)).unwrap();
    assert_eq!(from_neg, HResult(0x8018_0014));
    assert!(serde_json::from_value::<HResult>(json!("nope")).is_err());
    assert!(serde_json::from_value::<HResult>(json!(1u64 << 40)).is_err());
}

#[test]
fn timeline_json() {
    let t = failing_timeline(
        &RetryPolicy::default(),
        5,
        DEFAULT_FAILURE_CODE,
        Some(Span::from_hours(24)),
    );
    let v = serde_json::to_value(&t).unwrap();
    println!("{}", serde_json::to_string_pretty(&v).unwrap());
    assert_eq!(v["start"], json!(0));
    assert_eq!(
        v["end"],
        json!({"state": "succeeded", "at": 4_500_000, "attempts": 6})
    );
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(
        entries[0],
        json!({
            "at": 0, "kind": "attempt", "number": 1,
            "trigger": {"kind": "initial"}, "context": "Launcher",
            "result": {"result": "failed", "code": "0x80180010", "class": "Transient"}
        })
    );
    assert_eq!(
        entries[4]["trigger"],
        json!({"kind": "delayed", "step": 1, "delay": 900_000})
    );
    assert_eq!(entries[5]["result"], json!({"result": "succeeded"}));
    assert_eq!(v["policy"]["immediate_retries"], json!(3));
}

#[test]
fn policy_round_trip_and_checks() {
    let p = RetryPolicy::builder()
        .immediate_retries(2)
        .delays([Span::from_mins(5), Span::from_mins(30)])
        .build()
        .unwrap();
    let s = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<RetryPolicy>(&s).unwrap(), p);
    // Missing fields take Windows' defaults.
    let partial: RetryPolicy = serde_json::from_value(json!({"immediate_retries": 1})).unwrap();
    assert_eq!(partial.immediate_retries(), 1);
    assert_eq!(partial.delays(), RetryPolicy::default().delays());
    // The builder's checks run on deserialize.
    let e = serde_json::from_value::<RetryPolicy>(json!({"delays": [0]})).unwrap_err();
    assert!(e.to_string().contains("delays[0]"), "{e}");
    let e = serde_json::from_value::<RetryPolicy>(json!({"retries": 1})).unwrap_err();
    assert!(e.to_string().contains("unknown field"), "{e}");
}

#[test]
fn poll_schedule_uses_the_ddf_names() {
    let p: PollSchedule =
        serde_json::from_value(json!({"NumberOfFirstRetries": 5, "PollOnLogin": true})).unwrap();
    assert_eq!(p.number_of_first_retries, 5);
    assert_eq!(p.interval_for_first_set_of_retries, 15);
    assert!(p.poll_on_login);
    let v = serde_json::to_value(PollSchedule::default()).unwrap();
    assert_eq!(v["IntervalForFirstSetOfRetries"], json!(15));
    assert_eq!(v["AllUsersPollOnFirstLogin"], json!(false));
}

#[test]
fn fleet_report_round_trip() {
    let r = simulate_fleet(&FleetConfig {
        devices: 2_000,
        ..FleetConfig::default()
    })
    .unwrap();
    let s = serde_json::to_string(&r).unwrap();
    let back: FleetReport = serde_json::from_str(&s).unwrap();
    assert_eq!(back, r);
    let cfg: FleetConfig = serde_json::from_value(json!({"devices": 10, "seed": 9})).unwrap();
    assert_eq!((cfg.devices, cfg.seed), (10, 9));
    assert_eq!(
        cfg.failure_probability,
        FleetConfig::default().failure_probability
    );
}
