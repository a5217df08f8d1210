//! Parallel extraction and verification (decode and hash on every core, blobs in file order):
//! every byte comes back, shared blobs fill every file that holds them, and a damaged blob stops
//! extraction with its path and leaves no temporary or unchecked file behind.

use std::io::Cursor;
use std::path::Path;

use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{write_wim, ImageTree, WimReader, WriteOptions};
use ppkg_format::ErrorKind;

/// Deterministic bytes: text-like runs (compressible) or noise (stored raw), `n` long.
fn content(seed: u32, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    if seed % 3 == 0 {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    } else {
        format!("<parm name=\"Setting{seed}\" value=\"{x}\"/>\r\n")
            .into_bytes()
            .into_iter()
            .cycle()
            .take(n)
            .collect()
    }
}

/// A tree of `files` files of 1 byte to 200 KiB in a few folders, every 7th a copy of the
/// previous one (a shared blob), a few empty.
fn tree(files: u32) -> (ImageTree, Vec<(String, Vec<u8>)>) {
    let mut t = ImageTree::new();
    let mut all = Vec::new();
    let mut prev = Vec::new();
    for i in 0..files {
        let size = match i % 10 {
            0 => 0,
            1 => 200 * 1024 + 17,
            2 => 32 * 1024,
            _ => ((i as usize * 7919) % 65_536) + 1,
        };
        let bytes = if i % 7 == 6 {
            prev.clone()
        } else {
            content(i, size)
        };
        let path = format!("dir{}/sub{}/file{i}.bin", i % 5, i % 3);
        t.add_file(&path, bytes.clone())
            .expect("parallel extraction test");
        prev = bytes.clone();
        all.push((path, bytes));
    }
    (t, all)
}

fn wim(t: &ImageTree) -> Vec<u8> {
    let info = ImageInfo {
        name: "parallel".into(),
        version: "1.0".into(),
        ..ImageInfo::default()
    };
    let mut out = Cursor::new(Vec::new());
    write_wim(&mut out, t, &info, &WriteOptions::deterministic([5; 16], 1))
        .expect("parallel extraction test");
    out.into_inner()
}

fn leftovers(dir: &Path, found: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).expect("parallel extraction test") {
        let e = e.expect("parallel extraction test");
        let p = e.path();
        if p.is_dir() {
            leftovers(&p, found);
        } else {
            found.push(p.display().to_string());
        }
    }
}

#[test]
fn every_file_comes_back_and_verify_counts_each_blob_once() {
    let (t, all) = tree(400);
    let bytes = wim(&t);
    let mut r = WimReader::new(Cursor::new(bytes)).expect("parallel extraction test");
    let (files, checked) = r.verify_all().expect("parallel extraction test");
    let distinct: u64 = r.blobs().iter().map(|b| b.resource.original_size).sum();
    assert_eq!(checked, distinct);
    assert_eq!(
        files,
        all.iter().filter(|(_, b)| !b.is_empty()).count() as u64
    );
    let tmp = tempfile::tempdir().expect("parallel extraction test");
    let stats = r
        .extract_to(&tmp.path().join("x"))
        .expect("parallel extraction test");
    assert_eq!(stats.files, 400);
    assert_eq!(
        stats.bytes,
        all.iter().map(|(_, b)| b.len() as u64).sum::<u64>()
    );
    for (path, want) in &all {
        let got = std::fs::read(tmp.path().join("x").join(path)).expect("parallel extraction test");
        assert!(
            got == *want,
            "{path}: {} bytes back, {} put in",
            got.len(),
            want.len()
        );
    }
    let mut found = Vec::new();
    leftovers(tmp.path(), &mut found);
    assert_eq!(found.len(), 400, "no temporary files left");
}

#[test]
fn a_damaged_blob_stops_with_its_path_and_leaves_no_unchecked_file() {
    let (t, all) = tree(60);
    let mut bytes = wim(&t);
    let r = WimReader::new(Cursor::new(bytes.clone())).expect("parallel extraction test");
    // Damage the middle of the largest blob's stored bytes.
    let victim = *r
        .blobs()
        .iter()
        .max_by_key(|b| b.resource.size_in_wim)
        .expect("parallel extraction test");
    let at = (victim.resource.offset + victim.resource.size_in_wim / 2) as usize;
    bytes[at] ^= 0x55;
    bytes[at + 1] ^= 0x55;
    let holders: Vec<String> = r
        .entries()
        .iter()
        .filter(|e| e.sha1 == Some(victim.sha1))
        .map(|e| e.path.clone())
        .collect();
    assert!(!holders.is_empty());

    let mut r = WimReader::new(Cursor::new(bytes)).expect("parallel extraction test");
    let err = r.verify_all().expect_err("damaged blob");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::HashMismatch { .. } | ErrorKind::Xpress(_)
        ),
        "{err}"
    );
    let tmp = tempfile::tempdir().expect("parallel extraction test");
    let err = r
        .extract_to(&tmp.path().join("x"))
        .expect_err("damaged blob");
    let msg = err.to_string();
    assert!(holders.iter().any(|h| msg.contains(h.as_str())), "{msg}");
    let mut found = Vec::new();
    leftovers(tmp.path(), &mut found);
    for f in &found {
        assert!(!f.ends_with(".tmp"), "temporary file left: {f}");
        assert!(
            !holders.iter().any(|h| f.ends_with(h.as_str())),
            "damaged file written: {f}"
        );
        // Whatever was written is complete and correct.
        let rel = f
            .strip_prefix(&format!("{}/x/", tmp.path().display()))
            .expect("parallel extraction test");
        let want = &all
            .iter()
            .find(|(p, _)| p == rel)
            .expect("parallel extraction test")
            .1;
        assert_eq!(
            std::fs::read(f).expect("parallel extraction test"),
            *want,
            "{rel}"
        );
    }
}
