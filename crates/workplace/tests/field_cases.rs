//! The field cases of `shared/cases/field-cases.md` that concern the profile, one test each
//! (`case_bNN_…`). Cases owned by other crates are listed in the crate README with the crate
//! that tests them.

mod common;

use common::now;
use csp_model::validate::Code as VCode;
use csp_model::{Catalog, Edition};
use workplace::name::NameScheme;
use workplace::{
    check, check_with, AuthPolicy, AzureAdJoin, CheckOptions, ClientCertificate, Code, DomainJoin,
    Enrollment, KeyLocation, PackageInfo, PackageLocation, Profile, ProvisioningCommand,
    RawSetting, Secret, Timestamp, TokenPreflight, Wifi, WifiSecurity,
};

const DAY: i64 = 86_400;

fn base() -> Profile {
    Profile {
        package: PackageInfo {
            name: "Lab".into(),
            version: "1.0".into(),
            id: Some("{5b0f4c34-3d3c-4d2e-9b7a-6f1e2a0c9d11}".into()),
            owner_type: "ITAdmin".into(),
            rank: 0,
            notes: None,
        },
        ..Profile::default()
    }
}

fn enrollment(policy: AuthPolicy, secret: Option<&str>) -> Enrollment {
    Enrollment {
        upn: "enroll@example.com".into(),
        auth_policy: policy,
        discovery_service_full_url: Some(
            "https://enroll.example.com/EnrollmentServer/Discovery.svc".into(),
        ),
        enrollment_service_full_url: None,
        policy_service_full_url: None,
        secret: secret.map(Secret::new),
    }
}

fn wifi(ssid: &str, security: WifiSecurity, key: Option<&str>) -> Wifi {
    Wifi {
        ssid: ssid.into(),
        security,
        key: key.map(Secret::new),
        auto_connect: Some(true),
        hidden: None,
        proxy: None,
        eap: None,
    }
}

fn validate(p: &Profile, edition: Edition) -> csp_model::validate::Report {
    // Parse the written text, so diagnostics carry line and column.
    let xml = p.to_answer_xml().expect("answer file writes");
    let af = ppkg_format::answer::AnswerFile::parse(xml.as_bytes()).expect("written file parses");
    csp_model::validate::validate(&af, Catalog::builtin(), edition)
}

fn named(template: &str) -> Profile {
    Profile {
        computer_name: Some(template.into()),
        ..base()
    }
}

#[test]
fn case_b01_unknown_setting_path_rejected() {
    let mut p = base();
    p.settings.push(RawSetting::new(
        "Policies/NoSuchArea/AllowAllTrustedApps",
        "Yes",
    ));
    let c = check(&p, now());
    let d = c
        .with_code(Code::UnknownSetting)
        .next()
        .expect("profile check");
    assert!(d.path.contains("NoSuchArea"), "{d}");
    let r = validate(&p, Edition::Desktop);
    let d = r
        .with_code(VCode::UnknownSetting)
        .next()
        .expect("UnknownSetting");
    assert!(d.path.contains("NoSuchArea") && d.pos.is_some(), "{d}");
    // The same setting at its real place validates.
    p.settings = vec![RawSetting::new(
        "Policies/ApplicationManagement/AllowAllTrustedApps",
        "Yes",
    )];
    assert!(validate(&p, Edition::Desktop).is_valid());
    assert!(check(&p, now()).diagnostics.is_empty());
}

#[test]
fn case_b02_setting_not_in_target_edition() {
    let mut p = base();
    p.commands.push(ProvisioningCommand {
        name: "hello".into(),
        file: None,
        command_line: "cmd /c echo hello".into(),
        continue_install: Some(true),
        restart_required: None,
        return_code_restart: None,
        return_code_success: None,
        dependencies: Vec::new(),
    });
    let r = validate(&p, Edition::Common);
    assert!(
        r.with_code(VCode::SettingNotInTarget).next().is_some() || !r.is_valid(),
        "{r}"
    );
    assert!(validate(&p, Edition::Desktop).is_valid());
}

