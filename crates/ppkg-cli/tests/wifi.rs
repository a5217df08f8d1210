//! Enterprise and WPA3 Wi-Fi through the `ppkg` binary: an EAP-TLS profile builds, the package
//! passes `wimlib-imagex verify`, validates, and `inspect` shows the networks typed again.

use std::path::Path;
use std::process::{Command, Output};

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().expect("run");
    assert!(
        o.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn ppkg(dir: &Path, args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_ppkg"))
        .args(args)
        .current_dir(dir))
}

/// A root CA and a client certificate it issued, with openssl; the root's SHA-1 thumbprint.
fn make_chain(dir: &Path) -> String {
    let openssl = |args: &[&str]| {
        run(Command::new("openssl").args(args).current_dir(dir));
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "root.key",
        "-out",
        "root.cer",
        "-days",
        "365",
        "-subj",
        "/CN=Corp Test Root",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=keyCertSign",
    ]);
    openssl(&[
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "dev.key", "-out", "dev.csr", "-subj",
        "/CN=dev1",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "dev.csr",
        "-CA",
        "root.cer",
        "-CAkey",
        "root.key",
        "-CAcreateserial",
        "-out",
        "dev.pem",
        "-days",
        "200",
    ]);
    openssl(&[
        "pkcs12",
        "-export",
        "-inkey",
        "dev.key",
        "-in",
        "dev.pem",
        "-passout",
        "pass:Dev-Pass1",
        "-out",
        "dev.pfx",
    ]);
    let o = run(Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha1", "-in", "root.cer"])
        .current_dir(dir));
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .replace(':', "")
}

#[test]
fn eap_tls_profile_builds_verifies_validates_and_reads_back_typed() {
    if !ppkg_testdata::tool("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let root = make_chain(d);
    std::fs::write(
        d.join("wifi.toml"),
        format!(
            r#"
[package]
name = "Corp Wi-Fi"
version = "1.0"
owner_type = "ITAdmin"

[[client_certificates]]
name = "Dev"
pfx = "dev.pfx"
password = "Dev-Pass1"
key_location = "Software only"

[[root_certificates]]
name = "Corp Root"
certificate = "root.cer"

[[wifi]]
ssid = "Corp Secure"
security = "WPA2-Enterprise"
[wifi.eap]
method = "EAP-TLS"
client_certificate = "Dev"
trusted_root_thumbprints = ["{root}"]
server_names = ["radius.corp.example.com"]

[[wifi]]
ssid = "Corp-Guest"
security = "WPA3-Personal"
key = "Guest-Pass-2024"

[[wifi]]
ssid = "Corp-PEAP"
security = "WPA3-Enterprise"
[wifi.eap]
method = "PEAP-MSCHAPv2"
trusted_root_thumbprints = ["{root}"]
server_names = ["radius.corp.example.com"]
"#
        ),
    )
    .unwrap();
    let o = ppkg(d, &["build", "wifi.toml", "-o", "wifi.ppkg"]);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    if ppkg_testdata::tool("wimlib-imagex") {
        run(Command::new("wimlib-imagex")
            .args(["verify", "wifi.ppkg"])
            .current_dir(d));
    }
    ppkg(d, &["validate", "wifi.ppkg"]);

    let o = ppkg(d, &["inspect", "wifi.ppkg", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let wifi = v["wifi"].as_array().expect("typed wifi");
    assert_eq!(wifi.len(), 3, "{v}");
    let secure = wifi.iter().find(|w| w["ssid"] == "Corp Secure").unwrap();
    assert_eq!(secure["security"], "WPA2-Enterprise");
    assert_eq!(secure["eap"]["method"], "EAP-TLS");
    assert_eq!(secure["eap"]["client_certificate"], "Dev");
    assert_eq!(secure["eap"]["trusted_root_thumbprints"][0], root.as_str());
    assert_eq!(secure["eap"]["server_names"][0], "radius.corp.example.com");
    let guest = wifi.iter().find(|w| w["ssid"] == "Corp-Guest").unwrap();
    assert_eq!(guest["security"], "WPA3-Personal");
    assert_eq!(guest["key"], "<hidden>");
    let peap = wifi.iter().find(|w| w["ssid"] == "Corp-PEAP").unwrap();
    assert_eq!(peap["eap"]["method"], "PEAP-MSCHAPv2");
    assert_eq!(peap["eap"]["auth_mode"], "user");

    let o = ppkg(d, &["inspect", "wifi.ppkg"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Corp Secure  WPA2-Enterprise"), "{text}");
    assert!(text.contains("client certificate: Dev"), "{text}");

    // The package carries each profile as a file under WCD's raw WLAN profile setting.
    ppkg(d, &["extract", "wifi.ppkg", "-o", "x"]);
    let mut found = Vec::new();
    let mut stack = vec![d.join("x")];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let e = e.unwrap().path();
            if e.is_dir() {
                stack.push(e);
            } else if e
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("wlan-")
            {
                found.push(std::fs::read_to_string(&e).unwrap());
            }
        }
    }
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|x| x
        .contains("<WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\">")));
}

#[test]
fn broken_enterprise_profile_is_refused_with_its_field() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("bad.toml"),
        r#"
[package]
name = "Bad Wi-Fi"
version = "1.0"

[[wifi]]
ssid = "Corp"
security = "WPA2-Enterprise"
[wifi.eap]
method = "EAP-TLS"
client_certificate = "Nope"
trusted_root_thumbprints = ["81E2"]
"#,
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ppkg"))
        .args(["build", "bad.toml", "-o", "bad.ppkg"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    // Each with the line of its key in [wifi.eap] (the table's line when the key is missing).
    for (pos, code, what) in [
        (
            "bad.toml:11:1:",
            "EapClientCertificateMissing",
            "client_certificate",
        ),
        ("bad.toml:12:1:", "TrustedRootThumbprintInvalid", "81E2"),
        ("bad.toml:9:1:", "EapServerNamesMissing", "server_names"),
    ] {
        assert!(
            err.lines().any(|l| l.starts_with(pos)
                && l.contains("error")
                && l.contains(code)
                && l.contains(what)),
            "{pos} {code}: {err}"
        );
    }
    assert!(!d.join("bad.ppkg").exists());
}
