//! The built-in settings catalog against the facts of WCD's store (`wcd-store/`) and the real
//! sample packages (`SAMPLE-CHECK.md`).

use std::time::Instant;

use csp_model::catalog::{
    Catalog, CspAction, Edition, EditionSet, GroupSource, Origin, OverlayEntry, SettingKind, Store,
    StoreSet,
};

#[test]
fn builtin_parses_and_covers_every_edition() {
    let start = Instant::now();
    let catalog = Catalog::from_table(include_str!("../data/catalog.tsv")).unwrap();
    let took = start.elapsed();
    eprintln!(
        "catalog table parsed in {took:?} ({} entries)",
        catalog.len()
    );

    // Setting counts per edition from wcd-store/SOURCES.md; Desktop is the 1,923 paths of the
    // 22621 store (wcd-store-22621/SOURCES.md) plus the 8 that only the 2019 Desktop store has.
    let want = [
        (Edition::Common, 951),
        (Edition::Desktop, 1923 + 8),
        (Edition::HoloLens, 158),
        (Edition::Holographic, 161),
        (Edition::IoTUAP, 1072),
        (Edition::Mobile, 2001),
        (Edition::Team, 1107),
    ];
    for (edition, count) in want {
        assert_eq!(
            catalog.settings_for_edition(edition).count(),
            count,
            "{edition}"
        );
    }
    // Sequence entries: 2478 distinct paths over all editions (TYPES.md: 2478 distinct uuids),
    // plus one group entry for each of the 106 groups of 22621-only settings (1 learned from the
    // real packages, 105 generated).
    assert_eq!(catalog.sequence_entries().len(), 2478 + 106);
    let sources = |f: fn(&GroupSource) -> bool| {
        catalog
            .sequence_entries()
            .iter()
            .filter(|e| f(&e.source))
            .count()
    };
    assert_eq!(sources(|s| matches!(s, GroupSource::Store)), 2478);
    assert_eq!(sources(|s| matches!(s, GroupSource::Learned(_))), 1);
    assert_eq!(sources(|s| matches!(s, GroupSource::Generated)), 105);
    // 2609 paths in the 2019 store, 281 more in the 22621 store.
    assert_eq!(catalog.paths().count(), 2609 + 281);
}

#[test]
fn list_and_map_items_follow_the_samples() {
    let c = Catalog::builtin();
    let users = c.get("/Accounts/Users").unwrap();
    assert_eq!(users.kind, SettingKind::Map);
    assert_eq!(users.key_attribute.as_deref(), Some("UserName"));
    assert_eq!(users.item_element.as_deref(), Some("User"));

    let commands = c
        .get("/ProvisioningCommands/PrimaryContext/Command")
        .unwrap();
    assert_eq!(commands.kind, SettingKind::List);
    assert_eq!(commands.key_attribute.as_deref(), Some("Name"));
    assert_eq!(commands.item_element.as_deref(), Some("CommandConfig"));

    let enrollments = c.get("Workplace/Enrollments").unwrap();
    assert_eq!(enrollments.key_attribute.as_deref(), Some("UPN"));
    assert_eq!(enrollments.item_element.as_deref(), Some("UPN"));
    assert_eq!(
        enrollments.apply.after,
        ["AutomaticTime", "WLAN", "Certificates"]
    );
}

#[test]
fn acer_sample_facts() {
    let c = Catalog::builtin();
    let group = c.get("/Accounts/Users/User/UserGroup").unwrap();
    assert_eq!(group.kind, SettingKind::Int);
    assert_eq!(group.value_for_label("Administrators"), Some("2"));
    assert_eq!(group.value_for_label("2"), Some("2"));
    assert_eq!(group.label_for_value("1"), Some("Standard Users"));
    assert_eq!(group.value_for_label("Admins"), None);
    assert_eq!(group.atomic_root.as_deref(), Some("/Accounts/Users/User"));
    let csp = group.csp.as_ref().unwrap();
    assert_eq!(
        csp.path,
        "./Vendor/MSFT/Accounts/Users/~UserName~/LocalUserGroup"
    );
    assert_eq!(csp.action, CspAction::Set);
    assert_eq!(group.default, ["1"]);

    assert_eq!(
        c.settings_group("/Accounts/Users/User"),
        Some("316e2a31-250a-5f09-a0e1-d2e5c6b03559")
    );
    let trusted = c
        .get("/Policies/ApplicationManagement/AllowAllTrustedApps")
        .unwrap();
    assert_eq!(
        trusted.settings_group.as_deref(),
        Some("1d06ee0e-b4a8-559b-b253-c7f645eb1b9c")
    );
    assert_eq!(trusted.value_for_label("Yes"), Some("1"));
    assert_eq!(trusted.constraints.min, Some(0));
    assert_eq!(trusted.constraints.max, Some(1));

    let hide = c.get("/OOBE/Desktop/HideOobe").unwrap();
    assert_eq!(hide.kind, SettingKind::Bool);
    assert!(hide.csp.is_none());
    assert_eq!(
        hide.registry.as_ref().unwrap().path,
        r"HKLM\Software\Microsoft\Windows\CurrentVersion\OOBE\@SkipMachineOOBE"
    );
    assert_eq!(hide.apply.after, ["/CleanPC"]);
    assert_eq!(hide.editions, EditionSet::only(Edition::Desktop));
    assert_eq!(
        hide.settings_group.as_deref(),
        Some("b786dbf1-ec31-5be5-aa49-934e4489fae9")
    );

    let file = c
        .get("/ProvisioningCommands/PrimaryContext/Command/CommandConfig/CommandFile")
        .unwrap();
    assert_eq!(file.kind, SettingKind::Asset);
    assert!(file.csp.is_none() && file.registry.is_none());
    assert_eq!(
        file.file_path.as_deref(),
        Some("Temporary Runtime Package Command Files")
    );
}

