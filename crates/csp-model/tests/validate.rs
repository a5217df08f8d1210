//! Answer-file validation: the real `customizations.xml` files of `shared/reference/`, the field
//! cases B01, B02, B03 and B06, every diagnostic kind, the report API and secrets.

use csp_model::catalog::{Catalog, Edition};
use csp_model::validate::{
    check_embedded_xml, validate, validate_value, CallbackLogger, Code, Diagnostic, Report,
    Severity, Validator,
};
use ppkg_format::answer::AnswerFile;
use proptest::prelude::*;

/// An answer file with `common` as the content of `<Common>`; the `<Common>` element itself is on
/// line 9, so the first setting written right after it is on line 9 too.
fn answer(common: &str) -> AnswerFile {
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{{a0ff437e-87ae-4f47-a6a0-4121eb6bc106}}</ID><Name>Test</Name>
    <Version>1.0</Version><OwnerType>ITAdmin</OwnerType><Rank>0</Rank>
  </PackageConfig>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <Customizations>
      <Common>{common}</Common>
    </Customizations>
  </Settings>
</WindowsCustomizations>"#
    );
    AnswerFile::parse(xml.as_bytes()).expect("test answer file parses")
}

fn check(common: &str, edition: Edition) -> Report {
    validate(&answer(common), Catalog::builtin(), edition)
}

fn codes(r: &Report) -> Vec<Code> {
    r.diagnostics().iter().map(|d| d.code).collect()
}

#[test]
fn every_reference_answer_file_validates_or_reports_with_line_and_column() {
    let Some(dir) = ppkg_testdata::reference_file("customizations") else {
        return;
    };
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("xml") {
            continue;
        }
        files += 1;
        let answer = AnswerFile::parse(&std::fs::read(&path).unwrap()).unwrap();
        for edition in Edition::ALL {
            let report = validate(&answer, Catalog::builtin(), edition);
            for d in report.diagnostics() {
                assert!(
                    d.pos.is_some_and(|p| p.line > 0 && p.column > 0),
                    "{}: {d}",
                    path.display()
                );
                assert!(!d.path.is_empty());
            }
            if edition == Edition::Desktop {
                println!(
                    "== {} ({} diagnostics)\n{report}",
                    path.display(),
                    report.len()
                );
            }
        }
    }
    assert_eq!(files, 8);
}

/// Field case B01: a setting outside `Customizations/Common`, or a name the catalog lacks.
#[test]
fn validate_rejects_unknown_setting_path() {
    let xml = br#"<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{a0ff437e-87ae-4f47-a6a0-4121eb6bc106}</ID><Name>T</Name><Version>1.0</Version>
    <OwnerType>ITAdmin</OwnerType><Rank>0</Rank>
  </PackageConfig>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <ApplicationManagement><AllowAllTrustedApps>Yes</AllowAllTrustedApps></ApplicationManagement>
    <Customizations><Common/></Customizations>
  </Settings>
</WindowsCustomizations>"#;
    let a = AnswerFile::parse(xml).unwrap();
    let r = validate(&a, Catalog::builtin(), Edition::Desktop);
    let d = r.errors().next().unwrap();
    assert_eq!(d.code, Code::WrongParent, "{r}");
    assert_eq!(d.pos.map(|p| (p.line, p.column)), Some((7, 5)));
    assert!(d.message.contains("Customizations/Common"), "{d}");

    let r = check("<Workplace><Enrollmentz/></Workplace>", Edition::Desktop);
    assert_eq!(codes(&r), vec![Code::UnknownSetting], "{r}");
    let d = &r.diagnostics()[0];
    assert_eq!(d.path, "/Workplace/Enrollmentz");
    assert_eq!(d.pos.map(|p| (p.line, p.column)), Some((9, 26)));
    assert!(d.message.contains("target Desktop"), "{d}");
    assert!(d.message.contains("/Workplace/Enrollments"), "{d}");
    assert!(!r.is_valid());

    // A right name under a wrong parent names where it belongs.
    let r = check(
        "<Policies><AllowBrowser>1</AllowBrowser></Policies>",
        Edition::Desktop,
    );
    assert_eq!(codes(&r), vec![Code::WrongParent], "{r}");
    assert!(r.diagnostics()[0]
        .message
        .contains("/Policies/Browser/AllowBrowser"));
}

