//! `.provxml`, `RunTime.xml` and `MasterDatastore.xml` against the real packages' files.

use std::path::PathBuf;

use ppkg_format::provxml::{Parm, ProvDoc};
use ppkg_format::runtime::{master_datastore_xml, ConfigurationSet, RunTime};

const PACKAGES: [&str; 2] = [
    "ppkg/start_pins_extracted",
    "ppkg/acer_baseconfig_extracted",
];

fn provxml_files() -> Option<Vec<PathBuf>> {
    let mut v = Vec::new();
    for p in PACKAGES {
        let dir = ppkg_testdata::reference_file(&format!("{p}/Multivariant/0/Prov/RunTime"))?;
        for e in std::fs::read_dir(dir).expect("list the sample folder") {
            v.push(e.expect("list the sample folder").path());
        }
    }
    v.sort();
    Some(v)
}

#[test]
fn every_provxml_is_written_back_byte_for_byte() {
    let Some(files) = provxml_files() else { return };
    assert_eq!(files.len(), 16);
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let doc = ProvDoc::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!doc.parms().is_empty());
        assert_eq!(
            String::from_utf8_lossy(&doc.to_bytes()),
            String::from_utf8_lossy(&bytes),
            "{}",
            f.display()
        );
    }
}

#[test]
fn a_provxml_built_in_code_matches_wcd() {
    let Some(p) = ppkg_testdata::reference_file(
        "ppkg/acer_baseconfig_extracted/Multivariant/0/Prov/RunTime/3__ProvisioningCommands_PrimaryContext_Command_0_CommandFile.provxml",
    ) else {
        return;
    };
    let mut d = ProvDoc::new();
    d.add_parm(
        &[
            "Provisioning",
            "Assets",
            "{19738506-279f-4439-993d-779fef2a3d60}",
            "/ProvisioningCommands/PrimaryContext/Command/0/CommandFile",
        ],
        Parm::new(
            "ProvisioningCommands/PrimaryContext/Command/CommandConfig/CommandFile",
            "0_E59k3Wvw1OrB63LOQp31n8N9yPXB6QFhlvlr0TK2b0A=\\Cortex_XDR_9_0_0_16757_x64.msi",
            "Cortex_XDR_9_0_0_16757_x64.msi",
            "string",
        ),
    );
    assert_eq!(d.to_bytes(), std::fs::read(p).unwrap());
}

#[test]
fn secrets_are_not_in_debug_output() {
    let Some(p) = ppkg_testdata::reference_file(
        "ppkg/acer_baseconfig_extracted/Multivariant/0/Prov/RunTime/0__Accounts_Users_ICTMSFO5.provxml",
    ) else {
        return;
    };
    let d = ProvDoc::parse(&std::fs::read(p).unwrap()).unwrap();
    let parms = d.parms();
    assert_eq!(parms[0].1.value.as_deref(), Some("REDACTED"));
    let dbg = format!("{d:?}");
    assert!(!dbg.contains("REDACTED"), "{dbg}");
    assert!(dbg.contains("LocalUserGroup"));
}

#[test]
fn runtime_and_master_datastore_are_written_as_wcd_writes_them() {
    for p in PACKAGES {
        let Some(rt) =
            ppkg_testdata::reference_file(&format!("{p}/Multivariant/0/Prov/RunTime.xml"))
        else {
            return;
        };
        let bytes = std::fs::read(rt).unwrap();
        let r = RunTime::parse(&bytes).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&r.to_bytes()),
            String::from_utf8_lossy(&bytes)
        );
        // Every set names a file that exists beside it.
        for s in &r.sets {
            let name = s.file_name().unwrap();
            let f =
                ppkg_testdata::reference_file(&format!("{p}/Multivariant/0/Prov/RunTime/{name}"));
            assert!(f.is_some_and(|f| f.is_file()), "{name}");
        }
        let md = ppkg_testdata::reference_file(&format!("{p}/Multivariant/0/MasterDatastore.xml"))
            .unwrap();
        assert_eq!(master_datastore_xml(), std::fs::read(md).unwrap());
    }
    let Some(acer) = ppkg_testdata::reference_file(
        "ppkg/acer_baseconfig_extracted/Multivariant/0/Prov/RunTime.xml",
    ) else {
        return;
    };
    let r = RunTime::parse(&std::fs::read(acer).unwrap()).unwrap();
    assert_eq!(r.sets.len(), 15);
    assert_eq!(
        r.sets[9].settings_group,
        "1348d3d6-134b-5eb8-8f89-96c44bf9aa0b_0"
    );
    assert_eq!(
        r.sets[9],
        ConfigurationSet::provxml(
            "1348d3d6-134b-5eb8-8f89-96c44bf9aa0b_0",
            "9__ProvisioningCommands_PrimaryContext_Command_1_CommandFile.provxml"
        )
    );
}
