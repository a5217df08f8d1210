//! Per-device bulk through the facade (`ppkg::Bulk`, what `ppkg bulk` runs): the example
//! profile with a per-device computer name and enrollment Secret, 1,000 devices per iteration
//! on rayon's pool (every core), reported in packages per second (`Throughput::Elements`).
//!
//! Target (issue #13): ≥ 10,000 packages/s on 2 cores.
//!
//! `cargo bench -p ppkg-benches --bench bulk_facade`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};

/// The allocator of the `ppkg` binary (crates/ppkg-cli/src/main.rs), so the numbers are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 1000;

fn bench(c: &mut Criterion) {
    let bulk = ppkg_benches::example_bulk();
    let batch = ppkg_benches::example_devices(0, BATCH);
    let mut g = c.benchmark_group("bulk_facade");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("name_and_secret_x1000", |b| {
        b.iter(|| {
            let out = bulk.build_all(&batch);
            black_box(out.iter().filter(|r| r.is_ok()).count())
        })
    });
    g.finish();
    let ok = bulk.build_all(&batch).iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, BATCH, "every device builds");
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
