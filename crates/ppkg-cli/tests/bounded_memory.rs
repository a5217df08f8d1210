//! Peak memory of `ppkg inspect`, `validate` and `extract` on metadata-heavy WIMs (issue 12
//! item 5): at most 64 MiB, measured on the child processes (`getrusage(RUSAGE_CHILDREN)`,
//! whose `ru_maxrss` is the largest peak resident set of any child waited for). One test in
//! its own binary, so that no other child of this process counts.
//!
//! Linux counts in a child's `ru_maxrss` the peak of the process that spawned it (the address
//! space replaced by `exec`), so the WIMs are written by one re-run of this test binary
//! (role `generate`, 500 MB for the million-entry tree) and the `ppkg` runs are made and
//! measured by another (role `measure`), which stays small.
//!
//! - 60,000 empty files in 60 folders (within the reader's limits, which come from real
//!   packages: `ppkg_format::wim::MAX_DENTRIES`): read and verified; 10,000 files of a few
//!   bytes each (10,000 blobs) extracted (creating files is slow; the tree is smaller);
//! - 70,000 empty files (over the dentry limit, metadata resource under its cap): refused,
//!   naming the dentry count;
//! - 1,000,000 empty files (a 6.6 MB WIM of this shape took 536 MB before): refused, naming the
//!   metadata resource size.

use std::io::BufWriter;
use std::path::Path;
use std::process::{Command, Output};

use nix::sys::resource::{getrusage, UsageWho};
use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{write_wim, ImageTree, WriteOptions, MAX_DENTRIES};

const LIMIT_KIB: i64 = 64 * 1024;

fn write_many(path: &Path, files: usize, folders: usize, with_data: bool) {
    let mut tree = ImageTree::new();
    for i in 0..files {
        let data = if with_data {
            format!("{i}").into_bytes()
        } else {
            Vec::new()
        };
        tree.add_file(&format!("d{}/{i:x}", i % folders), data)
            .expect("memory test setup");
    }
    let info = ImageInfo {
        name: "many".into(),
        version: "1.0".into(),
        ..ImageInfo::default()
    };
    let out = BufWriter::new(std::fs::File::create(path).expect("memory test setup"));
    write_wim(out, &tree, &info, &WriteOptions::deterministic([9; 16], 1))
        .expect("memory test setup");
}

fn ppkg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ppkg"))
        .args(args)
        .output()
        .expect("run ppkg")
}

fn children_peak_kib() -> i64 {
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage")
        .max_rss()
}

const TEST: &str = "inspect_validate_extract_stay_under_64_mib_on_metadata_heavy_wims";
const ROLE: &str = "PPKG_MEMORY_TEST_ROLE";
const DIR: &str = "PPKG_MEMORY_TEST_DIR";

/// Runs this test again in a child process with a role.
fn rerun(role: &str, dir: &Path) -> Output {
    Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(DIR, dir)
        .output()
        .expect("re-run the test binary")
}

#[test]
fn inspect_validate_extract_stay_under_64_mib_on_metadata_heavy_wims() {
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: ru_maxrss is in KiB on Linux only");
        return;
    }
    match (std::env::var(ROLE).as_deref(), std::env::var_os(DIR)) {
        (Ok("generate"), Some(dir)) => return generate(Path::new(&dir)),
        (Ok("measure"), Some(dir)) => return measure(Path::new(&dir)),
        _ => {}
    }
    let tmp = tempfile::tempdir().expect("memory test setup");
    for role in ["generate", "measure"] {
        let o = rerun(role, tmp.path());
        let err = String::from_utf8_lossy(&o.stderr);
        eprintln!("{role}: {err}");
        assert!(
            o.status.success(),
            "{role} failed: {}\n{err}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

fn generate(dir: &Path) {
    const { assert!(60_000 < MAX_DENTRIES && 70_000 > MAX_DENTRIES) };
    write_many(&dir.join("60k.wim"), 60_000, 60, false);
    write_many(&dir.join("10k.wim"), 10_000, 10, true);
    write_many(&dir.join("70k.wim"), 70_000, 1, false);
    write_many(&dir.join("1m.wim"), 1_000_000, 1000, false);
}

fn measure(dir: &Path) {
    let tmp = dir;
    let ok = dir.join("60k.wim");
    let over = dir.join("70k.wim");
    let huge = dir.join("1m.wim");
    assert!(
        children_peak_kib() < 16 * 1024,
        "this process starts small: {} KiB",
        children_peak_kib()
    );
    let mut report = Vec::new();

    // Within the limits: every command reads the whole tree.
    for args in [
        vec!["inspect", ok.to_str().expect("utf-8 path")],
        vec!["validate", ok.to_str().expect("utf-8 path")],
    ] {
        let o = ppkg(&args);
        // Not a package (no answer file): a finding, never a crash.
        assert!(
            matches!(o.status.code(), Some(0..=2)),
            "{args:?}: {:?} {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        report.push(format!("{args:?}: peak so far {} KiB", children_peak_kib()));
    }
    // Extraction of 10,000 files with data (10,000 blobs): creating files costs far more time
    // than reading the tree, so the within-limits extraction is a smaller tree.
    let out = tmp.join("x");
    let ten = dir.join("10k.wim");
    let o = ppkg(&[
        "extract",
        ten.to_str().expect("utf-8 path"),
        "-o",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let files: usize = std::fs::read_dir(&out)
        .expect("extracted")
        .map(|d| {
            std::fs::read_dir(d.expect("entry").path())
                .expect("folder")
                .count()
        })
        .sum();
    assert_eq!(files, 10_000);
    report.push(format!(
        "extract 10k: peak so far {} KiB",
        children_peak_kib()
    ));

    // Over the limits: refused with the limit named, for every command.
    for (wim, why) in [(&over, "dentry count"), (&huge, "metadata resource size")] {
        for cmd in ["inspect", "validate", "extract"] {
            let w = wim.to_str().expect("utf-8 path");
            let x = tmp.join(format!("x-{cmd}"));
            let args: Vec<&str> = if cmd == "extract" {
                vec![cmd, w, "-o", x.to_str().expect("utf-8 path")]
            } else {
                vec![cmd, w]
            };
            let o = ppkg(&args);
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(
                matches!(o.status.code(), Some(1..=2)),
                "{args:?} must be refused: {:?} {all}",
                o.status
            );
            assert!(
                all.contains(why),
                "{args:?}: the message names the {why}: {all}"
            );
            assert!(!x.exists(), "{args:?}: nothing extracted");
            report.push(format!("{args:?}: peak so far {} KiB", children_peak_kib()));
        }
    }
    let peak = children_peak_kib();
    eprintln!("{}", report.join("\n"));
    assert!(peak > 0, "ru_maxrss measured");
    assert!(
        peak <= LIMIT_KIB,
        "peak RSS of a ppkg child {peak} KiB > 64 MiB:\n{}",
        report.join("\n")
    );
}
