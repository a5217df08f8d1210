//! WIMs written by `wimlib-imagex capture` (an independent writer) with `--compress=none` and
//! `--compress=XPRESS` read back identical with our reader: nested folders, an empty file and
//! folder, 1-byte, 32768- and 32769-byte files (chunk boundaries), multi-MB text and random
//! files, non-ASCII names. The trees are generated at test time.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use ppkg_format::wim::WimReader;

fn xorshift_bytes(n: usize, mut x: u32) -> Vec<u8> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// (relative path, bytes) of the files; folders are implied, plus one empty folder.
fn sample() -> Vec<(&'static str, Vec<u8>)> {
    let text: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("<Setting Name=\"s{i}\">value {}</Setting>\r\n", i % 97).into_bytes())
        .take(5 << 20)
        .collect();
    vec![
        ("empty.txt", vec![]),
        ("one.bin", vec![0x42]),
        ("a/b/c/d/32768.bin", xorshift_bytes(32768, 7)),
        (
            "a/b/32769.txt",
            b"0123456789abcdef".repeat(2049)[..32769].to_vec(),
        ),
        ("a/text.xml", text),
        ("random.bin", xorshift_bytes(3 << 20, 99)),
        ("Ünïcödé/ファイル名.xml", "<x>日本語 ü</x>".into()),
        ("Ünïcödé/emoji 😀.txt", "😀".into()),
        ("same-as-one.bin", vec![0x42]),
    ]
}

fn make_tree(root: &Path) {
    for (p, b) in sample() {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&path, &b).expect("write sample file");
    }
    std::fs::create_dir_all(root.join("a/empty-dir")).expect("mkdir");
}

fn capture(src: &Path, out: &Path, compress: &str) -> bool {
    let o = Command::new("wimlib-imagex")
        .arg("capture")
        .arg(src)
        .arg(out)
        .arg(format!("--compress={compress}"))
        .output()
        .expect("run wimlib-imagex");
    assert!(
        o.status.success(),
        "capture: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    true
}

fn check(compress: &str) {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    make_tree(&src);
    let wim_path: PathBuf = dir.path().join("c.wim");
    capture(&src, &wim_path, compress);
    let mut wim = WimReader::new(File::open(&wim_path).expect("open captured WIM"))
        .expect("our reader opens wimlib's WIM");
    let h = wim.header();
    if compress == "none" {
        assert_eq!(h.flags & 0x2, 0);
    } else {
        assert_eq!(h.flags & 0x0002_0002, 0x0002_0002);
    }
    let files = sample();
    let listed = wim.entries().iter().filter(|e| !e.is_dir).count();
    assert_eq!(listed, files.len());
    for (p, b) in &files {
        let e = wim
            .find(p)
            .cloned()
            .unwrap_or_else(|| panic!("{p} missing"));
        assert_eq!(e.size, b.len() as u64, "{p}");
        assert_eq!(
            &wim.read_to_vec(&e, u64::MAX).expect("file reads back"),
            b,
            "{p}"
        );
    }
    assert!(wim.find("a/empty-dir").expect("empty folder listed").is_dir);
    assert_eq!(wim.image_info().file_count, files.len() as u64);
    assert_eq!(wim.image_info().dir_count, 7);
    // Extraction gives the same tree.
    let out = dir.path().join("out");
    let stats = wim.extract_to(&out).expect("extraction succeeds");
    assert_eq!(stats.files, files.len() as u64);
    for (p, b) in &files {
        assert_eq!(
            &std::fs::read(out.join(p)).expect("extracted file"),
            b,
            "{p}"
        );
    }
    assert!(out.join("a/empty-dir").is_dir());
}

#[test]
fn reads_wimlib_uncompressed_capture() {
    check("none");
}

#[test]
fn reads_wimlib_xpress_capture() {
    check("XPRESS");
}

#[test]
fn lzx_and_lzms_are_named_as_unsupported() {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f.txt"), "hello hello hello hello").unwrap();
    for (c, name) in [("LZX", "LZX compression"), ("LZMS", "LZMS compression")] {
        let p = dir.path().join(format!("{c}.wim"));
        capture(&src, &p, c);
        let e = WimReader::new(File::open(&p).unwrap()).unwrap_err();
        assert!(
            matches!(e.kind(), ppkg_format::ErrorKind::Unsupported(m) if m == name),
            "{c}: {e}"
        );
    }
    // Solid (ESD-style) WIM.
    let p = dir.path().join("solid.wim");
    let o = Command::new("wimlib-imagex")
        .arg("capture")
        .arg(&src)
        .arg(&p)
        .arg("--solid")
        .arg("--compress=XPRESS")
        .arg("--solid-compress=XPRESS")
        .output()
        .unwrap();
    assert!(o.status.success());
    let e = WimReader::new(File::open(&p).unwrap()).unwrap_err();
    assert!(
        matches!(e.kind(), ppkg_format::ErrorKind::Unsupported(m) if m.contains("solid")),
        "{e}"
    );
    // Pipable WIM.
    let p = dir.path().join("pipable.wim");
    let o = Command::new("wimlib-imagex")
        .arg("capture")
        .arg(&src)
        .arg(&p)
        .arg("--pipable")
        .output()
        .unwrap();
    assert!(o.status.success());
    let e = WimReader::new(File::open(&p).unwrap()).unwrap_err();
    assert!(
        matches!(e.kind(), ppkg_format::ErrorKind::Unsupported(m) if m.contains("pipable")),
        "{e}"
    );
    // Split WIM.
    let big = dir.path().join("big");
    std::fs::create_dir_all(&big).unwrap();
    std::fs::write(big.join("r1.bin"), xorshift_bytes(3 << 20, 5)).unwrap();
    std::fs::write(big.join("r2.bin"), xorshift_bytes(3 << 20, 6)).unwrap();
    let whole = dir.path().join("whole.wim");
    capture(&big, &whole, "none");
    let swm = dir.path().join("part.swm");
    let o = Command::new("wimlib-imagex")
        .arg("split")
        .arg(&whole)
        .arg(&swm)
        .arg("2")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e = WimReader::new(File::open(&swm).unwrap()).unwrap_err();
    assert!(
        matches!(e.kind(), ppkg_format::ErrorKind::Unsupported(m) if m.contains("split")),
        "{e}"
    );
}
