//! `ppkg_format::answer` against the real answer files in `../shared/reference/`.

use std::path::PathBuf;

use ppkg_format::answer::{AnswerFile, PackageConfig};
use ppkg_format::owner::OwnerType;
use ppkg_format::xml::Element;

fn read(rel: &str) -> Option<Vec<u8>> {
    let p: PathBuf = ppkg_testdata::reference_file(rel)?;
    Some(std::fs::read(p).expect("read reference file"))
}

const START_PINS: &str = "ppkg/start_pins_extracted/Multivariant/0/customizations.xml";
const ACER: &str = "ppkg/acer_baseconfig_extracted/Multivariant/0/customizations.xml";

#[test]
fn every_answer_file_parses_and_writes_back_unchanged() {
    let Some(dir) = ppkg_testdata::reference_file("customizations") else {
        return;
    };
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    names.sort();
    let mut checked = 0;
    for p in names.iter().map(|p| p.to_str().unwrap().to_owned()).chain(
        [START_PINS, ACER]
            .iter()
            .filter_map(|r| ppkg_testdata::reference_file(r))
            .map(|p| p.to_str().unwrap().to_owned()),
    ) {
        let bytes = std::fs::read(&p).unwrap();
        let a = AnswerFile::parse(&bytes).unwrap_or_else(|e| panic!("{p}: {e}"));
        let cfg = a.package_config().unwrap_or_else(|e| panic!("{p}: {e}"));
        cfg.validate().unwrap_or_else(|e| panic!("{p}: {e}"));
        if p.ends_with("msiot-Appx.IoTOnboardingTask.customizations.xml") {
            // Whitespace inside a start tag is not kept (see tests/docs_xml.rs).
            continue;
        }
        assert!(
            a.to_bytes() == bytes,
            "{p}: {}",
            String::from_utf8_lossy(&a.to_bytes())
        );
        // Setting the same config changes nothing.
        let mut b = a.clone();
        b.set_package_config(&cfg);
        assert!(
            b.to_bytes() == bytes,
            "{p}: {}",
            String::from_utf8_lossy(&b.to_bytes())
        );
        checked += 1;
    }
    assert_eq!(checked, 9);
}

#[test]
fn package_config_of_the_real_packages() {
    let (Some(sp), Some(acer)) = (read(START_PINS), read(ACER)) else {
        return;
    };
    let sp = AnswerFile::parse(&sp).unwrap().package_config().unwrap();
    assert_eq!(
        sp,
        PackageConfig {
            id: Some("b84f2c39-eb59-4d4f-8ad1-0f93cec1384e".parse().unwrap()),
            name: "windows-kitting-workflow-sample".into(),
            version: "1.0".into(),
            owner_type: OwnerType::ItAdmin,
            rank: 0,
            notes: String::new(),
        }
    );
    assert_eq!(
        sp.id_braced().as_deref(),
        Some("{b84f2c39-eb59-4d4f-8ad1-0f93cec1384e}")
    );
    let acer = AnswerFile::parse(&acer).unwrap().package_config().unwrap();
    assert_eq!(acer.owner_type, OwnerType::Oem);
    assert_eq!(acer.owner_type.altitude(), 2000);
    assert_eq!(acer.name, "acer_tavelmateP214_baseconfig");

    // Unbraced ID (msiot) and upper-case braced ID without Rank (COSA sample).
    let Some(certs) = read("customizations/msiot-Appx.Certs.customizations.xml") else {
        return;
    };
    let c = AnswerFile::parse(&certs).unwrap().package_config().unwrap();
    assert_eq!(
        c.id.unwrap().to_string(),
        "fd231401-5ad4-401f-b2dd-653aa1c1b55d"
    );
    assert_eq!(c.version, "1.0.0.1");
    let Some(cosa) =
        read("customizations/commercialization-public-customize-cosa.multivariant-example.xml")
    else {
        return;
    };
    let c = AnswerFile::parse(&cosa).unwrap().package_config().unwrap();
    assert_eq!(
        c.id_braced().as_deref(),
        Some("{7240f79c-7567-4ba3-95c0-abd31d02a385}")
    );
    assert_eq!((c.rank, c.version.as_str()), (0, "5.0"));
}

