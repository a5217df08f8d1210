//! Hostile DDF and answer-file input: deep nesting, element-count bombs, DOCTYPE with entity
//! expansion and external entities. Each is refused (or left unexpanded) quickly.

use std::time::Instant;

use csp_model::catalog::{Catalog, Edition};
use csp_model::ddf::{DdfFile, DdfSet, MAX_DEPTH};
use csp_model::validate::validate;
use ppkg_format::answer::AnswerFile;

fn quick<T>(what: &str, f: impl FnOnce() -> T) -> T {
    // Timing is printed, never asserted (speed targets live in benches/).
    let started = Instant::now();
    let out = f();
    eprintln!("{what}: {:?}", started.elapsed());
    out
}

#[test]
fn ddf_deep_nesting_is_refused() {
    for depth in [MAX_DEPTH + 1, 100_000] {
        let mut s = String::from("<MgmtTree>");
        s.push_str(&"<Node>".repeat(depth));
        s.push_str(&"</Node>".repeat(depth));
        s.push_str("</MgmtTree>");
        let err = quick("deep DDF", || DdfFile::parse(s.as_bytes())).unwrap_err();
        assert!(!err.to_string().is_empty());
        assert!(quick("deep DDF set", || DdfSet::parse(s.as_bytes())).is_err());
    }
}

#[test]
fn ddf_element_count_bomb_is_refused() {
    let mut s = String::from("<MgmtTree><Node><NodeName>A</NodeName>");
    s.push_str(&"<x/>".repeat(csp_model::ddf::MAX_ELEMENTS + 10));
    s.push_str("</Node></MgmtTree>");
    let r = quick("element bomb", || DdfFile::parse(s.as_bytes()));
    assert!(r.is_err(), "three million elements accepted");
}

#[test]
fn ddf_entities_are_not_expanded() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE MgmtTree [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY x SYSTEM "file:///etc/passwd">
]>
<MgmtTree><VerDTD>1.2</VerDTD>
  <Node><NodeName>&d;&x;</NodeName><Path>./Vendor/MSFT</Path>
    <DFProperties><AccessType><Get/></AccessType><DFFormat><node/></DFFormat></DFProperties>
  </Node>
</MgmtTree>"#;
    match quick("DDF entities", || DdfFile::parse(xml.as_bytes())) {
        Err(e) => assert!(!e.to_string().contains("root:"), "{e}"),
        Ok(f) => {
            for (_, n) in f.walk() {
                let name = n.display_name();
                assert!(
                    name.len() < 10_000,
                    "entity expanded to {} bytes",
                    name.len()
                );
                assert!(!name.contains("root:"), "external entity read");
            }
        }
    }
}

#[test]
fn validation_of_a_deep_or_wide_answer_file_is_bounded() {
    // Many unknown settings in Common: every one reported, quickly.
    let mut xml = String::from(
        r#"<WindowsCustomizations><PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0"><ID>{a0ff437e-87ae-4f47-a6a0-4121eb6bc106}</ID><Name>x</Name><Version>1.0</Version><OwnerType>ITAdmin</OwnerType><Rank>0</Rank></PackageConfig><Settings xmlns="urn:schemas-microsoft-com:windows-provisioning"><Customizations><Common>"#,
    );
    let deep = 200;
    xml.push_str(&"<Policies>".repeat(deep));
    xml.push_str(&"</Policies>".repeat(deep));
    xml.push_str(&"<NoSuchSetting>1</NoSuchSetting>".repeat(500));
    xml.push_str("</Common></Customizations></Settings></WindowsCustomizations>");
    let answer = AnswerFile::parse(xml.as_bytes()).unwrap();
    let report = quick("validate", || {
        validate(&answer, Catalog::builtin(), Edition::Desktop)
    });
    assert!(!report.is_valid());
}

#[test]
fn ddf_attribute_count_bomb_is_refused() {
    let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"1\"")).collect();
    let s = format!("<MgmtTree><Node{attrs}><NodeName>A</NodeName></Node></MgmtTree>");
    let e = quick("attribute bomb", || DdfFile::parse(s.as_bytes())).unwrap_err();
    assert!(e.to_string().contains("attributes"), "{e}");
}
