//! Bulk build: one package per device, as `ppkg bulk` does for each CSV row (own package ID,
//! computer name and UPN), reported in packages per second.
//!
//! The issue asks for 10,000 packages; each criterion iteration builds a batch of 100 distinct
//! packages (`Throughput::Elements(100)`), so the reported elements/s is the packages/s rate
//! and 10,000 packages take 10,000 / rate seconds. `PPKG_BULK_FULL=1` also times one full run
//! of 10,000 and prints it.
//!
//! `cargo bench -p ppkg-benches --bench bulk`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ppkg_benches::{build_package, device_profile, example_profile};

const BATCH: u64 = 100;

fn bench(c: &mut Criterion) {
    let base = example_profile();
    let mut g = c.benchmark_group("bulk");
    g.throughput(Throughput::Elements(BATCH));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    let mut next = 0u64;
    g.bench_function("packages_x100", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for _ in 0..BATCH {
                next += 1;
                bytes += build_package(&device_profile(&base, next))
                    .expect("device package builds")
                    .len();
            }
            black_box(bytes)
        })
    });
    g.finish();
    if std::env::var_os("PPKG_BULK_FULL").is_some() {
        let started = Instant::now();
        for i in 0..10_000 {
            black_box(build_package(&device_profile(&base, i)).expect("device package builds"));
        }
        let s = started.elapsed().as_secs_f64();
        println!("bulk/10000: {s:.2} s, {:.0} packages/s", 10_000.0 / s);
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
