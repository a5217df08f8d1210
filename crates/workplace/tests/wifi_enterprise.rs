//! Wi-Fi beyond WCD's typed settings: WPA3-Personal, WPA2/WPA3-Enterprise with EAP-TLS and
//! PEAP-MSCHAPv2, written as WLAN profile XML through `ConnectivityProfiles/WLAN/Profiles/
//! Profile`, checked, and read back into the typed fields.

mod common;

use std::collections::HashMap;

use common::{make_pfx, now, now_odt, Generated};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use time::Duration;
use workplace::{
    check, parse_wlan_profile_xml, wlan_profile_file_name, wlan_profile_xml, Asset,
    ClientCertificate, Code, Eap, EapMethod, KeyLocation, PackageInfo, Profile, Secret,
    TrustedCertificate, Wifi, WifiSecurity, WLAN_PROFILE_NAMESPACES,
};

/// A root CA and a client certificate it issued (files in `dir`), the root's DER and SHA-1.
struct Chain {
    client: Generated,
    root_der: Vec<u8>,
    root_thumbprint: String,
}

fn chain(dir: &std::path::Path) -> Chain {
    let root_key = KeyPair::generate().expect("test certificate");
    let mut root = CertificateParams::new(Vec::<String>::new()).expect("test certificate");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Corp Test Root");
    root.distinguished_name = dn;
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.not_before = now_odt() - Duration::days(1);
    root.not_after = now_odt() + Duration::days(365);
    let root_cert = root.self_signed(&root_key).expect("test certificate");
    let key = KeyPair::generate().expect("test certificate");
    let mut params =
        CertificateParams::new(vec!["dev1.corp.example.com".to_owned()]).expect("test certificate");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "dev1");
    params.distinguished_name = dn;
    params.not_before = now_odt() - Duration::days(1);
    params.not_after = now_odt() + Duration::days(200);
    let cert = params
        .signed_by(&key, &root_cert, &root_key)
        .expect("test certificate");
    let cert_pem = dir.join("dev.pem");
    let key_pem = dir.join("dev.key");
    std::fs::write(&cert_pem, cert.pem()).expect("test certificate");
    std::fs::write(&key_pem, key.serialize_pem()).expect("test certificate");
    let root_der = root_cert.der().to_vec();
    Chain {
        client: Generated {
            cert_pem,
            key_pem,
            der: cert.der().to_vec(),
        },
        root_thumbprint: workplace::cert::thumbprint(&root_der),
        root_der,
    }
}

fn base() -> Profile {
    Profile {
        package: PackageInfo {
            name: "Corp Wi-Fi".into(),
            version: "1.0".into(),
            owner_type: "ITAdmin".into(),
            ..PackageInfo::default()
        },
        ..Profile::default()
    }
}

fn client(pfx: Vec<u8>) -> ClientCertificate {
    ClientCertificate {
        name: "Dev".into(),
        label: None,
        pfx: Asset::bytes("dev.pfx", pfx),
        password: Some(Secret::new("Dev-Pass1")),
        key_location: Some(KeyLocation::SoftwareOnly),
        export_certificate: None,
    }
}

fn enterprise(ssid: &str, security: WifiSecurity, eap: Eap) -> Wifi {
    Wifi {
        ssid: ssid.into(),
        security,
        key: None,
        auto_connect: None,
        hidden: None,
        proxy: None,
        eap: Some(eap),
    }
}

fn eap_tls(root: &str) -> Eap {
    Eap {
        method: EapMethod::EapTls,
        client_certificate: Some("Dev".into()),
        trusted_root_thumbprints: vec![root.to_owned()],
        server_names: vec!["radius.corp.example.com".into()],
        auth_mode: None,
    }
}

fn peap(root: &str) -> Eap {
    Eap {
        method: EapMethod::PeapMschapv2,
        client_certificate: None,
        trusted_root_thumbprints: vec![root.to_owned()],
        server_names: vec![
            "radius1.corp.example.com".into(),
            "radius2.corp.example.com".into(),
        ],
        auth_mode: None,
    }
}