/// Field case B02: a setting that only some editions have.
#[test]
fn validate_setting_not_available_for_target() {
    let xml = "<AssignedAccess><AssignedAccessSettings>{\"Account\":\"kiosk\",\"AUMID\":\"App!Main\"}</AssignedAccessSettings></AssignedAccess>";
    let r = check(xml, Edition::Common);
    // Reported once, at the outermost setting; the child is not repeated.
    assert_eq!(codes(&r), vec![Code::SettingNotInTarget], "{r}");
    let d = &r.diagnostics()[0];
    assert_eq!(d.path, "/AssignedAccess");
    assert!(
        d.message.contains("Common") && d.message.contains("Desktop"),
        "{d}"
    );
    assert!(check(xml, Edition::Desktop).is_empty());

    let cmd = r#"<ProvisioningCommands><PrimaryContext><Command>
        <CommandConfig Name="a"><CommandLine>cmd /c exit 0</CommandLine></CommandConfig>
      </Command></PrimaryContext></ProvisioningCommands>"#;
    assert_eq!(
        codes(&check(cmd, Edition::Common)),
        vec![Code::SettingNotInTarget]
    );
    let r = check(cmd, Edition::Desktop);
    assert!(r.is_valid(), "{r}");
}

/// Field case B03: XML carried in a value must be well formed with its prefixes declared.
#[test]
fn validate_embedded_xml_payloads() {
    let r = check(
        "<Browser><PartnerSearchCode>&lt;root&gt;\n&lt;x:foo/&gt;&lt;/root&gt;</PartnerSearchCode></Browser>",
        Edition::Desktop,
    );
    let d = r
        .with_code(Code::EmbeddedXmlInvalid)
        .next()
        .expect("embedded XML error");
    assert!(d.message.contains("undeclared prefix `x`"), "{d}");
    assert!(d.message.contains("line 2, column 1"), "{d}");
    assert_eq!(d.pos.map(|p| p.line), Some(9));

    assert!(check_embedded_xml("").is_err());
    assert!(check_embedded_xml(
        r#"<WLANProfile xmlns="http://www.microsoft.com/networking/WLAN/profile/v1" xmlns:rs5="urn:x"><name rs5:AutoLaunch="true">Lab Net</name></WLANProfile>"#
    )
    .is_ok());
    let e = check_embedded_xml(r#"<WLANProfile><name rs5:AutoLaunch="true"/></WLANProfile>"#)
        .unwrap_err();
    assert!(e.reason.contains("rs5"), "{}", e.reason);
}

/// Field case B06: a value longer than the store's MaxLength.
#[test]
fn value_too_long_names_length_and_limit() {
    let xml = "<Calling><PhoneSettings><VoLTEAudioQualityString>ABCDEFGHIJK</VoLTEAudioQualityString></PhoneSettings></Calling>";
    let r = check(xml, Edition::Mobile);
    assert_eq!(codes(&r), vec![Code::ValueTooLong], "{r}");
    assert!(r.diagnostics()[0]
        .message
        .contains("11 characters, at most 10"));
    let ok = "<Calling><PhoneSettings><VoLTEAudioQualityString>ABCDEFGHIJ</VoLTEAudioQualityString></PhoneSettings></Calling>";
    assert!(check(ok, Edition::Mobile).is_empty());
}

#[test]
fn types_enums_and_ranges() {
    let users = |group: &str| {
        format!(
            r#"<Accounts><Users><User UserName="kiosk"><Password>pw</Password><UserGroup>{group}</UserGroup></User></Users></Accounts>"#
        )
    };
    assert!(check(&users("Administrators"), Edition::Desktop).is_empty());
    let r = check(&users("Admins"), Edition::Desktop);
    assert_eq!(codes(&r), vec![Code::EnumNotAllowed], "{r}");
    assert!(r.diagnostics()[0]
        .message
        .contains("Standard Users, Administrators"));
    let r = check(&users("administrators"), Edition::Desktop);
    assert_eq!(r.diagnostics()[0].severity, Severity::Warning, "{r}");
    assert!(r.is_valid());

    let cap = |v: &str| {
        format!("<AccountManagement><UserProfilePolicies><StorageCapacityStartDeletion>{v}</StorageCapacityStartDeletion></UserProfilePolicies></AccountManagement>")
    };
    assert!(check(&cap("100"), Edition::Desktop).is_empty());
    let r = check(&cap("150"), Edition::Desktop);
    assert_eq!(codes(&r), vec![Code::OutOfRange]);
    assert!(r.diagnostics()[0].message.contains("0..=100"), "{r}");
    assert_eq!(
        codes(&check(&cap("lots"), Edition::Desktop)),
        vec![Code::WrongType]
    );
    assert_eq!(
        codes(&check(&cap(""), Edition::Desktop)),
        vec![Code::EmptyValue]
    );

    let hotspot = |v: &str| format!("<HotSpot><Enabled>{v}</Enabled></HotSpot>");
    assert!(check(&hotspot("True"), Edition::Desktop).is_empty());
    assert!(check(&hotspot("false"), Edition::Desktop).is_empty());
    let r = check(&hotspot("yes"), Edition::Desktop);
    assert_eq!(r.errors().count(), 1, "{r}");
    assert_eq!(r.errors().next().unwrap().code, Code::WrongType);

    // A container holding text, a value holding elements.
    let r = check(
        "<HotSpot>on<Enabled>True</Enabled></HotSpot>",
        Edition::Desktop,
    );
    assert_eq!(codes(&r), vec![Code::UnexpectedText], "{r}");
    let r = check(
        "<HotSpot><Enabled><x/></Enabled></HotSpot>",
        Edition::Desktop,
    );
    assert_eq!(codes(&r), vec![Code::WrongType], "{r}");
}

#[test]
fn map_keys_missing_duplicate_and_constrained() {
    let xml = r#"<Accounts><Users>
<User UserName="kiosk"><Password>hunter2-secret</Password></User>
<User UserName="KIOSK"><Password>hunter2-secret</Password></User>
<User><Password>x</Password></User>
<User UserName="other" Color="blue"><UserGroup>Administrators</UserGroup></User>
</Users></Accounts>"#;
    let r = check(xml, Edition::Desktop);
    let c = codes(&r);
    assert!(c.contains(&Code::DuplicateKey), "{r}");
    assert!(c.contains(&Code::MissingKey), "{r}");
    assert!(c.contains(&Code::UnexpectedAttribute), "{r}");
    assert!(c.contains(&Code::MissingRequired), "{r}");
    let dup = r.with_code(Code::DuplicateKey).next().unwrap();
    assert_eq!(dup.pos.map(|p| p.line), Some(11));
    assert_eq!(dup.path, "/Accounts/Users/User[UserName=KIOSK]");
    assert!(dup.message.contains("10:1"), "{dup}");
    let missing = r.with_code(Code::MissingRequired).next().unwrap();
    assert_eq!(missing.path, "/Accounts/Users/User[UserName=other]");
    assert!(missing.message.contains("<Password>"));
    // Secrets never show.
    assert!(!r.to_string().contains("hunter2"), "{r}");

    // The map's own Pattern/Length apply to its keys.
    let vol = |k: &str| {
        format!(
            r#"<UnifiedWriteFilter><Volumes><Volume DriveLetter="{k}"/></Volumes></UnifiedWriteFilter>"#
        )
    };
    let ok = check(&vol("C:"), Edition::IoTUAP);
    assert!(
        !codes(&ok).contains(&Code::PatternMismatch) && !codes(&ok).contains(&Code::ValueTooLong),
        "{ok}"
    );
    let bad = check(&vol("CC"), Edition::IoTUAP);
    assert!(codes(&bad).contains(&Code::PatternMismatch), "{bad}");
}

#[test]
fn validate_value_is_reusable_and_patterns_use_the_wcd_dialect() {
    let cat = Catalog::builtin();
    let oem = cat
        .get("/Connections/Cellular/Connection/OemConnectionId")
        .unwrap();
    assert!(validate_value(oem, "6aaa4dfa-00d7-4aaa-8adf-73c6a7e2501e").is_empty());
    let d = validate_value(oem, "not-a-guid");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::PatternMismatch);
    assert_eq!(
        d[0].path,
        "/Connections/Cellular/Connection/OemConnectionId"
    );
    assert!(d[0].pos.is_none());

    let auth = cat.get("/Workplace/Enrollments/UPN/AuthPolicy").unwrap();
    assert!(validate_value(auth, "OnPremise").is_empty());
    assert!(validate_value(auth, "2").is_empty());
    assert_eq!(
        validate_value(auth, "Kerberos")[0].code,
        Code::EnumNotAllowed
    );
    // Macros of multivariant files are left alone.
    assert!(validate_value(auth, "$(__MVID)").is_empty());

    let pw = cat.get("/Accounts/Users/User/Password").unwrap();
    assert!(csp_model::validate::is_secret(pw));
}

