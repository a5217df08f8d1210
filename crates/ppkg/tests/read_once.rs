//! Issue #15: `ppkg build` reads each payload byte once. The WIM writer hashes SHA-1 (blob
//! name) and SHA-256 (DataAsset key) from the read that compresses a payload, and the compiler
//! takes the SHA-256 from there. Measured with the process's `rchar` (bytes returned by
//! `read` calls, `/proc/self/io`): the only test in this binary, so no other test's reads count.

mod common;

#[cfg(target_os = "linux")]
fn rchar() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").expect("/proc/self/io");
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("rchar line")
}

#[cfg(target_os = "linux")]
#[test]
fn build_reads_each_payload_byte_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (xml, payload) = common::payload_package(dir.path(), 300);
    let pkg = ppkg::Package::from_answer_file(&xml)
        .expect("answer file parses")
        .assets_folder(dir.path())
        .write_options(ppkg::WriteOptions::deterministic(
            [7; 16],
            133_000_000_000_000_000,
        ));
    // Warm up everything that reads files once per process (none expected, but be fair).
    let _ = pkg.validate();
    let before = rchar();
    let mut out = std::io::Cursor::new(Vec::new());
    let written = pkg.write_to(&mut out).expect("builds");
    let read = rchar() - before;
    assert_eq!(written.payloads, 303);
    // Every payload once, plus at most 64 KiB of anything else (the answer file is in memory;
    // reading /proc/self/io itself is a few hundred bytes). Before issue #15 this was 3x: the
    // compiler's SHA-256, the layout's SHA-256 again, then the writer.
    assert!(
        read >= payload && read <= payload + (64 << 10),
        "read {read} bytes for {payload} bytes of payload ({:.3}x)",
        read as f64 / payload as f64
    );
}