/// The generated WLAN profile files of a profile, by file name.
fn wlan_files(p: &Profile) -> HashMap<String, Vec<u8>> {
    p.assets()
        .into_iter()
        .filter(|a| a.setting == "ConnectivityProfiles/WLAN/Profiles/Profile")
        .map(|a| (a.path, a.data.expect("generated in memory")))
        .collect()
}

/// Answer file out and back in, certificates reloaded, WLAN profiles typed again.
fn read_back(p: &Profile) -> Profile {
    let files = wlan_files(p);
    let xml = p.to_answer_xml().expect("answer file");
    let mut q = Profile::from_answer_xml(xml.as_bytes()).expect("reads back");
    assert!(q.wifi.iter().all(|w| w.security.is_wcd_typed()));
    for (c, orig) in q.client_certificates.iter_mut().zip(&p.client_certificates) {
        c.pfx.data = orig.pfx.data.clone();
    }
    for (c, orig) in q.root_certificates.iter_mut().zip(&p.root_certificates) {
        c.certificate.data = orig.certificate.data.clone();
    }
    let expected = p.wifi.iter().filter(|w| !w.security.is_wcd_typed()).count();
    let typed = q.type_wlan_profiles(&|name: &str| files.get(name).cloned());
    assert_eq!(typed, expected, "{xml}");
    q
}

