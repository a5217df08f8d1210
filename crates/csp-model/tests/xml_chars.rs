//! Issue #11, "never a broken package": characters XML 1.0 cannot carry are a validation error
//! naming the field and its line:column, `compile` and the package writers refuse them (an
//! error, never a panic, never a written package), and `validate` and `build` agree.

use csp_model::catalog::{Catalog, Edition};
use csp_model::compile::{answer_settings_xml, compile, CompileOptions, NoAssets};
use csp_model::validate::{validate, Code, Report};
use ppkg_format::answer::AnswerFile;
use ppkg_format::layout::{write_package_with, LayoutOptions};
use ppkg_format::wim::WriteOptions;
use ppkg_format::xml::Element;

const ANSWER: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{5bbb21f3-9309-4db9-a05e-4b4c679a14fa}</ID>
    <Name>chars</Name>
    <Version>1.0</Version>
    <OwnerType>ITAdmin</OwnerType>
    <Rank>0</Rank>
  </PackageConfig>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <Customizations>
      <Common>
        <Accounts>
          <Users>
            <User UserName="admin">
              <Password>Passw0rd!</Password>
              <UserGroup>Administrators</UserGroup>
            </User>
          </Users>
        </Accounts>
        <ConnectivityProfiles>
          <WLAN>
            <WLANSetting>
              <WLANConfig SSID="office">
                <WLANXmlSettings>
                  <SecurityType>WPA2-Personal</SecurityType>
                  <SecurityKey>correct horse battery</SecurityKey>
                </WLANXmlSettings>
              </WLANConfig>
            </WLANSetting>
          </WLAN>
        </ConnectivityProfiles>
      </Common>
    </Customizations>
  </Settings>
</WindowsCustomizations>"#;

fn find_mut<'a>(el: &'a mut Element, name: &str) -> Option<&'a mut Element> {
    if el.local_name() == name {
        return Some(el);
    }
    for c in el.elements_mut() {
        if let Some(found) = find_mut(c, name) {
            return Some(found);
        }
    }
    None
}

/// The answer file with `edit` applied to its tree.
fn answer(edit: impl FnOnce(&mut Element)) -> AnswerFile {
    let mut a = AnswerFile::parse(ANSWER.as_bytes()).expect("parse");
    edit(&mut a.document_mut().root);
    a
}

/// Builds the package into memory: compile, then write the WIM.
fn build(a: &AnswerFile) -> Result<Vec<u8>, String> {
    let catalog = Catalog::builtin();
    let compiled =
        compile(a, catalog, &CompileOptions::default(), &NoAssets).map_err(|e| e.to_string())?;
    let mut layout = LayoutOptions::default();
    layout.common_settings_xml = Some(answer_settings_xml(a, catalog));
    let parts = compiled.into_parts(a.clone());
    let mut out = std::io::Cursor::new(Vec::new());
    write_package_with(
        &mut out,
        &parts,
        &WriteOptions::deterministic([1; 16], 133_000_000_000_000_000),
        &layout,
    )
    .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

fn char_errors(r: &Report) -> Vec<String> {
    r.with_code(Code::InvalidXmlChar)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_clean_answer_file_builds() {
    let a = answer(|_| {});
    let r = validate(&a, Catalog::builtin(), Edition::Desktop);
    assert!(r.is_valid(), "{r}");
    build(&a).expect("build");
}

#[test]
fn package_name_with_u0001_is_refused_by_validate_and_build() {
    let a = answer(|root| {
        find_mut(root, "Name").unwrap().set_text("bad\u{1}name");
    });
    let r = validate(&a, Catalog::builtin(), Edition::Desktop);
    let errs = char_errors(&r);
    assert_eq!(errs.len(), 1, "{r}");
    assert!(
        errs[0].starts_with("5:5: error[InvalidXmlChar] WindowsCustomizations/PackageConfig/Name:"),
        "{}",
        errs[0]
    );
    assert!(errs[0].contains("U+0001 at character 4"), "{}", errs[0]);
    let e = build(&a).expect_err("a package name with U+0001 must not build");
    assert!(e.contains("U+0001"), "{e}");
}

#[test]
fn password_ending_in_u0001_u0000_is_refused_and_never_echoed() {
    let a = answer(|root| {
        find_mut(root, "Password")
            .unwrap()
            .set_text("Sup3rSecret\u{1}\u{0}");
    });
    let r = validate(&a, Catalog::builtin(), Edition::Desktop);
    let errs = char_errors(&r);
    assert_eq!(errs.len(), 1, "{r}");
    assert!(
        errs[0].starts_with("16:15: error[InvalidXmlChar] "),
        "{}",
        errs[0]
    );
    assert!(errs[0].contains("Password"), "{}", errs[0]);
    assert!(errs[0].contains("U+0001 at character 12"), "{}", errs[0]);
    assert!(!r.to_string().contains("Sup3rSecret"), "{r}");
    let e = build(&a).expect_err("must not build");
    assert!(e.contains("16:15") && e.contains("U+0001"), "{e}");
    assert!(!e.contains("Sup3rSecret"), "{e}");
}

#[test]
fn ssid_with_a_control_character_is_reported_with_field_and_position() {
    let a = answer(|root| {
        find_mut(root, "WLANConfig")
            .unwrap()
            .set_attr("SSID", "off\u{7}ice");
    });
    let r = validate(&a, Catalog::builtin(), Edition::Desktop);
    let errs = char_errors(&r);
    assert_eq!(errs.len(), 1, "{r}");
    // The attribute's own position (line 24, column 27: `SSID=`).
    assert!(
        errs[0].starts_with("24:27: error[InvalidXmlChar] "),
        "{}",
        errs[0]
    );
    assert!(
        errs[0].contains("attribute SSID holds U+0007 at character 4"),
        "{}",
        errs[0]
    );
    let e = build(&a).expect_err("must not build");
    assert!(e.contains("24:15") && e.contains("U+0007"), "{e}");
    assert!(e.contains("WLANConfig"), "{e}");
}

#[test]
fn u_fffe_and_u_ffff_are_refused_too_and_tab_cr_lf_are_not() {
    for bad in ['\u{FFFE}', '\u{FFFF}', '\u{0}', '\u{1F}'] {
        let a = answer(|root| {
            find_mut(root, "SecurityKey")
                .unwrap()
                .set_text(format!("key{bad}key"));
        });
        let r = validate(&a, Catalog::builtin(), Edition::Desktop);
        assert_eq!(char_errors(&r).len(), 1, "{bad:?}: {r}");
        assert!(build(&a).is_err(), "{bad:?}");
    }
    let a = answer(|root| {
        find_mut(root, "Name").unwrap().set_text("tab\there");
    });
    let r = validate(&a, Catalog::builtin(), Edition::Desktop);
    assert!(char_errors(&r).is_empty(), "{r}");
}