#[test]
fn case_b04_malformed_answer_file_reports_position() {
    let unclosed = b"<WindowsCustomizations>\n  <PackageConfig><Name>x</Name></PackageConfig>\n  <Settings>\n</WindowsCustomizations>";
    let e = Profile::from_answer_xml(unclosed).unwrap_err().to_string();
    assert!(e.contains("line"), "{e}");
    let entity = b"<WindowsCustomizations><PackageConfig><Name>&bogus;</Name></PackageConfig></WindowsCustomizations>";
    let e = Profile::from_answer_xml(entity).unwrap_err().to_string();
    assert!(e.contains("line 1"), "{e}");
}

#[test]
fn case_b06_text_values_survive_round_trip_byte_for_byte() {
    let long = format!("cmd /c \"echo  a\tb\"  {}", "x".repeat(230));
    assert!(long.len() >= 250);
    let mut p = base();
    p.commands.push(ProvisioningCommand {
        name: "long".into(),
        file: None,
        command_line: long.clone(),
        continue_install: None,
        restart_required: None,
        return_code_restart: None,
        return_code_success: None,
        dependencies: Vec::new(),
    });
    p.settings.push(RawSetting::new(
        "Policies/ApplicationManagement/AllowAllTrustedApps",
        "Yes",
    ));
    let xml = p.to_answer_xml().unwrap();
    let back = Profile::from_answer_xml(xml.as_bytes()).unwrap();
    assert_eq!(back.commands[0].command_line, long);
    assert_eq!(back, p);
}

#[test]
fn case_b08_computer_name_template_length() {
    let s = NameScheme::parse("ABCDEFG%SERIAL%").unwrap();
    assert_eq!(s.expand("SN00000001", "").full.len(), 17);
    let p = named("ABCDEFG%SERIAL%");
    let r = check_with(&p, now(), &CheckOptions::default().max_serial_len(10));
    let d = r
        .with_code(Code::ComputerNameTooLong)
        .next()
        .expect("too long");
    assert!(d.message.contains("17") && d.message.contains("15"), "{d}");
    let r = check(&p, now());
    assert!(!r.has_errors(), "{r}");
    let d = r
        .with_code(Code::SerialLengthUnknown)
        .next()
        .expect("warning");
    assert!(d.message.starts_with("8 characters"), "{d}");
}

#[test]
fn case_b10_serial_truncates_from_left_and_constant_names() {
    let s = NameScheme::parse("PC-%SERIAL%").unwrap();
    let e = s.expand("XY123ABCDEF456", "");
    assert_eq!(e.device, "PC-123ABCDEF456");
    assert_eq!(e.device.len(), 15);
    let r = check(&named(&"A".repeat(20)), now());
    assert!(r.has(Code::NetBiosNameWillDiffer) && !r.has_errors(), "{r}");
    let r = check(&named(&"A".repeat(64)), now());
    assert!(r.has(Code::ComputerNameTooLong), "{r}");
    let mut p = named("LAB-%RAND:4%");
    p.domain_join = Some(DomainJoin {
        domain: "corp.example.com".into(),
        account: Some("corp\\joiner".into()),
        password: Some(Secret::new("Join-Pass1")),
        ou: None,
    });
    let r = check(&p, now());
    assert!(r.has(Code::ComputerNameIgnoredForHybrid), "{r}");
}

#[test]
fn case_b11_rand_macro_entropy() {
    let r = check_with(
        &named("LAB-%RAND:3%"),
        now(),
        &CheckOptions::default().fleet_size(500),
    );
    let d = r
        .with_code(Code::RandCollisionRisk)
        .next()
        .expect("collision risk");
    assert!(d.message.contains("p = 1.00"), "{d}");
    let r = check_with(
        &named("LAB-%RAND:8%"),
        now(),
        &CheckOptions::default().fleet_size(500),
    );
    assert!(!r.has(Code::RandCollisionRisk), "{r}");
    assert!(check(&named("LAB-%RAND:12%"), now()).has(Code::ComputerNameTooLong));
    assert!(check(&named("LAB-%RAND:0%"), now()).has(Code::BadMacro));
    assert!(check(&named("LAB-%RAND:x%"), now()).has(Code::BadMacro));
    assert!(check(&named("LAB-%FOO%"), now()).has(Code::BadMacro));
    assert!(check(&named("LAB_%RAND:3%"), now()).has(Code::ComputerNameChars));
    assert!(check(&named("%RAND:6%"), now()).has(Code::ComputerNameChars));
    assert!(check(&named("123456"), now()).has(Code::ComputerNameChars));
    assert!(!check(&named("PC-%RAND:6%"), now()).has_errors());
}

