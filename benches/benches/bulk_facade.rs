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
use ppkg::{Bulk, Device, Package};

/// The allocator of the `ppkg` binary (crates/ppkg-cli/src/main.rs), so the numbers are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 1000;

fn devices(offset: usize) -> Vec<Device> {
    (0..BATCH)
        .map(|i| {
            let n = offset + i;
            Device::new(format!("devices.csv:{}", n + 2))
                .name(format!("dev{n:06}"))
                .set(
                    "Accounts/ComputerAccount/ComputerName",
                    format!("PC-{n:06}"),
                )
                .set(
                    "Workplace/Enrollments/UPN[enroll@example.com]/Secret",
                    format!("Secret-{n:06}"),
                )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let template = Package::from_path(ppkg_benches::example_profile_path())
        .expect("example loads")
        .write_options(ppkg::WriteOptions::deterministic(
            [0x42; 16],
            0x01DC_0D07_2073_7ED1,
        ));
    let bulk = Bulk::new(template).expect("bulk");
    let batch = devices(0);
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
