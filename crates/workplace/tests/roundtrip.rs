//! proptest: profile → customizations.xml → profile, with strings full of `& < > " '` and
//! non-ASCII text.

use proptest::prelude::*;
use workplace::{
    Asset, AuthPolicy, ClientCertificate, Enrollment, KeyLocation, LocalUser, PackageInfo, Profile,
    ProvisioningCommand, RawSetting, Secret, Secrets, TrustedCertificate, Wifi, WifiSecurity,
};

/// Text with XML's special characters, non-ASCII and inner spaces, no control characters, no
/// leading or trailing whitespace (XML keeps them, but the answer file is also laid out).
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9&<>\"' äöüé中文🙂._@:/-]{1,24}".prop_map(|s| {
        let t = s.trim().to_owned();
        if t.is_empty() {
            "x".to_owned()
        } else {
            t
        }
    })
}

fn secret() -> impl Strategy<Value = Option<Secret>> {
    proptest::option::of(text().prop_map(Secret::new))
}

fn enrollment() -> impl Strategy<Value = Enrollment> {
    (
        text(),
        prop_oneof![Just(AuthPolicy::OnPremise), Just(AuthPolicy::Certificate)],
        proptest::option::of(text()),
        secret(),
    )
        .prop_map(|(upn, auth_policy, url, secret)| Enrollment {
            upn,
            auth_policy,
            discovery_service_full_url: url,
            enrollment_service_full_url: None,
            policy_service_full_url: None,
            secret,
        })
}

fn wifi() -> impl Strategy<Value = Wifi> {
    (
        text(),
        prop_oneof![
            Just(WifiSecurity::Open),
            Just(WifiSecurity::Wep),
            Just(WifiSecurity::Wpa2Personal)
        ],
        secret(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(text()),
    )
        .prop_map(|(ssid, security, key, auto_connect, hidden, proxy)| Wifi {
            ssid,
            security,
            key,
            auto_connect,
            hidden,
            proxy,
            eap: None,
        })
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        (text(), text(), 0u32..100),
        proptest::collection::vec(enrollment(), 0..3),
        proptest::collection::vec(wifi(), 0..3),
        proptest::collection::vec((text(), text(), secret(), any::<bool>()), 0..2),
        proptest::collection::vec((text(), text()), 0..2),
        proptest::collection::vec((text(), secret()), 0..2),
        proptest::option::of(text()),
        proptest::collection::vec((text(), text(), proptest::option::of(-5i64..4000)), 0..2),
        proptest::collection::vec(text(), 0..3),
    )
        .prop_map(
            |(
                (name, version, rank),
                enrollments,
                wifi,
                clients,
                roots,
                users,
                computer_name,
                commands,
                raw,
            )| {
                let mut p = Profile {
                    package: PackageInfo {
                        name,
                        version,
                        id: None,
                        owner_type: "ITAdmin".into(),
                        rank,
                        notes: None,
                    },
                    enrollments,
                    wifi,
                    computer_name,
                    ..Profile::default()
                };
                p.client_certificates = clients
                    .into_iter()
                    .map(|(name, path, password, export)| ClientCertificate {
                        name,
                        label: None,
                        pfx: Asset::path(path),
                        password,
                        key_location: Some(KeyLocation::TpmWithSoftwareFallback),
                        export_certificate: Some(export),
                    })
                    .collect();
                p.root_certificates = roots
                    .into_iter()
                    .map(|(name, path)| TrustedCertificate {
                        name,
                        label: None,
                        certificate: Asset::path(path),
                    })
                    .collect();
                p.local_users = users
                    .into_iter()
                    .map(|(name, password)| LocalUser {
                        name,
                        password,
                        group: Some("Administrators".into()),
                    })
                    .collect();
                p.commands = commands
                    .into_iter()
                    .map(|(name, command_line, code)| ProvisioningCommand {
                        name,
                        file: None,
                        command_line,
                        continue_install: Some(true),
                        restart_required: None,
                        return_code_restart: code,
                        return_code_success: None,
                        dependencies: Vec::new(),
                    })
                    .collect();
                p.settings = raw
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        RawSetting::new(
                            workplace::format_path(&[
                                workplace::Segment::plain("Policies"),
                                workplace::Segment::plain(&format!("Area{i}")),
                                workplace::Segment::item("Setting", "Name", &v),
                            ]),
                            v,
                        )
                    })
                    .collect();
                // List keys are unique in a real answer file; keep the first of each.
                dedup_by(&mut p.enrollments, |e| e.upn.clone());
                dedup_by(&mut p.wifi, |w| w.ssid.clone());
                dedup_by(&mut p.client_certificates, |c| c.name.clone());
                dedup_by(&mut p.root_certificates, |c| c.name.clone());
                dedup_by(&mut p.local_users, |u| u.name.clone());
                dedup_by(&mut p.commands, |c| c.name.clone());
                p
            },
        )
}

fn dedup_by<T, K: PartialEq>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut seen: Vec<K> = Vec::new();
    v.retain(|x| {
        let k = key(x);
        if seen.contains(&k) {
            false
        } else {
            seen.push(k);
            true
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn profile_xml_profile(p in profile()) {
        let xml = p.to_answer_xml().unwrap();
        let back = Profile::from_answer_xml(xml.as_bytes()).unwrap();
        prop_assert_eq!(&back, &p, "{}", xml);
    }

    #[test]
    fn profile_toml_json_profile(p in profile()) {
        let toml = p.to_toml(Secrets::Reveal).unwrap();
        prop_assert_eq!(&Profile::from_toml(&toml).unwrap(), &p, "{}", toml);
        let json = p.to_json(Secrets::Reveal).unwrap();
        prop_assert_eq!(&Profile::from_json(&json).unwrap(), &p);
    }
}
