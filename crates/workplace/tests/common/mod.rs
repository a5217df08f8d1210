//! Test helpers: certificates and PFX files made at test time (rcgen + `openssl pkcs12`).
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use time::{Duration, OffsetDateTime};

/// Fixed "now" for tests: 2026-01-15T00:00:00Z.
pub fn now() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_768_435_200)
}

pub fn now_odt() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_768_435_200).expect("valid time")
}

/// A generated certificate: PEM and DER files in `dir`, plus the key.
pub struct Generated {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
    pub der: Vec<u8>,
}

/// Makes a self-signed certificate valid from `now + from_days` to `now + to_days`.
pub fn make_cert(dir: &Path, stem: &str, cn: &str, from_days: i64, to_days: i64) -> Generated {
    let key = KeyPair::generate().expect("key generation");
    let mut params = CertificateParams::new(vec![format!("{stem}.example.com")]).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = now_odt() + Duration::days(from_days);
    params.not_after = now_odt() + Duration::days(to_days);
    let cert = params.self_signed(&key).expect("self-signed certificate");
    let cert_pem = dir.join(format!("{stem}.pem"));
    let key_pem = dir.join(format!("{stem}.key"));
    std::fs::write(&cert_pem, cert.pem()).expect("write cert");
    std::fs::write(&key_pem, key.serialize_pem()).expect("write key");
    Generated {
        cert_pem,
        key_pem,
        der: cert.der().to_vec(),
    }
}

/// `openssl pkcs12 -export [-legacy]` of a generated certificate, or `None` (skip) without openssl.
pub fn make_pfx(g: &Generated, password: &str, legacy: bool) -> Option<Vec<u8>> {
    if !ppkg_testdata::tool("openssl") {
        return None;
    }
    let out = g
        .cert_pem
        .with_extension(if legacy { "legacy.pfx" } else { "pfx" });
    let mut cmd = Command::new("openssl");
    cmd.args(["pkcs12", "-export"]);
    if legacy {
        cmd.arg("-legacy");
    }
    cmd.arg("-inkey")
        .arg(&g.key_pem)
        .arg("-in")
        .arg(&g.cert_pem)
        .arg("-passout")
        .arg(format!("pass:{password}"))
        .arg("-out")
        .arg(&out);
    let st = cmd.status().expect("run openssl pkcs12");
    assert!(st.success(), "openssl pkcs12 -export failed");
    Some(std::fs::read(&out).expect("read pfx"))
}

/// `openssl x509 -fingerprint -sha1` as 40 upper-case hex digits.
pub fn openssl_sha1(cert_pem: &Path) -> Option<String> {
    if !ppkg_testdata::tool("openssl") {
        return None;
    }
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha1", "-in"])
        .arg(cert_pem)
        .output()
        .expect("run openssl x509");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let hex = text
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .replace(':', "");
    Some(hex.to_ascii_uppercase())
}
