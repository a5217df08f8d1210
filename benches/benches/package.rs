//! WIM write and read of a 256 MiB payload (the size; `wim.rs` covers 1 and 32 MiB):
//! half compressible text, half random bytes, in 8 MiB files, XPRESS, into memory, then every
//! file read back (SHA-1 checked). Throughput is in bytes of file data.
//!
//! 256 MiB per iteration is slow on a shared 2-core machine, so this bench runs only with
//! `PPKG_BENCH_256=1` (10 samples); without it, it uses 16 MiB.
//!
//! `PPKG_BENCH_256=1 cargo bench -p ppkg-benches --bench package`.

use std::hint::black_box;
use std::io::{Cursor, Read};
use std::time::Duration;

use criterion::{Criterion, Throughput};
use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{write_wim, ImageTree, WimReader, WriteOptions};

/// xorshift64*.
fn rng_fill(seed: &mut u64, out: &mut [u8]) {
    for chunk in out.chunks_mut(8) {
        *seed ^= *seed >> 12;
        *seed ^= *seed << 25;
        *seed ^= *seed >> 27;
        let v = seed.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

fn payload_tree(total: usize) -> ImageTree {
    const FILE: usize = 8 << 20;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut tree = ImageTree::new();
    let line = b"2026-11-29 08:00:00 INFO provisioning: characteristic type=Workplace parm UPN applied\r\n";
    for i in 0..total.div_ceil(FILE) {
        let n = FILE.min(total - i * FILE);
        let mut data = vec![0u8; n];
        if i % 2 == 0 {
            for (j, b) in data.iter_mut().enumerate() {
                *b = line[j % line.len()] ^ u8::from(j % 4099 == 0);
            }
        } else {
            rng_fill(&mut seed, &mut data);
        }
        tree.add_file(&format!("Commands/payload{i:03}.bin"), data)
            .expect("valid name");
    }
    tree
}

fn bench(c: &mut Criterion) {
    let big = std::env::var_os("PPKG_BENCH_256").is_some();
    let total: usize = if big { 256 << 20 } else { 16 << 20 };
    let label = if big { "256MiB" } else { "16MiB" };
    let tree = payload_tree(total);
    let info = ImageInfo {
        name: "bench".into(),
        version: "1.0".into(),
        ..ImageInfo::default()
    };
    let opts = WriteOptions::deterministic([1; 16], 0x01DC_0D07_2073_7ED1);
    let write = |t: &ImageTree| {
        let mut out = Cursor::new(Vec::with_capacity(total + total / 2));
        write_wim(&mut out, t, &info, &opts).expect("write");
        out.into_inner()
    };
    let wim = write(&tree);
    let mut g = c.benchmark_group("package");
    g.throughput(Throughput::Bytes(total as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(if big { 60 } else { 10 }));
    g.bench_function(format!("write_xpress_{label}"), |b| {
        b.iter(|| black_box(write(&tree).len()))
    });
    g.bench_function(format!("read_xpress_{label}"), |b| {
        b.iter(|| {
            let mut r = WimReader::new(Cursor::new(&wim[..])).expect("open");
            let mut n = 0u64;
            let mut buf = vec![0u8; 1 << 16];
            for e in r.entries().to_vec() {
                if e.is_dir {
                    continue;
                }
                let mut s = r.open(&e).expect("open file");
                loop {
                    let k = s.read(&mut buf).expect("read");
                    if k == 0 {
                        break;
                    }
                    n += k as u64;
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
