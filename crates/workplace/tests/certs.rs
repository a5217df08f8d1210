//! Certificates and PFX files generated at test time: thumbprints against openssl, PKCS#12
//! in the legacy (3DES/RC2-40) and modern (AES-256) encodings, dates against an injected now.

mod common;

use common::{make_cert, make_pfx, now, openssl_sha1};
use workplace::cert::{open_pfx, read_certificate, CertError};
use workplace::{
    check, Asset, AuthPolicy, ClientCertificate, Code, Enrollment, KeyLocation, PackageInfo,
    Profile, Secret,
};

fn profile_with_client(pfx: Vec<u8>, password: Option<&str>) -> Profile {
    Profile {
        package: PackageInfo {
            name: "t".into(),
            version: "1.0".into(),
            owner_type: "ITAdmin".into(),
            ..PackageInfo::default()
        },
        client_certificates: vec![ClientCertificate {
            name: "Lab-Client".into(),
            label: None,
            pfx: Asset::bytes("lab.pfx", pfx),
            password: password.map(Secret::new),
            key_location: Some(KeyLocation::SoftwareOnly),
            export_certificate: None,
        }],
        ..Profile::default()
    }
}

#[test]
fn thumbprint_matches_openssl_for_pem_and_der() {
    let dir = tempfile::tempdir().unwrap();
    let g = make_cert(dir.path(), "root", "Lab Root", -1, 365);
    let Some(expected) = openssl_sha1(&g.cert_pem) else {
        return;
    };
    let pem = std::fs::read(&g.cert_pem).unwrap();
    assert_eq!(read_certificate(&pem).unwrap().thumbprint, expected);
    assert_eq!(read_certificate(&g.der).unwrap().thumbprint, expected);
    assert_eq!(workplace::cert::thumbprint(&g.der), expected);
    let info = read_certificate(&g.der).unwrap();
    assert!(info.subject.contains("Lab Root"), "{}", info.subject);
}

#[test]
fn pfx_opens_in_legacy_and_modern_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let g = make_cert(dir.path(), "client", "Lab Client", -1, 365);
    let Some(expected) = openssl_sha1(&g.cert_pem) else {
        return;
    };
    for legacy in [true, false] {
        let pfx = make_pfx(&g, "Lab-Pass1", legacy).unwrap();
        let info = open_pfx(&pfx, Some(&Secret::new("Lab-Pass1")))
            .unwrap_or_else(|e| panic!("legacy={legacy}: {e}"));
        assert_eq!(info.certificate.thumbprint, expected, "legacy={legacy}");
        assert_eq!(
            open_pfx(&pfx, Some(&Secret::new("wrong"))),
            Err(CertError::PfxPassword),
            "legacy={legacy}"
        );
    }
}

#[test]
fn case_b27_certificate_enrollment_needs_matching_thumbprint() {
    let dir = tempfile::tempdir().unwrap();
    let g = make_cert(dir.path(), "client", "Lab Client", -1, 365);
    let Some(pfx) = make_pfx(&g, "Lab-Pass1", true) else {
        return;
    };
    let thumb = openssl_sha1(&g.cert_pem).unwrap();
    let mut p = profile_with_client(pfx, Some("Lab-Pass1"));
    let enrollment = |secret: &str| Enrollment {
        upn: "enroll@example.com".into(),
        auth_policy: AuthPolicy::Certificate,
        discovery_service_full_url: Some(
            "https://enroll.example.com/EnrollmentServer/Discovery.svc".into(),
        ),
        enrollment_service_full_url: None,
        policy_service_full_url: None,
        secret: Some(Secret::new(secret)),
    };
    // Lower case with colons: accepted, reported as normalised, matches.
    let pasted: String = thumb
        .to_ascii_lowercase()
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    p.enrollments = vec![enrollment(&pasted)];
    let r = check(&p, now());
    assert!(!r.has_errors(), "{r}");
    assert!(r.has(Code::ThumbprintNormalized));
    p.normalize();
    assert_eq!(p.enrollments[0].secret.as_ref().unwrap().expose(), thumb);
    // A well-formed thumbprint of another certificate: error.
    p.enrollments = vec![enrollment(&"AB".repeat(20))];
    let r = check(&p, now());
    assert!(r.has(Code::ThumbprintNotInProfile), "{r}");
}