/// Well-formed (namespace-aware, csp-model's embedded-XML check and ppkg-format's parser), with
/// the namespaces Microsoft's schemas give.
fn assert_well_formed(xml: &str, enterprise: bool) {
    csp_model::validate::check_embedded_xml(xml).unwrap_or_else(|e| panic!("{e:?}: {xml}"));
    ppkg_format::xml::Document::parse_str(xml).expect("parses");
    assert!(xml
        .contains(r#"<WLANProfile xmlns="http://www.microsoft.com/networking/WLAN/profile/v1">"#));
    if enterprise {
        for ns in [
            "http://www.microsoft.com/networking/OneX/v1",
            "http://www.microsoft.com/provisioning/EapHostConfig",
            "http://www.microsoft.com/provisioning/EapCommon",
            "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1",
        ] {
            assert!(xml.contains(&format!("\"{ns}\"")), "{ns}: {xml}");
        }
    }
    // Every namespace used is one of the documented ones.
    for part in xml.split("xmlns=\"").skip(1) {
        let ns = part.split('"').next().unwrap_or_default();
        assert!(WLAN_PROFILE_NAMESPACES.contains(&ns), "{ns}");
    }
}

#[test]
fn eap_tls_profile_checks_pins_its_client_certificate_and_reads_back_typed() {
    let dir = tempfile::tempdir().unwrap();
    let c = chain(dir.path());
    let Some(pfx) = make_pfx(&c.client, "Dev-Pass1", false) else {
        return;
    };
    let mut p = base();
    p.client_certificates.push(client(pfx));
    p.root_certificates.push(TrustedCertificate {
        name: "Corp Root".into(),
        label: None,
        certificate: Asset::bytes("root.cer", c.root_der.clone()),
    });
    p.wifi.push(enterprise(
        "Corp Secure",
        WifiSecurity::Wpa2Enterprise,
        eap_tls(&c.root_thumbprint),
    ));
    let report = check(&p, now());
    assert!(!report.has_errors(), "{report}");
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.path.contains("WLAN") || d.path.contains("eap")),
        "{report}"
    );

    let files = wlan_files(&p);
    let name = wlan_profile_file_name("Corp Secure");
    let xml = String::from_utf8(files[&name].clone()).unwrap();
    assert_well_formed(&xml, true);
    for needle in [
        "<authentication>WPA2</authentication><encryption>AES</encryption><useOneX>true</useOneX>",
        "<authMode>machine</authMode>",
        "<Type xmlns=\"http://www.microsoft.com/provisioning/EapCommon\">13</Type>",
        "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1",
        "<ServerNames>radius.corp.example.com</ServerNames>",
        "<CAHashList Enabled=\"true\">",
    ] {
        assert!(xml.contains(needle), "{needle}: {xml}");
    }
    // The root pin is the client certificate's issuing root, written as hexBinary.
    assert!(xml.contains(&format!(
        "<IssuerHash>{}</IssuerHash>",
        c.root_thumbprint.to_ascii_lowercase()
    )));
    // TrustedRootCA as Windows writes it: hex byte pairs separated by spaces.
    let spaced: Vec<String> = c
        .root_thumbprint
        .to_ascii_lowercase()
        .as_bytes()
        .chunks(2)
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
        .collect();
    assert!(xml.contains(&format!(
        "<TrustedRootCA>{}</TrustedRootCA>",
        spaced.join(" ")
    )));

    // The answer file names the generated file through WCD's raw-profile setting.
    let answer = p.to_answer_xml().unwrap();
    assert!(
        answer.contains("<Profiles>")
            && answer.contains(&format!(r#"<Profile Name="Corp Secure">{name}</Profile>"#)),
        "{answer}"
    );
    assert!(!answer.contains("WLANSetting"), "{answer}");

    // Read back typed, client certificate included.
    let q = read_back(&p);
    assert_eq!(q.wifi, p.wifi);
    assert!(q.settings.is_empty(), "{:?}", q.settings);
}

#[test]
fn every_new_security_type_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let c = chain(dir.path());
    let root = c.root_thumbprint.clone();
    let mut p = base();
    // No root certificate in the profile: the client certificate cannot be pinned, and is
    // read back as the profile's only client certificate.
    if let Some(pfx) = make_pfx(&c.client, "Dev-Pass1", true) {
        p.client_certificates.push(client(pfx));
        let mut w = enterprise(
            "Corp WPA3 TLS",
            WifiSecurity::Wpa3Enterprise,
            eap_tls(&root),
        );
        w.eap.as_mut().unwrap().auth_mode = Some("machineOrUser".into());
        p.wifi.push(w);
    }
    p.wifi.push(Wifi {
        ssid: "R&D <lab> \"5G\"".into(),
        security: WifiSecurity::Wpa3Personal,
        key: Some(Secret::new("Pa&ss<word>'1")),
        auto_connect: Some(false),
        hidden: Some(true),
        proxy: None,
        eap: None,
    });
    p.wifi.push(enterprise(
        "Café-Ω",
        WifiSecurity::Wpa2Enterprise,
        peap(&root),
    ));
    p.wifi.push(enterprise(
        "Corp PEAP 3",
        WifiSecurity::Wpa3Enterprise,
        peap(&root),
    ));
    // A WCD-typed network alongside stays WLANSetting.
    p.wifi.push(Wifi {
        ssid: "Legacy".into(),
        security: WifiSecurity::Wpa2Personal,
        key: Some(Secret::new("Legacy-Pass1")),
        auto_connect: None,
        hidden: None,
        proxy: None,
        eap: None,
    });
    for w in p.wifi.iter().filter(|w| !w.security.is_wcd_typed()) {
        let pinned = w.eap.is_none() || w.eap.as_ref().unwrap().method != EapMethod::EapTls;
        let xml = wlan_profile_xml(w, None).unwrap();
        assert_well_formed(&xml, w.security.is_enterprise());
        let parsed = parse_wlan_profile_xml(&xml).unwrap();
        assert!(parsed.client_roots.is_empty());
        // Parsing then writing gives the same text.
        assert_eq!(wlan_profile_xml(&parsed.wifi, None).unwrap(), xml);
        if pinned {
            let mut expect = w.clone();
            expect.auto_connect = w.auto_connect.filter(|a| !a);
            assert_eq!(parsed.wifi, expect, "{xml}");
        }
    }
    let personal = wlan_profile_xml(&p.wifi[p.wifi.len() - 4], None).unwrap();
    assert!(personal.contains("<authentication>WPA3SAE</authentication>"));
    assert!(personal.contains("<keyMaterial>Pa&amp;ss&lt;word&gt;&apos;1</keyMaterial>"));
    assert!(personal.contains("<nonBroadcast>true</nonBroadcast>"));
    assert!(personal.contains("<connectionMode>manual</connectionMode>"));
    assert!(personal.contains("<name>R&amp;D &lt;lab&gt; &quot;5G&quot;</name>"));
    let café = wlan_profile_xml(&p.wifi[p.wifi.len() - 3], None).unwrap();
    // SSID bytes in hex (UTF-8), the name as text.
    assert!(
        café.contains("<hex>436166C3A92DCEA9</hex><name>Café-Ω</name>"),
        "{café}"
    );
    assert!(café.contains("<Type>26</Type>"));
    assert!(café
        .contains("<ServerNames>radius1.corp.example.com;radius2.corp.example.com</ServerNames>"));
    assert!(café.contains("<authMode>user</authMode>"));
    // File names stay plain and distinct.
    assert_eq!(wlan_profile_file_name("Corp-PEAP"), "wlan-Corp-PEAP.xml");
    assert_ne!(
        wlan_profile_file_name("Lab Net"),
        wlan_profile_file_name("Lab_Net")
    );
    assert!(wlan_profile_file_name("Café-Ω").is_ascii());

    let q = read_back(&p);
    let mut expect = p.wifi.clone();
    for w in &mut expect {
        if !w.security.is_wcd_typed() {
            w.auto_connect = w.auto_connect.filter(|a| !a);
        }
    }
    // Typed networks come back after the WCD-typed ones.
    let (wcd, rest): (Vec<_>, Vec<_>) = expect.into_iter().partition(|w| w.security.is_wcd_typed());
    let mut sorted_q = q.wifi.clone();
    sorted_q.sort_by(|a, b| a.ssid.cmp(&b.ssid));
    let mut sorted_e: Vec<Wifi> = wcd.into_iter().chain(rest).collect();
    sorted_e.sort_by(|a, b| a.ssid.cmp(&b.ssid));
    assert_eq!(sorted_q, sorted_e);
    assert!(q.settings.is_empty(), "{:?}", q.settings);
}

#[test]
fn foreign_profiles_stay_untyped() {
    let mut p = base();
    p.wifi.push(enterprise(
        "Corp PEAP",
        WifiSecurity::Wpa2Enterprise,
        peap("81E23225D3B3FC9A5C3F5319761EB56A6322D1A6"),
    ));
    let files = wlan_files(&p);
    let xml = p.to_answer_xml().unwrap();
    // The same profile with one more element (as `netsh wlan export` writes autoSwitch).
    let edited: HashMap<String, Vec<u8>> = files
        .iter()
        .map(|(k, v)| {
            let t = String::from_utf8(v.clone()).unwrap().replace(
                "<connectionMode>auto</connectionMode>",
                "<connectionMode>auto</connectionMode><autoSwitch>false</autoSwitch>",
            );
            (k.clone(), t.into_bytes())
        })
        .collect();
    let mut q = Profile::from_answer_xml(xml.as_bytes()).unwrap();
    assert_eq!(q.type_wlan_profiles(&|n: &str| edited.get(n).cloned()), 0);
    assert_eq!(q.settings.len(), 1, "{:?}", q.settings);
    assert!(q.wifi.is_empty());
    // A missing file also stays untyped.
    assert_eq!(q.type_wlan_profiles(&|_: &str| None), 0);
    // Not a WLAN profile at all.
    assert!(parse_wlan_profile_xml("<LANProfile/>").is_err());
    assert!(parse_wlan_profile_xml("<WLANProfile").is_err());
}

#[test]
fn checks_catch_what_would_fail_on_the_device() {
    let root = "81E23225D3B3FC9A5C3F5319761EB56A6322D1A6";
    let codes =
        |p: &Profile| -> Vec<Code> { check(p, now()).diagnostics.iter().map(|d| d.code).collect() };
    let with = |w: Wifi| {
        let mut p = base();
        p.wifi.push(w);
        p
    };
    // EAP-TLS naming a client certificate the profile does not have.
    let c = codes(&with(enterprise(
        "Corp",
        WifiSecurity::Wpa2Enterprise,
        eap_tls(root),
    )));
    assert!(c.contains(&Code::EapClientCertificateMissing), "{c:?}");
    // Without the client certificate name at all.
    let mut e = eap_tls(root);
    e.client_certificate = None;
    let c = codes(&with(enterprise("Corp", WifiSecurity::Wpa2Enterprise, e)));
    assert!(c.contains(&Code::EapClientCertificateMissing), "{c:?}");
    // A thumbprint that is not one, and none at all.
    let mut e = peap("not-a-thumbprint");
    let c = codes(&with(enterprise(
        "Corp",
        WifiSecurity::Wpa3Enterprise,
        e.clone(),
    )));
    assert!(c.contains(&Code::TrustedRootThumbprintInvalid), "{c:?}");
    e.trusted_root_thumbprints.clear();
    let c = codes(&with(enterprise("Corp", WifiSecurity::Wpa3Enterprise, e)));
    assert!(c.contains(&Code::EapTrustedRootMissing), "{c:?}");
    // A well-formed root that is not in the profile: a warning, not an error.
    let mut p = with(enterprise("Corp", WifiSecurity::Wpa3Enterprise, peap(root)));
    p.root_certificates.push(TrustedCertificate {
        name: "Other".into(),
        label: None,
        certificate: Asset::bytes("other.cer", {
            let k = KeyPair::generate().unwrap();
            CertificateParams::new(Vec::<String>::new())
                .unwrap()
                .self_signed(&k)
                .unwrap()
                .der()
                .to_vec()
        }),
    });
    let r = check(&p, now());
    assert!(!r.has_errors(), "{r}");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.code == Code::TrustedRootNotInProfile));
    // Server names missing, or with the separator.
    let mut e = peap(root);
    e.server_names.clear();
    let c = codes(&with(enterprise(
        "Corp",
        WifiSecurity::Wpa2Enterprise,
        e.clone(),
    )));
    assert!(c.contains(&Code::EapServerNamesMissing), "{c:?}");
    e.server_names = vec!["a;b".into()];
    let c = codes(&with(enterprise("Corp", WifiSecurity::Wpa2Enterprise, e)));
    assert!(c.contains(&Code::EapServerNamesMissing), "{c:?}");
    // Enterprise without [wifi.eap]; EAP on a personal network; a shared key on 802.1X.
    let mut w = enterprise("Corp", WifiSecurity::Wpa2Enterprise, peap(root));
    w.eap = None;
    assert!(codes(&with(w)).contains(&Code::EapMissing));
    let mut w = enterprise("Corp", WifiSecurity::Wpa3Personal, peap(root));
    w.key = Some(Secret::new("Guest-Pass-2024"));
    assert!(codes(&with(w)).contains(&Code::EapNotApplicable));
    let mut w = enterprise("Corp", WifiSecurity::Wpa2Enterprise, peap(root));
    w.key = Some(Secret::new("Guest-Pass-2024"));
    assert!(codes(&with(w)).contains(&Code::EapNotApplicable));
    // Unknown method and authMode.
    let mut e = peap(root);
    e.method = EapMethod::from_label("EAP-TTLS");
    e.auth_mode = Some("device".into());
    let c = codes(&with(enterprise("Corp", WifiSecurity::Wpa2Enterprise, e)));
    assert_eq!(
        c.iter().filter(|c| **c == Code::EapMethodInvalid).count(),
        2,
        "{c:?}"
    );
    // WPA3-Personal: SAE takes a password, not a 64-hex PSK; and needs one.
    let sae = |key: Option<&str>| Wifi {
        ssid: "Guest".into(),
        security: WifiSecurity::Wpa3Personal,
        key: key.map(Secret::new),
        auto_connect: None,
        hidden: None,
        proxy: None,
        eap: None,
    };
    assert!(codes(&with(sae(Some(&"ab".repeat(32))))).contains(&Code::InvalidPassphrase));
    assert!(codes(&with(sae(Some("short")))).contains(&Code::InvalidPassphrase));
    assert!(codes(&with(sae(None))).contains(&Code::SecurityKeyMissing));
    assert!(codes(&with(sae(Some("Guest-Pass-2024")))).is_empty());
    // SSID byte length (UTF-8): 17 × "é" is 34 bytes.
    let mut w = sae(Some("Guest-Pass-2024"));
    w.ssid = "é".repeat(17);
    assert!(codes(&with(w)).contains(&Code::SsidLength));
    // XML cannot carry U+0001.
    let mut w = sae(Some("Guest-Pass-2024"));
    w.ssid = "Bad\u{1}Name".into();
    assert!(codes(&with(w.clone())).contains(&Code::InvalidXmlChar));
    assert!(wlan_profile_xml(&w, None).unwrap_err().contains("U+0001"));
    // A proxy only exists on WCD's WLANSetting.
    let mut w = sae(Some("Guest-Pass-2024"));
    w.proxy = Some("proxy.example.com:8080".into());
    assert!(codes(&with(w)).contains(&Code::ProxyInvalid));
}

