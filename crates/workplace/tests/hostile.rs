//! Hostile inputs for the profile and certificate loaders: PFX files claiming absurd iteration
//! counts (a CPU bomb: `p12-keystore` has no limit of its own), deeply nested TOML, and answer
//! files with DOCTYPE/entities. Each is refused quickly with a clear error.

use std::process::Command;
use std::time::Instant;

use workplace::cert::{self, CertError, MAX_PFX_ITERATIONS};
use workplace::{Profile, Secret};

/// A PFX made by `openssl pkcs12 -export` with `iter` iterations for the key encryption and
/// the MAC, password "hostile"; `None` when openssl is missing.
fn openssl_pfx(iter: u32) -> Option<Vec<u8>> {
    if !ppkg_testdata::tool("openssl") {
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("k.pem");
    let crt = dir.path().join("c.pem");
    let pfx = dir.path().join("x.pfx");
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=hostile"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .expect("run openssl req")
        .status
        .success();
    assert!(ok, "openssl req failed");
    let ok = Command::new("openssl")
        .args(["pkcs12", "-export", "-passout", "pass:hostile"])
        .args(["-iter", &iter.to_string(), "-maciter"])
        .arg("-inkey")
        .arg(&key)
        .arg("-in")
        .arg(&crt)
        .arg("-out")
        .arg(&pfx)
        .output()
        .expect("run openssl pkcs12")
        .status
        .success();
    assert!(ok, "openssl pkcs12 -export failed");
    Some(std::fs::read(&pfx).expect("read pfx"))
}

/// Replaces every DER INTEGER 32768 (`02 03 00 80 00`) with 8,388,607 (`02 03 7F FF FF`).
fn bump_iterations(pfx: &mut [u8]) -> usize {
    let from = [0x02, 0x03, 0x00, 0x80, 0x00];
    let mut n = 0;
    for i in 0..pfx.len().saturating_sub(from.len()) {
        if pfx[i..i + 5] == from {
            pfx[i + 2..i + 5].copy_from_slice(&[0x7f, 0xff, 0xff]);
            n += 1;
        }
    }
    n
}

#[test]
fn pfx_with_absurd_iteration_count_is_refused_fast() {
    let Some(mut pfx) = openssl_pfx(32768) else {
        return;
    };
    // The untouched file opens (32768 is within the limit).
    let info = cert::open_pfx(&pfx, Some(&Secret::new("hostile"))).unwrap();
    assert!(info.certificate.subject.contains("hostile"));

    let patched = bump_iterations(&mut pfx);
    assert!(patched >= 1, "the PFX carries iteration count 32768");
    let started = Instant::now();
    let err = cert::open_pfx(&pfx, Some(&Secret::new("hostile"))).unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        CertError::PfxUnreadable(msg) => {
            assert!(msg.contains("8388607"), "{msg}");
            assert!(msg.contains(&MAX_PFX_ITERATIONS.to_string()), "{msg}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    // The error names the iteration count, so it came from the header check that runs before
    // any key derivation; the time is printed, not asserted.
    eprintln!("refused in {elapsed:?}");
    assert!(
        !err.to_string().contains("hostile"),
        "no password in errors"
    );
}

#[test]
fn pfx_with_nine_byte_iteration_count_is_refused() {
    // A minimal PKCS#12 shape: PFX { version 3, authSafe (data), MacData { DigestInfo, salt,
    // iterations = 2^64 } } — refused before p12-keystore runs its KDF.
    let mut mac = vec![0x30, 0x09, 0x30, 0x00, 0x04, 0x00, 0x02, 0x09, 0x01];
    mac.extend_from_slice(&[0; 8]);
    mac[1] = (mac.len() - 2) as u8;
    let auth = [0x30, 0x02, 0x06, 0x00];
    let mut body = vec![0x02, 0x01, 0x03];
    body.extend_from_slice(&auth);
    body.extend_from_slice(&mac);
    let mut pfx = vec![0x30, body.len() as u8];
    pfx.extend_from_slice(&body);
    let err = cert::open_pfx(&pfx, None).unwrap_err();
    assert!(err.to_string().contains("over 2^64"), "{err}");
}

#[test]
fn deeply_nested_toml_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let text = format!("a = {}1{}", "[".repeat(depth), "]".repeat(depth));
    assert!(Profile::from_toml(&text).is_err());
    let text = format!("x = {}", "{ a = ".repeat(depth));
    assert!(Profile::from_toml(&text).is_err());
}

#[test]
fn answer_file_with_entities_is_not_expanded() {
    let xml = br#"<?xml version="1.0"?>
<!DOCTYPE WindowsCustomizations [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY x SYSTEM "file:///etc/passwd">
]>
<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{a0ff437e-87ae-4f47-a6a0-4121eb6bc106}</ID><Name>&d;&x;</Name>
    <Version>1.0</Version><OwnerType>ITAdmin</OwnerType><Rank>0</Rank>
  </PackageConfig>
</WindowsCustomizations>"#;
    match Profile::from_answer_xml(xml) {
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains("root:"), "no external entity content: {msg}");
        }
        Ok(p) => {
            let toml = p.to_toml(workplace::Secrets::Mask).unwrap();
            assert!(toml.len() < 100_000, "entities were expanded");
            assert!(!toml.contains("root:"), "external entity was read");
        }
    }
}