#[test]
fn structure_targets_and_variants() {
    let xml = br#"<WindowsCustomizations>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <Customizations>
      <Targets><Target Id="t1"><TargetState><Condition Name="Mcc"/></TargetState></Target>
        <Target Id="t1"/></Targets>
      <Variant><TargetRefs><TargetRef Id="t2"/></TargetRefs>
        <Settings><HotSpot><Enabled>maybe</Enabled></HotSpot></Settings></Variant>
    </Customizations>
  </Settings>
</WindowsCustomizations>"#;
    let a = AnswerFile::parse(xml).unwrap();
    let r = validate(&a, Catalog::builtin(), Edition::Desktop);
    let c = codes(&r);
    for expected in [
        Code::Structure,
        Code::MissingKey,
        Code::DuplicateKey,
        Code::WrongType,
    ] {
        assert!(c.contains(&expected), "{expected:?} in {r}");
    }
    let wt = r.with_code(Code::WrongType).next().unwrap();
    assert_eq!(wt.path, "Variant[1]/HotSpot/Enabled");
    assert!(r
        .diagnostics()
        .iter()
        .any(|d| d.message.contains("TargetRef \"t2\" names no <Target>")));
}

#[test]
fn report_is_sorted_and_formats_each_line() {
    let r = check(
        "<HotSpot><Enabled>yes</Enabled></HotSpot>\n<Nope/>\n<HotSpot><Enabled>1</Enabled></HotSpot>",
        Edition::Desktop,
    );
    let lines: Vec<u32> = r
        .diagnostics()
        .iter()
        .map(|d| d.pos.unwrap().line)
        .collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
    assert_eq!(r.errors().count(), 2, "{r}");
    assert!(r.warnings().count() >= 2, "{r}");
    let text = r.to_string();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("9:24: error[WrongType] /HotSpot/Enabled: expected True or False"),
        "{first}"
    );
    assert_eq!(text.lines().count(), r.len());

    // Streaming through a logger gives the same diagnostics.
    let mut seen: Vec<Diagnostic> = Vec::new();
    let a = answer("<HotSpot><Enabled>yes</Enabled></HotSpot>");
    Validator::new(Catalog::builtin(), Edition::Desktop)
        .validate_into(&a, &mut CallbackLogger(|d| seen.push(d)));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].code, Code::WrongType);
}

