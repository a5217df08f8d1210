//! Runs the Playwright browser tests (web-tests/page.test.mjs) against a server started here
//! on 127.0.0.1:0 with the shipped example as its template.
//!
//! Skipped with a notice when node, the installed `playwright-core` (`npm ci` in
//! crates/ppkg-server/web-tests) or Chromium is missing; fails instead under
//! PPKG_REQUIRE_REFERENCE=1 (CI installs them in .ci/run). The screenshots and downloads are
//! kept under target/web-tests/.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn missing(what: &str) {
    assert!(
        !ppkg_testdata::required(),
        "{what} is missing and PPKG_REQUIRE_REFERENCE=1 (see .ci/run)"
    );
    eprintln!("note: skipping browser tests: {what} is missing");
}

/// The `ppkg` binary beside this test's executable (built by `cargo test --workspace`).
fn ppkg_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let bin = dir.join(if cfg!(windows) { "ppkg.exe" } else { "ppkg" });
    bin.is_file().then_some(bin)
}

#[test]
fn page_in_a_real_browser() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web-tests");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if !ppkg_testdata::tool("node") {
        return missing("node");
    }
    if !web.join("node_modules/playwright-core").is_dir() {
        return missing("playwright-core (run `npm ci` in crates/ppkg-server/web-tests)");
    }
    if !Path::new(&chromium).is_file() {
        return missing("chromium");
    }
    if !ppkg_testdata::tool("wimlib-imagex") || !ppkg_testdata::tool("openssl") {
        return;
    }
    let artifacts = ppkg_testdata::workspace_root().join("target/web-tests");
    std::fs::create_dir_all(&artifacts).expect("artifact folder");
    let dir = common::template_dir();
    let (pfx, thumb) = make_pfx(dir.path(), "Browser-Pfx-9");
    let bin = ppkg_bin();
    if bin.is_none() {
        eprintln!("note: the ppkg binary is not built; the browser tests skip `ppkg inspect`");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(common::start(dir.path(), ""));
    let out = Command::new("node")
        .args(["--test", "--test-reporter=spec", "page.test.mjs"])
        .current_dir(&web)
        .env("PPKG_BASE_URL", format!("http://{}", server.addr))
        .env("PPKG_ARTIFACTS", &artifacts)
        .env(
            "PPKG_BIN",
            bin.map(|b| b.display().to_string()).unwrap_or_default(),
        )
        .env("PPKG_PFX", &pfx)
        .env("PPKG_PFX_PASSWORD", "Browser-Pfx-9")
        .env("PPKG_PFX_THUMBPRINT", &thumb)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    rt.block_on(server.shutdown());
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser tests failed:\n{stdout}");
    assert!(
        stdout.contains("pass 5"),
        "all five browser tests ran:\n{stdout}"
    );
    assert!(artifacts.join("page.png").is_file(), "screenshot kept");
}

fn make_pfx(dir: &Path, password: &str) -> (PathBuf, String) {
    let key = dir.join("k.pem");
    let cert = dir.join("c.pem");
    let pfx = dir.join("device.pfx");
    let run = |args: &[&str]| -> String {
        let o = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (k, c, p) = (
        key.to_string_lossy(),
        cert.to_string_lossy(),
        pfx.to_string_lossy(),
    );
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &k,
        "-out",
        &c,
        "-subj",
        "/CN=ppkg browser device",
        "-days",
        "30",
    ]);
    run(&[
        "pkcs12",
        "-export",
        "-inkey",
        &k,
        "-in",
        &c,
        "-out",
        &p,
        "-passout",
        &format!("pass:{password}"),
    ]);
    let fp = run(&["x509", "-in", &c, "-noout", "-fingerprint", "-sha1"]);
    (
        pfx,
        fp.trim()
            .rsplit('=')
            .next()
            .unwrap_or("")
            .replace(':', "")
            .to_ascii_uppercase(),
    )
}
