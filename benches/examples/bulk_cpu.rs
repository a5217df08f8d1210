//! Packages per CPU-second of `ppkg::Bulk` on the example profile (per-device computer name and
//! Secret), measured with the process's CPU time so that a busy machine does not skew it:
//! `cargo run --release -p ppkg-benches --example bulk_cpu -- [DEVICES]`.

/// The allocator of the `ppkg` binary (crates/ppkg-cli/src/main.rs), so the numbers are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ppkg_benches::cpu_seconds;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let bulk = ppkg_benches::example_bulk();
    let devices = ppkg_benches::example_devices(0, n);
    let _ = bulk.build_all(&devices[..n.min(200)]);
    let (c0, t0) = (cpu_seconds(), std::time::Instant::now());
    let out = bulk.build_all(&devices);
    let (cpu, wall) = (cpu_seconds() - c0, t0.elapsed().as_secs_f64());
    let ok = out.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, n, "every device builds");
    println!(
        "{n} packages: {:.0} per CPU-second, {:.0}/s wall ({cpu:.2} s CPU, {wall:.2} s wall)",
        n as f64 / cpu,
        n as f64 / wall
    );
}
