//! The XPRESS encoder on a folder of files (issue #15 item 3: a mixed-binaries corpus of
//! executables, shared libraries, archives and text), one thread, 32 KiB chunks as a WIM
//! stores them:
//! `cargo run --release -p ppkg-benches --example xpress_corpus -- DIR [ROUNDS]`.
//! Prints the encoder's CPU time (the process's user + system time around the compress calls;
//! files are read into memory first) and the stored size (a chunk that does not shrink is
//! stored raw, as the writer does, chunk tables not counted). Compare with
//! `wimlib-imagex capture DIR x.wim --compress=XPRESS --chunk-size=32768 --threads=1`
//! (see `benches/compare-wimlib.sh`, which prints both).

use ppkg_format::xpress::Compressor;

use ppkg_benches::cpu_seconds;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: xpress_corpus DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("read DIR")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let files: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).expect("read file"))
        .collect();
    let total: usize = files.iter().map(Vec::len).sum();
    let mut c = Compressor::new();
    let mut out = Vec::new();
    let mut best = f64::MAX;
    let mut stored = 0usize;
    for _ in 0..rounds {
        let t0 = cpu_seconds();
        let w0 = std::time::Instant::now();
        stored = 0;
        for f in &files {
            for chunk in f.chunks(32 * 1024) {
                let n = c.compress(chunk, &mut out);
                stored += n.min(chunk.len());
            }
        }
        let cpu = cpu_seconds() - t0;
        let wall = w0.elapsed().as_secs_f64();
        best = best.min(cpu);
        eprintln!("round: cpu {cpu:.3} s, wall {wall:.3} s");
    }
    println!(
        "{} files, {total} bytes: stored {stored} bytes ({:.4} of input), encoder CPU {best:.3} s ({:.1} MiB/s), best of {rounds}",
        files.len(),
        stored as f64 / total as f64,
        total as f64 / best / 1048576.0
    );
}