#[test]
fn case_b21_client_cert_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let expired = make_cert(dir.path(), "old", "Lab Old", -30, -1);
    let soon = make_cert(dir.path(), "soon", "Lab Soon", -30, 10);
    let Some(pfx_old) = make_pfx(&expired, "Lab-Pass1", true) else {
        return;
    };
    let pfx_soon = make_pfx(&soon, "Lab-Pass1", false).unwrap();

    let r = check(&profile_with_client(pfx_old, Some("Lab-Pass1")), now());
    let d = r
        .with_code(Code::CertificateExpired)
        .next()
        .expect("expired");
    assert!(d
        .path
        .contains("ClientCertificate[CertificateName=Lab-Client]"));
    assert!(r.has_errors());

    let r = check(&profile_with_client(pfx_soon, Some("Lab-Pass1")), now());
    let d = r
        .with_code(Code::CertificateExpiresSoon)
        .next()
        .expect("soon");
    assert!(d.message.contains("in 10 days"), "{}", d.message);
    assert!(!r.has_errors(), "{r}");
}

#[test]
fn case_b23_pfx_password_checked_at_build() {
    let dir = tempfile::tempdir().unwrap();
    let g = make_cert(dir.path(), "client", "Lab Client", -1, 365);
    let Some(pfx) = make_pfx(&g, "Lab-Pass1", true) else {
        return;
    };
    for pw in [Some(""), None, Some("Wrong")] {
        let r = check(&profile_with_client(pfx.clone(), pw), now());
        let d = r
            .with_code(Code::PfxPasswordInvalid)
            .next()
            .expect("password error");
        assert!(d.path.ends_with("/CertificatePassword"), "{}", d.path);
    }
    let truncated = pfx[..pfx.len() / 2].to_vec();
    let r = check(&profile_with_client(truncated, Some("Lab-Pass1")), now());
    let d = r.with_code(Code::PfxUnreadable).next().expect("unreadable");
    assert!(d.path.ends_with("/CertificatePath"), "{}", d.path);

    let p = profile_with_client(pfx.clone(), Some("Lab-Pass1"));
    let r = check(&p, now());
    assert!(!r.has_errors(), "{r}");
    let info = open_pfx(&pfx, Some(&Secret::new("Lab-Pass1"))).unwrap();
    assert!(info.certificate.subject.contains("Lab Client"));
    assert_eq!(Some(info.certificate.thumbprint), openssl_sha1(&g.cert_pem));
    // The password never shows.
    let shown = format!("{p:?} {r} {}", p.to_toml(workplace::Secrets::Mask).unwrap());
    assert!(!shown.contains("Lab-Pass1"), "{shown}");
}

#[test]
fn root_certificate_expiry_and_thumbprint_name() {
    let dir = tempfile::tempdir().unwrap();
    let _root = make_cert(dir.path(), "root", "Lab Root", -10, -2);
    let mut p = Profile::from_toml(&format!(
        "[package]\nname = \"t\"\n[[root_certificates]]\nname = \"{}\"\ncertificate = \"root.pem\"\n",
        "AB".repeat(20)
    ))
    .unwrap();
    let r = check(&p, now());
    assert!(r.has(Code::AssetNotLoaded), "{r}");
    p.resolve_assets(dir.path()).unwrap();
    let r = check(&p, now());
    assert!(r.has(Code::CertificateExpired), "{r}");
    assert!(r.has(Code::ThumbprintMismatch), "{r}");
    // A missing file names the field and the path.
    let mut q = Profile::from_toml(
        "[package]\nname = \"t\"\n[[root_certificates]]\nname = \"x\"\ncertificate = \"nope.cer\"\n",
    )
    .unwrap();
    let e = q.resolve_assets(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("RootCertificate[CertificateName=x]") && e.contains("nope.cer"),
        "{e}"
    );
}