#[test]
fn unpinnable_client_certificate_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let c = chain(dir.path());
    let Some(pfx) = make_pfx(&c.client, "Dev-Pass1", false) else {
        return;
    };
    let mut p = base();
    p.client_certificates.push(client(pfx));
    p.wifi.push(enterprise(
        "Corp",
        WifiSecurity::Wpa2Enterprise,
        eap_tls(&c.root_thumbprint),
    ));
    let r = check(&p, now());
    assert!(!r.has_errors(), "{r}");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.code == Code::EapClientCertificateNotPinned));
    // Without the root, no CAHashList is written.
    let xml = String::from_utf8(wlan_files(&p).into_values().next().unwrap()).unwrap();
    assert!(!xml.contains("CAHashList"), "{xml}");
}

#[test]
fn profiles_load_from_toml() {
    let p = Profile::from_toml(
        r#"
        [package]
        name = "t"
        version = "1.0"
        [[wifi]]
        ssid = "Corp"
        security = "WPA3-Enterprise"
        [wifi.eap]
        method = "PEAP-MSCHAPv2"
        trusted_root_thumbprints = ["81E23225D3B3FC9A5C3F5319761EB56A6322D1A6"]
        server_names = ["radius.corp.example.com"]
        auth_mode = "machineOrUser"
        "#,
    )
    .unwrap();
    let w = &p.wifi[0];
    assert_eq!(w.security, WifiSecurity::Wpa3Enterprise);
    let eap = w.eap.as_ref().unwrap();
    assert_eq!(eap.method, EapMethod::PeapMschapv2);
    assert_eq!(eap.auth_mode.as_deref(), Some("machineOrUser"));
    // Unknown keys in [wifi.eap] are refused.
    let e = Profile::from_toml(
        r#"
        [package]
        name = "t"
        version = "1.0"
        [[wifi]]
        ssid = "Corp"
        security = "WPA2-Enterprise"
        [wifi.eap]
        method = "EAP-TLS"
        servers = ["x"]
        "#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("servers"), "{e}");
}

#[test]
fn eap_diagnostics_point_at_their_toml_key() {
    let text = r#"[package]
name = "t"
version = "1.0"

[[wifi]]
ssid = "Corp"
security = "WPA2-Enterprise"
[wifi.eap]
method = "EAP-TLS"
client_certificate = "Nope"
trusted_root_thumbprints = ["81E2"]
"#;
    let p = Profile::from_toml(text).expect("parses");
    let report = check(&p, now());
    let line_of = |code: Code| {
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{code:?}: {report}"));
        workplace::locate_in_toml(text, &d.path).map(|p| p.line)
    };
    assert_eq!(line_of(Code::EapClientCertificateMissing), Some(10));
    assert_eq!(line_of(Code::TrustedRootThumbprintInvalid), Some(11));
    // A key that is missing: the [wifi.eap] table itself.
    assert_eq!(line_of(Code::EapServerNamesMissing), Some(8));
}
