//! End-to-end tests through the `ppkg` binary: the main job on the shipped example, checked by
//! independent tools (`wimlib-imagex`, `7zz`), and every subcommand's behaviour and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ppkg(args: &[&str], cwd: &Path) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_ppkg"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run ppkg");
    check_diagnostics(args, &o);
    o
}

/// Every run of the test suite goes through this: each diagnostic printed (text lines
/// `… severity[Code] …`, or `--json` objects with a `code`) has a position or says why not,
/// and no output holds the same diagnostic twice (issue #12: one finding, one diagnostic,
/// always placed).
fn check_diagnostics(args: &[&str], o: &Output) {
    for stream in [&o.stdout, &o.stderr] {
        let out = String::from_utf8_lossy(stream);
        let mut seen = std::collections::HashSet::new();
        for line in out.lines().map(str::trim) {
            let Some(at) = ["error[", "warning[", "info["]
                .iter()
                .filter_map(|s| line.find(s))
                .min()
            else {
                continue;
            };
            // Only diagnostic lines: the severity starts the line or follows `place: `.
            if at != 0 && !line[..at].ends_with(": ") {
                continue;
            }
            assert!(
                seen.insert(line.to_owned()),
                "ppkg {args:?}: duplicate diagnostic {line:?}\n{out}"
            );
            let place = line[..at].trim_end_matches(": ");
            let mut parts = place.rsplit(':');
            let placed = matches!(
                (parts.next(), parts.next()),
                (Some(c), Some(l)) if c.parse::<u32>().is_ok() && l.parse::<u32>().is_ok()
            );
            assert!(
                placed || line.contains("(no position: "),
                "ppkg {args:?}: diagnostic without position or reason: {line:?}"
            );
        }
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&out) {
            let mut all = Vec::new();
            json_diagnostics(&v, &mut all);
            let mut seen = std::collections::HashSet::new();
            for d in all {
                assert!(
                    !d["line"].is_null() || !d["reason"].is_null(),
                    "ppkg {args:?}: JSON diagnostic without line or reason: {d}"
                );
                assert!(
                    seen.insert(d.to_string()),
                    "ppkg {args:?}: duplicate JSON diagnostic {d}"
                );
            }
        }
    }
}

fn json_diagnostics<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.contains_key("code") && m.contains_key("severity") && m.contains_key("message") {
                out.push(v);
            }
            m.values().for_each(|x| json_diagnostics(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_diagnostics(x, out)),
        _ => {}
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str], cwd: &Path) -> Output {
    let o = ppkg(args, cwd);
    assert_eq!(o.status.code(), Some(0), "ppkg {args:?}: {}", text(&o));
    o
}

