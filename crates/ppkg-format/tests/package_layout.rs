//! The package layout against the real packages: reading `start_pins.ppkg` through [`Package`],
//! rebuilding it from its extracted files and checking the result with our reader,
//! `wimlib-imagex` (apply, verify) and `7zz t`; index files and DataAsset naming against the
//! Acer package.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use ppkg_format::answer::AnswerFile;
use ppkg_format::layout::{
    build_tree, image_info, index_file_xml, parse_index_file, write_package, write_package_with,
    DataAsset, ElementKind, LayoutOptions, Package, PackageParts,
};
use ppkg_format::owner::OwnerType;
use ppkg_format::provxml::ProvDoc;
use ppkg_format::runtime::RunTime;
use ppkg_format::wim::{Compression, Source, WimReader, WriteOptions};

/// start_pins.ppkg's header GUID and its XML CREATIONTIME (0x01DC0D07_20737ED1).
const GUID: [u8; 16] = [
    0x5c, 0xca, 0x62, 0xe5, 0x4e, 0xdb, 0x56, 0x46, 0x9b, 0xd8, 0xba, 0x15, 0xf6, 0x7a, 0xbe, 0xa4,
];
const TIME: u64 = 0x01DC_0D07_2073_7ED1;

/// Every file below `dir`, by '/'-separated relative path.
fn tree_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("below base");
                let rel = rel.to_str().expect("utf-8 path").replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The parts of a package, read from its extracted folder.
fn parts_from_extracted(dir: &Path) -> PackageParts {
    let mv = dir.join("Multivariant/0");
    let answer_file = AnswerFile::parse(
        &std::fs::read(mv.join("customizations.xml")).expect("read and parse the extracted sample"),
    )
    .expect("answer file");
    let runtime = RunTime::parse(
        &std::fs::read(mv.join("Prov/RunTime.xml")).expect("read and parse the extracted sample"),
    )
    .expect("read and parse the extracted sample");
    let provxml = runtime
        .sets
        .iter()
        .map(|s| {
            let name = s
                .file_name()
                .expect("read and parse the extracted sample")
                .to_owned();
            let b = std::fs::read(mv.join("Prov/RunTime").join(&name))
                .expect("read and parse the extracted sample");
            (
                name,
                ProvDoc::parse(&b).expect("read and parse the extracted sample"),
            )
        })
        .collect();
    PackageParts {
        answer_file: answer_file.into(),
        runtime,
        provxml,
        assets: Vec::new(),
    }
}

#[test]
fn reading_start_pins_gives_its_parts() {
    let (Some(ppkg), Some(dir)) = (
        ppkg_testdata::reference_file("ppkg/start_pins.ppkg"),
        ppkg_testdata::reference_file("ppkg/start_pins_extracted"),
    ) else {
        return;
    };
    let mut p = Package::open(WimReader::new(File::open(ppkg).unwrap()).unwrap()).unwrap();
    assert_eq!(p.image_info().name, "windows-kitting-workflow-sample");
    let a = p.answer_file().unwrap().unwrap();
    assert_eq!(
        a.to_bytes(),
        std::fs::read(dir.join("Multivariant/0/customizations.xml")).unwrap()
    );
    let cfg = a.package_config().unwrap();
    assert_eq!(cfg.owner_type, OwnerType::ItAdmin);
    assert_eq!(
        p.image_info().package_id,
        cfg.id_braced(),
        "PACKAGEID is the answer file's ID"
    );
    let docs = p.provxml().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].0, "0__Policies_Start_ConfigureStartPins.provxml");
    assert_eq!(
        docs[0].1.to_bytes(),
        std::fs::read(dir.join("Multivariant/0/Prov/RunTime").join(&docs[0].0)).unwrap()
    );
    assert_eq!(p.runtime().unwrap().unwrap().sets.len(), 1);
    assert_eq!(
        p.common_settings_xml().unwrap().unwrap(),
        std::fs::read(dir.join("CommonSettings/1/AnswerFile.xml")).unwrap()
    );
    let el = p.elements().unwrap();
    let kinds: Vec<(Option<ElementKind>, u32)> =
        el.iter().map(|e| (e.kind, e.entry.index)).collect();
    assert_eq!(
        kinds,
        [
            (Some(ElementKind::Multivariant), 0),
            (Some(ElementKind::CommonSettings), 1)
        ]
    );
    assert!(p.assets().unwrap().is_empty());
}

