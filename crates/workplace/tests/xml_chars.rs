//! Issue #11, "never a broken package": arbitrary Unicode (control characters, NUL, U+FFFE,
//! U+FFFF, astral characters …) in the string fields of a profile gives either a diagnostic
//! (a profile check, or a `csp_model` validation error such as InvalidXmlChar) or a package that
//! `wimlib-imagex verify` accepts (when installed) and that reads back with the same values.

use std::time::SystemTime;

use csp_model::catalog::{Catalog, Edition};
use csp_model::compile::{answer_settings_xml, compile, CompileOptions};
use ppkg_format::layout::{write_package_with, LayoutOptions, Package};
use ppkg_format::wim::{WimReader, WriteOptions};
use proptest::prelude::*;
use workplace::{
    AuthPolicy, Enrollment, LocalUser, PackageInfo, Profile, Secret, Wifi, WifiSecurity,
};

/// A character from anywhere, with the ones XML cannot carry made frequent.
fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::char::range('a', 'z'),
        2 => any::<char>(),
        1 => proptest::char::range('\u{0}', '\u{1F}'),
        1 => prop_oneof![Just('\u{FFFE}'), Just('\u{FFFF}'), Just('\u{7F}'), Just('&'), Just('<')],
    ]
}

/// Half the time anything, half the time text XML can carry (letters, digits, non-ASCII,
/// astral), so that both outcomes are exercised.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any_char(), 1..12).prop_map(String::from_iter),
        "[a-zA-Z0-9äöü中文🙂\u{FFFD}._-]{1,12}",
    ]
}

/// How many generated profiles built into a package (printed; a run where none builds would
/// check nothing).
static BUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A profile whose string field number `field` holds `value` (the others hold ordinary text):
/// 0 package name, 1 package notes, 2 UPN local part, 3 enrollment secret, 4 SSID, 5 user name,
/// 6 password, 7 computer name.
fn profile_with(field: usize, value: String) -> Profile {
    let mut f: Vec<String> = [
        "pkg",
        "notes",
        "user",
        "secret",
        "office",
        "admin",
        "Passw0rd!",
        "PC-01",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    f[field] = value;
    Profile {
        package: PackageInfo {
            name: f[0].clone(),
            version: "1.0".into(),
            id: None,
            owner_type: "ITAdmin".into(),
            rank: 0,
            notes: Some(f[1].clone()),
        },
        enrollments: vec![Enrollment {
            // The profile checks want user@domain.tld; the local part is free text.
            upn: format!("{}@contoso.com", f[2]),
            auth_policy: AuthPolicy::OnPremise,
            discovery_service_full_url: None,
            enrollment_service_full_url: None,
            policy_service_full_url: None,
            secret: Some(Secret::new(f[3].clone())),
        }],
        wifi: vec![Wifi {
            ssid: f[4].clone(),
            // WPA2 keys must be printable ASCII and proxies host:port (profile checks).
            security: WifiSecurity::Open,
            key: None,
            auto_connect: None,
            hidden: None,
            proxy: None,
            eap: None,
        }],
        local_users: vec![LocalUser {
            name: f[5].clone(),
            password: Some(Secret::new(f[6].clone())),
            group: Some("Administrators".into()),
        }],
        computer_name: Some(f[7].clone()),
        ..Profile::default()
    }
}

fn profile() -> impl Strategy<Value = Profile> {
    (0usize..8, text()).prop_map(|(field, value)| profile_with(field, value))
}

/// `Ok(None)` when a diagnostic refuses the profile, `Ok(Some(package bytes))` when it builds.
fn build(p: &Profile) -> Result<Option<Vec<u8>>, String> {
    let report = workplace::check(p, SystemTime::now());
    if let Some(d) = report
        .diagnostics
        .iter()
        .find(|d| d.severity == workplace::Severity::Error)
    {
        eprintln!("refused by the profile checks: {} {}", d.path, d.message);
        return Ok(None);
    }
    let Ok(mut answer) = p.to_answer_file() else {
        return Ok(None);
    };
    let catalog = Catalog::builtin();
    let report = csp_model::validate::validate(&answer, catalog, Edition::Desktop);
    if let Some(d) = report.errors().next() {
        eprintln!("refused by validation: {d}");
        return Ok(None);
    }
    // validate said valid: from here on every refusal is a defect.
    let mut config = answer.package_config().map_err(|e| e.to_string())?;
    config.id = Some(uuid_of(1));
    answer.set_package_config(&config);
    let compiled = compile(
        &answer,
        catalog,
        &CompileOptions::default(),
        &p.asset_resolver(),
    )
    .map_err(|e| format!("compile: {e}"))?;
    let mut layout = LayoutOptions::default();
    layout.common_settings_xml = Some(answer_settings_xml(&answer, catalog));
    let parts = compiled.into_parts(answer);
    let mut out = std::io::Cursor::new(Vec::new());
    write_package_with(
        &mut out,
        &parts,
        &WriteOptions::deterministic([2; 16], 133_000_000_000_000_000),
        &layout,
    )
    .map_err(|e| format!("write: {e}"))?;
    Ok(Some(out.into_inner()))
}

fn uuid_of(n: u8) -> uuid::Uuid {
    uuid::Uuid::from_bytes([n; 16])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode_gives_a_diagnostic_or_a_sound_package(p in profile()) {
        let built = build(&p);
        prop_assert!(built.is_ok(), "validate said valid, build refused: {:?}", built.err());
        let Some(bytes) = built.ok().flatten() else {
            return Ok(());
        };
        let n = BUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        eprintln!("built {n} package(s) so far");
        if ppkg_testdata::tool("wimlib-imagex") {
            let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let file = dir.path().join("p.ppkg");
            std::fs::write(&file, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let out = std::process::Command::new("wimlib-imagex")
                .arg("verify")
                .arg(&file)
                .output()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let wim = WimReader::new(std::io::Cursor::new(bytes))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut pkg = Package::open(wim).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&pkg.image_info().name, &p.package.name);
        let answer = pkg
            .answer_file()
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .ok_or_else(|| TestCaseError::fail("no answer file"))?;
        let mut back = Profile::from_answer_file(&answer)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        back.package.id = None;
        prop_assert_eq!(&back, &p);
    }
}

/// The sound side of the property, deterministically: characters XML carries (astral, U+FFFD,
/// markup characters) build and read back.
#[test]
fn unusual_but_valid_characters_build_and_read_back() {
    let p = Profile {
        package: PackageInfo {
            name: "pkg 🙂 &<\"'\u{FFFD}".into(),
            version: "1.0".into(),
            id: None,
            owner_type: "ITAdmin".into(),
            rank: 0,
            notes: None,
        },
        wifi: vec![Wifi {
            ssid: "café 中文".into(),
            security: WifiSecurity::Wpa2Personal,
            key: Some(Secret::new("k3y&<>12345".to_owned())),
            auto_connect: None,
            hidden: None,
            proxy: None,
            eap: None,
        }],
        ..Profile::default()
    };
    let bytes = build(&p)
        .expect("no refusal")
        .expect("valid profile builds");
    let wim = WimReader::new(std::io::Cursor::new(bytes)).expect("open");
    let mut pkg = Package::open(wim).expect("package");
    assert_eq!(pkg.image_info().name, p.package.name);
    let answer = pkg.answer_file().expect("read").expect("present");
    let mut back = Profile::from_answer_file(&answer).expect("profile");
    back.package.id = None;
    assert_eq!(back, p);
}