#[test]
fn every_code_is_stable_and_formats() {
    let mut names = std::collections::BTreeSet::new();
    for &c in Code::ALL {
        assert!(names.insert(c.as_str()), "{c:?} name reused");
        assert_eq!(c.as_str(), format!("{c:?}"));
        assert_eq!(c.to_string(), c.as_str());
        assert!(!c.layers().is_empty());
        let d = Diagnostic::new(c, "/X", None, "m");
        assert_eq!(
            d.to_string(),
            format!("{}[{}] /X: m", c.default_severity(), c)
        );
    }
    // Names are the stable codes: these must never change.
    assert_eq!(Code::UnknownSetting.as_str(), "UnknownSetting");
    assert_eq!(Code::EmbeddedXmlInvalid.as_str(), "EmbeddedXmlInvalid");
    assert_eq!(names.len(), Code::ALL.len());
}

/// `docs/DIAGNOSTICS.md` holds the code table generated from `Code::ALL` between two markers;
/// this test fails when they differ (run with `UPDATE_DIAGNOSTICS_DOC=1` to rewrite it).
#[test]
fn diagnostics_doc_lists_every_code() {
    const BEGIN: &str = "<!-- BEGIN CODE TABLE (generated by csp-model/tests/validate.rs) -->\n";
    const END: &str = "<!-- END CODE TABLE -->";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/DIAGNOSTICS.md");
    let doc = std::fs::read_to_string(&path).expect("docs/DIAGNOSTICS.md");
    let (head, rest) = doc.split_once(BEGIN).expect("begin marker");
    let (_, tail) = rest.split_once(END).expect("end marker");
    let want = format!(
        "{head}{BEGIN}{}{END}{tail}",
        csp_model::validate::code_table_markdown()
    );
    if std::env::var_os("UPDATE_DIAGNOSTICS_DOC").is_some() {
        std::fs::write(&path, &want).expect("write");
        return;
    }
    assert!(
        doc == want,
        "docs/DIAGNOSTICS.md is out of date with Code::ALL; run \
         UPDATE_DIAGNOSTICS_DOC=1 cargo test -p csp-model --test validate diagnostics_doc"
    );
    for c in Code::ALL {
        assert!(doc.contains(&format!("| `{c}` |")), "{c} missing");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Arbitrary element names and values never make validation panic, and every diagnostic
    /// points into the file.
    #[test]
    fn arbitrary_settings_never_panic(
        names in proptest::collection::vec("[A-Z][a-zA-Z]{0,12}", 1..4),
        value in "[ -~]{0,20}",
        edition in 0usize..7,
    ) {
        let mut xml = String::new();
        for n in &names {
            xml.push_str(&format!("<{n} Name=\"k\">"));
        }
        xml.push_str(&value.replace('&', "&amp;").replace('<', "&lt;"));
        for n in names.iter().rev() {
            xml.push_str(&format!("</{n}>"));
        }
        let r = check(&xml, Edition::ALL[edition]);
        for d in r.diagnostics() {
            prop_assert!(d.pos.is_some(), "{}", d);
        }
    }

    /// Random values for real settings never panic.
    #[test]
    fn arbitrary_values_never_panic(index in 0usize..5000, value in "\\PC{0,40}") {
        let cat = Catalog::builtin();
        let s = cat.iter().nth(index % cat.len()).unwrap();
        let _ = validate_value(s, &value);
    }
}

fn client_cert(key_location: &str) -> String {
    format!(
        r#"<Certificates><ClientCertificates><ClientCertificate CertificateName="Lab-Client" Name="Lab-Client">
<CertificatePassword>hunter2-secret</CertificatePassword><CertificatePath>C:\certs\lab.pfx</CertificatePath>
<KeyLocation>{key_location}</KeyLocation><ExportCertificate>False</ExportCertificate>
</ClientCertificate></ClientCertificates></Certificates>"#
    )
}

#[test]
fn ddf_cross_check_of_csp_mapped_values() {
    // The real DDF agrees with WCD's store on KeyLocation: no finding.
    if let Some(dir) = ppkg_testdata::reference_file("ddf") {
        let set = csp_model::ddf::DdfSet::load_dir(dir).unwrap();
        let v = Validator::new(Catalog::builtin(), Edition::Desktop).with_ddf(&set);
        let r = v.validate(&answer(&client_cert("Software only")));
        assert!(r.is_empty(), "{r}");
        // And the reference answer files go through it without a crash.
        let cust = ppkg_testdata::reference_file("customizations").unwrap();
        for e in std::fs::read_dir(cust).unwrap() {
            let p = e.unwrap().path();
            if p.extension().and_then(|x| x.to_str()) == Some("xml") {
                let a = AnswerFile::parse(&std::fs::read(&p).unwrap()).unwrap();
                let r = v.validate(&a);
                assert!(r.diagnostics().iter().all(|d| d.pos.is_some()), "{r}");
            }
        }
    }

    // A DDF that allows only 3 (software) flags WCD's TPM choice, as a warning.
    let ddf = br#"<MgmtTree xmlns:MSFT="http://schemas.microsoft.com/MobileDevice/DM">
<Node><NodeName>ClientCertificateInstall</NodeName><Path>./Device/Vendor/MSFT</Path>
<DFProperties><AccessType><Get/></AccessType><DFFormat><node/></DFFormat><DFType><DDFName/></DFType></DFProperties>
<Node><NodeName>PFXCertInstall</NodeName><DFProperties><AccessType><Get/></AccessType><DFFormat><node/></DFFormat><DFType><DDFName/></DFType></DFProperties>
<Node><NodeName></NodeName><DFProperties><AccessType><Add/><Get/></AccessType><DFFormat><node/></DFFormat><DFType><DDFName/></DFType></DFProperties>
<Node><NodeName>KeyLocation</NodeName><DFProperties><AccessType><Add/><Get/><Replace/></AccessType>
<DFFormat><int/></DFFormat><DFType><MIME/></DFType>
<MSFT:AllowedValues ValueType="ENUM"><MSFT:Enum><MSFT:Value>3</MSFT:Value></MSFT:Enum></MSFT:AllowedValues>
</DFProperties></Node></Node></Node></Node></MgmtTree>"#;
    let set = csp_model::ddf::DdfSet::parse(ddf).unwrap();
    let v = Validator::new(Catalog::builtin(), Edition::Desktop).with_ddf(&set);
    assert!(v
        .validate(&answer(&client_cert("Software only")))
        .is_empty());
    let r = v.validate(&answer(&client_cert("TPM only")));
    assert!(r.is_valid(), "{r}");
    let d = r
        .with_code(Code::EnumNotAllowed)
        .next()
        .expect("DDF finding");
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message.starts_with(
            "DDF ./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/~CertificateName~/KeyLocation:"
        ),
        "{d}"
    );
    assert_eq!(
        d.path,
        "/Certificates/ClientCertificates/ClientCertificate[CertificateName=Lab-Client]/KeyLocation"
    );
    assert_eq!(d.pos.map(|p| p.line), Some(11));
    assert!(!r.to_string().contains("hunter2"));
}