#[test]
fn image_info_is_filled_as_wcd_fills_it() {
    let Some(dir) = ppkg_testdata::reference_file("ppkg/start_pins_extracted") else {
        return;
    };
    let parts = parts_from_extracted(&dir);
    let cfg = parts.answer_file.package_config().unwrap();
    let info = image_info(&cfg, "Desktop");
    assert_eq!(info.name, "windows-kitting-workflow-sample");
    assert_eq!(info.altitude, Some(5000));
    assert_eq!(info.reset_clear, Some(0));
    assert_eq!(
        info.package_id.as_deref(),
        Some("{b84f2c39-eb59-4d4f-8ad1-0f93cec1384e}")
    );
    assert_eq!(
        info.notes,
        format!(
            "VERSION=ppkg-format/{};Source=Classic;;TargetSkus=Desktop;EncryptPackage=False;\
             SignPackage=False;PackageID=b84f2c39-eb59-4d4f-8ad1-0f93cec1384e;",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn rebuilt_start_pins_extracts_to_the_same_files() {
    let (Some(dir), Some(orig)) = (
        ppkg_testdata::reference_file("ppkg/start_pins_extracted"),
        ppkg_testdata::reference_file("ppkg/start_pins.ppkg"),
    ) else {
        return;
    };
    let parts = parts_from_extracted(&dir);
    assert_eq!(
        build_tree(&parts).unwrap().len(),
        13,
        "7 files and 6 folders"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rebuilt.ppkg");
    let stats = write_package(
        File::create(&out).unwrap(),
        &parts,
        &WriteOptions::deterministic(GUID, TIME),
    )
    .unwrap();
    assert_eq!((stats.files, stats.dirs, stats.bytes_in), (7, 6, 3153));

    // Our reader: the same files, byte for byte, and WCD's image fields.
    let expected = tree_of(&dir);
    assert_eq!(expected.len(), 7);
    let mut r = WimReader::new(File::open(&out).unwrap()).unwrap();
    let mut ours = BTreeMap::new();
    for e in r.entries().to_vec().iter().filter(|e| !e.is_dir) {
        ours.insert(e.path.clone(), r.read_to_vec(e, 1 << 20).unwrap());
    }
    assert_eq!(ours, expected);
    let wcd = WimReader::new(File::open(orig).unwrap()).unwrap();
    let (a, b) = (r.image_info(), wcd.image_info());
    assert_eq!(
        (
            &a.name,
            &a.version,
            a.altitude,
            a.reset_clear,
            &a.package_id
        ),
        (
            &b.name,
            &b.version,
            b.altitude,
            b.reset_clear,
            &b.package_id
        )
    );
    assert_eq!((a.dir_count, a.total_bytes), (b.dir_count, b.total_bytes));

    // Deterministic: the same parts, GUID and time give the same bytes.
    let mut again = Cursor::new(Vec::new());
    write_package(&mut again, &parts, &WriteOptions::deterministic(GUID, TIME)).unwrap();
    assert_eq!(again.into_inner(), std::fs::read(&out).unwrap());

    check_wimlib(&out, &expected, tmp.path());

    // 7-Zip reads the same package stored without compression too (the XPRESS form:
    // `seven_zip_reads_xpress_packages`).
    let plain = tmp.path().join("plain.ppkg");
    write_package(
        File::create(&plain).unwrap(),
        &parts,
        &WriteOptions::deterministic(GUID, TIME).with_compression(Compression::None),
    )
    .unwrap();
    check_wimlib(&plain, &expected, tmp.path());
    check_seven_zip(&plain, &expected, tmp.path());
}

/// 7-Zip reads the XPRESS package as WCD writes it (chunks end with the end-of-data symbol).
#[test]
fn seven_zip_reads_xpress_packages() {
    let Some(dir) = ppkg_testdata::reference_file("ppkg/start_pins_extracted") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x.ppkg");
    let parts = parts_from_extracted(&dir);
    write_package(
        File::create(&out).unwrap(),
        &parts,
        &WriteOptions::deterministic(GUID, TIME),
    )
    .unwrap();
    check_seven_zip(&out, &tree_of(&dir), tmp.path());
}

/// `wimlib-imagex verify` accepts the package and `wimlib-imagex apply` gives `expected`.
fn check_wimlib(ppkg: &Path, expected: &BTreeMap<String, Vec<u8>>, tmp: &Path) {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let v = Command::new("wimlib-imagex")
        .arg("verify")
        .arg(ppkg)
        .output()
        .expect("run wimlib-imagex");
    assert!(
        v.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&v.stderr)
    );
    let applied = tmp.join(format!(
        "wimlib-{}",
        ppkg.file_stem()
            .expect("run wimlib-imagex")
            .to_str()
            .expect("run wimlib-imagex")
    ));
    let a = Command::new("wimlib-imagex")
        .arg("apply")
        .arg(ppkg)
        .arg("1")
        .arg(&applied)
        .output()
        .expect("run wimlib-imagex");
    assert!(
        a.status.success(),
        "apply: {}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(&tree_of(&applied), expected);
}

/// `7zz t` accepts the package and `7zz x` gives `expected`.
fn check_seven_zip(ppkg: &Path, expected: &BTreeMap<String, Vec<u8>>, tmp: &Path) {
    if !ppkg_testdata::tool("7zz") {
        return;
    }
    let t = Command::new("7zz")
        .arg("t")
        .arg(ppkg)
        .output()
        .expect("run 7zz");
    let stdout = String::from_utf8_lossy(&t.stdout);
    assert!(
        t.status.success() && stdout.contains("Everything is Ok"),
        "7zz t: {stdout}"
    );
    let out = tmp.join(format!(
        "7z-{}",
        ppkg.file_stem()
            .expect("run 7zz")
            .to_str()
            .expect("run 7zz")
    ));
    let x = Command::new("7zz")
        .arg("x")
        .arg(format!("-o{}", out.display()))
        .arg(ppkg)
        .output()
        .expect("run 7zz");
    assert!(
        x.status.success(),
        "7zz x: {}",
        String::from_utf8_lossy(&x.stdout)
    );
    assert_eq!(&tree_of(&out), expected);
}

#[test]
fn index_files_are_written_as_wcd_writes_them() {
    for rel in [
        "ppkg/start_pins_extracted/Multivariant/Multivariant.xml",
        "ppkg/start_pins_extracted/CommonSettings/CommonSettings.xml",
        "ppkg/acer_baseconfig_extracted/Multivariant/Multivariant.xml",
        "ppkg/acer_baseconfig_extracted/CommonSettings/CommonSettings.xml",
        "ppkg/acer_baseconfig_extracted/DataAsset/DataAsset.xml",
    ] {
        let Some(p) = ppkg_testdata::reference_file(rel) else {
            return;
        };
        let bytes = std::fs::read(p).unwrap();
        let (kind, entries) = parse_index_file(&bytes).unwrap();
        let kind = ElementKind::from_name(&kind).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&index_file_xml(kind, &entries)),
            String::from_utf8_lossy(&bytes),
            "{rel}"
        );
    }
}

#[test]
fn a_package_with_assets_lays_them_out_and_reads_them_back() {
    let Some(dir) = ppkg_testdata::reference_file("ppkg/acer_baseconfig_extracted") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // Stand-ins for the two MSI payloads (omitted from the samples): one on disk, streamed, and
    // one in memory; over 32 KiB so that XPRESS chunking is exercised.
    let big: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    let msi = tmp.path().join("Cortex_XDR_9_0_0_16757_x64.msi");
    std::fs::write(&msi, &big).unwrap();
    let mut parts = parts_from_extracted(&dir);
    parts.assets = vec![
        DataAsset {
            setting_name: "CommandFile".into(),
            setting_path: "/ProvisioningCommands/PrimaryContext/Command/0/CommandFile".into(),
            file_name: "Cortex_XDR_9_0_0_16757_x64.msi".into(),
            source: Source::File(PathBuf::from(&msi)),
        },
        DataAsset {
            setting_name: "CommandFile".into(),
            setting_path: "/ProvisioningCommands/PrimaryContext/Command/1/CommandFile".into(),
            file_name: "GlobalProtect64-6.2.8-c263.msi".into(),
            source: Source::from(b"small payload".to_vec()),
        },
    ];
    let keys: Vec<String> = parts
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| a.key(i).unwrap())
        .collect();
    // WCD drops the Name attribute of ProvisioningCommands list items in AnswerFile.xml.
    let common = parts.answer_file.common_settings_xml_with(|path, attr| {
        !(path == "/ProvisioningCommands/PrimaryContext/Command/CommandConfig"
            && attr.name == "Name")
    });
    let mut opts = LayoutOptions::default();
    opts.target_skus = "WindowsCommon,Desktop".into();
    opts.common_settings_xml = Some(common);
    let out = tmp.path().join("acer.ppkg");
    write_package_with(
        File::create(&out).unwrap(),
        &parts,
        &WriteOptions::deterministic(GUID, TIME),
        &opts,
    )
    .unwrap();

    let mut p = Package::open(WimReader::new(File::open(&out).unwrap()).unwrap()).unwrap();
    assert!(p
        .image_info()
        .notes
        .contains(";TargetSkus=WindowsCommon,Desktop;"));
    assert_eq!(p.image_info().altitude, Some(2000));
    let assets = p.assets().unwrap();
    assert_eq!(assets.len(), 2);
    assert_eq!(assets[0].key, keys[0]);
    assert_eq!(assets[0].element_index, 2);
    assert_eq!(assets[0].setting_name, "CommandFile");
    assert_eq!(assets[0].size, big.len() as u64);
    assert!(assets.iter().all(|a| a.hash_matches_key), "{assets:?}");
    assert_eq!(assets[1].file_name, "GlobalProtect64-6.2.8-c263.msi");
    assert_eq!(p.provxml().unwrap().len(), 15);

    // Every file but the DataAsset ones (whose keys hash our stand-ins) equals the Acer sample.
    let mut expected = tree_of(&dir);
    let data_asset_xml = expected.remove("DataAsset/DataAsset.xml").unwrap();
    let mut r = WimReader::new(File::open(&out).unwrap()).unwrap();
    let mut ours = BTreeMap::new();
    for e in r.entries().to_vec().iter().filter(|e| !e.is_dir) {
        ours.insert(e.path.clone(), r.read_to_vec(e, 1 << 20).unwrap());
    }
    let ours_index = ours.remove("DataAsset/DataAsset.xml").unwrap();
    let expected_index = String::from_utf8(data_asset_xml)
        .unwrap()
        .replace(
            "0_E59k3Wvw1OrB63LOQp31n8N9yPXB6QFhlvlr0TK2b0A=\\Cortex_XDR_9_0_0_16757_x64.msi",
            &keys[0],
        )
        .replace(
            "1_YcxxsybdLXjvfv2cUHpDLo66Mu2hGEjTvDQAaKWnu2Q=\\GlobalProtect64-6.2.8-c263.msi",
            &keys[1],
        );
    assert_eq!(
        String::from_utf8(ours_index.clone()).unwrap(),
        expected_index
    );
    let payload0 = format!("DataAsset/2/{}", keys[0].replace('\\', "/"));
    assert_eq!(ours.remove(&payload0).unwrap(), big);
    let payload1 = format!("DataAsset/2/{}", keys[1].replace('\\', "/"));
    assert_eq!(ours.remove(&payload1).unwrap(), b"small payload");
    assert_eq!(ours, expected);

    let mut all = tree_of(&dir);
    all.insert("DataAsset/DataAsset.xml".into(), ours_index);
    all.insert(payload0, big);
    all.insert(payload1, b"small payload".to_vec());
    check_wimlib(&out, &all, tmp.path());
    check_seven_zip(&out, &all, tmp.path());
}

#[test]
fn a_package_needs_an_id_and_consistent_parts() {
    let Some(dir) = ppkg_testdata::reference_file("ppkg/start_pins_extracted") else {
        return;
    };
    let mut parts = parts_from_extracted(&dir);
    parts.provxml.clear();
    let e = build_tree(&parts).unwrap_err();
    assert!(e.to_string().contains("RunTime.xml lists"), "{e}");
    let mut parts = parts_from_extracted(&dir);
    let mut cfg = parts.answer_file.package_config().unwrap();
    cfg.id = None;
    std::sync::Arc::make_mut(&mut parts.answer_file).set_package_config(&cfg);
    let e = write_package(
        Cursor::new(Vec::new()),
        &parts,
        &WriteOptions::deterministic(GUID, TIME),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no ID"), "{e}");
}

#[test]
fn package_reads_any_wim() {
    // A WIM with none of the package parts: everything is absent, nothing fails.
    let mut tree = ppkg_format::wim::ImageTree::new();
    tree.add_file("other/file.txt", b"x".to_vec()).unwrap();
    let mut buf = Cursor::new(Vec::new());
    ppkg_format::wim::write_wim(
        &mut buf,
        &tree,
        &Default::default(),
        &WriteOptions::deterministic(GUID, TIME),
    )
    .unwrap();
    buf.set_position(0);
    let mut p = Package::open(WimReader::new(buf).unwrap()).unwrap();
    assert!(p.answer_file().unwrap().is_none());
    assert!(p.runtime().unwrap().is_none());
    assert!(p.provxml().unwrap().is_empty());
    assert!(p.assets().unwrap().is_empty());
    assert!(p.elements().unwrap().is_empty());
    assert!(p.common_settings_xml().unwrap().is_none());
}

/// Field case B04: a package whose embedded customizations.xml has a bad entity gives an XML
/// error with line, column and the part's name.
#[test]
fn a_bad_answer_file_inside_a_package_is_located() {
    let mut tree = ppkg_format::wim::ImageTree::new();
    tree.add_file(
        "Multivariant/0/customizations.xml",
        b"<WindowsCustomizations>\r\n  <Settings>&bogus;</Settings>\r\n</WindowsCustomizations>"
            .to_vec(),
    )
    .unwrap();
    let mut buf = Cursor::new(Vec::new());
    ppkg_format::wim::write_wim(
        &mut buf,
        &tree,
        &Default::default(),
        &WriteOptions::deterministic(GUID, TIME),
    )
    .unwrap();
    buf.set_position(0);
    let mut p = Package::open(WimReader::new(buf).unwrap()).unwrap();
    let e = p.answer_file().unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ppkg_format::ErrorKind::Xml {
                line: 2,
                column: 13,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.part(), Some("Multivariant/0/customizations.xml"));
}

/// Standard base64 of a payload's SHA-256 holds `/` in most payloads and `//` in about 1 %: the
/// key stays as WCD writes it, the `/` nests a folder, `//` is one separator
/// ([`ppkg_format::layout::asset_folder`]); the package builds, reads back through its keys and
/// passes `wimlib-imagex verify` (found by the perf comparison corpus, which failed to build).
#[test]
fn payloads_whose_hash_has_slashes_build_and_read_back() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let Some(dir) = ppkg_testdata::reference_file("ppkg/acer_baseconfig_extracted") else {
        return;
    };
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b));
    // The first contents (a counter) whose hash has `//`, and whose hash has one `/` only.
    let find = |pred: &dyn Fn(&str) -> bool| -> Vec<u8> {
        (0u32..)
            .map(|i| format!("payload {i}").into_bytes())
            .find(|b| pred(&b64(b)))
            .expect("found")
    };
    let double = find(&|s| s.contains("//"));
    let single = find(&|s| s.matches('/').count() == 1);
    let mut parts = parts_from_extracted(&dir);
    parts.assets = [&double, &single]
        .iter()
        .enumerate()
        .map(|(i, content)| DataAsset {
            setting_name: "CommandFile".into(),
            setting_path: format!("/ProvisioningCommands/PrimaryContext/Command/{i}/CommandFile"),
            file_name: format!("file{i}.msi"),
            source: Source::from(content.to_vec()),
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("slashes.ppkg");
    write_package(
        File::create(&out).unwrap(),
        &parts,
        &WriteOptions::deterministic(GUID, TIME),
    )
    .unwrap();
    let mut p = Package::open(WimReader::new(File::open(&out).unwrap()).unwrap()).unwrap();
    let assets = p.assets().unwrap();
    assert_eq!(assets.len(), 2);
    assert!(assets[0].key.contains("//"), "{}", assets[0].key);
    for (a, content) in assets.iter().zip([&double, &single]) {
        assert!(a.hash_matches_key, "{a:?}");
        assert_eq!(a.size, content.len() as u64);
        let path = a.wim_path.clone().expect("payload found through its key");
        assert!(!path.contains("//"), "{path}");
    }
    if ppkg_testdata::tool("wimlib-imagex") {
        let v = Command::new("wimlib-imagex")
            .arg("verify")
            .arg(&out)
            .output()
            .expect("run wimlib-imagex");
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    }
}
