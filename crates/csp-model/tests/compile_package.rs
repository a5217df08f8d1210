//! End to end: compile a real answer file, lay the package out with `ppkg-format`, write the WIM,
//! extract it with wimlib (an independent reader) and compare with the files WCD wrote.

use std::collections::BTreeMap;
use std::path::Path;

use csp_model::catalog::Catalog;
use csp_model::compile::{
    answer_settings_xml, compile, CompileOptions, MapResolver, NoAssets, WcdVersion,
};
use ppkg_format::answer::AnswerFile;
use ppkg_format::layout::{write_package_with, LayoutOptions};
use ppkg_format::wim::WriteOptions;

/// Files by '/'-separated relative path.
type Files = BTreeMap<String, Vec<u8>>;

/// Every file below `dir`.
fn files(dir: &Path) -> Files {
    fn walk(base: &Path, dir: &Path, out: &mut Files) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("below base");
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Compiles `reference/<sample>/Multivariant/0/customizations.xml`, writes the package and
/// returns (WCD's files, our files as extracted by wimlib), or `None` when skipped.
fn build_and_extract(
    sample: &str,
    target_skus: &str,
    resolver: &dyn csp_model::compile::AssetResolver,
) -> Option<(Files, Files)> {
    let dir = ppkg_testdata::reference_file(sample)?;
    if !ppkg_testdata::tool("wimlib-imagex") {
        return None;
    }
    Some(build_and_extract_dir(
        &dir,
        target_skus,
        resolver,
        &CompileOptions::default(),
    ))
}

/// As [`build_and_extract`], for the WCD files extracted in `dir`, with `opts`.
fn build_and_extract_dir(
    dir: &Path,
    target_skus: &str,
    resolver: &dyn csp_model::compile::AssetResolver,
    opts: &CompileOptions,
) -> (Files, Files) {
    let bytes = std::fs::read(dir.join("Multivariant/0/customizations.xml")).expect("read");
    let answer = AnswerFile::parse(&bytes).expect("parse answer file");
    let catalog = Catalog::builtin();
    let compiled = compile(&answer, catalog, opts, resolver).expect("compile");
    let mut layout = LayoutOptions::default();
    layout.target_skus = target_skus.to_owned();
    layout.common_settings_xml = Some(answer_settings_xml(&answer, catalog));
    let parts = compiled.into_parts(answer);

    let tmp = tempfile::tempdir().expect("tempdir");
    let wim = tmp.path().join("out.ppkg");
    let file = std::fs::File::create(&wim).expect("create");
    write_package_with(
        file,
        &parts,
        &WriteOptions::deterministic([7; 16], 133_000_000_000_000_000),
        &layout,
    )
    .expect("write package");
    let verify = std::process::Command::new("wimlib-imagex")
        .arg("verify")
        .arg(&wim)
        .output()
        .expect("run wimlib-imagex verify");
    assert!(
        verify.status.success(),
        "wimlib-imagex verify: {}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let out = tmp.path().join("x");
    let apply = std::process::Command::new("wimlib-imagex")
        .arg("apply")
        .arg(&wim)
        .arg("1")
        .arg(&out)
        .output()
        .expect("run wimlib-imagex apply");
    assert!(
        apply.status.success(),
        "wimlib-imagex apply: {}",
        String::from_utf8_lossy(&apply.stderr)
    );
    (files(dir), files(&out))
}

#[test]
fn start_pins_package_extracts_to_wcds_files() {
    let Some((want, got)) = build_and_extract("ppkg/start_pins_extracted", "Desktop", &NoAssets)
    else {
        return;
    };
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &want {
        assert!(got[path] == *bytes, "{path} differs");
    }
}

#[test]
fn acer_package_extracts_to_wcds_files_except_payload_names() {
    let mut resolver = MapResolver::new();
    resolver.insert(
        "Cortex_XDR_9_0_0_16757_x64.msi",
        b"cortex stand-in".to_vec(),
    );
    resolver.insert(
        "GlobalProtect64-6.2.8-c263.msi",
        b"globalprotect stand-in".to_vec(),
    );
    let Some((want, got)) = build_and_extract(
        "ppkg/acer_baseconfig_extracted",
        "WindowsCommon,Desktop",
        &resolver,
    ) else {
        return;
    };
    let hashed = |p: &str| p.starts_with("DataAsset/") || p.ends_with("_CommandFile.provxml");
    let mut compared = 0;
    for (path, bytes) in want.iter().filter(|(p, _)| !hashed(p)) {
        let ours = got.get(path).unwrap_or_else(|| panic!("{path} missing"));
        assert!(ours == bytes, "{path} differs");
        compared += 1;
    }
    // 13 of the 15 provxml, RunTime.xml, customizations.xml, MasterDatastore.xml, AnswerFile.xml
    // and the index files of elements 0 and 1.
    assert_eq!(compared, 13 + 6);
    // The payloads sit where their keys say, with our content.
    let payloads: Vec<&String> = got
        .keys()
        .filter(|p| p.starts_with("DataAsset/2/"))
        .collect();
    assert_eq!(payloads.len(), 2);
    assert!(payloads[0].ends_with("/Cortex_XDR_9_0_0_16757_x64.msi"));
    assert!(payloads[0].starts_with("DataAsset/2/0_"));
    assert_eq!(got[payloads[0]], b"cortex stand-in");
    assert!(got.contains_key("DataAsset/DataAsset.xml"));
}

/// The WCD 2024 sample: every member WCD compiled, byte for byte, including the
/// `Provisioning/ForceSettingReload` parm of the computer name, WCD 2024's group order (HideOobe
/// between Accounts and Policies) and AnswerFile.xml without the map item's `Name` attribute.
#[test]
fn bypass_oobe_wcd2024_package_extracts_to_wcds_files() {
    let Some(ppkg) = ppkg_testdata::reference_file("ppkg/bypass_oobe_wcd2024.ppkg") else {
        return;
    };
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let wcd = tmp.path().join("wcd");
    let apply = std::process::Command::new("wimlib-imagex")
        .arg("apply")
        .arg(&ppkg)
        .arg("1")
        .arg(&wcd)
        .output()
        .expect("run wimlib-imagex apply");
    assert!(
        apply.status.success(),
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    let mut opts = CompileOptions::default();
    opts.wcd = WcdVersion::Wcd2024;
    let (want, got) = build_and_extract_dir(&wcd, "Desktop", &NoAssets, &opts);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &want {
        assert!(
            got[path] == *bytes,
            "{path} differs:\n--- WCD\n{}\n--- ours\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&got[path])
        );
    }
    let reload = &got["Multivariant/0/Prov/RunTime/0__Accounts_ComputerAccount.provxml"];
    assert!(String::from_utf8_lossy(reload).contains("ForceSettingReload"));

    // The default (WCD 2025) puts the registry-mapped HideOobe after the CSP policies, as the
    // 2025 Acer sample does; only the order differs.
    let (_, newest) = build_and_extract_dir(&wcd, "Desktop", &NoAssets, &CompileOptions::default());
    let names = |f: &Files| -> Vec<String> {
        f.keys()
            .filter(|k| k.contains("/RunTime/"))
            .map(|k| k.rsplit('/').next().unwrap_or_default().to_owned())
            .collect()
    };
    assert!(names(&newest).contains(&"5__OOBE_Desktop_HideOobe.provxml".to_owned()));
    assert!(names(&got).contains(&"2__OOBE_Desktop_HideOobe.provxml".to_owned()));
}
