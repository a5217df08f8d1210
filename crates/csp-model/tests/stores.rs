//! Issue #11, "catalog from every store": settings of current WCD (22621 store) validate and
//! compile, 2019-only settings stay accepted with a note, generated SettingsGroup GUIDs are
//! said so, and unknown settings get suggestions only from their own area.

use csp_model::catalog::{Catalog, Edition, GroupSource, Store};
use csp_model::compile::{compile, CompileOptions, NoAssets};
use csp_model::validate::{validate, Code, Severity};
use ppkg_format::answer::AnswerFile;

fn answer(common: &str) -> AnswerFile {
    let xml = format!(
        r#"<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{{5bbb21f3-9309-4db9-a05e-4b4c679a14fa}}</ID><Name>stores</Name>
    <Version>1.0</Version><OwnerType>ITAdmin</OwnerType><Rank>0</Rank>
  </PackageConfig>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <Customizations><Common>
{common}
    </Common></Customizations>
  </Settings>
</WindowsCustomizations>"#
    );
    AnswerFile::parse(xml.as_bytes()).expect("parse")
}

#[test]
fn current_wcd_settings_validate_and_compile_with_notes() {
    let c = Catalog::builtin();
    let dns = c
        .get_in("/DevDetail/DNSComputerName", Edition::Desktop)
        .expect("desktop");
    assert!(dns.stores.contains(Store::Wcd22621));
    let a = answer(
        "<DevDetail><DNSComputerName>PC-%SERIAL%</DNSComputerName></DevDetail>
<Policies>
  <WindowsAI><TurnOffWindowsCopilot>1</TurnOffWindowsCopilot></WindowsAI>
  <DeliveryOptimization><DOMaxDownloadBandwidth>100</DOMaxDownloadBandwidth></DeliveryOptimization>
</Policies>",
    );
    let r = validate(&a, c, Edition::Desktop);
    assert!(r.is_valid(), "{r}");
    let generated: Vec<_> = r.with_code(Code::GeneratedSettingsGroup).collect();
    assert_eq!(generated.len(), 1, "{r}");
    assert_eq!(generated[0].severity, Severity::Info);
    assert!(generated[0].path.ends_with("/TurnOffWindowsCopilot"), "{r}");
    assert!(matches!(
        c.group_source("/Policies/WindowsAI/TurnOffWindowsCopilot"),
        Some(GroupSource::Generated)
    ));
    let older: Vec<_> = r.with_code(Code::OlderStoreOnly).collect();
    assert_eq!(older.len(), 1, "{r}");
    assert!(older[0].path.ends_with("/DOMaxDownloadBandwidth"), "{r}");
    assert_eq!(older[0].pos.map(|p| p.line), Some(11));

    let out = compile(&a, c, &CompileOptions::default(), &NoAssets).expect("compile");
    let names: Vec<&str> = out.provxml.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "0__DevDetail_DNSComputerName.provxml",
            "1__Policies_WindowsAI_TurnOffWindowsCopilot.provxml",
            "2__Policies_DeliveryOptimization_DOMaxDownloadBandwidth.provxml",
        ]
    );
    assert_eq!(
        out.runtime.sets[1].settings_group,
        csp_model::catalog::generated_settings_group("/Policies/WindowsAI/TurnOffWindowsCopilot")
    );
    // The 22621 record's CSP path (no ./Vendor/MSFT prefix in the store).
    let (path, parm) = &out.provxml[0].1.parms()[0];
    assert_eq!(path.join("/"), "DevDetail/Ext/Microsoft");
    assert_eq!(parm.name, "DNSComputerName");
}

#[test]
fn the_2019_desktop_record_is_kept_where_22621_differs() {
    let c = Catalog::builtin();
    // ComputerName: 22621 adds ApplyAfterSetting /DevDetail/DNSComputerName.
    let now = c
        .get_in("/Accounts/ComputerAccount/ComputerName", Edition::Desktop)
        .expect("desktop");
    assert_eq!(now.apply.after, ["/DevDetail/DNSComputerName"]);
    let old: Vec<_> = c
        .superseded("/Accounts/ComputerAccount/ComputerName")
        .collect();
    assert_eq!(old.len(), 1);
    assert!(old[0].apply.after.is_empty());
    assert!(old[0].stores.contains(Store::Wcd2019));
}

#[test]
fn unknown_settings_get_suggestions_only_from_their_area() {
    let c = Catalog::builtin();
    let a = answer("<Policies><WindowsAI><TurnOffWindowsCopilott>1</TurnOffWindowsCopilott></WindowsAI><WindowsAIX><DisableAIDataAnalysis>1</DisableAIDataAnalysis></WindowsAIX></Policies>");
    let r = validate(&a, c, Edition::Desktop);
    let msgs: Vec<String> = r
        .with_code(Code::UnknownSetting)
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(msgs.len(), 2, "{r}");
    assert!(
        msgs[0].contains("did you mean /Policies/WindowsAI/TurnOffWindowsCopilot"),
        "{}",
        msgs[0]
    );
    assert!(!r.to_string().contains("SMISettings"), "{r}");
    for p in c.nearest("/Policies/WindowsAIX", 5) {
        assert!(p.starts_with("/Policies/"), "{p}");
    }
}