#[test]
fn enrollment_certificates_and_levels() {
    let c = Catalog::builtin();
    let upn = c.get("/Workplace/Enrollments/UPN").unwrap();
    assert_eq!(upn.apply_level(Edition::Desktop), Some(2));
    assert_eq!(
        upn.settings_group.as_deref(),
        Some("98718529-c71c-5bdc-91de-8be418006c2e")
    );
    let auth = c.get("/Workplace/Enrollments/UPN/AuthPolicy").unwrap();
    assert_eq!(auth.value_for_label("OnPremise"), Some("0"));
    assert_eq!(auth.value_for_label("Certificate"), Some("2"));
    let root = c
        .get("/Certificates/RootCertificates/RootCertificate/CertificatePath")
        .unwrap();
    assert_eq!(
        root.csp.as_ref().unwrap().path,
        "RootCATrustedCertificates!scope=Device/Root/@CertificateHash@/EncodedCertificate"
    );
    assert_eq!(root.validation_subkeys[0].name, "cer");
    let key = c
        .get("/Certificates/ClientCertificates/ClientCertificate/KeyLocation")
        .unwrap();
    assert_eq!(key.value_for_label("Software only"), Some("3"));
    assert!(key.required);
    // Dependency names of ApplyAfterSetting are sequence entries without a leading '/'.
    assert_eq!(
        c.settings_group("Certificates"),
        Some("f70c721e-74da-5a38-bd60-2e6a87eca388")
    );
    let security = c
        .get("/ConnectivityProfiles/WLAN/WLANSetting/WLANConfig/WLANXmlSettings/SecurityKey")
        .unwrap();
    assert_eq!(security.conditions.len(), 2);
    assert_eq!(security.conditions[1].value, "WPA2-Personal");
    assert_eq!(security.conditions[0].setting, "../SecurityType");
}

#[test]
fn per_edition_variants_are_kept_apart() {
    let c = Catalog::builtin();
    // The store maps this setting to different CSP paths in different editions.
    let variants: Vec<_> = c
        .variants("/Policies/Privacy/AllowInputPersonalization")
        .collect();
    assert!(variants.len() >= 2, "{variants:?}");
    let mut union = EditionSet::EMPTY;
    for v in &variants {
        assert!(!v.editions.is_empty());
        for e in v.editions.iter() {
            assert!(!union.contains(e), "editions overlap");
        }
        union = union.union(v.editions);
    }
    assert_eq!(
        c.editions_of("/Policies/Privacy/AllowInputPersonalization"),
        union
    );
    // Apply levels differ per edition too: /Accounts/Azure is level 1 on Holographic only.
    let azure = c.get("/Accounts/Azure").unwrap();
    assert_eq!(azure.apply_level(Edition::Desktop), Some(2));
    assert_eq!(c.sequence("/Accounts/Azure").unwrap().levels[3], Some(1));
}

