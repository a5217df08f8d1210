//! Profile ↔ answer file: the example profile, the real answer files, WCD's names, TOML/JSON.

mod common;

use std::path::{Path, PathBuf};

use csp_model::{Catalog, Edition};
use ppkg_format::answer::AnswerFile;
use workplace::{check, Profile, Secrets};

fn example_path() -> PathBuf {
    ppkg_testdata::workspace_root()
        .join("examples")
        .join("bulk-enrollment.toml")
}

fn summary(r: &csp_model::validate::Report) -> Vec<String> {
    let mut v: Vec<String> = r
        .diagnostics()
        .iter()
        .map(|d| format!("{:?} {:?} {}", d.severity, d.code, d.path))
        .collect();
    v.sort();
    v
}

#[test]
fn example_profile_builds_validates_compiles_and_reads_back() {
    let path = example_path();
    let p = Profile::load(&path).expect("example profile loads");
    let report = check(&p, common::now());
    assert!(!report.has_errors(), "{report}");
    assert_eq!(p.enrollments[0].upn, "enroll@example.com");
    assert_eq!(p.root_certificates.len(), 1);

    let af = p.to_answer_file().unwrap();
    let v = csp_model::validate::validate(&af, Catalog::builtin(), Edition::Desktop);
    assert!(v.is_valid(), "{v}");

    let compiled = csp_model::compile(
        &af,
        Catalog::builtin(),
        &csp_model::CompileOptions::default(),
        &p.asset_resolver(),
    )
    .expect("compiles");
    let names: Vec<&str> = compiled.provxml.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.iter().any(|n| n.contains("Workplace_Enrollments")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("RootCertificate")),
        "{names:?}"
    );

    let xml = p.to_answer_xml().unwrap();
    let mut back = Profile::from_answer_xml(xml.as_bytes()).unwrap();
    back.resolve_assets(path.parent().unwrap()).unwrap();
    assert_eq!(back, p);
    // And via TOML/JSON with secrets kept.
    let toml = p.to_toml(Secrets::Reveal).unwrap();
    let mut t = Profile::from_toml(&toml).unwrap();
    t.resolve_assets(path.parent().unwrap()).unwrap();
    assert_eq!(t, p);
    let json = p.to_json(Secrets::Reveal).unwrap();
    let mut j = Profile::from_json(&json).unwrap();
    j.resolve_assets(path.parent().unwrap()).unwrap();
    assert_eq!(j, p);
    // Masked output hides the secrets.
    let masked = p.to_toml(Secrets::Mask).unwrap();
    assert!(!masked.contains("Example-Passw0rd") && masked.contains("********"));
}

#[test]
fn wcd_element_and_attribute_names() {
    let p = Profile::from_toml(
        r#"
[package]
name = "names"
[[enrollments]]
upn = "a@example.com"
auth_policy = "Certificate"
secret = "0123456789ABCDEF0123456789ABCDEF01234567"
[[client_certificates]]
name = "Client"
pfx = "c.pfx"
password = "p"
key_location = "Software only"
export_certificate = true
[[ca_certificates]]
name = "Issuing"
certificate = "ca.cer"
[[trusted_people_certificates]]
name = "Person"
certificate = "p.cer"
[[trusted_provisioners]]
hash = "0123456789ABCDEF0123456789ABCDEF01234567"
certificate = "prov.cer"
[[local_users]]
name = "labadmin"
password = "x"
group = "Administrators"
[azure_ad]
authority = "https://login.microsoftonline.com/x"
bprt = "token"
[domain_join]
domain = "corp.example.com"
account = "corp\\joiner"
password = "y"
ou = "OU=Lab,DC=corp,DC=example,DC=com"
"#,
    )
    .unwrap();
    let xml = p.to_answer_xml().unwrap();
    for needle in [
        r#"<UPN UPN="a@example.com" Name="a@example.com">"#,
        "<AuthPolicy>Certificate</AuthPolicy>",
        r#"<ClientCertificate CertificateName="Client" Name="Client">"#,
        "<CertificatePassword>p</CertificatePassword>",
        "<KeyLocation>Software only</KeyLocation>",
        "<ExportCertificate>True</ExportCertificate>",
        r#"<CACerificate CertificateName="Issuing" Name="Issuing">"#,
        "<TrustedPeopleCertificates>",
        "<TrustedCertificate>p.cer</TrustedCertificate>",
        r#"<Certificate CertificateHash="0123456789ABCDEF0123456789ABCDEF01234567" Name="0123456789ABCDEF0123456789ABCDEF01234567">"#,
        r#"<User UserName="labadmin">"#,
        "<UserGroup>Administrators</UserGroup>",
        "<BPRT>token</BPRT>",
        "<DomainName>corp.example.com</DomainName>",
        "<AccountOU>OU=Lab,DC=corp,DC=example,DC=com</AccountOU>",
        r#"<PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">"#,
        r#"<Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">"#,
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
    // Accounts before Certificates before Workplace, as WCD orders them.
    let a = xml.find("<Accounts>").unwrap();
    let c = xml.find("<Certificates>").unwrap();
    let w = xml.find("<Workplace>").unwrap();
    assert!(a < c && c < w);
    let back = Profile::from_answer_xml(xml.as_bytes()).unwrap();
    assert_eq!(back, p);
    assert!(back.settings.is_empty(), "{:?}", back.settings);
}

fn reference_answer_files() -> Option<Vec<PathBuf>> {
    let dir = ppkg_testdata::reference_file("customizations")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read customizations")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    if let Some(acer) = ppkg_testdata::reference_file(
        "ppkg/acer_baseconfig_extracted/Multivariant/0/customizations.xml",
    ) {
        files.push(acer);
    }
    Some(files)
}

