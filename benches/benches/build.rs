//! Build of the example profile (`examples/bulk-enrollment.toml`) into a `.ppkg` in memory, the
//! steps of `ppkg build`: profile → answer file → validation → compile → WIM (XPRESS).
//!
//! `cargo bench -p ppkg-benches --bench build`.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use ppkg_benches::{build_package, example_profile};

fn bench(c: &mut Criterion) {
    let profile = example_profile();
    let mut g = c.benchmark_group("build");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("example_profile", |b| {
        b.iter(|| build_package(black_box(&profile)).expect("example builds"))
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