#[test]
fn children_and_nearest() {
    let c = Catalog::builtin();
    let names: Vec<_> = c
        .children("/Workplace/Enrollments/UPN")
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "AuthPolicy",
            "DiscoveryServiceFullUrl",
            "EnrollmentServiceFullUrl",
            "PolicyServiceFullUrl",
            "Secret"
        ]
    );
    assert!(c.children("/").any(|s| s.path == "/Workplace"));
    assert_eq!(
        c.nearest("/Workplace/Enrollments/UPN/AuthPolicyy", 3)[0],
        "/Workplace/Enrollments/UPN/AuthPolicy"
    );
    assert_eq!(
        c.nearest("/Workplace/Enrollments/UPN/secret", 1),
        ["/Workplace/Enrollments/UPN/Secret"]
    );
    // Right name, wrong parent: found globally.
    assert!(c
        .nearest("/ApplicationManagement/AllowAllTrustedApps", 5)
        .contains(&"/Policies/ApplicationManagement/AllowAllTrustedApps"));
    assert!(c.nearest("/Workplace/Zzzzzzzzzzzzzzzzzz", 5).is_empty());
}

#[test]
fn overlay_from_start_pins_and_added_entries() {
    let c = Catalog::builtin();
    let pins = c.get("/Policies/Start/ConfigureStartPins").unwrap();
    assert_eq!(pins.kind, SettingKind::Text);
    assert_eq!(
        pins.csp.as_ref().unwrap().path,
        "./Vendor/MSFT/Policy/Config/Start/ConfigureStartPins"
    );
    assert_eq!(
        pins.settings_group.as_deref(),
        Some("d66ea0fd-afd5-5f17-a853-597f25399be1")
    );
    // Now in the 22621 store; its SettingsGroup is the one the real packages use.
    assert!(matches!(pins.origin, Origin::Store));
    assert_eq!(pins.stores, StoreSet::only(Store::Wcd22621));
    assert!(matches!(
        c.group_source("/Policies/Start/ConfigureStartPins"),
        Some(GroupSource::Learned(p)) if p.ends_with(".ppkg")
    ));
    assert!(c
        .children("/Policies/Start")
        .any(|s| s.name == "ConfigureStartPins"));

    let extended = Catalog::with_overlay([OverlayEntry {
        path: "/Policies/NewArea/NewPolicy".into(),
        kind: SettingKind::Int,
        csp_path: Some("./Vendor/MSFT/Policy/Config/NewArea/NewPolicy".into()),
        registry_mapped: false,
        settings_group: Some("00000000-0000-5000-8000-000000000001".into()),
        atomic_root: None,
        editions: EditionSet::only(Edition::Desktop),
        source: "test".into(),
    }]);
    assert_eq!(extended.len(), c.len() + 2);
    assert_eq!(
        extended.get("/Policies/NewArea").unwrap().kind,
        SettingKind::Tree
    );
    assert!(extended.children("/Policies").any(|s| s.name == "NewArea"));
    assert_eq!(
        extended.settings_group("/Policies/NewArea/NewPolicy"),
        Some("00000000-0000-5000-8000-000000000001")
    );
    assert!(c.get("/Policies/NewArea").is_none());
}

/// Every record of the store dump is in the catalog with the same kind, CSP path, registry path,
/// key and enumeration size, for its edition.
#[test]
fn every_store_record_is_in_the_catalog() {
    let Some(store) = ppkg_testdata::reference_file("wcd-store") else {
        return;
    };
    let newer = ppkg_testdata::reference_file("wcd-store-22621/settings-Desktop.jsonl").unwrap();
    let newer = std::fs::read_to_string(newer).unwrap();
    let newer_paths: std::collections::HashSet<String> = newer
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["path"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let c = Catalog::builtin();
    let mut checked = 0;
    let mut superseded = 0;
    let mut sources: Vec<(Edition, String, bool)> = Vec::new();
    for e in Edition::ALL {
        let text =
            std::fs::read_to_string(store.join(format!("settings-{}.jsonl", e.name()))).unwrap();
        sources.push((e, text, false));
    }
    sources.push((Edition::Desktop, newer.clone(), true));
    for (e, text, is_newer) in &sources {
        let e = *e;
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let path = v["path"].as_str().unwrap();
            if e == Edition::Desktop && !is_newer && newer_paths.contains(path) {
                // The 22621 record wins for Desktop; the 2019 one is kept as superseded when
                // it differs.
                let s = c.get_in(path, e).unwrap();
                if s.csp.as_ref().map(|c| c.path.as_str()) != v["csp"]["path"].as_str()
                    || s.values.len() != v["values"].as_array().map_or(0, Vec::len)
                {
                    assert!(c.superseded(path).next().is_some(), "{path}");
                    superseded += 1;
                }
                continue;
            }
            let s = c
                .get_in(path, e)
                .unwrap_or_else(|| panic!("{path} missing in {e}"));
            assert_eq!(
                u64::from(s.kind.code()),
                v["type"].as_u64().unwrap(),
                "{path}"
            );
            assert_eq!(
                s.csp.as_ref().map(|c| c.path.as_str()),
                v["csp"]["path"].as_str(),
                "{path}"
            );
            assert_eq!(
                s.registry.as_ref().map(|r| r.path.as_str()),
                v["registry"]["path"].as_str(),
                "{path}"
            );
            if s.kind == SettingKind::Map {
                assert_eq!(s.key_attribute.as_deref(), v["key"].as_str(), "{path}");
            }
            assert_eq!(
                s.values.len(),
                v["values"].as_array().map_or(0, Vec::len),
                "{path}"
            );
            assert_eq!(
                s.atomic_root.as_deref(),
                v["atomic_root"].as_str(),
                "{path}"
            );
            checked += 1;
        }
    }
    // Every 2019 record but the Desktop ones the 22621 store replaces, and every 22621 record.
    assert_eq!(
        checked,
        951 + 1614 + 158 + 161 + 1072 + 2001 + 1107 - (1923 - 317) + 1923
    );
    assert!(superseded > 0);
}