#[test]
fn new_answer_file_is_laid_out_as_wcd_lays_it_out() {
    let Some(expected) = read(START_PINS) else {
        return;
    };
    let original = AnswerFile::parse(&expected).unwrap();
    let value = original
        .common()
        .unwrap()
        .descendant("Policies/Start/ConfigureStartPins")
        .unwrap()
        .text();
    let mut a = AnswerFile::new(original.package_config().unwrap());
    a.common_mut()
        .child_or_insert("Policies")
        .child_or_insert("Start")
        .push(Element::new("ConfigureStartPins").with_text(value));
    assert_eq!(
        String::from_utf8_lossy(&a.to_bytes()),
        String::from_utf8_lossy(&expected)
    );
}

#[test]
fn common_settings_xml_matches_the_packages() {
    let (Some(sp), Some(sp_af)) = (
        read(START_PINS),
        read("ppkg/start_pins_extracted/CommonSettings/1/AnswerFile.xml"),
    ) else {
        return;
    };
    let a = AnswerFile::parse(&sp).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&a.common_settings_xml()),
        String::from_utf8_lossy(&sp_af)
    );

    let (Some(acer), Some(acer_af)) = (
        read(ACER),
        read("ppkg/acer_baseconfig_extracted/CommonSettings/1/AnswerFile.xml"),
    ) else {
        return;
    };
    let a = AnswerFile::parse(&acer).unwrap();
    // Without the catalog rule the list items keep their Name attribute, which WCD drops.
    assert_ne!(a.common_settings_xml(), acer_af);
    let mut seen = Vec::new();
    let out = a.common_settings_xml_with(|path, attr| {
        seen.push(format!("{path}@{}", attr.name));
        // CommandConfig is the item of the Type 7 (index-keyed) list
        // /ProvisioningCommands/PrimaryContext/Command in WCD's settings store.
        !(path == "/ProvisioningCommands/PrimaryContext/Command/CommandConfig"
            && attr.name == "Name")
    });
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&acer_af)
    );
    assert!(
        seen.contains(&"/Accounts/Users/User@UserName".to_owned()),
        "{seen:?}"
    );
}

#[test]
fn targets_and_variants() {
    let Some(b) = read("customizations/windows-itpro-docs-provisioning-multivariant.example.xml")
    else {
        return;
    };
    let a = AnswerFile::parse(&b).unwrap();
    let t = a.targets().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].id, "Unique target identifier for desktop");
    assert_eq!(t[0].states.len(), 2);
    assert_eq!(t[0].states[0][0].name, "ProcessorName");
    assert_eq!(t[0].states[0][0].value, "Pattern:.*Celeron.*");
    assert_eq!((t[0].pos.line, t[0].pos.column), (15, 9));
    assert_eq!(t[1].states[0][1].value, "!Range:400, 550");
    let v = a.variants();
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].target_refs,
        ["Unique target identifier for desktop", "Mobile target"]
    );
    let s = v[0].settings.unwrap();
    assert_eq!(s.descendant("HotSpot/Enabled").unwrap().text(), "1");
    assert!(a.common().unwrap().elements().next().is_none());

    let Some(b) =
        read("customizations/commercialization-public-customize-cosa.multivariant-example.xml")
    else {
        return;
    };
    let a = AnswerFile::parse(&b).unwrap();
    assert_eq!(a.targets().unwrap().len(), 2);
    let v = a.variants();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name.as_deref(), Some("Fabrikam (OEM)"));
    assert_eq!(v[0].target_refs, ["87654321-abcd-1111-aaaa-1ead5bca0320"]);
    assert!(a.common().is_none());
}

#[test]
fn edits_keep_comments_and_unknown_elements() {
    let Some(b) = read("customizations/msiot-Provisioning.ProSKU.customizations.xml") else {
        return;
    };
    let mut a = AnswerFile::parse(&b).unwrap();
    a.common_mut()
        .child_or_insert("Policies")
        .child_or_insert("Update")
        .child_or_insert("ActiveHoursEnd")
        .set_text("23");
    let out = String::from_utf8(a.to_bytes()).unwrap();
    assert!(out.contains("<!-- Uncomment this to include the license file"));
    assert!(out.contains("<ActiveHoursEnd>23</ActiveHoursEnd>"));
    let back = AnswerFile::parse(out.as_bytes()).unwrap();
    // Re-laid out as WCD would write it: BOM, CRLF, the new element indented, comments kept.
    let mut wcd = a.clone();
    wcd.normalize_layout();
    let relaid = String::from_utf8(wcd.to_bytes()).unwrap();
    assert!(relaid.starts_with("\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"));
    assert!(
        relaid.contains("\r\n            <ActiveHoursEnd>23</ActiveHoursEnd>\r\n"),
        "{relaid}"
    );
    assert!(relaid.contains("<!-- Uncomment this to include the license file"));
    assert_eq!(
        back.common()
            .unwrap()
            .descendant("Policies/Update/ScheduledInstallDay")
            .unwrap()
            .text(),
        "Sunday"
    );
}

