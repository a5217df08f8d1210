//! Reading the real WCD package `reference/ppkg/start_pins.ppkg`: its 7 files and 6 folders,
//! byte-identical to `start_pins_extracted/`, and its XML data equal to `start_pins_wim_xml.txt`.

use std::fs::File;
use std::path::Path;

use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{WimReader, RESHDR_COMPRESSED, RESHDR_METADATA};

fn start_pins() -> Option<std::path::PathBuf> {
    ppkg_testdata::reference_file("ppkg/start_pins.ppkg")
}

#[test]
fn start_pins_lists_seven_files_and_six_folders() {
    let Some(p) = start_pins() else { return };
    let wim = WimReader::new(File::open(&p).unwrap()).unwrap();
    let files: Vec<_> = wim
        .entries()
        .iter()
        .filter(|e| !e.is_dir)
        .map(|e| e.path.as_str())
        .collect();
    let dirs: Vec<_> = wim
        .entries()
        .iter()
        .filter(|e| e.is_dir)
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(
        files,
        // WCD's on-disk order: element order at the root, files before folders.
        [
            "Multivariant/Multivariant.xml",
            "Multivariant/0/customizations.xml",
            "Multivariant/0/MasterDatastore.xml",
            "Multivariant/0/Prov/RunTime.xml",
            "Multivariant/0/Prov/RunTime/0__Policies_Start_ConfigureStartPins.provxml",
            "CommonSettings/CommonSettings.xml",
            "CommonSettings/1/AnswerFile.xml",
        ]
    );
    assert_eq!(
        dirs,
        [
            "Multivariant",
            "Multivariant/0",
            "Multivariant/0/Prov",
            "Multivariant/0/Prov/RunTime",
            "CommonSettings",
            "CommonSettings/1",
        ]
    );
    let h = wim.header();
    assert_eq!(
        (h.version, h.flags, h.chunk_size),
        (0x10D00, 0x0002_0082, 32768)
    );
    assert_eq!(
        wim.metadata_blob().resource.flags,
        RESHDR_METADATA | RESHDR_COMPRESSED
    );
    assert_eq!(h.blob_table.flags, RESHDR_METADATA);
    let e = wim.find("multivariant\\0\\CUSTOMIZATIONS.xml").unwrap();
    assert_eq!(e.size, 994);
    assert_eq!(e.path, "Multivariant/0/customizations.xml");
}

#[test]
fn start_pins_bytes_match_the_extracted_reference() {
    let Some(p) = start_pins() else { return };
    let dir = ppkg_testdata::reference_file("ppkg/start_pins_extracted").unwrap();
    let mut wim = WimReader::new(File::open(&p).unwrap()).unwrap();
    let mut n = 0;
    for e in wim.entries().to_vec() {
        let on_disk = dir.join(&e.path);
        if e.is_dir {
            assert!(on_disk.is_dir(), "{}", e.path);
            continue;
        }
        let got = wim.read_to_vec(&e, 1 << 20).unwrap();
        assert_eq!(got, std::fs::read(&on_disk).unwrap(), "{}", e.path);
        n += 1;
    }
    assert_eq!(n, 7);
    // And the whole tree, written out safely.
    let tmp = tempfile::tempdir().unwrap();
    let stats = wim.extract_to(tmp.path()).unwrap();
    assert_eq!((stats.files, stats.dirs, stats.bytes), (7, 6, 3153));
    assert_same_tree(&dir, tmp.path());
}

#[test]
fn start_pins_image_info_matches_the_reference_xml() {
    let Some(p) = start_pins() else { return };
    let txt = ppkg_testdata::reference_file("ppkg/start_pins_wim_xml.txt").unwrap();
    let want = std::fs::read_to_string(txt).unwrap();
    let wim = WimReader::new(File::open(&p).unwrap()).unwrap();
    assert_eq!(wim.xml_data(), want.trim_end());
    let info = wim.image_info();
    assert_eq!(info, &ImageInfo::from_wim_xml(&want).unwrap());
    assert_eq!(info.name, "windows-kitting-workflow-sample");
    assert_eq!(info.altitude, Some(5000));
    assert_eq!(
        info.package_id.as_deref(),
        Some("{b84f2c39-eb59-4d4f-8ad1-0f93cec1384e}")
    );
    assert_eq!(
        (info.dir_count, info.file_count, info.total_bytes),
        (6, 9, 3153)
    );
    assert_eq!(info.creation_time, 0x01DC_0D07_2073_7ED1);
    // Written back in WCD's exact order and formatting.
    assert_eq!(
        info.to_wim_xml(wim.header().xml_data.offset),
        want.trim_end()
    );
}

fn assert_same_tree(a: &Path, b: &Path) {
    let list = |root: &Path| {
        let mut v = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("readable dir") {
                let p = e.expect("dir entry").path();
                let rel = p.strip_prefix(root).expect("below root").to_path_buf();
                if p.is_dir() {
                    stack.push(p);
                    v.push((rel, None));
                } else {
                    v.push((rel, Some(std::fs::read(&p).expect("readable file"))));
                }
            }
        }
        v.sort();
        v
    };
    assert_eq!(list(a), list(b));
}