#[test]
fn case_b13_no_rename_when_name_unset() {
    let mut p = base();
    p.enrollments
        .push(enrollment(AuthPolicy::OnPremise, Some("Lab-Pass1")));
    let xml = p.to_answer_xml().unwrap();
    assert!(!xml.contains("ComputerName"), "{xml}");
    assert!(!p.inspect(now()).renames_device);
    let p = named("LAB-%SERIAL%");
    let i = p.inspect(now());
    assert!(i.renames_device);
    assert_eq!(i.computer_name.as_deref(), Some("LAB-%SERIAL%"));
}

#[test]
fn case_b14_wlan_name_with_space() {
    assert_eq!(workplace::uri_segment("Lab Net"), "Lab%20Net");
    let mut p = base();
    p.wifi.push(wifi(
        "Lab Net",
        WifiSecurity::Wpa2Personal,
        Some("Lab-Pass1"),
    ));
    let r = check(&p, now());
    let d = r.with_code(Code::WlanNameHasSpace).next().expect("warning");
    assert!(
        d.hint
            .as_deref()
            .is_some_and(|h| h.contains("./Vendor/MSFT/WiFi/Profile/Lab%20Net/WlanXml")),
        "{d}"
    );
    // In the answer file the SSID stays as written.
    let xml = p.to_answer_xml().unwrap();
    assert!(
        xml.contains(r#"<WLANConfig SSID="Lab Net" Name="Lab Net">"#),
        "{xml}"
    );
}

#[test]
fn case_b15_wlan_key_escaping_and_length() {
    let mut p = base();
    p.wifi.push(wifi(
        "Lab-Net",
        WifiSecurity::Wpa2Personal,
        Some("Lab&Net<2024>"),
    ));
    assert!(!check(&p, now()).has_errors());
    let xml = p.to_answer_xml().unwrap();
    assert!(xml.contains("Lab&amp;Net&lt;2024&gt;"), "{xml}");
    let back = Profile::from_answer_xml(xml.as_bytes()).unwrap();
    assert_eq!(back.wifi[0].key.as_ref().unwrap().expose(), "Lab&Net<2024>");
    for (key, bad) in [
        ("1234567", true),
        (&"g".repeat(64)[..], true),
        (&"0123456789abcdef".repeat(4)[..], false),
        (&"x".repeat(63)[..], false),
    ] {
        p.wifi[0].key = Some(Secret::new(key));
        let r = check(&p, now());
        assert_eq!(r.has(Code::InvalidPassphrase), bad, "{key}: {r}");
        if bad {
            let d = r.with_code(Code::InvalidPassphrase).next().unwrap();
            assert!(
                d.path.ends_with("WLANXmlSettings/SecurityKey"),
                "{}",
                d.path
            );
            assert!(!d.message.contains(key));
        }
    }
    // WEP lengths and Open without a key.
    for (key, ok) in [("abcde", true), ("0123456789", true), ("abcdef", false)] {
        let mut q = base();
        q.wifi.push(wifi("Old", WifiSecurity::Wep, Some(key)));
        assert_eq!(!check(&q, now()).has(Code::InvalidWepKey), ok, "{key}");
    }
    let mut q = base();
    q.wifi
        .push(wifi("Guest", WifiSecurity::Open, Some("secret12")));
    assert!(check(&q, now()).has(Code::KeyForOpenNetwork));
    q.wifi[0].key = None;
    assert!(!check(&q, now()).has_errors());
    q.wifi[0].ssid = "x".repeat(33);
    assert!(check(&q, now()).has(Code::SsidLength));
}

#[test]
fn case_b18_wlan_hidden_flag() {
    let mut p = base();
    let mut w = wifi("Lab-Net", WifiSecurity::Wpa2Personal, Some("Lab-Pass1"));
    w.hidden = Some(true);
    p.wifi.push(w);
    let xml = p.to_answer_xml().unwrap();
    assert!(xml.contains("<HiddenNetwork>True</HiddenNetwork>"), "{xml}");
    assert!(validate(&p, Edition::Desktop).is_valid());
    // Without the element: not hidden (the store's default is False).
    p.wifi[0].hidden = None;
    let back = Profile::from_answer_xml(p.to_answer_xml().unwrap().as_bytes()).unwrap();
    assert_eq!(back.wifi[0].hidden, None);
    // Wrong case: not typed (kept as an untyped setting, unchanged), and csp-model reports it.
    let bad = xml.replace("<HiddenNetwork>True<", "<HiddenNetwork>TRUE<");
    let back = Profile::from_answer_xml(bad.as_bytes()).unwrap();
    assert!(back.wifi.is_empty());
    assert!(back.settings.iter().any(|s| s.value == "TRUE"));
    let again = back.to_answer_xml().unwrap();
    assert!(
        again.contains("<HiddenNetwork>TRUE</HiddenNetwork>"),
        "{again}"
    );
    // Whatever csp-model's validation says of `TRUE`, it says the same of the rewritten file.
    let before = ppkg_format::answer::AnswerFile::parse(bad.as_bytes()).unwrap();
    let after = ppkg_format::answer::AnswerFile::parse(again.as_bytes()).unwrap();
    let v = |af: &ppkg_format::answer::AnswerFile| {
        csp_model::validate::validate(af, Catalog::builtin(), Edition::Desktop).is_valid()
    };
    assert_eq!(v(&before), v(&after));
}

#[test]
fn case_b19_unsupported_security_type() {
    for s in ["WPA3-SAE", "wpa3sae", "WPA3SAE"] {
        let mut p = base();
        p.wifi.push(wifi(
            "Lab-Net",
            WifiSecurity::from_label(s),
            Some("Lab-Pass1"),
        ));
        let r = check(&p, now());
        let d = r.with_code(Code::InvalidAuthentication).next().expect(s);
        assert!(d.path.ends_with("WLANXmlSettings/SecurityType"));
    }
}

#[test]
fn case_b22_keylocation_vs_exportable() {
    let cert = |loc: KeyLocation, export: bool| ClientCertificate {
        name: "Lab-Client".into(),
        label: None,
        pfx: workplace::Asset::path("lab.pfx"),
        password: Some(Secret::new("Lab-Pass1")),
        key_location: Some(loc),
        export_certificate: Some(export),
    };
    let mut p = base();
    p.client_certificates = vec![cert(KeyLocation::TpmOnly, true)];
    let r = check(&p, now());
    let d = r
        .with_code(Code::ExportableRequiresSoftwareKey)
        .next()
        .expect("exportable");
    assert!(d.path.ends_with("/ExportCertificate"));
    assert!(r.has(Code::TpmImportMayFailOnDevicesWithoutTpm));
    assert!(!p.inspect(now()).warnings.is_empty());
    p.client_certificates = vec![cert(KeyLocation::SoftwareOnly, true)];
    assert!(!check(&p, now()).has(Code::ExportableRequiresSoftwareKey));
    p.client_certificates = vec![cert(KeyLocation::from_label("5"), false)];
    assert!(check(&p, now()).has(Code::InvalidKeyLocation));
    // Labels are WCD's display labels in the answer file.
    p.client_certificates = vec![cert(KeyLocation::SoftwareOnly, true)];
    let xml = p.to_answer_xml().unwrap();
    assert!(
        xml.contains("<KeyLocation>Software only</KeyLocation>"),
        "{xml}"
    );
    assert!(xml.contains(r#"<ClientCertificate CertificateName="Lab-Client" Name="Lab-Client">"#));
}

#[test]
fn case_b24_discovery_url_shape() {
    let mut p = base();
    let mut e = enrollment(AuthPolicy::OnPremise, Some("Lab-Pass1"));
    e.discovery_service_full_url =
        Some("https://enroll.example.com/EnrollmentServer/Discovery".into());
    p.enrollments = vec![e];
    let r = check(&p, now());
    let d = r
        .with_code(Code::DiscoveryPathUnexpected)
        .next()
        .expect("warning");
    assert!(d.hint.as_deref().is_some_and(|h| h.contains(".svc")), "{d}");
    for ok in [
        "https://enroll.example.com/enrollmentserver/discovery.svc",
        "https://enroll.example.com/EnrollmentServer/Discovery.svc",
    ] {
        p.enrollments[0].discovery_service_full_url = Some(ok.into());
        assert!(check(&p, now()).diagnostics.is_empty(), "{ok}");
    }
    p.enrollments[0].discovery_service_full_url =
        Some("http://enroll.example.com/EnrollmentServer/Discovery.svc".into());
    assert!(check(&p, now()).has(Code::UrlNotHttps));
    p.enrollments[0].discovery_service_full_url =
        Some(" https://enroll.example.com/EnrollmentServer/Discovery.svc ".into());
    assert!(check(&p, now()).has(Code::UrlTrimmed));
    p.normalize();
    assert!(check(&p, now()).diagnostics.is_empty());
}

#[test]
fn case_b27_authpolicy_secret_consistency() {
    let mut p = base();
    p.enrollments = vec![enrollment(AuthPolicy::OnPremise, Some(""))];
    assert!(check(&p, now()).has(Code::SecretRequired));
    p.enrollments = vec![enrollment(AuthPolicy::OnPremise, None)];
    assert!(check(&p, now()).has(Code::SecretRequired));
    p.enrollments = vec![enrollment(AuthPolicy::Certificate, Some("Lab-Pass1"))];
    let r = check(&p, now());
    assert!(r.has(Code::InvalidThumbprint), "{r}");
    assert!(!r.to_string().contains("Lab-Pass1"));
    p.enrollments = vec![enrollment(AuthPolicy::from_label("Federated"), Some("x"))];
    assert!(check(&p, now()).has(Code::UnsupportedAuthPolicy));
    p.enrollments = vec![enrollment(AuthPolicy::from_label("onpremise"), Some("x"))];
    let r = check(&p, now());
    assert!(r.has(Code::AuthPolicyNormalized) && !r.has_errors(), "{r}");
    p.normalize();
    assert_eq!(p.enrollments[0].auth_policy, AuthPolicy::OnPremise);
    // UPN syntax.
    p.enrollments[0].upn = "not a upn".into();
    assert!(check(&p, now()).has(Code::UpnSyntax));
}

fn token(issued_days: i64, expires_days: i64) -> Profile {
    let t0 = Timestamp::from_system_time(now()).0;
    Profile {
        azure_ad: Some(AzureAdJoin {
            authority: Some("https://login.microsoftonline.com/example.onmicrosoft.com".into()),
            bprt: Secret::new("eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.bulk-token"),
            issued: Some(Timestamp(t0 + issued_days * DAY)),
            expires: Some(Timestamp(t0 + expires_days * DAY)),
            account: Some(
                "package_5b0f4c34-3d3c-4d2e-9b7a-6f1e2a0c9d11@example.onmicrosoft.com".into(),
            ),
        }),
        ..base()
    }
}

#[test]
fn case_b31_bulk_token_expiry_rules() {
    assert!(check(&token(-1, 180), now()).has(Code::TokenLifetimeTooLong));
    let r = check(&token(0, 180), now());
    assert!(!r.has_errors(), "{r}");
    assert!(r.has(Code::BulkTokenExpiry));
    let r = check(&token(-100, -1), now());
    let d = r.with_code(Code::BulkTokenExpired).next().expect("expired");
    assert!(
        d.path == "Accounts/Azure/BPRT" && d.message.contains("2026-01-14"),
        "{d}"
    );
    let r = check(&token(-100, 5), now());
    assert!(r.has(Code::BulkTokenExpiresSoon) && !r.has_errors(), "{r}");
    let p = token(0, 100);
    let i = p.inspect(now());
    assert!(i.contains_credential);
    assert!(i
        .revoke_hint
        .as_deref()
        .is_some_and(|h| h.contains("package_5b0f4c34")));
    let shown = format!(
        "{p:?} {} {}",
        check(&p, now()),
        p.to_toml(workplace::Secrets::Mask).unwrap()
    );
    assert!(!shown.contains("bulk-token"), "{shown}");
    // The token is written to the answer file, where WCD puts it.
    assert!(p.to_answer_xml().unwrap().contains("bulk-token"));
}

#[test]
fn case_b32_inspect_reports_token_days_left() {
    let i = token(-151, 29).inspect(now());
    assert_eq!(i.bulk_token_days_left, Some(29));
    assert_eq!(i.bulk_token_field, Some("Accounts/Azure/BPRT"));
    assert_eq!(base().inspect(now()).bulk_token_days_left, None);
}

#[test]
fn case_b33_bprt_required_and_preflight() {
    for blank in ["", "   "] {
        let mut p = token(0, 100);
        if let Some(a) = p.azure_ad.as_mut() {
            a.bprt = Secret::new(blank);
        }
        let r = check(&p, now());
        let d = r.with_code(Code::BulkTokenMissing).next().expect("missing");
        assert_eq!(d.path, "Accounts/Azure/BPRT");
    }
    let failed = TokenPreflight::new(false, true, true).failed();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().any(|f| f.contains("MDM user scope")));
    assert!(failed.iter().any(|f| f.contains("not federated")));
    assert!(TokenPreflight::new(true, true, false).failed().is_empty());
}

#[test]
fn case_b37_placement_advice() {
    let p = token(0, 100);
    let d = p.placement_advice(PackageLocation::RecoveryCustomizations);
    assert_eq!(d[0].code, Code::BprtNotProcessedFromRecoveryCustomizations);
    assert!(p
        .placement_advice(PackageLocation::RemovableMediaRoot)
        .is_empty());
    let d = p.placement_advice(PackageLocation::RemovableMediaSubfolder);
    assert_eq!(d[0].code, Code::NotFoundByOobe);
}

#[test]
fn package_config_checks() {
    let mut p = base();
    for (v, ok) in [
        ("1.0", true),
        ("1.0.0.0", true),
        ("1.0.0", false),
        ("1.x", false),
        ("70000.0", false),
    ] {
        p.package.version = v.into();
        assert_eq!(!check(&p, now()).has(Code::VersionFormat), ok, "{v}");
    }
    p.package.version = "1.0".into();
    p.package.rank = 100;
    assert!(check(&p, now()).has(Code::RankOutOfRange));
    p.package.rank = 99;
    assert!(check(&p, now()).diagnostics.is_empty());
    assert_eq!(
        p.package.owner(),
        Some(ppkg_format::owner::OwnerType::ItAdmin)
    );
    p.package.owner_type = "Admin".into();
    assert!(check(&p, now()).has(Code::OwnerTypeInvalid));
    p.package.owner_type = "oem".into();
    assert!(check(&p, now()).diagnostics.is_empty());
}

/// The WlanXml parm value that csp-model's compiler builds for a profile's Wi-Fi network.
fn compiled_wlan_xml(p: &Profile) -> String {
    use ppkg_format::xml::{Document, Element};
    fn find(e: &Element) -> Option<String> {
        if e.local_name() == "parm" && e.attr("name") == Some("WlanXml") {
            return e.attr("value").map(str::to_owned);
        }
        e.elements().find_map(find)
    }
    let af = p.to_answer_file().expect("answer file");
    let compiled = csp_model::compile(
        &af,
        Catalog::builtin(),
        &csp_model::CompileOptions::default(),
        &csp_model::compile::NoAssets,
    )
    .expect("compiles");
    compiled
        .provxml
        .iter()
        .find_map(|(_, doc)| {
            let d = Document::parse(&doc.to_bytes()).expect("provxml parses");
            find(&d.root)
        })
        .expect("a WlanXml parm")
}

#[test]
fn case_b14_b15_b18_compiled_wlan_profile() {
    let mut p = base();
    let mut w = wifi("Lab Net", WifiSecurity::Wpa2Personal, Some("Lab&Net<2024>"));
    w.hidden = Some(true);
    p.wifi.push(w);
    let x = compiled_wlan_xml(&p);
    assert!(x.contains("<name>Lab Net</name>"), "{x}");
    assert!(
        x.contains("<SSIDConfig><SSID><name>Lab Net</name></SSID>"),
        "{x}"
    );
    assert!(x.contains("<nonBroadcast>true</nonBroadcast>"), "{x}");
    assert!(
        x.contains("<keyMaterial>Lab&amp;Net&lt;2024&gt;</keyMaterial>"),
        "{x}"
    );
    p.wifi[0].hidden = None;
    assert!(!compiled_wlan_xml(&p).contains("nonBroadcast"));
}