fn edition_for(path: &Path) -> Edition {
    let name = path.file_name().expect("a file").to_string_lossy();
    if name.starts_with("msiot-") {
        Edition::IoTUAP
    } else {
        Edition::Desktop
    }
}

#[test]
fn every_reference_answer_file_reads_and_writes_back_validating_the_same() {
    let Some(files) = reference_answer_files() else {
        return;
    };
    assert!(files.len() >= 8, "{files:?}");
    let mut typed = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let original = AnswerFile::parse(&bytes).unwrap();
        let p =
            Profile::from_answer_file(&original).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        typed += p.enrollments.len()
            + p.root_certificates.len()
            + p.local_users.len()
            + p.commands.len();
        let written = p.to_answer_file().unwrap();
        let ed = edition_for(f);
        let before = csp_model::validate::validate(&original, Catalog::builtin(), ed);
        let after = csp_model::validate::validate(&written, Catalog::builtin(), ed);
        assert_eq!(
            summary(&before),
            summary(&after),
            "{}:\n{}",
            f.display(),
            String::from_utf8_lossy(&written.to_bytes())
        );
        // The profile's own check knows every untyped setting path.
        let unknown: Vec<String> = check(&p, common::now())
            .with_code(workplace::Code::UnknownSetting)
            .map(ToString::to_string)
            .collect();
        assert!(unknown.is_empty(), "{}: {unknown:?}", f.display());
        // Reading the written file gives the same profile again.
        let again = Profile::from_answer_file(&written).unwrap();
        assert_eq!(again, p, "{}", f.display());
    }
    // The enrollment, certificate, user and command samples are typed, not left raw.
    assert!(typed >= 5, "only {typed} typed items");
}

#[test]
fn reference_enroll_sample_is_typed() {
    let Some(f) = ppkg_testdata::reference_file(
        "customizations/msiot-Provisioning.Enroll.customizations.xml",
    ) else {
        return;
    };
    let p = Profile::from_answer_xml(&std::fs::read(f).unwrap()).unwrap();
    assert_eq!(p.package.name, "Enroll");
    assert_eq!(p.package.owner_type, "OEM");
    assert_eq!(p.enrollments.len(), 1);
    assert_eq!(p.enrollments[0].upn, "alias@contoso.net");
    assert_eq!(
        p.enrollments[0].auth_policy,
        workplace::AuthPolicy::OnPremise
    );
    assert_eq!(
        p.enrollments[0].secret.as_ref().unwrap().expose(),
        "password"
    );
    assert!(p.settings.is_empty());
    assert!(!format!("{p:?}").contains("password\""));
}

#[test]
fn toml_errors_name_line_and_key() {
    let e = Profile::from_toml(
        "[package]\nname = \"x\"\n[[wifi]]\nssid = \"a\"\nsecurity = \"Open\"\nhiden = true\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 6") && e.contains("hiden"), "{e}");
    let e = Profile::from_json("{\"package\": {\"name\": 3}}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1"), "{e}");
}
