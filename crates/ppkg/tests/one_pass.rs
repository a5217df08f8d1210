//! Issue #15: a package whose payloads the WIM writer hashed for the compiler (one read per
//! payload) is byte-identical for any thread count, names every payload by the SHA-256 of its
//! bytes, stores a duplicate once, and passes `wimlib-imagex verify`.

use std::io::Cursor;
use std::process::Command;

use ppkg::format::layout::Package as Opened;
use ppkg::format::wim::WimReader;
use ppkg::{Package, WriteOptions};

mod common;

fn build(dir: &std::path::Path, xml: &[u8], threads: usize) -> Vec<u8> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(|| {
            let mut out = Cursor::new(Vec::new());
            Package::from_answer_file(xml)
                .expect("answer file parses")
                .assets_folder(dir)
                .write_options(WriteOptions::deterministic(
                    [7; 16],
                    133_000_000_000_000_000,
                ))
                .write_to(&mut out)
                .expect("builds");
            out.into_inner()
        })
}

#[test]
fn one_pass_packages_are_identical_for_any_thread_count_and_verify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (xml, payload) = common::payload_package(dir.path(), 120);
    let one = build(dir.path(), &xml, 1);
    assert!(one == build(dir.path(), &xml, 2), "1 vs 2 threads");
    assert!(one == build(dir.path(), &xml, 7), "1 vs 7 threads");

    // Every payload reads back under the key of its SHA-256, with its bytes.
    let wim = WimReader::new(Cursor::new(one.clone())).expect("a WIM");
    let mut pkg = Opened::open(wim).expect("a package");
    let assets = pkg.assets().expect("assets");
    assert_eq!(assets.len(), 123);
    let mut total = 0;
    for a in &assets {
        assert!(
            a.hash_matches_key,
            "{}: key does not match its bytes",
            a.key
        );
        let path = a.wim_path.clone().expect("stored");
        let bytes = pkg.read_part(&path).expect("reads").expect("present");
        let want = std::fs::read(dir.path().join(&a.file_name)).expect("source");
        assert!(bytes == want, "{}: bytes differ", a.file_name);
        total += bytes.len() as u64;
    }
    assert_eq!(total, payload);
    // dup.bin equals small0001.bin: one blob for both.
    let distinct: std::collections::HashSet<_> = assets.iter().map(|a| a.sha256).collect();
    assert_eq!(distinct.len(), assets.len() - 1);
    let sha1s: std::collections::HashSet<_> = pkg.wim().blobs().iter().map(|b| b.sha1).collect();
    assert_eq!(sha1s.len(), pkg.wim().blobs().len(), "a blob stored twice");

    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let path = dir.path().join("one.ppkg");
    std::fs::write(&path, &one).expect("write package");
    let o = Command::new("wimlib-imagex")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("runs wimlib-imagex");
    assert!(
        o.status.success(),
        "wimlib-imagex verify: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Issue #15 (peak memory): the build writes each compiled `.provxml` into the WIM as the
/// compiler makes it, in batches of about 1 MiB. With 2,400 documents (several batches) the
/// package holds every document the compiler makes, under its RunTime name, with the bytes
/// the in-memory compile gives, and is the same for one and two threads.
#[test]
fn documents_written_in_batches_are_all_there_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (xml, _) = common::payload_package(dir.path(), 400);
    let one = build(dir.path(), &xml, 1);
    assert!(one == build(dir.path(), &xml, 2), "1 vs 2 threads");

    let compiled = Package::from_answer_file(&xml)
        .expect("answer file parses")
        .assets_folder(dir.path())
        .compile()
        .expect("compiles");
    let want = &compiled.parts.provxml;
    let bytes: usize = want.iter().map(|(_, d)| d.to_bytes().len()).sum();
    assert!(
        want.len() > 2_000 && bytes > 1 << 20,
        "{} documents, {bytes} bytes: not enough for several batches",
        want.len()
    );

    let wim = WimReader::new(Cursor::new(one)).expect("a WIM");
    let mut pkg = Opened::open(wim).expect("a package");
    let runtime = pkg.runtime().expect("reads").expect("RunTime.xml");
    assert_eq!(runtime.sets.len(), want.len());
    let got = pkg.provxml().expect("documents");
    assert_eq!(got.len(), want.len(), "documents in the package");
    for ((gn, gd), ((wn, wd), set)) in got.iter().zip(want.iter().zip(&runtime.sets)) {
        assert_eq!(gn, wn);
        assert_eq!(set.file_name(), Some(wn.as_str()), "RunTime order");
        assert!(gd.to_bytes() == wd.to_bytes(), "{wn}: bytes differ");
    }
}