#[test]
fn confined_asset_resolution_refuses_paths_outside_the_folder() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("assets");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("inside.cer"), b"inside").unwrap();
    std::fs::write(outer.path().join("secret.key"), b"private").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outer.path().join("secret.key"), dir.join("link.cer")).unwrap();
    let profile = |path: &str| {
        Profile::from_toml(&format!(
            "[package]\nname = \"t\"\n[[root_certificates]]\nname = \"x\"\ncertificate = '{path}'\n"
        ))
        .unwrap()
    };
    // Inside: read, as with the unconfined resolver.
    let mut ok = profile("inside.cer");
    ok.resolve_assets_within(&dir).unwrap();
    let mut sub = profile(".\\inside.cer");
    sub.resolve_assets_within(&dir).unwrap();
    // Outside: `..`, absolute, drive letter, and (on Unix) a symbolic link leading out.
    let absolute = outer.path().join("secret.key").display().to_string();
    let mut bad = vec![
        "../secret.key",
        "..\\secret.key",
        absolute.as_str(),
        "C:\\secret.key",
    ];
    if cfg!(unix) {
        bad.push("link.cer");
    }
    for path in bad {
        let mut p = profile(path);
        let e = p.resolve_assets_within(&dir).unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("outside the asset folder")
                && shown.contains("RootCertificate[CertificateName=x]"),
            "{path}: {shown}"
        );
        // The unconfined resolver still reads `..` (a local user's own profile).
        if path == "../secret.key" {
            let mut q = profile(path);
            q.resolve_assets(&dir).unwrap();
        }
    }
}

#[test]
fn huge_certificate_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("huge.cer")).unwrap();
    f.set_len(workplace::MAX_CERTIFICATE_FILE_BYTES + 1)
        .unwrap(); // sparse: nothing to read
    let mut p = Profile::from_toml(
        "[package]\nname = \"t\"\n[[root_certificates]]\nname = \"x\"\ncertificate = \"huge.cer\"\n",
    )
    .unwrap();
    let e = p.resolve_assets(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("too large for a certificate") && e.contains("huge.cer"),
        "{e}"
    );
}

#[test]
fn missing_key_location_is_an_error_not_a_tpm_warning() {
    let p = Profile::from_toml(
        "[package]\nname = \"t\"\n[[client_certificates]]\nname = \"c\"\npfx = \"c.pfx\"\npassword = \"x\"\n",
    )
    .unwrap();
    let r = check(&p, now());
    assert!(r.has(Code::KeyLocationMissing), "{r}");
    assert!(!r.has(Code::TpmImportMayFailOnDevicesWithoutTpm), "{r}");
}

#[test]
fn command_files_are_streamed_not_read() {
    use csp_model::compile::{AssetContent, AssetResolver};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("setup.cmd"), b"echo hi").unwrap();
    let mut p = Profile::from_toml(
        "[package]\nname = \"t\"\n[[commands]]\nname = \"a\"\nfile = \"setup.cmd\"\ncommand_line = \"cmd /c setup.cmd\"\n",
    )
    .unwrap();
    p.resolve_assets(dir.path()).unwrap();
    let asset = p.commands[0].file.as_ref().unwrap();
    assert!(asset.data.is_none() && asset.is_loaded(), "{asset:?}");
    let got = p.asset_resolver().resolve("x", "setup.cmd").unwrap();
    assert!(
        matches!(&got.content, AssetContent::File(f) if f.ends_with("setup.cmd")),
        "{got:?}"
    );
    // A folder named as a command file is refused with the field.
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    let mut q = Profile::from_toml(
        "[package]\nname = \"t\"\n[[commands]]\nname = \"a\"\nfile = \"adir\"\ncommand_line = \"x\"\n",
    )
    .unwrap();
    let e = q.resolve_assets(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("not a regular file") && e.contains("CommandFile"),
        "{e}"
    );
}