fn tool_ok(tool: &str, args: &[&str], cwd: &Path) -> String {
    let o = Command::new(tool)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run tool");
    assert!(o.status.success(), "{tool} {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file below `dir`, relative, with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("prefix").to_path_buf();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn main_job_builds_the_example_and_independent_tools_accept_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = ok(&["build", "-o", "bulk-enrollment.ppkg"], d);
    let pkg = d.join("bulk-enrollment.ppkg");
    assert!(pkg.is_file(), "{}", text(&o));
    // The shipped example is clean: no error and no warning from any check.
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("warning"),
        "{}",
        text(&o)
    );
    let bytes = std::fs::read(&pkg).unwrap();
    assert_eq!(&bytes[..8], b"MSWIM\0\0\0");
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");

    if ppkg_testdata::tool("wimlib-imagex") {
        let out = tool_ok("wimlib-imagex", &["verify", "bulk-enrollment.ppkg"], d);
        assert!(out.contains("successfully verified"), "{out}");
    }
    if ppkg_testdata::tool("7zz") {
        let out = tool_ok("7zz", &["l", "bulk-enrollment.ppkg"], d);
        assert!(
            out.contains("Multivariant/0/customizations.xml")
                || out.contains("Multivariant\\0\\customizations.xml"),
            "{out}"
        );
        assert!(out.contains("Workplace_Enrollments"), "{out}");
    }

    // inspect --json shows the enrollment, with the secret masked.
    let o = ok(&["inspect", "bulk-enrollment.ppkg", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["metadata"]["name"], "Example bulk enrollment");
    assert_eq!(v["metadata"]["owner_type"], "ITAdmin");
    assert_eq!(v["metadata"]["altitude"], 5000);
    let parms: Vec<&serde_json::Value> = v["compiled"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["parms"].as_array().unwrap())
        .collect();
    let auth = parms
        .iter()
        .find(|p| p["csp_path"] == "Provisioning/Enrollments/enroll@example.com/AuthPolicy")
        .expect("AuthPolicy parm");
    assert_eq!(auth["value"], "0", "OnPremise compiles to 0");
    let secret = parms
        .iter()
        .find(|p| p["csp_path"] == "Provisioning/Enrollments/enroll@example.com/Secret")
        .expect("Secret parm");
    assert!(
        secret["value"].as_str().unwrap().starts_with("<hidden"),
        "{secret}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(!stdout.contains("Example-Passw0rd"), "secret leaked");
    assert!(!stdout.contains("example-wifi-key"), "Wi-Fi key leaked");
    // --show-secrets reveals them.
    let o = ok(&["inspect", "bulk-enrollment.ppkg", "--show-secrets"], d);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Example-Passw0rd"));

    // extract equals compile (of the same answer file).
    ok(&["extract", "bulk-enrollment.ppkg", "-o", "extracted"], d);
    ok(
        &[
            "extract",
            "bulk-enrollment.ppkg",
            "-o",
            "answer",
            "--answer-file-only",
        ],
        d,
    );
    let answer = d.join("answer/customizations.xml");
    assert!(answer.is_file());
    // `compile` resolves asset references by file name in --asset-dir (default: the input's
    // folder), as WCD's answer files name files on the author's machine.
    std::fs::write(
        d.join("answer/example-test-root-ca.cer"),
        std::fs::read(
            ppkg_testdata::workspace_root().join("examples/assets/example-test-root-ca.cer"),
        )
        .unwrap(),
    )
    .unwrap();
    ok(
        &["compile", "answer/customizations.xml", "-o", "compiled"],
        d,
    );
    let a = tree(&d.join("extracted"));
    let b = tree(&d.join("compiled"));
    assert_eq!(
        a.iter().map(|x| &x.0).collect::<Vec<_>>(),
        b.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    assert!(a == b, "extract and compile differ in content");
    assert!(a.len() >= 9, "{}", a.len());
}

#[test]
fn build_is_reproducible_with_source_date_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |out: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_ppkg"))
            .args(["build", "-o", out])
            .current_dir(d)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        std::fs::read(d.join(out)).unwrap()
    };
    assert_eq!(run("a.ppkg"), run("b.ppkg"));
}

#[test]
fn broken_profile_fails_with_position_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A TOML syntax error on line 3.
    std::fs::write(
        d.join("broken.toml"),
        "[package]\nname = \"x\"\nversion = = 1\n",
    )
    .unwrap();
    let o = ppkg(&["build", "broken.toml", "-o", "out.ppkg"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 3"), "{err}");
    assert!(!d.join("out.ppkg").exists());

    // Well-formed but invalid: http URL, short Wi-Fi key, bad UPN.
    std::fs::write(
        d.join("invalid.toml"),
        r#"[package]
name = "bad"
[[enrollments]]
upn = "not-an-upn"
auth_policy = "OnPremise"
discovery_service_full_url = "http://enroll.example.com/EnrollmentServer/Discovery.svc"
secret = "x"
[[wifi]]
ssid = "Lab"
security = "WPA2-Personal"
key = "short"
"#,
    )
    .unwrap();
    let o = ppkg(&["build", "invalid.toml", "-o", "out.ppkg"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error"), "{err}");
    assert!(err.contains("Workplace/Enrollments"), "{err}");
    assert!(err.contains("WLAN"), "{err}");
    assert!(!err.contains("short\""), "a secret was printed: {err}");
    assert!(!d.join("out.ppkg").exists());
    assert_eq!(
        std::fs::read_dir(d).unwrap().count(),
        2,
        "only the two inputs remain"
    );
}

#[test]
fn bulk_builds_distinct_packages_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let example = ppkg_testdata::workspace_root().join("examples");
    let mut csv = String::from("name,computer_name,wifi_key,enrollment_secret\n");
    for i in 0..100 {
        csv.push_str(&format!(
            "dev{i:03},PC-{i:03},wifi-key-{i:04},Secret-{i:04}\n"
        ));
    }
    std::fs::write(d.join("devices.csv"), csv).unwrap();
    let profile = example.join("bulk-enrollment.toml");
    let o = ok(
        &[
            "bulk",
            profile.to_str().unwrap(),
            "--devices",
            "devices.csv",
            "-o",
            "out",
        ],
        d,
    );
    let files = tree(&d.join("out"));
    assert_eq!(files.len(), 100, "{}", text(&o));
    let mut uniq: Vec<&Vec<u8>> = files.iter().map(|f| &f.1).collect();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 100, "packages are distinct");
    // Each one carries its own computer name.
    let o = ok(&["inspect", "out/dev042.ppkg", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.to_string().contains("PC-042"));
    if ppkg_testdata::tool("wimlib-imagex") {
        for (name, _) in &files {
            let p = d.join("out").join(name);
            tool_ok("wimlib-imagex", &["verify", p.to_str().unwrap()], d);
        }
    }
    // A zip of the same.
    ok(
        &[
            "bulk",
            profile.to_str().unwrap(),
            "--devices",
            "devices.csv",
            "-o",
            "all.zip",
        ],
        d,
    );
    assert!(std::fs::metadata(d.join("all.zip")).unwrap().len() > 100 * 1000);
    // Reserved device names are refused (a zip must unpack on Windows).
    std::fs::write(d.join("con.csv"), "name\nnul.txt\n").unwrap();
    let o = ppkg(
        &[
            "bulk",
            profile.to_str().unwrap(),
            "--devices",
            "con.csv",
            "-o",
            "con",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!d.join("con").exists());
    // An unknown column is refused with its position.
    std::fs::write(d.join("bad.csv"), "name,colour\na,red\n").unwrap();
    let o = ppkg(
        &[
            "bulk",
            profile.to_str().unwrap(),
            "--devices",
            "bad.csv",
            "-o",
            "bad",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("bad.csv:1:2"),
        "{}",
        text(&o)
    );
    assert!(!d.join("bad").exists());
}

/// More rows than the bulk window (256 packages in memory): into a folder, every row is checked
/// before the first package is written; into a zip, packages stream into the temporary file.
/// Either way a bad row late in the file leaves nothing behind, and the good run writes all.
#[test]
fn bulk_beyond_the_memory_window_writes_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let profile = ppkg_testdata::workspace_root().join("examples/bulk-enrollment.toml");
    let profile = profile.to_str().unwrap();
    let rows = |bad: Option<usize>| {
        let mut csv = String::from(
            "name,computer_name,Workplace/Enrollments/UPN[enroll@example.com]/DiscoveryServiceFullUrl\n",
        );
        for i in 0..300 {
            // Plain HTTP is refused for the discovery URL; empty keeps the template's.
            let url = if Some(i) == bad {
                "http://plain.example.com/x"
            } else {
                ""
            };
            csv.push_str(&format!("dev{i:03},PC-{i:03},{url}\n"));
        }
        csv
    };
    std::fs::write(d.join("bad.csv"), rows(Some(290))).unwrap();
    for out in ["folder", "all.zip"] {
        let o = ppkg(&["bulk", profile, "--devices", "bad.csv", "-o", out], d);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("bad.csv:292"), "{}", text(&o));
        assert!(text(&o).contains("nothing was written"), "{}", text(&o));
        assert!(!d.join(out).exists(), "{out} was written");
    }
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    std::fs::write(d.join("good.csv"), rows(None)).unwrap();
    ok(
        &["bulk", profile, "--devices", "good.csv", "-o", "folder"],
        d,
    );
    let files = tree(&d.join("folder"));
    assert_eq!(files.len(), 300);
    ok(
        &["bulk", profile, "--devices", "good.csv", "-o", "all.zip"],
        d,
    );
    let zip = zip::ZipArchive::new(std::fs::File::open(d.join("all.zip")).unwrap()).unwrap();
    assert_eq!(zip.len(), 300);
    let mut in_zip: Vec<&str> = zip.file_names().collect();
    in_zip.sort_unstable();
    let mut in_folder: Vec<String> = files
        .iter()
        .map(|f| f.0.to_string_lossy().into_owned())
        .collect();
    in_folder.sort_unstable();
    assert_eq!(in_zip, in_folder);
}

/// A bulk run whose rows are all good still prints each row's warnings, placed at its line.
#[test]
fn bulk_prints_warnings_of_good_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let profile = ppkg_testdata::workspace_root().join("examples/bulk-enrollment.toml");
    std::fs::write(
        d.join("devices.csv"),
        "name,computer_name\ndev2,THIS-NAME-IS-WAY-TOO-LONG-FOR-NETBIOS\ndev3,PC-3\n",
    )
    .unwrap();
    for out in ["out", "out.zip"] {
        let o = ok(
            &[
                "bulk",
                profile.to_str().unwrap(),
                "--devices",
                "devices.csv",
                "-o",
                out,
            ],
            d,
        );
        let all = text(&o);
        assert!(
            all.contains("devices.csv:2:1: warning[NetBiosNameWillDiffer]"),
            "{all}"
        );
        assert_eq!(all.matches("warning[").count(), 1, "{all}");
    }
}

/// An output never replaces an input: a package named `.cat` when signing (the catalog would
/// replace it), a catalog over the signing PFX, a package over one of the profile's certificates.
#[test]
fn outputs_never_replace_inputs_or_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let examples = ppkg_testdata::workspace_root().join("examples");
    let pfx = examples.join("assets/example-test-signer.pfx");
    let pfx_bytes = std::fs::read(&pfx).unwrap();
    let pfx = pfx.to_str().unwrap();
    let o = ppkg(
        &[
            "build",
            "-o",
            "sg.cat",
            "--sign",
            pfx,
            "--sign-password",
            "example-signer",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("name the package .ppkg"), "{}", text(&o));
    assert!(!d.join("sg.cat").exists());
    std::fs::write(d.join("m.cat"), &pfx_bytes).unwrap();
    let o = ppkg(
        &[
            "build",
            "-o",
            "m.ppkg",
            "--sign",
            "m.cat",
            "--sign-password",
            "example-signer",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        std::fs::read(d.join("m.cat")).unwrap(),
        pfx_bytes,
        "the PFX was replaced"
    );
    assert!(!d.join("m.ppkg").exists());
    std::fs::copy(examples.join("bulk-enrollment.toml"), d.join("p.toml")).unwrap();
    std::fs::create_dir(d.join("assets")).unwrap();
    for e in std::fs::read_dir(examples.join("assets"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), d.join("assets").join(e.file_name())).unwrap();
    }
    let cer = d.join("assets/example-test-root-ca.cer");
    let before = std::fs::read(&cer).unwrap();
    let o = ppkg(
        &["build", "p.toml", "-o", "assets/example-test-root-ca.cer"],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("CertificatePath"), "{}", text(&o));
    assert_eq!(
        std::fs::read(&cer).unwrap(),
        before,
        "the certificate was replaced"
    );
}

#[test]
fn validate_exit_codes_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.xml"),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<WindowsCustomizations>\n  <PackageConfig xmlns=\"urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0\">\n    <ID>{b84f2c39-eb59-4d4f-8ad1-0f93cec1384e}</ID>\n    <Name>x</Name>\n    <Version>1.0</Version>\n    <OwnerType>ITAdmin</OwnerType>\n    <Rank>0</Rank>\n  </PackageConfig>\n  <Settings xmlns=\"urn:schemas-microsoft-com:windows-provisioning\">\n    <Customizations>\n      <Common>\n        <NoSuchArea><Thing>1</Thing></NoSuchArea>\n      </Common>\n    </Customizations>\n  </Settings>\n</WindowsCustomizations>\n",
    )
    .unwrap();
    let o = ppkg(&["validate", "bad.xml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("bad.xml:13:"), "{out}");
    let o = ppkg(&["validate", "bad.xml", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["diagnostics"][0]["line"], 13);

    std::fs::write(
        d.join("unclosed.xml"),
        "<WindowsCustomizations>\n  <Settings>\n",
    )
    .unwrap();
    let o = ppkg(&["validate", "unclosed.xml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    let o = ppkg(&["validate", "missing.xml"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = ppkg(&["validate"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    ok(&["build", "-o", "x.ppkg"], d);
    ok(&["validate", "x.ppkg"], d);
    let example = ppkg_testdata::workspace_root().join("examples/bulk-enrollment.toml");
    ok(&["validate", example.to_str().unwrap()], d);
}

#[test]
fn reference_package_reads_extracts_and_diffs() {
    let Some(sp) = ppkg_testdata::reference_file("ppkg/start_pins.ppkg") else {
        return;
    };
    let extracted = ppkg_testdata::reference_file("ppkg/start_pins_extracted").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sp = sp.to_str().unwrap();
    ok(&["extract", sp, "-o", "sp"], d);
    assert!(tree(&d.join("sp")) == tree(&extracted));
    let o = ok(&["inspect", sp], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Policy/Config/Start/ConfigureStartPins"),
        "{out}"
    );
    assert!(
        out.contains("d66ea0fd-afd5-5f17-a853-597f25399be1"),
        "{out}"
    );
    ok(&["validate", sp], d);
    // diff against the built example: both ITAdmin rank 0 → tie; settings differ (exit 1).
    ok(&["build", "-o", "x.ppkg"], d);
    let o = ppkg(&["diff", sp, "x.ppkg", "--json"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["winner"], "tie");
    assert!(v["settings"].as_array().unwrap().len() > 5);
    let o = ok(&["diff", "x.ppkg", "x.ppkg"], d);
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 difference(s)"));
}

#[test]
fn encrypted_build_needs_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        &["build", "-o", "enc.ppkg", "--password", "Abc123def456"],
        d,
    );
    let bytes = std::fs::read(d.join("enc.ppkg")).unwrap();
    assert_ne!(&bytes[..5], b"MSWIM");
    let o = ppkg(&["inspect", "enc.ppkg"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("encrypted"));
    let o = ppkg(&["inspect", "enc.ppkg", "--password", "Wrong1234567"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = ok(
        &[
            "inspect",
            "enc.ppkg",
            "--password",
            "Abc123def456",
            "--json",
        ],
        d,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["encrypted"], true);
    let notes = v["metadata"]["notes"].as_str().unwrap();
    assert!(
        notes.contains("EncryptPackage=True;SignPackage=False"),
        "{notes}"
    );
    assert_eq!(v["metadata"]["name"], "Example bulk enrollment");
    // A generated password is printed once on stdout.
    let o = ok(&["build", "-o", "gen.ppkg", "--encrypt"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    let pw = out
        .trim()
        .strip_prefix("password: ")
        .expect("password line");
    ok(&["extract", "gen.ppkg", "-o", "x", "--password", pw], d);
    assert!(d.join("x/Multivariant/0/customizations.xml").is_file());
}

#[test]
fn schedule_prints_the_default_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let o = ok(&["schedule"], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "+15 min",
        "+1 h 15 min",
        "+5 h 15 min",
        "immediate retry 3 of 3",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    let o = ok(&["schedule", "--fail", "2", "--json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v.to_string().contains("Succeeded") || v.to_string().contains("succeeded"),
        "{v}"
    );
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        "build", "inspect", "extract", "validate", "compile", "bulk", "schedule", "diff",
    ] {
        let o = ok(&[sub, "--help"], dir.path());
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("Example"), "{sub}: {out}");
        assert!(out.contains(&format!("ppkg {sub}")), "{sub}: {out}");
    }
}

#[test]
fn signed_build_writes_a_catalog_that_inspect_checks() {
    if !ppkg_testdata::tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sh = |args: &[&str]| tool_ok("openssl", args, d);
    sh(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "30",
        "-subj",
        "/CN=ppkg test signer",
    ]);
    sh(&[
        "pkcs12",
        "-export",
        "-inkey",
        "key.pem",
        "-in",
        "cert.pem",
        "-out",
        "signer.pfx",
        "-passout",
        "pass:pfxpass1",
    ]);
    ok(
        &[
            "build",
            "-o",
            "signed.ppkg",
            "--sign",
            "signer.pfx",
            "--sign-password",
            "pfxpass1",
        ],
        d,
    );
    assert!(d.join("signed.cat").is_file());
    let o = ok(&["inspect", "signed.ppkg", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["catalog"]["matches"], true, "{v}");
    assert!(v["catalog"]["signer"]
        .as_str()
        .unwrap()
        .contains("ppkg test signer"));
    assert!(v["metadata"]["notes"]
        .as_str()
        .unwrap()
        .contains("SignPackage=True"));
    let o = ok(&["inspect", "signed.ppkg"], d);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Signed        yes: "),
        "{}",
        text(&o)
    );
    // A changed package no longer matches its catalog (a byte of the WIM header's GUID, which
    // the package still reads with).
    let mut bytes = std::fs::read(d.join("signed.ppkg")).unwrap();
    bytes[30] ^= 0x01;
    std::fs::write(d.join("signed.ppkg"), &bytes).unwrap();
    let o = ppkg(&["inspect", "signed.ppkg", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(v["catalog"]["matches"], false, "{}", text(&o));
    let o = ppkg(&["inspect", "signed.ppkg"], d);
    assert!(text(&o).contains("Signed        NO: "), "{}", text(&o));
    // validate: still a valid package, with one SignatureProblem warning.
    let o = ppkg(&["validate", "signed.ppkg"], d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let all = text(&o);
    assert_eq!(all.matches("warning[SignatureProblem]").count(), 1, "{all}");
    // A wrong PFX password fails the build and leaves nothing.
    let o = ppkg(
        &[
            "build",
            "-o",
            "other.ppkg",
            "--sign",
            "signer.pfx",
            "--sign-password",
            "nope",
        ],
        d,
    );
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!d.join("other.ppkg").exists() && !d.join("other.cat").exists());
}

#[test]
fn damaged_packages_are_invalid_and_extract_leaves_nothing() {
    let Some(sp) = ppkg_testdata::reference_file("ppkg/start_pins.ppkg") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut bytes = std::fs::read(sp).unwrap();
    // Inside the first compressed file's data: the package opens, the blob's check fails.
    let mut found = false;
    for off in [1927usize, 2297, 1308, 1500, 2000, 2500] {
        let mut b = bytes.clone();
        b[off] ^= 0x20;
        std::fs::write(d.join("bad.ppkg"), &b).unwrap();
        let o = ppkg(&["validate", "bad.ppkg", "--json"], d);
        if o.status.code() == Some(1) {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(v["valid"], false);
            let x = ppkg(&["extract", "bad.ppkg", "-o", "out"], d);
            assert_eq!(x.status.code(), Some(2), "{}", text(&x));
            assert!(!d.join("out").exists(), "extract left files behind");
            let staged: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(".ppkg-extract-")
                })
                .collect();
            assert!(staged.is_empty(), "staging folder left behind");
            found = true;
        } else {
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        }
    }
    assert!(found, "no flipped byte was detected");
    // A good package extracts into a new folder and into an existing one, but never over a
    // file that is already there.
    std::fs::write(d.join("good.ppkg"), &bytes).unwrap();
    ok(&["extract", "good.ppkg", "-o", "new/sub"], d);
    assert!(d
        .join("new/sub/Multivariant/0/customizations.xml")
        .is_file());
    std::fs::create_dir(d.join("existing")).unwrap();
    std::fs::write(d.join("existing/keep.txt"), b"mine").unwrap();
    ok(&["extract", "good.ppkg", "-o", "existing"], d);
    assert!(d
        .join("existing/Multivariant/0/customizations.xml")
        .is_file());
    let o = ppkg(&["extract", "good.ppkg", "-o", "existing"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exists already"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(d.join("existing/keep.txt")).unwrap(), b"mine");
    // Output paths that are not regular files are never replaced.
    bytes.truncate(0);
    std::fs::create_dir(d.join("adir")).unwrap();
    let o = ppkg(&["build", "-o", "adir"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(d.join("adir").is_dir());
    // A folder given as input is named in the error.
    let o = ppkg(&["inspect", "adir"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("adir"),
        "{}",
        text(&o)
    );
    // A non-WIM file is not mistaken for an encrypted package.
    std::fs::write(d.join("text.ppkg"), "x".repeat(1000)).unwrap();
    let o = ppkg(&["inspect", "text.ppkg"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("encrypted"),
        "{}",
        text(&o)
    );
}

#[test]
fn diff_reports_changed_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let profile = ppkg_testdata::workspace_root().join("examples/bulk-enrollment.toml");
    std::fs::write(
        d.join("devices.csv"),
        "name,wifi_key\na,wifikey0001\nb,wifikey0002\n",
    )
    .unwrap();
    ok(
        &[
            "bulk",
            profile.to_str().unwrap(),
            "--devices",
            "devices.csv",
            "-o",
            "out",
        ],
        d,
    );
    let o = ppkg(&["diff", "out/a.ppkg", "out/b.ppkg"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("SecurityKey"), "{out}");
    assert!(!out.contains("wifikey000"), "{out}");
}

#[test]
fn asset_dir_confines_profile_assets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assets = dir.path().join("assets");
    std::fs::create_dir(&assets).expect("mkdir");
    std::fs::write(dir.path().join("private.key"), b"not for packages").expect("write");
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        "[package]\nname = \"confined\"\n[[root_certificates]]\nname = \"x\"\ncertificate = \"../private.key\"\n",
    )
    .expect("write");
    let o = ppkg(
        &["build", "p.toml", "-o", "out.ppkg", "--asset-dir", "assets"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("outside the asset folder") && err.contains("RootCertificate"),
        "{}",
        text(&o)
    );
    assert!(!dir.path().join("out.ppkg").exists(), "no output on error");
}

#[test]
fn answer_files_get_the_profile_checks_with_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&["build", "-o", "a.ppkg"], d);
    ok(&["extract", "a.ppkg", "-o", "x", "--answer-file-only"], d);
    let xml = std::fs::read_to_string(d.join("x/customizations.xml")).expect("read");
    let bad = xml
        .replace("enroll@example.com", "enroll at example")
        .replace(
            "https://enroll.example.com/EnrollmentServer/Discovery.svc",
            "http://enroll.example.com/EnrollmentServer/Discovery.svc",
        );
    assert_ne!(bad, xml, "the example has the enrollment this test edits");
    std::fs::write(d.join("bad.xml"), &bad).expect("write");
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).expect(needle) + 1;
    let o = ppkg(&["validate", "bad.xml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    let upn = format!("bad.xml:{}:", line_of("UPN UPN="));
    let url = format!("bad.xml:{}:", line_of("<DiscoveryServiceFullUrl>"));
    assert!(
        out.lines()
            .any(|l| l.starts_with(&upn) && l.contains("error[UpnSyntax]")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&url) && l.contains("error[UrlNotHttps]")),
        "{out}"
    );
    // A build from the same file stops with the same diagnostics and writes nothing.
    let o = ppkg(&["build", "bad.xml", "-o", "bad.ppkg"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!d.join("bad.ppkg").exists());
}

#[test]
fn profile_check_diagnostics_have_toml_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let toml = "[package]\nname = \"t\"\nversion = \"1.0\"\n\n[[enrollments]]\nupn = \"enroll at example\"\nauth_policy = \"OnPremise\"\nsecret = \"x\"\n";
    std::fs::write(d.join("p.toml"), toml).expect("write");
    let o = ppkg(&["validate", "p.toml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(
        out.lines()
            .any(|l| l.starts_with("p.toml:6:1: error[UpnSyntax]")),
        "{out}"
    );
    // PackageConfig faults point at their keys, once, never at "0:0".
    let bad = "[package]\nname = \"t\"\nversion = \"1.0\"\nid = \"not-a-guid\"\nowner_type = \"Nobody\"\n";
    std::fs::write(d.join("id.toml"), bad).expect("write");
    let o = ppkg(&["validate", "id.toml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("id.toml:4:1: error[PackageIdInvalid]"),
        "{out}"
    );
    assert!(
        out.contains("id.toml:5:1: error[OwnerTypeInvalid]"),
        "{out}"
    );
    assert!(!out.contains(":0:0") && !out.contains("line 0"), "{out}");
    // A generic setting the store does not know: one diagnostic, at its `path` key.
    let unknown = "[package]\nname = \"t\"\nversion = \"1.0\"\n[[settings]]\npath = \"Policies/NoSuch/Thing\"\nvalue = \"1\"\n";
    std::fs::write(d.join("unknown.toml"), unknown).expect("write");
    let o = ppkg(&["validate", "unknown.toml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("unknown.toml:5:1: error[UnknownSetting]"),
        "{out}"
    );
    assert_eq!(out.matches("UnknownSetting").count(), 1, "{out}");
}

#[test]
fn trial_defects_stay_fixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // The output never overwrites the input.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bulk-enrollment.toml"),
        d.join("same.toml"),
    )
    .expect("copy example");
    std::fs::create_dir(d.join("assets")).expect("mkdir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/assets/example-test-root-ca.cer"),
        d.join("assets/example-test-root-ca.cer"),
    )
    .expect("copy asset");
    let before = std::fs::read(d.join("same.toml")).expect("read");
    let o = ppkg(&["build", "same.toml", "-o", "same.toml"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("overwrite the input"), "{}", text(&o));
    assert_eq!(std::fs::read(d.join("same.toml")).expect("read"), before);
    // bulk --jobs is bounded.
    std::fs::write(d.join("devices.csv"), "name\ndev1\n").expect("write");
    for j in ["0", "100000"] {
        let o = ppkg(
            &[
                "bulk",
                "same.toml",
                "--devices",
                "devices.csv",
                "-o",
                "out",
                "-j",
                j,
            ],
            d,
        );
        assert_eq!(o.status.code(), Some(2), "-j {j}: {}", text(&o));
        assert!(text(&o).contains("--jobs"), "{}", text(&o));
    }
    // A folder in the way of one package: nothing is written.
    std::fs::write(d.join("three.csv"), "name\ndev1\ndev2\ndev3\n").expect("write");
    std::fs::create_dir_all(d.join("mid/dev2.ppkg")).expect("mkdir");
    let o = ppkg(
        &["bulk", "same.toml", "--devices", "three.csv", "-o", "mid"],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!d.join("mid/dev1.ppkg").exists() && !d.join("mid/dev3.ppkg").exists());
    // inspect and diff refuse a damaged package (validate reports it as invalid).
    ok(&["build", "same.toml", "-o", "good.ppkg"], d);
    let good = std::fs::read(d.join("good.ppkg")).expect("read");
    let mut found = false;
    for off in (300..good.len() - 200).step_by(97) {
        let mut b = good.clone();
        b[off] ^= 0x5a;
        std::fs::write(d.join("bad.ppkg"), &b).expect("write");
        if ppkg(&["validate", "bad.ppkg"], d).status.code() != Some(1) {
            continue;
        }
        let o = ppkg(&["inspect", "bad.ppkg"], d);
        if o.status.code() == Some(0) {
            continue; // damage outside every file (e.g. the XML data): still readable
        }
        assert!(text(&o).contains("damaged"), "{}", text(&o));
        let o = ppkg(&["diff", "bad.ppkg", "good.ppkg"], d);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        found = true;
        break;
    }
    assert!(found, "no flipped byte damaged a file");
}

#[cfg(unix)]
#[test]
fn fifo_inputs_are_refused_not_waited_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let fifo = d.join("fifo.ppkg");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo not available");
        return;
    }
    for args in [
        vec!["validate", "fifo.ppkg"],
        vec!["inspect", "fifo.ppkg"],
        vec!["build", "fifo.ppkg", "-o", "x.ppkg"],
    ] {
        let o = ppkg(&args, d);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("not a regular file"), "{}", text(&o));
    }
}

#[cfg(unix)]
#[test]
fn answer_file_assets_cannot_leave_their_folder_through_links() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&["build", "-o", "a.ppkg"], d);
    ok(&["extract", "a.ppkg", "-o", "x", "--answer-file-only"], d);
    let xml = std::fs::read_to_string(d.join("x/customizations.xml")).expect("read");
    let start = xml
        .find("<CertificatePath>")
        .expect("the example has a certificate")
        + 17;
    let end = start + xml[start..].find('<').expect("end tag");
    let name = xml[start..end].replace('\\', "/");
    let name = name.rsplit('/').next().expect("file name").to_owned();
    // The certificate's file name, in the answer file's folder, is a link to a file outside.
    std::fs::write(d.join("outside.cer"), b"not for packages").expect("write");
    std::os::unix::fs::symlink(d.join("outside.cer"), d.join("x").join(&name)).expect("symlink");
    let o = ppkg(&["compile", "x/customizations.xml", "-o", "tree"], d);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("outside the asset folder"),
        "{}",
        text(&o)
    );
}

/// Issue #12 items 2 and 3: diagnostics on a JSON profile and inside a package are placed
/// (member, then line:column); `validate FILE.ppkg` runs the checks `build` runs, certificate
/// expiry included, at the date `--now` gives; a missing file says why it has no position.
#[test]
fn package_and_json_diagnostics_are_placed_and_validate_checks_expiry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A JSON profile: the bad UPN is placed at its key.
    let json = "{\n  \"package\": { \"name\": \"t\", \"version\": \"1.0\" },\n  \"enrollments\": [\n    {\n      \"upn\": \"enroll at example\",\n      \"auth_policy\": \"OnPremise\",\n      \"secret\": \"x\"\n    }\n  ]\n}\n";
    std::fs::write(d.join("p.json"), json).expect("write");
    let o = ppkg(&["validate", "p.json"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("p.json:5:7: error[UpnSyntax]"),
        "{}",
        text(&o)
    );
    let o = ppkg(&["validate", "p.json", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let upn = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "UpnSyntax")
        .expect("UpnSyntax");
    assert_eq!(
        (upn["line"].as_u64(), upn["column"].as_u64()),
        (Some(5), Some(7))
    );
    assert_eq!(upn["file"], "p.json");

    // A package: the example's root CA expires on 2126-11-05.
    ok(&["build", "-o", "a.ppkg"], d);
    let o = ok(&["validate", "a.ppkg"], d);
    assert!(text(&o).contains("valid (0 error(s)"), "{}", text(&o));
    let o = ppkg(&["validate", "a.ppkg", "--now", "2126-10-20"], d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let line = out
        .lines()
        .find(|l| l.contains("warning[CertificateExpiresSoon]"))
        .unwrap_or_else(|| panic!("no expiry warning: {out}"));
    assert!(
        line.starts_with("a.ppkg!/Multivariant/0/customizations.xml:"),
        "{line}"
    );
    let o = ppkg(
        &[
            "validate",
            "a.ppkg",
            "--now",
            "2200-01-01T00:00:00Z",
            "--json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let exp = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "CertificateExpired")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(exp["member"], "Multivariant/0/customizations.xml");
    assert!(exp["line"].as_u64().is_some_and(|l| l > 1), "{exp}");
    // build checks against --now too, and refuses an expired certificate.
    let o = ppkg(&["build", "-o", "b.ppkg", "--now", "2200-01-01"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("error[CertificateExpired]"),
        "{}",
        text(&o)
    );
    assert!(!d.join("b.ppkg").exists());
    let o = ppkg(&["validate", "a.ppkg", "--now", "next tuesday"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // A missing file has no position and says why.
    let o = ppkg(&["validate", "missing.toml", "--json"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["diagnostics"][0]["reason"], "the file does not exist");
    assert_eq!(v["diagnostics"][0]["code"], "InputUnreadable");
}

/// Issue #12 item 1: one fault, one diagnostic, one code scheme. An AuthPolicy WCD does not
/// know is `UnsupportedAuthPolicy` from the profile checks, never also the catalog's
/// `EnumNotAllowed`; `inspect` never prints `warning: warning[…]`.
#[test]
fn one_fault_gives_one_diagnostic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&["build", "-o", "a.ppkg"], d);
    ok(&["extract", "a.ppkg", "-o", "x", "--answer-file-only"], d);
    let xml = std::fs::read_to_string(d.join("x/customizations.xml")).expect("read");
    let bad = xml.replace(">OnPremise<", ">Kerberos<");
    assert_ne!(bad, xml);
    std::fs::write(d.join("bad.xml"), &bad).expect("write");
    let o = ppkg(&["validate", "bad.xml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert_eq!(
        out.matches("error[UnsupportedAuthPolicy]").count(),
        1,
        "{out}"
    );
    assert!(!out.contains("EnumNotAllowed"), "{out}");
    let toml = "[package]\nname = \"t\"\nversion = \"1.0\"\n\n[[enrollments]]\nupn = \"a@example.com\"\nauth_policy = \"Kerberos\"\nsecret = \"x\"\n";
    std::fs::write(d.join("p.toml"), toml).expect("write");
    let out = text(&ppkg(&["validate", "p.toml"], d));
    assert!(
        out.contains("p.toml:7:1: error[UnsupportedAuthPolicy]"),
        "{out}"
    );
    assert!(!out.contains("EnumNotAllowed"), "{out}");
    // inspect: a computer-name template without serial length gives a warning, printed once.
    let toml = "computer_name = \"LAB-%SERIAL%\"\n[package]\nname = \"t\"\nversion = \"1.0\"\n";
    std::fs::write(d.join("n.toml"), toml).expect("write");
    ok(&["build", "n.toml", "-o", "n.ppkg"], d);
    let o = ok(&["inspect", "n.ppkg"], d);
    let out = text(&o);
    assert!(!out.contains("warning: warning"), "{out}");
    assert!(
        out.contains("n.ppkg!/Multivariant/0/customizations.xml:")
            && out.contains("warning[SerialLengthUnknown]"),
        "{out}"
    );
}

/// Issue #12 item 4: an answer file saved as UTF-16 with a BOM (Windows PowerShell 5.1's
/// default) is read as Windows reads it, and builds the same package as its UTF-8 original;
/// bytes that contradict the declared encoding are refused with their byte offset.
#[test]
fn utf16_answer_files_build_like_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&["build", "-o", "a.ppkg"], d);
    ok(&["extract", "a.ppkg", "-o", "x", "--answer-file-only"], d);
    let xml = std::fs::read_to_string(d.join("x/customizations.xml")).expect("read");
    let xml = xml.trim_start_matches('\u{feff}');
    std::fs::create_dir_all(d.join("assets")).expect("mkdir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/assets/example-test-root-ca.cer"
        ),
        d.join("assets/example-test-root-ca.cer"),
    )
    .expect("copy the example's certificate");
    for (name, be) in [("le.xml", false), ("be.xml", true)] {
        let utf16 = xml.replacen("encoding=\"utf-8\"", "encoding=\"utf-16\"", 1);
        let mut bytes = if be {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in utf16.encode_utf16() {
            bytes.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        std::fs::write(d.join(name), &bytes).expect("write");
        let o = ok(&["validate", name], d);
        assert!(text_of(&o).contains("valid (0 error(s)"), "{}", text(&o));
        ok(&["build", name, "-o", &format!("{name}.ppkg")], d);
        let o = ok(
            &[
                "extract",
                &format!("{name}.ppkg"),
                "-o",
                name.trim_end_matches(".xml"),
                "--answer-file-only",
            ],
            d,
        );
        drop(o);
        let back = std::fs::read_to_string(
            d.join(name.trim_end_matches(".xml"))
                .join("customizations.xml"),
        )
        .expect("read back");
        assert!(back.contains("encoding=\"utf-8\""), "{back}");
    }
    // UTF-16 bytes whose declaration says UTF-8: refused, with the byte offset.
    let mut bytes = vec![0xFF, 0xFE];
    for u in "<?xml version=\"1.0\" encoding=\"utf-8\"?><WindowsCustomizations/>".encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    std::fs::write(d.join("liar.xml"), &bytes).expect("write");
    let o = ppkg(&["validate", "liar.xml"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("byte 42"), "{}", text(&o));
}

fn text_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn bulk_columns_address_list_items_and_variables_name_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let profile = ppkg_testdata::workspace_root().join("examples/bulk-enrollment.toml");
    let profile = profile.to_str().expect("utf-8");
    std::fs::write(
        d.join("devices.csv"),
        "serial,Accounts/ComputerAccount/ComputerName,/Workplace/Enrollments/UPN[enroll@example.com]/Secret\n\
         SN001,PC-{serial},Secret-001\n\
         SN002,PC-{serial},Secret-002\n",
    )
    .expect("write");
    // `serial` is not a setting: without --var it is refused at its header position.
    let o = ppkg(
        &["bulk", profile, "--devices", "devices.csv", "-o", "out"],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("devices.csv:1:1") && text(&o).contains("--var serial"),
        "{}",
        text(&o)
    );
    assert!(!d.join("out").exists());
    ok(
        &[
            "bulk",
            profile,
            "--devices",
            "devices.csv",
            "-o",
            "out",
            "--var",
            "serial",
            "--file-name",
            "{serial}",
            "--package-name",
            "Enrollment {serial}",
        ],
        d,
    );
    let o = ok(
        &["inspect", "out/SN002.ppkg", "--json", "--show-secrets"],
        d,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["metadata"]["name"], "Enrollment SN002");
    let all = v.to_string();
    assert!(
        all.contains("PC-SN002") && all.contains("Secret-002"),
        "{all}"
    );
    // The UPN was overridden, not added a second time; inspect prints the same path syntax.
    assert_eq!(
        all.matches("UPN[enroll@example.com]/Secret").count(),
        1,
        "{all}"
    );
    // A bad row is reported with its line.
    std::fs::write(
        d.join("bad.csv"),
        "serial,Workplace/Enrollments/UPN[enroll@example.com]/DiscoveryServiceFullUrl\nSN001,https://ok.example.com/EnrollmentServer/Discovery.svc\nSN002,http://plain.example.com/x\n",
    )
    .expect("write");
    let o = ppkg(
        &[
            "bulk",
            profile,
            "--devices",
            "bad.csv",
            "-o",
            "bad",
            "--var",
            "serial",
            "--file-name",
            "{serial}",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("bad.csv:3"), "{}", text(&o));
    assert!(!d.join("bad").exists());
}

/// Issue #11, multivariant: `inspect` shows an answer file's targets, their conditions and the
/// settings each variant changes; `build` refuses it (naming the element and line:col) and
/// writes nothing, and `validate` reports the same error.
#[test]
fn multivariant_answer_file_is_shown_by_inspect_and_refused_by_build() {
    let Some(xml) = ppkg_testdata::reference_file(
        "customizations/windows-itpro-docs-provisioning-multivariant.example.xml",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let xml = xml.to_str().expect("utf-8 path");
    let shown = text(&ok(&["inspect", xml], tmp.path()));
    assert!(shown.contains("Targets (2)"), "{shown}");
    assert!(
        shown.contains(
            "when ProcessorName = Pattern:.*Celeron.* and ProcessorType = Pattern:.*(I|i)ntel.*"
        ),
        "{shown}"
    );
    assert!(shown.contains("or   ProcessorName = Barton"), "{shown}");
    assert!(
        shown.contains("#1  for Unique target identifier for desktop, Mobile target"),
        "{shown}"
    );
    assert!(shown.contains("    /HotSpot/Enabled = 1"), "{shown}");
    let json = ok(&["inspect", "--json", xml], tmp.path()).stdout;
    let v: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(v["targets"][1]["states"][0][0][0], "MCC");
    assert_eq!(
        v["variants"][0]["settings"].as_array().map(Vec::len),
        Some(4)
    );

    let out = tmp.path().join("mv.ppkg");
    let o = ppkg(
        &["build", xml, "-o", out.to_str().expect("path")],
        tmp.path(),
    );
    assert!(!o.status.success());
    let err = text(&o);
    assert!(
        err.contains(":32:7: error[MultivariantNotCompiled] Variant[1]"),
        "{err}"
    );
    assert!(!out.exists(), "a refused build wrote {}", out.display());
    let o = ppkg(&["validate", xml], tmp.path());
    assert!(!o.status.success());
    assert!(
        text(&o).contains(":32:7: error[MultivariantNotCompiled]"),
        "{}",
        text(&o)
    );
}

/// Issue #11 regressions: `validate` and `build` agree. A setting the compiler has no handler
/// for, and control characters in a profile (package name U+0001, password ending U+0001 U+0000,
/// SSID with U+0007), are errors in both, and `build` writes nothing.
#[test]
fn validate_and_build_agree_on_what_cannot_be_built() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    if let Some(xml) = ppkg_testdata::reference_file(
        "customizations/msiot-Appx.IoTOnboardingTask.customizations.xml",
    ) {
        let xml = xml.to_str().expect("utf-8 path");
        for cmd in [
            vec!["validate", xml, "--edition", "iotuap"],
            vec!["build", xml, "--edition", "iotuap", "-o", "handler.ppkg"],
        ] {
            let o = ppkg(&cmd, d);
            assert_eq!(o.status.code(), Some(1), "{}", text(&o));
            let all = text(&o);
            assert!(all.contains(":41:15: error[NoCompilerHandler]"), "{all}");
            assert!(all.contains("DeploymentOptions"), "{all}");
        }
        assert!(!d.join("handler.ppkg").exists());
    }
    std::fs::write(
        d.join("chars.toml"),
        r#"[package]
name = "bad\u0001name"
[[local_users]]
name = "admin"
password = "Sup3rSecret\u0001\u0000"
group = "Administrators"
[[wifi]]
ssid = "off\u0007ice"
security = "Open"
"#,
    )
    .expect("write");
    for cmd in [
        vec!["validate", "chars.toml"],
        vec!["build", "chars.toml", "-o", "chars.ppkg"],
    ] {
        let o = ppkg(&cmd, d);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let all = text(&o);
        for field in ["PackageConfig/Name", "Password", "SSID"] {
            assert!(all.contains(field), "{field} not reported: {all}");
        }
        assert!(all.contains("U+0001") && all.contains("U+0007"), "{all}");
        assert!(!all.contains("Sup3rSecret"), "a secret was printed: {all}");
    }
    assert!(!d.join("chars.ppkg").exists());
}

/// Issue #12 item 7: passwords from files, the environment or the command line (with a
/// warning); marker secrets never reach any output of build, inspect, validate, extract or an
/// error; masked values are `<hidden>` with `"masked": true` in JSON, and a masked WLAN key
/// keeps its XML well-formed; signed builds are byte-identical under SOURCE_DATE_EPOCH.
#[test]
fn secrets_never_reach_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pfx = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/assets/example-test-signer.pfx"
    );
    let markers = [
        "MarkerPwA1b2c3",
        "MarkerEnvB4d5",
        "MarkerFileC6e7",
        "MarkerBadD8f9",
        "MarkerSignE0g1",
    ];
    std::fs::write(d.join("pw.txt"), format!("{}\n", markers[2])).expect("write");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ppkg"));
        c.args(args).current_dir(d).env_remove("SOURCE_DATE_EPOCH");
        c.env_remove("PPKG_PASSWORD")
            .env_remove("PPKG_SIGN_PASSWORD");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().expect("run ppkg");
        check_diagnostics(args, &o);
        let all = text(&o);
        for m in markers
            .iter()
            .chain(["Example-Passw0rd", "example-wifi-key"].iter())
        {
            assert!(
                !all.contains(m),
                "ppkg {args:?} printed the secret {m}: {all}"
            );
        }
        o
    };
    // On the command line: works, with a warning naming the option (not the value).
    let o = run(&["build", "-o", "a.ppkg", "--password", markers[0]], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("warning: --password on the command line"),
        "{}",
        text(&o)
    );
    // From the environment and from a file: no warning.
    let o = run(
        &["build", "-o", "b.ppkg", "--encrypt"],
        &[("PPKG_PASSWORD", markers[1])],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("warning"), "{}", text(&o));
    let o = run(&["build", "-o", "c.ppkg", "--password-file", "pw.txt"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Reading them back, every way.
    for args in [
        &["inspect", "c.ppkg", "--password-file", "pw.txt"][..],
        &["inspect", "c.ppkg", "--password-file", "pw.txt", "--json"],
        &["validate", "c.ppkg", "--password-file", "pw.txt"],
        &["extract", "c.ppkg", "-o", "x", "--password-file", "pw.txt"],
    ] {
        let o = run(args, &[]);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    }
    let o = run(&["inspect", "b.ppkg"], &[("PPKG_PASSWORD", markers[1])]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Errors: a wrong password, a wrong PFX password.
    let o = run(&["inspect", "a.ppkg"], &[("PPKG_PASSWORD", markers[3])]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(&["validate", "a.ppkg", "--password", markers[3]], &[]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(
        &["build", "-o", "s.ppkg", "--sign", pfx],
        &[("PPKG_SIGN_PASSWORD", markers[4])],
    );
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!d.join("s.ppkg").exists());

    // Masking: `<hidden>` without a length, marked in JSON; the embedded WLAN profile stays
    // well-formed XML.
    let o = run(
        &["inspect", "c.ppkg", "--password-file", "pw.txt", "--json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let secret = v["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|s| s["path"].as_str().is_some_and(|p| p.ends_with("/Secret")))
        .expect("the example's enrollment secret");
    assert_eq!(secret["value"], "<hidden>");
    assert_eq!(secret["masked"], true);
    let wlan = v["compiled"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["parms"].as_array().cloned().unwrap_or_default())
        .find(|p| {
            p["value"]
                .as_str()
                .is_some_and(|x| x.contains("<WLANProfile"))
        })
        .expect("an embedded WLAN profile");
    assert_eq!(wlan["masked"], true);
    let xml = wlan["value"].as_str().expect("text");
    let doc = ppkg_format::xml::Document::parse(xml.as_bytes()).expect("still well-formed");
    fn find<'a>(
        e: &'a ppkg_format::xml::Element,
        name: &str,
    ) -> Option<&'a ppkg_format::xml::Element> {
        if e.local_name() == name {
            return Some(e);
        }
        e.elements().find_map(|c| find(c, name))
    }
    let key = find(&doc.root, "keyMaterial").expect("keyMaterial kept");
    assert_eq!(key.text(), "<hidden>");

    // Reproducible signed builds.
    let sde = [
        ("SOURCE_DATE_EPOCH", "1798761600"),
        ("PPKG_SIGN_PASSWORD", "example-signer"),
    ];
    // (The catalog names the package file, so both builds write r.ppkg, in two folders.)
    for out in ["r1", "r2"] {
        std::fs::create_dir_all(d.join(out)).expect("mkdir");
        let o = run(
            &["build", "-o", &format!("{out}/r.ppkg"), "--sign", pfx],
            &sde,
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    for ext in ["ppkg", "cat"] {
        let a = std::fs::read(d.join(format!("r1/r.{ext}"))).expect("read");
        let b = std::fs::read(d.join(format!("r2/r.{ext}"))).expect("read");
        assert!(a == b, "two signed builds differ in their .{ext}");
    }
}

/// Issue #12 item 6: SIGINT and SIGTERM during a large build remove the temporary output; a
/// temporary file left by SIGKILL is recognisable by name and removed by the next build of the
/// same output.
#[cfg(unix)]
#[test]
fn signals_leave_no_temporary_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // 48 MiB of pseudo-random bytes: compressing them takes seconds in a debug build.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let big: Vec<u8> = (0..48 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(d.join("big.bin"), &big).expect("write");
    std::fs::write(
        d.join("p.toml"),
        "[package]\nname = \"big\"\nversion = \"1.0\"\n\n[[commands]]\nname = \"big\"\ncommand_line = \"cmd /c big.bin\"\nfile = \"big.bin\"\n",
    )
    .expect("write");
    let leftovers = || -> Vec<String> {
        std::fs::read_dir(d)
            .expect("read dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".ppkg-tmp-"))
            .collect()
    };
    for (sig, code) in [("INT", Some(130)), ("TERM", Some(143)), ("KILL", None)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ppkg"))
            .args(["build", "p.toml", "-o", "out.ppkg"])
            .current_dir(d)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let start = std::time::Instant::now();
        while leftovers().is_empty() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(120),
                "no temporary file appeared"
            );
            assert!(
                child.try_wait().expect("wait").is_none(),
                "the build ended too soon"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let killed = Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = child.wait().expect("wait");
        assert!(!d.join("out.ppkg").exists(), "SIG{sig}: no output");
        match code {
            Some(c) => {
                assert_eq!(status.code(), Some(c), "SIG{sig}");
                assert!(leftovers().is_empty(), "SIG{sig} left {:?}", leftovers());
            }
            None => {
                let left = leftovers();
                assert_eq!(left.len(), 1, "SIGKILL leaves its temporary file: {left:?}");
                assert!(left[0].starts_with(".out.ppkg.ppkg-tmp-"), "{left:?}");
                // The next build of the same output removes it.
                ok(&["build", "p.toml", "-o", "out.ppkg", "--no-compress"], d);
                assert!(leftovers().is_empty(), "{:?}", leftovers());
                assert!(d.join("out.ppkg").is_file());
            }
        }
    }
}

/// Issue #12 item 8: a reader that goes away (`ppkg … | head -c 0`) is not an error of ours,
/// for every subcommand that writes to stdout.
#[cfg(unix)]
#[test]
fn broken_pipe_is_silent_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(&["build", "-o", "a.ppkg"], d);
    let bin = env!("CARGO_BIN_EXE_ppkg");
    for cmd in [
        "inspect a.ppkg",
        "inspect a.ppkg --json",
        "validate a.ppkg",
        "validate a.ppkg --json",
        "diff a.ppkg a.ppkg",
        "schedule",
        "build -o b.ppkg --encrypt",
        "--help",
    ] {
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{bin} {cmd} 2>err.txt | head -c 0; echo ${{PIPESTATUS:-x}}"
            ))
            .current_dir(d)
            .output()
            .expect("sh");
        let err = std::fs::read_to_string(d.join("err.txt")).unwrap_or_default();
        assert!(
            !err.contains("Broken pipe") && !err.contains("panicked"),
            "ppkg {cmd}: {err}"
        );
        let _ = o;
    }
}
