//! XPRESS codec throughput (`ppkg_format::xpress`), in 32 KiB WIM chunks.
//!
//! `cargo bench -p ppkg-benches --bench xpress` measures encode and decode of 1 MiB of
//! text-like data (generated XML and log lines) and 1 MiB of random bytes.
//!
//! With `XPRESS_CORPUS=<folder>` it first compresses every file below that folder as WIM does
//! (32 KiB chunks, a chunk stored raw when it does not shrink, a 4-byte chunk table entry per
//! chunk after the first, a whole file stored raw when that is not smaller) and prints the
//! stored total and the encode/decode speed, to compare with
//! `wimlib-imagex capture <folder> x.wim --compress=XPRESS` (`wimlib-imagex info x.wim --blobs`
//! lists each blob's compressed size).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ppkg_format::xpress::{self, Compressor, MAX_CHUNK};

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

/// 1 MiB of XML- and log-like text.
fn text_like() -> Vec<u8> {
    const WORDS: &[&str] = &[
        "characteristic",
        "parm",
        "Enrollments",
        "Provisioning",
        "SettingsPath",
        "Workplace",
        "UPN",
        "AuthPolicy",
        "DiscoveryServiceFullURL",
        "OnPremise",
        "Secret",
        "Policies",
        "ComputerName",
        "WLAN",
    ];
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut s = String::new();
    while s.len() < 1 << 20 {
        if rng.next() % 2 == 0 {
            let depth = (rng.next() % 6) as usize;
            s.push_str(&"  ".repeat(depth));
            s.push_str(&format!(
                "<{} name=\"{}\" value=\"{}/{}\" datatype=\"string\" />\r\n",
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.next() % 1000
            ));
        } else {
            s.push_str(&format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}Z [INFO] {}: retry {} after HRESULT 0x{:08X}\n",
                rng.next() % 28 + 1,
                rng.next() % 24,
                rng.next() % 60,
                rng.next() % 60,
                rng.pick(WORDS),
                rng.next() % 9,
                rng.next() as u32
            ));
        }
    }
    let mut v = s.into_bytes();
    v.truncate(1 << 20);
    v
}

fn random() -> Vec<u8> {
    let mut rng = Rng(99);
    (0..1 << 20).map(|_| (rng.next() >> 56) as u8).collect()
}

/// Compressed chunks of `data` (`None` = stored raw).
fn compress_chunks(c: &mut Compressor, data: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    data.chunks(MAX_CHUNK)
        .map(|chunk| {
            let n = c.compress(chunk, &mut buf);
            (n < chunk.len()).then(|| buf.clone())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (name, data) in [("text", text_like()), ("random", random())] {
        let mut g = c.benchmark_group(format!("xpress/{name}"));
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(3));
        let mut comp = Compressor::new();
        let mut buf = Vec::new();
        g.bench_function("encode", |b| {
            b.iter(|| {
                let mut total = 0;
                for chunk in black_box(&data).chunks(MAX_CHUNK) {
                    total += comp.compress(chunk, &mut buf);
                }
                total
            })
        });
        let chunks = compress_chunks(&mut comp, &data);
        let stored: usize = chunks
            .iter()
            .zip(data.chunks(MAX_CHUNK))
            .map(|(c, raw)| c.as_ref().map_or(raw.len(), Vec::len))
            .sum();
        eprintln!(
            "xpress/{name}: {} -> {stored} bytes ({:.4})",
            data.len(),
            stored as f64 / data.len() as f64
        );
        let mut out = vec![0u8; MAX_CHUNK];
        g.bench_function("decode", |b| {
            b.iter(|| {
                for (c, raw) in chunks.iter().zip(data.chunks(MAX_CHUNK)) {
                    match c {
                        Some(c) => xpress::decompress(black_box(c), &mut out[..raw.len()])
                            .expect("our own chunk decodes"),
                        None => out[..raw.len()].copy_from_slice(raw),
                    }
                }
                out[0]
            })
        });
        g.finish();
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// CPU time of this thread (Linux `/proc/thread-self/schedstat`, nanoseconds), when readable:
/// the machine may be shared, so wall time alone says little.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let (c0, t) = (cpu_time(), Instant::now());
    let r = f();
    let wall = t.elapsed();
    let cpu = cpu_time().zip(c0).map(|(b, a)| b.saturating_sub(a));
    (r, wall, cpu)
}

fn speed(bytes: usize, wall: Duration, cpu: Option<Duration>) -> String {
    let mbs = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    match cpu {
        Some(c) => format!(
            "{:.3} s CPU ({:.1} MB/s), {:.3} s wall",
            c.as_secs_f64(),
            mbs(c),
            wall.as_secs_f64()
        ),
        None => format!("{:.3} s wall ({:.1} MB/s)", wall.as_secs_f64(), mbs(wall)),
    }
}

/// WIM-style stored size of a whole folder, with encode and decode timings.
fn corpus(dir: &Path) {
    let mut paths = Vec::new();
    files(dir, &mut paths);
    let data: Vec<Vec<u8>> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|d| !d.is_empty())
        .collect();
    let total: usize = data.iter().map(Vec::len).sum();
    let mut comp = Compressor::new();
    let mut buf = Vec::new();
    let ((stored, all_chunks), enc_wall, enc_cpu) = timed(|| {
        let mut stored = 0usize;
        let mut all_chunks = Vec::new();
        for d in &data {
            let mut file = 4 * (d.len().div_ceil(MAX_CHUNK) - 1);
            for chunk in d.chunks(MAX_CHUNK) {
                let n = comp.compress(chunk, &mut buf);
                if n < chunk.len() {
                    file += n;
                    all_chunks.push((buf.clone(), chunk.len()));
                } else {
                    file += chunk.len();
                }
            }
            stored += file.min(d.len());
        }
        (stored, all_chunks)
    });
    let mut out = vec![0u8; MAX_CHUNK];
    let ((), dec_wall, dec_cpu) = timed(|| {
        for (c, n) in &all_chunks {
            xpress::decompress(c, &mut out[..*n]).expect("our own chunk decodes");
        }
    });
    let dec_bytes: usize = all_chunks.iter().map(|(_, n)| n).sum();
    eprintln!(
        "corpus {}: {} files, {total} bytes -> {stored} stored ({:.4})\n  encode: {}\n  \
         decode of {} compressed chunks ({dec_bytes} bytes): {}",
        dir.display(),
        data.len(),
        stored as f64 / total as f64,
        speed(total, enc_wall, enc_cpu),
        all_chunks.len(),
        speed(dec_bytes, dec_wall, dec_cpu),
    );
}

fn main() {
    if let Some(dir) = std::env::var_os("XPRESS_CORPUS") {
        corpus(Path::new(&dir));
        if std::env::var_os("XPRESS_CORPUS_ONLY").is_some() {
            return;
        }
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
