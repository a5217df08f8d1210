//! WIM write and read throughput (`ppkg_format::wim`), XPRESS and uncompressed.
//!
//! `cargo bench -p ppkg-benches --bench wim` writes an image of 1 MiB and of 32 MiB (half
//! XML/log-like text, a quarter random bytes, a quarter a repeated payload that deduplicates,
//! in files of 1 KiB to 4 MiB) into memory with [`write_wim`], and reads every file back with
//! [`WimReader`] (SHA-1 checked). Throughput is in bytes of file data.

use std::hint::black_box;
use std::io::{Cursor, Read};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{write_wim, Compression, ImageTree, WimReader, WriteOptions};

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn text(rng: &mut Rng, n: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "characteristic",
        "parm",
        "Enrollments",
        "UPN",
        "AuthPolicy",
        "Secret",
        "WLAN",
    ];
    let mut s = String::with_capacity(n + 128);
    while s.len() < n {
        let w = WORDS[(rng.next() % WORDS.len() as u64) as usize];
        s.push_str(&format!(
            "<{w} name=\"{w}{}\" value=\"{}\" />\r\n",
            rng.next() % 100,
            rng.next() % 10_000
        ));
    }
    s.truncate(n);
    s.into_bytes()
}

/// An image of about `total` bytes of file data.
fn tree(total: usize) -> ImageTree {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut t = ImageTree::new();
    let mut left = total;
    let mut i = 0;
    let repeated: Vec<u8> = text(&mut rng, 64 * 1024);
    while left > 0 {
        let size = [1024, 30_000, 200_000, 1 << 20, 4 << 20][i % 5].min(left);
        let bytes = match i % 4 {
            0 | 1 => text(&mut rng, size),
            2 => (0..size).map(|_| rng.next() as u8).collect(),
            _ => repeated.iter().copied().cycle().take(size).collect(),
        };
        t.add_file(&format!("DataAsset/2/{}/file{i}.bin", i % 7), bytes)
            .expect("valid path");
        left -= size;
        i += 1;
    }
    t
}

fn write(t: &ImageTree, c: Compression) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let opts = WriteOptions::deterministic([1; 16], 0x01DC_0D07_2073_7ED1).with_compression(c);
    write_wim(&mut out, t, &ImageInfo::default(), &opts).expect("write to memory");
    out.into_inner()
}

fn read_all(wim: &[u8]) -> u64 {
    let mut r = WimReader::new(Cursor::new(wim)).expect("our own WIM opens");
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    for e in r.entries().to_vec() {
        if e.is_dir {
            continue;
        }
        let mut f = r.open(&e).expect("file opens");
        loop {
            let k = f.read(&mut buf).expect("file reads");
            if k == 0 {
                break;
            }
            n += k as u64;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    for (label, total) in [("1MiB", 1usize << 20), ("32MiB", 32 << 20)] {
        let t = tree(total);
        let mut g = c.benchmark_group(format!("wim/{label}"));
        g.throughput(Throughput::Bytes(total as u64));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(if total > 1 << 20 { 20 } else { 5 }));
        for (name, comp) in [("xpress", Compression::Xpress), ("none", Compression::None)] {
            g.bench_function(BenchmarkId::new("write", name), |b| {
                b.iter(|| black_box(write(&t, comp)))
            });
            let wim = write(&t, comp);
            eprintln!(
                "wim/{label}/{name}: {total} bytes of data -> {} bytes of WIM",
                wim.len()
            );
            g.bench_function(BenchmarkId::new("read", name), |b| {
                b.iter(|| black_box(read_all(&wim)))
            });
        }
        g.finish();
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