/// Field case B06 (cschneegans/unattend-generator#6): pretty-printing must not change values.
/// A 250-character command line and an embedded WLAN profile (XML as escaped text) survive
/// read → edit elsewhere → write → read byte for byte; indentation is only added between
/// elements.
#[test]
fn writer_never_reformats_text_nodes() {
    let long = format!("cmd.exe /c \"{}\"", "x".repeat(237));
    assert_eq!(long.len(), 250);
    let wlan = "<?xml version=\"1.0\"?>\n<WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\">\n\t<name>Lab Net</name>\n\t<SSIDConfig><SSID><name>Lab Net</name></SSID></SSIDConfig>\n  <MSM><security><sharedKey><keyMaterial>Lab&amp;Net&lt;2024&gt;</keyMaterial></sharedKey></security></MSM>\n</WLANProfile>";
    let mut a = AnswerFile::new(PackageConfig::new("b06"));
    let cmd = a
        .common_mut()
        .child_or_insert("ProvisioningCommands")
        .child_or_insert("DeviceContext");
    cmd.push(Element::new("CommandLine").with_text(long.clone()));
    a.common_mut()
        .child_or_insert("ConnectivityProfiles")
        .child_or_insert("WLAN")
        .push(Element::new("WLANXmlSettings").with_text(wlan));
    let bytes = a.to_bytes();
    let mut back = AnswerFile::parse(&bytes).unwrap();
    let common = back.common().unwrap();
    assert_eq!(
        common
            .descendant("ProvisioningCommands/DeviceContext/CommandLine")
            .unwrap()
            .text(),
        long
    );
    assert_eq!(
        common
            .descendant("ConnectivityProfiles/WLAN/WLANXmlSettings")
            .unwrap()
            .text(),
        wlan
    );
    // An unrelated edit, then write and read again: still identical values.
    let mut cfg = back.package_config().unwrap();
    cfg.rank = 5;
    back.set_package_config(&cfg);
    let again = AnswerFile::parse(&back.to_bytes()).unwrap();
    assert_eq!(
        again
            .common()
            .unwrap()
            .descendant("ConnectivityProfiles/WLAN/WLANXmlSettings")
            .unwrap()
            .text(),
        wlan
    );
    let text = String::from_utf8(back.to_bytes()).unwrap();
    // The embedded newlines are written as the file's CRLF, the tab is kept as is.
    assert!(text.contains("&lt;WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\"&gt;\r\n\t&lt;name&gt;Lab Net"));
    assert!(text.contains("Lab&amp;amp;Net&amp;lt;2024&amp;gt;"));
}

/// Field case B04 (MicrosoftDocs/windows-itpro-docs#2038): a malformed answer file gives a
/// position, never a panic or a generic failure.
#[test]
fn reader_reports_position_for_malformed_xml() {
    let unclosed = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<WindowsCustomizations>\r\n  <PackageConfig xmlns=\"urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0\">\r\n    <Name>x</Name>\r\n  </PackageConfig>\r\n  <Settings xmlns=\"urn:schemas-microsoft-com:windows-provisioning\">\r\n    <Customizations>\r\n    </Customizations>\r\n</WindowsCustomizations>";
    let e = AnswerFile::parse(unclosed.as_bytes()).unwrap_err();
    let ppkg_format::ErrorKind::Xml { line, column, .. } = e.kind() else {
        panic!("{e}")
    };
    assert_eq!((*line, *column), (9, 1), "{e}");
    assert!(e.to_string().contains("Settings"), "{e}");
    let entity = unclosed.replace("<Name>x</Name>", "<Name>&bogus;</Name>");
    let e = AnswerFile::parse(entity.as_bytes()).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ppkg_format::ErrorKind::Xml {
                line: 4,
                column: 11,
                ..
            }
        ),
        "{e}"
    );
}
