//! `extract_to` never writes outside its target: dentry names such as `..`, `a/b`, `C:`, `x:y`
//! (alternate data streams), NUL, control characters and reserved device names are refused,
//! symbolic links on the way are not followed, and existing files are not overwritten.
//!
//! The hostile WIMs are made at test time: a WIM is written (uncompressed) with a placeholder
//! name of the same UTF-16 length, the name is patched in its metadata resource and the
//! metadata blob's SHA-1 is recomputed so that only the name is wrong.

use std::io::Cursor;
use std::path::Path;

use ppkg_format::wim::{write_wim, Compression, ImageTree, WimReader, WriteOptions};
use ppkg_format::ErrorKind;
use sha1::{Digest, Sha1};

/// A WIM whose file `dir/<name>` holds "payload", with `name` put in place of the placeholder.
fn hostile(name: &str) -> Vec<u8> {
    let units: Vec<u16> = name.encode_utf16().collect();
    let placeholder: String = "Q".repeat(units.len());
    let mut t = ImageTree::new();
    t.add_file(&format!("dir/{placeholder}"), "payload")
        .expect("valid placeholder");
    let mut out = Cursor::new(Vec::new());
    let opts = WriteOptions::deterministic([3; 16], 1).with_compression(Compression::None);
    write_wim(&mut out, &t, &Default::default(), &opts).expect("write to memory");
    let mut b = out.into_inner();
    let r = WimReader::new(Cursor::new(&b)).expect("fresh WIM opens");
    let meta = r.metadata_blob().resource;
    let table = r.header().blob_table.offset as usize;
    drop(r);
    let (start, end) = (
        meta.offset as usize,
        (meta.offset + meta.size_in_wim) as usize,
    );
    let needle: Vec<u8> = placeholder
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = b[start..end]
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .expect("placeholder in metadata")
        + start;
    let patch: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    b[at..at + patch.len()].copy_from_slice(&patch);
    let sha: [u8; 20] = Sha1::digest(&b[start..end]).into();
    // The metadata blob is the first blob table entry; its SHA-1 is the last 20 bytes.
    b[table + 30..table + 50].copy_from_slice(&sha);
    b
}

fn only_target_in(parent: &Path) {
    let names: Vec<_> = std::fs::read_dir(parent)
        .expect("list parent")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("target")],
        "wrote outside the target"
    );
}

#[test]
fn names_that_cannot_be_paths_are_refused_when_opening() {
    for name in ["..", ".", "a/b", "a\\b", "x\0y"] {
        let e = WimReader::new(Cursor::new(hostile(name))).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::UnsafePath(_)),
            "{name:?}: {e}"
        );
        assert!(e.offset().is_some(), "{name:?}: error names its offset");
    }
}

#[test]
fn windows_unsafe_names_list_but_never_extract() {
    for name in [
        "CON", "con.txt", "LPT1", "COM9.log", "NUL", "C:", "x:y", "a\u{1}b", "trail.", "sp ",
    ] {
        let mut r = WimReader::new(Cursor::new(hostile(name))).expect("listable");
        assert!(
            r.entries().iter().any(|e| e.path == format!("dir/{name}")),
            "{name:?}"
        );
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        let e = r.extract_to(&target).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::UnsafePath(_)),
            "{name:?}: {e}"
        );
        assert_eq!(e.part(), Some(format!("dir/{name}").as_str()));
        only_target_in(tmp.path());
        // Nothing but the (safe) folder was created.
        let inside: Vec<_> = std::fs::read_dir(target.join("dir")).unwrap().collect();
        assert!(inside.is_empty(), "{name:?}");
    }
}

#[test]
fn a_symlink_on_the_way_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(&target).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(elsewhere.path(), target.join("dir")).unwrap();
    #[cfg(not(unix))]
    return;
    let mut r = WimReader::new(Cursor::new(hostile("ok.txt"))).unwrap();
    let e = r.extract_to(&target).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::UnsafePath(_)), "{e}");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn existing_files_are_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");
    std::fs::create_dir_all(target.join("dir")).unwrap();
    std::fs::write(target.join("dir/ok.txt"), "mine").unwrap();
    let mut r = WimReader::new(Cursor::new(hostile("ok.txt"))).unwrap();
    let e = r.extract_to(&target).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{e}");
    assert_eq!(
        std::fs::read_to_string(target.join("dir/ok.txt")).unwrap(),
        "mine"
    );
    // Into an empty target it works, with no temporary files left behind.
    let target2 = tmp.path().join("target2");
    let stats = r.extract_to(&target2).unwrap();
    assert_eq!((stats.files, stats.dirs, stats.bytes), (1, 1, 7));
    let left: Vec<_> = std::fs::read_dir(target2.join("dir")).unwrap().collect();
    assert_eq!(left.len(), 1);
    assert_eq!(
        std::fs::read_to_string(target2.join("dir/ok.txt")).unwrap(),
        "payload"
    );
}

#[test]
fn the_writer_refuses_the_same_names() {
    let mut t = ImageTree::new();
    for bad in [
        "../x", "/abs", "C:/x", "a/CON", "a/x:y", "a/\u{0}", "a//b", "a/b.",
    ] {
        let e = t.add_file(bad, "x").unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::InvalidInput(_)),
            "{bad:?}: {e}"
        );
    }
    t.add_file("a/b.txt", "x").unwrap();
    assert!(
        t.add_file("A/B.TXT", "y").is_err(),
        "case-insensitive duplicate"
    );
    assert!(t.add_dir("a/b.txt").is_err(), "file in the way");
    assert!(t.add_file("a/b.txt/c", "y").is_err(), "file in the way");
}
