//! The compiler against the two real WCD packages (byte for byte) and a bulk-enrollment answer
//! file (CSP paths of the catalog).

use std::path::Path;

use csp_model::catalog::Catalog;
use csp_model::compile::{compile, file_name_of, CompileOptions, MapResolver, NoAssets};
use ppkg_format::answer::AnswerFile;
use ppkg_format::provxml::ProvDoc;

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.provxml` file names of an extracted package, in numeric order.
fn provxml_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("Multivariant/0/Prov/RunTime"))
        .expect("RunTime folder")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort_by_key(|n| n.split("__").next().and_then(|i| i.parse::<u32>().ok()));
    names
}

#[test]
fn start_pins_compiles_byte_for_byte() {
    let Some(dir) = ppkg_testdata::reference_file("ppkg/start_pins_extracted") else {
        return;
    };
    let mv = dir.join("Multivariant/0");
    let answer = AnswerFile::parse(&read(&mv.join("customizations.xml"))).unwrap();
    let out = compile(
        &answer,
        Catalog::builtin(),
        &CompileOptions::default(),
        &NoAssets,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out.runtime.to_bytes()).unwrap(),
        String::from_utf8(read(&mv.join("Prov/RunTime.xml"))).unwrap()
    );
    let names = provxml_files(&dir);
    assert_eq!(
        out.provxml
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>(),
        names
    );
    for (name, doc) in &out.provxml {
        assert_eq!(
            doc.to_bytes(),
            read(&mv.join("Prov/RunTime").join(name)),
            "{name}"
        );
    }
    assert!(out.assets.is_empty());
}

#[test]
fn acer_compiles_byte_for_byte_except_payload_hashes() {
    let Some(dir) = ppkg_testdata::reference_file("ppkg/acer_baseconfig_extracted") else {
        return;
    };
    let mv = dir.join("Multivariant/0");
    let answer = AnswerFile::parse(&read(&mv.join("customizations.xml"))).unwrap();
    // Two stand-ins named like the omitted MSI payloads.
    let mut files = MapResolver::new();
    files.insert(
        "Cortex_XDR_9_0_0_16757_x64.msi",
        b"stand-in for cortex".to_vec(),
    );
    files.insert("GlobalProtect64-6.2.8-c263.msi", vec![0xA5; 100_000]);
    let out = compile(
        &answer,
        Catalog::builtin(),
        &CompileOptions::default(),
        &files,
    )
    .unwrap();

    // RunTime.xml holds no hash: byte for byte.
    assert_eq!(
        String::from_utf8(out.runtime.to_bytes()).unwrap(),
        String::from_utf8(read(&mv.join("Prov/RunTime.xml"))).unwrap()
    );
    let names = provxml_files(&dir);
    assert_eq!(names.len(), 15);
    assert_eq!(
        out.provxml
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>(),
        names
    );

    let mut payload_docs = 0;
    for (name, doc) in &out.provxml {
        let want = read(&mv.join("Prov/RunTime").join(name));
        if !name.ends_with("_CommandFile.provxml") {
            assert_eq!(doc.to_bytes(), want, "{name}");
            continue;
        }
        // The DataAsset naming rule: same document but the parm name carries our payload's hash.
        payload_docs += 1;
        let want = ProvDoc::parse(&want).unwrap();
        let (want_path, want_parm) = want.parms().into_iter().next().unwrap();
        let (got_path, got_parm) = doc.parms().into_iter().next().unwrap();
        assert_eq!(got_path, want_path, "{name}");
        assert_eq!(got_parm.value, want_parm.value);
        assert_eq!(got_parm.settings_path, want_parm.settings_path);
        assert_eq!(got_parm.datatype, want_parm.datatype);
        let (want_index, want_rest) = want_parm.name.split_once('_').unwrap();
        let (got_index, got_rest) = got_parm.name.split_once('_').unwrap();
        assert_eq!(got_index, want_index);
        let (want_hash, want_file) = want_rest.split_once('\\').unwrap();
        let (got_hash, got_file) = got_rest.split_once('\\').unwrap();
        assert_eq!(got_file, want_file);
        assert_eq!(got_hash.len(), want_hash.len());
        assert_ne!(
            got_hash, want_hash,
            "stand-ins hash differently from the real MSIs"
        );
    }
    assert_eq!(payload_docs, 2);

    // Payloads: names, setting paths and keys as DataAsset.xml lists them; hashes checked with
    // openssl when it is installed.
    let index = String::from_utf8(read(&dir.join("DataAsset/DataAsset.xml"))).unwrap();
    assert_eq!(out.assets.len(), 2);
    for (i, a) in out.assets.iter().enumerate() {
        assert_eq!(a.setting_name, "CommandFile");
        assert_eq!(
            a.setting_path,
            format!("/ProvisioningCommands/PrimaryContext/Command/{i}/CommandFile")
        );
        assert!(index.contains(&format!("Value=\"{}\"", a.setting_path)));
        assert!(index.contains(&format!("\\{}\" Value", a.file_name)));
        assert!(a.key.starts_with(&format!("{i}_")));
        assert_eq!(file_name_of(&a.source_ref), a.file_name);
        if ppkg_testdata::tool("openssl") {
            let tmp =
                std::env::temp_dir().join(format!("csp-model-asset-{}-{i}", std::process::id()));
            let bytes = match &a.content {
                csp_model::compile::AssetContent::Bytes(b) => b.clone(),
                other => panic!("{other:?}"),
            };
            std::fs::write(&tmp, &bytes).unwrap();
            let digest = std::process::Command::new("openssl")
                .args(["dgst", "-sha256", "-binary"])
                .arg(&tmp)
                .output()
                .unwrap();
            std::fs::remove_file(&tmp).unwrap();
            assert_eq!(digest.stdout, a.sha256, "openssl sha256");
            assert_eq!(a.size, bytes.len() as u64);
        }
    }
}

#[test]
fn unknown_setting_is_reported_with_its_position() {
    let text = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<WindowsCustomizations>\r\n  <PackageConfig xmlns=\"urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0\">\r\n    <ID>{00000000-0000-0000-0000-000000000001}</ID>\r\n    <Name>x</Name>\r\n    <Version>1.0</Version>\r\n    <OwnerType>ITAdmin</OwnerType>\r\n  </PackageConfig>\r\n  <Settings xmlns=\"urn:schemas-microsoft-com:windows-provisioning\">\r\n    <Customizations>\r\n      <Common>\r\n        <Policies>\r\n          <NoSuchArea>1</NoSuchArea>\r\n        </Policies>\r\n      </Common>\r\n    </Customizations>\r\n  </Settings>\r\n</WindowsCustomizations>";
    let answer = AnswerFile::parse(text.as_bytes()).unwrap();
    let err = compile(
        &answer,
        Catalog::builtin(),
        &CompileOptions::default(),
        &NoAssets,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("/Policies/NoSuchArea"), "{msg}");
    assert!(msg.starts_with("13:11:"), "{msg}");
}

#[test]
fn acer_answer_settings_xml_drops_list_item_names() {
    let Some(dir) = ppkg_testdata::reference_file("ppkg/acer_baseconfig_extracted") else {
        return;
    };
    let answer = AnswerFile::parse(&read(&dir.join("Multivariant/0/customizations.xml"))).unwrap();
    let got = csp_model::compile::answer_settings_xml(&answer, Catalog::builtin());
    assert_eq!(
        String::from_utf8(got).unwrap(),
        String::from_utf8(read(&dir.join("CommonSettings/1/AnswerFile.xml"))).unwrap()
    );
}

const BULK: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{2a7f3b1c-0000-4000-8000-00000000abcd}</ID>
    <Name>bulk</Name>
    <Version>1.0</Version>
    <OwnerType>ITAdmin</OwnerType>
    <Rank>0</Rank>
  </PackageConfig>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <Customizations>
      <Common>
        <Workplace>
          <Enrollments>
            <UPN UPN="enroll@contoso.com">
              <AuthPolicy>OnPremise</AuthPolicy>
              <DiscoveryServiceFullUrl>https://mdm.contoso.com/EnrollmentServer/Discovery.svc</DiscoveryServiceFullUrl>
              <Secret>s3cr3t-Token</Secret>
            </UPN>
          </Enrollments>
        </Workplace>
        <ConnectivityProfiles>
          <WLAN>
            <WLANSetting>
              <WLANConfig SSID="Lab Net">
                <ProxyServerPort>proxy.contoso.com:8080</ProxyServerPort>
                <WLANXmlSettings>
                  <SecurityType>WPA2-Personal</SecurityType>
                  <SecurityKey>Lab&amp;Net&lt;2024&gt;</SecurityKey>
                  <AutoConnect>True</AutoConnect>
                </WLANXmlSettings>
              </WLANConfig>
            </WLANSetting>
          </WLAN>
        </ConnectivityProfiles>
        <Certificates>
          <RootCertificates>
            <RootCertificate CertificateName="ContosoRoot">
              <CertificatePath>C:\certs\root.cer</CertificatePath>
            </RootCertificate>
          </RootCertificates>
        </Certificates>
        <Accounts>
          <ComputerAccount>
            <ComputerName>LAB-%SERIAL%</ComputerName>
          </ComputerAccount>
        </Accounts>
      </Common>
    </Customizations>
  </Settings>
</WindowsCustomizations>
"#;

/// A root certificate made by openssl, as DER, with openssl's SHA-1 fingerprint (hex, no colons).
fn openssl_root_certificate(dir: &Path) -> Option<(Vec<u8>, String)> {
    if !ppkg_testdata::tool("openssl") {
        return None;
    }
    let der = dir.join("root.cer");
    let key = dir.join("root.key");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-subj",
            "/CN=Contoso Test Root",
            "-days",
            "2",
            "-outform",
            "DER",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&der)
        .output()
        .expect("run openssl req");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let fp = std::process::Command::new("openssl")
        .args([
            "x509",
            "-inform",
            "DER",
            "-noout",
            "-fingerprint",
            "-sha1",
            "-in",
        ])
        .arg(&der)
        .output()
        .expect("run openssl x509");
    let text = String::from_utf8(fp.stdout).expect("openssl prints UTF-8");
    let hex = text
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint line")
        .replace(':', "");
    Some((std::fs::read(&der).expect("read the certificate"), hex))
}

#[test]
fn bulk_enrollment_follows_the_catalog_csp_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((der, thumbprint)) = openssl_root_certificate(tmp.path()) else {
        return;
    };
    let mut files = MapResolver::new();
    files.insert("root.cer", der.clone());
    let answer = AnswerFile::parse(BULK.as_bytes()).unwrap();
    let catalog = Catalog::builtin();
    let out = compile(&answer, catalog, &CompileOptions::default(), &files).unwrap();

    let names: Vec<&str> = out.provxml.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "0__Workplace_Enrollments_enroll@contoso.com.provxml",
            "1__ConnectivityProfiles_WLAN_WLANSetting_Lab Net.provxml",
            "2__Certificates_RootCertificates_ContosoRoot.provxml",
            "3__Accounts_ComputerAccount.provxml",
        ]
    );
    let groups: Vec<&str> = out
        .runtime
        .sets
        .iter()
        .map(|s| s.settings_group.as_str())
        .collect();
    for (group, path) in groups.iter().zip([
        "/Workplace/Enrollments/UPN",
        "/ConnectivityProfiles/WLAN/WLANSetting/WLANConfig",
        "/Certificates/RootCertificates/RootCertificate",
        "/Accounts/ComputerAccount",
    ]) {
        assert_eq!(Some(*group), catalog.settings_group(path), "{path}");
    }

    // Every parm: exact characteristic path, name, value and datatype.
    let parms: Vec<(String, String, String, String)> = out
        .provxml
        .iter()
        .flat_map(|(_, doc)| {
            doc.parms()
                .into_iter()
                .map(|(chars, p)| {
                    (
                        chars.join("/"),
                        p.name.clone(),
                        p.value.clone().unwrap_or_default(),
                        p.datatype.clone().unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&der)
    };
    let want_paths = [
        "Provisioning/Enrollments/enroll@contoso.com/AuthPolicy",
        "Provisioning/Enrollments/enroll@contoso.com/DiscoveryServiceFullUrl",
        "Provisioning/Enrollments/enroll@contoso.com/Secret",
        "WiFi/Profile/Lab Net/WlanXml",
        "WiFi/Profile/Lab Net/Proxy",
        &format!("RootCATrustedCertificates/Root/{thumbprint}/EncodedCertificate"),
        "Accounts/Domain/ComputerName",
        // WCD 2024 sample (bypass_oobe): the computer name forces a setting reload.
        "Provisioning/ForceSettingReload/ComputerName",
    ];
    let got_paths: Vec<String> = parms
        .iter()
        .map(|(c, n, _, _)| format!("{c}/{n}"))
        .collect();
    assert_eq!(got_paths, want_paths);
    assert_eq!((parms[0].2.as_str(), parms[0].3.as_str()), ("0", "integer"));
    assert_eq!(
        parms[1].2,
        "https://mdm.contoso.com/EnrollmentServer/Discovery.svc"
    );
    assert_eq!(parms[2].2, "s3cr3t-Token");
    assert_eq!(parms[4].2, "proxy.contoso.com:8080");
    assert_eq!(parms[5].2, b64);
    assert_eq!(parms[6].2, "LAB-%SERIAL%");

    // The same paths come from the catalog's CSP paths with the keys substituted.
    let from_catalog = |setting: &str, key: &str, value: &str| {
        catalog
            .get(setting)
            .and_then(|s| s.csp.as_ref())
            .map(|c| {
                c.path
                    .trim_start_matches("./Vendor/MSFT/")
                    .replace("!scope=Device", "")
                    .replace(key, value)
            })
            .unwrap()
    };
    assert_eq!(
        from_catalog(
            "/Workplace/Enrollments/UPN/Secret",
            "~UPN~",
            "enroll@contoso.com"
        ),
        got_paths[2]
    );
    assert_eq!(
        from_catalog(
            "/Certificates/RootCertificates/RootCertificate/CertificatePath",
            "@CertificateHash@",
            &thumbprint
        ),
        got_paths[5]
    );
    assert_eq!(
        from_catalog("/Accounts/ComputerAccount/ComputerName", "", ""),
        got_paths[6]
    );
    assert_eq!(
        from_catalog(
            "/ConnectivityProfiles/WLAN/WLANSetting/WLANConfig/ProxyServerPort",
            "~SSID~",
            "Lab Net"
        ),
        got_paths[4]
    );

    // The WLAN profile is well-formed XML that keeps the key exactly.
    let profile = ppkg_format::xml::Document::parse(parms[3].2.as_bytes()).unwrap();
    let key = profile
        .root
        .descendant("MSM/security/sharedKey/keyMaterial")
        .unwrap()
        .text();
    assert_eq!(key, "Lab&Net<2024>");
    assert_eq!(
        profile
            .root
            .descendant("SSIDConfig/SSID/name")
            .unwrap()
            .text(),
        "Lab Net"
    );

    // Secrets stay out of Debug output.
    let debug = format!("{:?}", out.provxml);
    assert!(!debug.contains("s3cr3t-Token"), "secret in Debug output");
    assert!(
        out.assets.is_empty(),
        "certificates are inline, not payloads"
    );
}

/// Gives every reference the same small content (enough to compile any answer file).
struct AnyFile;

impl csp_model::compile::AssetResolver for AnyFile {
    fn resolve(
        &self,
        _setting_path: &str,
        reference: &str,
    ) -> std::io::Result<csp_model::compile::AssetFile> {
        Ok(csp_model::compile::AssetFile {
            file_name: file_name_of(reference).to_owned(),
            content: csp_model::compile::AssetContent::Bytes(b"content".to_vec()),
        })
    }
}

/// Every public answer file compiles or fails with a located error, never a panic.
#[test]
fn public_answer_files_compile_or_fail_cleanly() {
    let Some(dir) = ppkg_testdata::reference_file("customizations") else {
        return;
    };
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 8);
    for path in names {
        let answer = AnswerFile::parse(&read(&path)).unwrap();
        let result = compile(
            &answer,
            Catalog::builtin(),
            &CompileOptions::default(),
            &AnyFile,
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match result {
            Ok(out) => {
                eprintln!("{name}: {} groups", out.provxml.len());
                assert_eq!(out.runtime.sets.len(), out.provxml.len());
            }
            Err(e) => {
                eprintln!("{name}: {e}");
                let msg = e.to_string();
                assert!(
                    msg.contains(':') && (msg.contains('/') || msg.contains("asset")),
                    "{name}: {msg}"
                );
            }
        }
    }
}

/// An answer file around a `Common` body.
fn answer_with(common: &str) -> AnswerFile {
    let text = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{{2a7f3b1c-0000-4000-8000-00000000abcd}}</ID>
    <Name>t</Name>
    <Version>1.0</Version>
    <OwnerType>ITAdmin</OwnerType>
  </PackageConfig>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <Customizations>
      <Common>
{common}
      </Common>
    </Customizations>
  </Settings>
</WindowsCustomizations>"#
    );
    AnswerFile::parse(text.as_bytes()).expect("test answer file parses")
}

#[test]
fn client_and_ca_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((der, thumbprint)) = openssl_root_certificate(tmp.path()) else {
        return;
    };
    let mut files = MapResolver::new();
    files.insert("ca.cer", der);
    files.insert("client.pfx", b"\x30\x82pfx-bytes".to_vec());
    let answer = answer_with(
        r#"        <Certificates>
          <CACertificates>
            <CACerificate CertificateName="Issuing">
              <CertificatePath>ca.cer</CertificatePath>
            </CACerificate>
          </CACertificates>
          <ClientCertificates>
            <ClientCertificate CertificateName="ContosoClient">
              <CertificatePassword>pfx-Passw0rd</CertificatePassword>
              <CertificatePath>C:\certs\client.pfx</CertificatePath>
              <ExportCertificate>False</ExportCertificate>
              <KeyLocation>Software only</KeyLocation>
            </ClientCertificate>
          </ClientCertificates>
        </Certificates>"#,
    );
    let out = compile(
        &answer,
        Catalog::builtin(),
        &CompileOptions::default(),
        &files,
    )
    .unwrap();
    let parms: Vec<(String, String)> = out
        .provxml
        .iter()
        .flat_map(|(_, d)| {
            d.parms()
                .into_iter()
                .map(|(c, p)| {
                    (
                        format!("{}/{}", c.join("/"), p.name),
                        p.value.clone().unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let paths: Vec<&str> = parms.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("RootCATrustedCertificates/CA/{thumbprint}/EncodedCertificate").as_str(),
            "ClientCertificateInstall/PFXCertInstall/ContosoClient/PFXCertPassword",
            "ClientCertificateInstall/PFXCertInstall/ContosoClient/PFXCertBlob",
            "ClientCertificateInstall/PFXCertInstall/ContosoClient/PFXKeyExportable",
            "ClientCertificateInstall/PFXCertInstall/ContosoClient/KeyLocation",
        ]
    );
    assert_eq!(parms[2].1, "MIJwZngtYnl0ZXM=");
    assert_eq!(parms[3].1, "false");
    assert_eq!(parms[4].1, "3");
    assert_eq!(out.provxml.len(), 2, "one group per certificate");
    assert!(!format!("{:?}", out.provxml).contains("pfx-Passw0rd"));
}

#[test]
fn bad_values_fail_with_position_and_without_the_value() {
    let cases = [
        (
            "<OOBE><Desktop><HideOobe>Perhaps-Secret</HideOobe></Desktop></OOBE>",
            "not a boolean",
        ),
        (
            "<Policies><ApplicationManagement><AllowAllTrustedApps>Perhaps-Secret</AllowAllTrustedApps></ApplicationManagement></Policies>",
            "not an allowed label or an integer",
        ),
        (
            "<Accounts><Users><User><Password>Perhaps-Secret</Password></User></Users></Accounts>",
            "map item has no UserName attribute",
        ),
        (
            "<Accounts><Users><Person UserName=\"x\"/></Users></Accounts>",
            "unknown setting /Accounts/Users/Person",
        ),
    ];
    for (body, want) in cases {
        let err = compile(
            &answer_with(body),
            Catalog::builtin(),
            &CompileOptions::default(),
            &NoAssets,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(want), "{msg}");
        assert!(msg.starts_with("12:"), "{msg}");
        assert!(!msg.contains("Perhaps-Secret"), "{msg}");
    }
    // A missing payload names the setting and the reference.
    let err = compile(
        &answer_with("<ProvisioningCommands><PrimaryContext><Command><CommandConfig Name=\"a\"><CommandFile>D:\\a.msi</CommandFile></CommandConfig></Command></PrimaryContext></ProvisioningCommands>"),
        Catalog::builtin(),
        &CompileOptions::default(),
        &NoAssets,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("CommandConfig/CommandFile") && msg.contains("a.msi"),
        "{msg}"
    );
}

mod text_values {
    use proptest::prelude::*;

    use super::*;

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
            )),
            ..ProptestConfig::default()
        })]

        /// Field case B06: a text value reaches the provxml unchanged (no trimming, no
        /// reformatting), whatever printable characters it holds.
        #[test]
        fn command_lines_reach_the_provxml_unchanged(line in "[ -~\u{a0}-\u{17f}]{0,250}") {
            let answer = answer_with(&format!(
                "<ProvisioningCommands><DeviceContext><CommandLine>{}</CommandLine>\
                 </DeviceContext></ProvisioningCommands>",
                escape(&line)
            ));
            let out = compile(&answer, Catalog::builtin(), &CompileOptions::default(), &NoAssets)
                .unwrap();
            let bytes = out.provxml[0].1.to_bytes();
            let back = ProvDoc::parse(&bytes).unwrap();
            let parms = back.parms();
            prop_assert_eq!(
                parms[0].0.join("/"),
                "ProvisioningCommands/DeviceContext/$(__PackageID)/Default"
            );
            prop_assert_eq!(parms[0].1.value.as_deref(), Some(line.as_str()));
        }
    }
}
