//! Test-only helper that locates the shared reference files.
//!
//! The real packages, answer files, DDF files and WCD settings store live in
//! `../shared/reference/` beside the repository (never committed here). Tests call
//! [`reference_dir`] (or [`reference_file`]):
//!
//! - when the folder exists, they get its path;
//! - when it is missing, they get `None` and a notice is printed, so a fresh clone still passes;
//! - when `PPKG_REQUIRE_REFERENCE=1` is set (CI sets it), a missing folder is a test failure.
//!
//! `PPKG_REFERENCE_DIR` overrides the location.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

/// Environment variable that turns a missing reference folder into a failure.
pub const REQUIRE_ENV: &str = "PPKG_REQUIRE_REFERENCE";
/// Environment variable that overrides the reference folder's location.
pub const DIR_ENV: &str = "PPKG_REFERENCE_DIR";

/// The workspace root (the folder holding the virtual `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Whether missing reference data must fail the test (`PPKG_REQUIRE_REFERENCE=1`).
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Path of `../shared/reference` (or `$PPKG_REFERENCE_DIR`), or `None` with a printed skip notice.
///
/// # Panics
/// When the folder is missing and `PPKG_REQUIRE_REFERENCE=1`.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("..").join("shared").join("reference"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !required(),
        "reference folder {} is missing and {REQUIRE_ENV}=1",
        dir.display()
    );
    skipped(&format!(
        "reference folder {} not found (set {REQUIRE_ENV}=1 to fail instead)",
        dir.display()
    ));
    None
}

/// Name of the file below the workspace's `target/` folder where every skip is recorded, one
/// line each (`<test thread name>: <reason>`), so that a test run can say how many checks were
/// skipped: `.ci/run` prints the count after libtest's summary.
pub const SKIP_LEDGER: &str = "ppkg-skipped.txt";

/// Reports a skipped test or check where the user sees it, without `--nocapture`: libtest
/// captures `print!`/`eprint!` of passing tests, so the notice is written to the process's
/// stderr handle directly (which libtest does not capture) and appended to
/// `target/`[`SKIP_LEDGER`].
fn skipped(reason: &str) {
    use std::io::Write as _;
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_owned();
    let line = format!("{test}: {reason}");
    let _ = writeln!(std::io::stderr().lock(), "note: SKIPPED {line}");
    let ledger = workspace_root().join("target").join(SKIP_LEDGER);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ledger)
    {
        let _ = writeln!(f, "{line}");
    }
}

/// Path of one file or folder below the reference folder, or `None` (skip) as [`reference_dir`].
///
/// # Panics
/// When the reference folder exists but `rel` does not, or as [`reference_dir`].
pub fn reference_file(rel: &str) -> Option<PathBuf> {
    let p = reference_dir()?.join(rel);
    assert!(p.exists(), "reference file {} is missing", p.display());
    Some(p)
}

/// Whether an external tool (e.g. `wimlib-imagex`, `7zz`, `openssl`) is on `PATH`.
///
/// When it is missing and `PPKG_REQUIRE_REFERENCE=1`, this panics (CI installs the tools), so a
/// test that checks output with an independent tool cannot silently pass without it.
///
/// # Panics
/// When the tool is missing and `PPKG_REQUIRE_REFERENCE=1`.
pub fn tool(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()));
    if !found {
        assert!(
            !required(),
            "tool {name} is not on PATH and {REQUIRE_ENV}=1"
        );
        skipped(&format!("check with {name} skipped: not on PATH"));
    }
    found
}