/// Overlay entries learned from the real packages agree with the store where the store knows the
/// setting, and reproduce the built-in start_pins entry.
#[test]
fn learn_overlay_from_real_packages() {
    use csp_model::catalog::{builtin_overlay, learn_overlay};
    use ppkg_format::provxml::ProvDoc;
    use ppkg_format::runtime::RunTime;

    let load = |rel: &str| -> Option<(RunTime, Vec<(String, ProvDoc)>)> {
        let dir = ppkg_testdata::reference_file(rel)?.join("Multivariant/0/Prov");
        let runtime = RunTime::parse(&std::fs::read(dir.join("RunTime.xml")).unwrap()).unwrap();
        let mut docs = Vec::new();
        for set in &runtime.sets {
            let name = set.file_name().unwrap().to_owned();
            let doc =
                ProvDoc::parse(&std::fs::read(dir.join("RunTime").join(&name)).unwrap()).unwrap();
            docs.push((name, doc));
        }
        Some((runtime, docs))
    };
    let Some((runtime, docs)) = load("ppkg/start_pins_extracted") else {
        return;
    };
    let learned = learn_overlay(&runtime, &docs);
    let builtin = &builtin_overlay()[0];
    assert_eq!(learned.len(), 1);
    assert_eq!(learned[0].path, builtin.path);
    assert_eq!(learned[0].kind, builtin.kind);
    assert_eq!(learned[0].csp_path, builtin.csp_path);
    assert_eq!(learned[0].settings_group, builtin.settings_group);

    let Some((runtime, docs)) = load("ppkg/acer_baseconfig_extracted") else {
        return;
    };
    let learned = learn_overlay(&runtime, &docs);
    let c = Catalog::builtin();
    let by = |p: &str| learned.iter().find(|e| e.path == p).unwrap();
    // Plain CSP setting: same CSP path and SettingsGroup as the store.
    let trusted = by("/Policies/ApplicationManagement/AllowAllTrustedApps");
    let store = c.get(&trusted.path).unwrap();
    assert_eq!(
        trusted.csp_path.as_deref(),
        store.csp.as_ref().map(|m| m.path.as_str())
    );
    assert_eq!(trusted.settings_group, store.settings_group);
    assert_eq!(trusted.kind, store.kind);
    // Registry-mapped.
    assert!(by("/OOBE/Desktop/HideOobe").registry_mapped);
    // Atomic group: the root carries the SettingsGroup.
    let user = by("/Accounts/Users/User");
    assert_eq!(
        user.settings_group,
        c.get("/Accounts/Users/User").unwrap().settings_group
    );
    assert_eq!(
        by("/Accounts/Users/User/UserGroup").atomic_root.as_deref(),
        Some("/Accounts/Users/User")
    );
    // Payload references are not CSP nodes.
    assert!(learned.iter().all(|e| !e.path.ends_with("/CommandFile")));
    // Repeated groups: the first use gives the SettingsGroup, without the `_0` suffix.
    let line = by("/ProvisioningCommands/PrimaryContext/Command/CommandConfig/CommandLine");
    assert_eq!(
        line.settings_group.as_deref(),
        Some("56ccb8ff-b5f2-5806-a504-ab9091876608")
    );
    // Adding them to the built-in catalog changes nothing the store already knows.
    let extended = Catalog::with_overlay(learned);
    assert_eq!(extended.len(), c.len());
    assert_eq!(
        extended.get("/OOBE/Desktop/HideOobe"),
        c.get("/OOBE/Desktop/HideOobe")
    );
}
