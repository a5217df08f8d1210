//! Parallel extraction and verification (decode and hash on every core, blobs in file order):
//! every byte comes back, shared blobs fill every file that holds them, and a damaged blob stops
//! extraction with its path and leaves no temporary or unchecked file behind.

use std::io::Cursor;
use std::path::Path;

use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{write_wim, ExtractOptions, ImageTree, WimReader, WriteOptions};
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
    wim_at(t, 1)
}

/// The WIM of `t` with every time set to `filetime`.
fn wim_at(t: &ImageTree, filetime: u64) -> Vec<u8> {
    let info = ImageInfo {
        name: "parallel".into(),
        version: "1.0".into(),
        ..ImageInfo::default()
    };
    let mut out = Cursor::new(Vec::new());
    write_wim(
        &mut out,
        t,
        &info,
        &WriteOptions::deterministic([5; 16], filetime),
    )
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

/// A tree with multi-segment files (over 2 MiB: cut into segments that several workers decode
/// and write while one lane hashes them), one-segment files, shared blobs and an empty file.
fn big_tree() -> (ImageTree, Vec<(String, Vec<u8>)>) {
    let mut t = ImageTree::new();
    let mut all = Vec::new();
    let sizes: [(u32, usize); 8] = [
        (1, 7 * 1024 * 1024 + 123), // text: compressed chunks
        (3, 5 * 1024 * 1024),       // noise: chunks stored raw
        (4, 2 * 1024 * 1024),       // exactly one segment
        (5, 2 * 1024 * 1024 + 1),   // one byte into a second segment
        (7, 40_000),
        (8, 0),
        (10, 3 * 1024 * 1024 + 5),
        (11, 100),
    ];
    for (seed, size) in sizes {
        let path = format!("d{}/f{seed}.bin", seed % 3);
        let bytes = content(seed, size);
        t.add_file(&path, bytes.clone()).expect("big tree");
        all.push((path, bytes));
    }
    // Two files holding the same large blob.
    let copy = all[0].1.clone();
    t.add_file("copies/again.bin", copy.clone())
        .expect("big tree");
    all.push(("copies/again.bin".into(), copy));
    (t, all)
}

/// Every file below `root`: (relative path, bytes, modification time).
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut found = Vec::new();
    leftovers(root, &mut found);
    let mut out: Vec<_> = found
        .into_iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&format!("{}/", root.display()))
                .expect("below the root")
                .to_owned();
            let md = std::fs::metadata(&f).expect("snapshot");
            (
                rel,
                std::fs::read(&f).expect("snapshot"),
                md.modified().expect("snapshot"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn one_worker_and_many_workers_give_the_same_tree() {
    let (t, all) = big_tree();
    // A time after 1970, so that every file gets it (not the time of extraction).
    let bytes = wim_at(&t, 0x01DC_3D07_2073_7ED1);
    let tmp = tempfile::tempdir().expect("parallel extraction test");
    let mut trees = Vec::new();
    for threads in [1usize, 2, 5] {
        let mut r = WimReader::new(Cursor::new(bytes.clone())).expect("parallel extraction test");
        let mut o = ExtractOptions::default();
        o.threads = threads;
        o.fresh = threads != 2;
        let dir = tmp.path().join(format!("t{threads}"));
        let stats = r.extract_with(&dir, &o).expect("parallel extraction test");
        assert_eq!(stats.files, all.len() as u64);
        trees.push(snapshot(&dir));
    }
    assert_eq!(trees[0].len(), all.len());
    for (path, want) in &all {
        let got = trees[0]
            .iter()
            .find(|(p, _, _)| p == path)
            .expect("every file extracted");
        assert!(got.1 == *want, "{path}");
    }
    assert!(trees[0] == trees[1], "1 and 2 workers differ");
    assert!(trees[0] == trees[2], "1 and 5 workers differ");
}

#[test]
fn extract_to_fresh_refuses_an_existing_folder() {
    let (t, _) = tree(3);
    let bytes = wim(&t);
    let tmp = tempfile::tempdir().expect("parallel extraction test");
    let mut r = WimReader::new(Cursor::new(bytes)).expect("parallel extraction test");
    let err = r.extract_to_fresh(tmp.path()).expect_err("exists");
    assert!(matches!(err.kind(), ErrorKind::Io), "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).expect("listing").count(),
        0,
        "nothing written into the existing folder"
    );
}

#[test]
fn a_corrupt_chunk_in_the_middle_of_a_multi_segment_file_names_it_and_leaves_nothing() {
    let (t, _) = big_tree();
    let clean = wim(&t);
    let r = WimReader::new(Cursor::new(clean.clone())).expect("parallel extraction test");
    // The 7 MiB text file: compressed, four segments.
    let victim = r
        .entries()
        .iter()
        .find(|e| e.path == "d1/f1.bin")
        .cloned()
        .expect("victim listed");
    let blob = *r
        .blobs()
        .iter()
        .find(|b| Some(b.sha1) == victim.sha1)
        .expect("victim's blob");
    assert!(blob.resource.is_compressed());
    for (threads, fresh, flip) in [
        (1usize, true, 0u8),
        (2, true, 1),
        (3, false, 0),
        (2, false, 1),
    ] {
        let mut bytes = clean.clone();
        // A byte in the middle of the stored chunks (past the chunk table): either the XPRESS
        // data no longer decodes or the blob's SHA-1 differs.
        let at =
            (blob.resource.offset + blob.resource.size_in_wim / 2) as usize + usize::from(flip);
        bytes[at] ^= 0x5a;
        let mut r = WimReader::new(Cursor::new(bytes)).expect("chunk tables still valid");
        let tmp = tempfile::tempdir().expect("parallel extraction test");
        let dir = tmp.path().join("x");
        let mut o = ExtractOptions::default();
        o.threads = threads;
        o.fresh = fresh;
        let err = r.extract_with(&dir, &o).expect_err("corrupt chunk");
        assert!(
            matches!(
                err.kind(),
                ErrorKind::HashMismatch { .. } | ErrorKind::Xpress(_)
            ),
            "{err}"
        );
        // Named after a file holding the blob (two do).
        assert!(
            matches!(err.part(), Some("d1/f1.bin" | "copies/again.bin")),
            "{err}"
        );
        let mut found = Vec::new();
        leftovers(tmp.path(), &mut found);
        for f in &found {
            assert!(!f.ends_with(".tmp"), "temporary file left: {f}");
            assert!(
                !f.ends_with("d1/f1.bin") && !f.ends_with("copies/again.bin"),
                "damaged file given its final name: {f}"
            );
        }
    }
}

#[test]
fn extraction_matches_wimlib_apply() {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let (mut t, _) = big_tree();
    t.add_dir("empty/folder").expect("big tree");
    // A time after 1970 (2025-10-14): both tools set it on every file.
    let bytes = wim_at(&t, 0x01DC_3D07_2073_7ED1);
    let tmp = tempfile::tempdir().expect("parallel extraction test");
    let file = tmp.path().join("p.wim");
    std::fs::write(&file, &bytes).expect("write WIM");
    let ours = tmp.path().join("ours");
    let mut r = WimReader::new(std::fs::File::open(&file).expect("open"))
        .expect("parallel extraction test");
    r.extract_to_fresh(&ours).expect("our extraction");
    let theirs = tmp.path().join("wimlib");
    let o = std::process::Command::new("wimlib-imagex")
        .arg("apply")
        .arg(&file)
        .arg("1")
        .arg(&theirs)
        .arg("--no-acls")
        .output()
        .expect("run wimlib-imagex");
    assert!(
        o.status.success(),
        "wimlib-imagex apply: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let a = snapshot(&ours);
    let b = snapshot(&theirs);
    let names = |s: &[(String, Vec<u8>, std::time::SystemTime)]| -> Vec<String> {
        s.iter().map(|(p, _, _)| p.clone()).collect()
    };
    assert_eq!(names(&a), names(&b));
    for ((p, x, tx), (_, y, ty)) in a.iter().zip(&b) {
        assert!(x == y, "{p}: contents differ from wimlib's");
        assert_eq!(tx, ty, "{p}: modification times differ from wimlib's");
    }
    assert!(ours.join("empty/folder").is_dir() && theirs.join("empty/folder").is_dir());
}
