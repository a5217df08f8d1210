//! `retry-sched` speed: the fleet simulator (100 000 devices through the real retry state
//! machine, the target being under a second), one device's default timeline, and the
//! HRESULT decoder.
//!
//! `cargo bench -p ppkg-benches --bench retry`; add `-- --quick` for a short run. Each device in
//! the fleet runs Windows' default policy (first attempt, 3 immediate retries, +15 min, +1 h,
//! +4 h, next system start at 24 h) with independent per-attempt failures, seeded.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use retry_sched::hresult::known_codes;
use retry_sched::{
    failing_timeline, simulate_fleet, FleetConfig, HResult, RetryPolicy, Span, DEFAULT_FAILURE_CODE,
};

/// Devices per fleet run.
const DEVICES: u32 = 100_000;

fn fleet(c: &mut Criterion) {
    let mut g = c.benchmark_group("retry/fleet_100k");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(u64::from(DEVICES)));
    for p in [0.05, 0.3, 0.9] {
        let cfg = FleetConfig {
            devices: DEVICES,
            failure_probability: p,
            logon_idle_after: Some(Span::from_hours(30)),
            ..FleetConfig::default()
        };
        let report = simulate_fleet(&cfg).expect("the bench's config is valid");
        let pct = report.time_to_success.map_or_else(
            || "none applied".to_owned(),
            |t| {
                format!(
                    "p50 {} / p90 {} / p99 {} / max {}",
                    t.p50, t.p90, t.p99, t.max
                )
            },
        );
        eprintln!(
            "retry/fleet_100k p={p}: {} applied, {} exhausted, {} rescued by sign-in, mean {:.2} \
             attempts; time to success {pct}",
            report.succeeded,
            report.exhausted,
            report.rescued_by_reapply,
            report.mean_attempts(),
        );
        g.bench_with_input(BenchmarkId::from_parameter(p), &cfg, |b, cfg| {
            b.iter(|| simulate_fleet(black_box(cfg)).expect("the bench's config is valid"));
        });
    }
    g.finish();
}

fn timeline(c: &mut Criterion) {
    let policy = RetryPolicy::windows_default();
    c.bench_function("retry/default_timeline_all_fail", |b| {
        b.iter(|| {
            failing_timeline(
                black_box(&policy),
                u32::MAX,
                DEFAULT_FAILURE_CODE,
                Some(Span::from_hours(24)),
            )
        });
    });
}

fn decode(c: &mut Criterion) {
    let codes: Vec<HResult> = known_codes()
        .iter()
        .map(|k| k.code)
        .chain([HResult(0x8019_01F9), HResult(0x8765_4321)])
        .collect();
    let mut g = c.benchmark_group("retry/decode");
    g.throughput(Throughput::Elements(codes.len() as u64));
    g.bench_function("known_and_unknown_codes", |b| {
        b.iter(|| {
            codes
                .iter()
                .map(|c| black_box(*c).decode().meaning.len())
                .sum::<usize>()
        });
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    fleet(&mut c);
    timeline(&mut c);
    decode(&mut c);
    c.final_summary();
}
