//! Trees written by `write_wim` read back identical, with our reader and with wimlib and 7-Zip.

use std::io::Cursor;
use std::process::Command;

use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{write_wim, Compression, ImageTree, WimReader, WriteOptions};

const T: u64 = 0x01DC_0D07_2073_7ED1;

/// `n` incompressible bytes from a xorshift32 generator seeded with `seed`.
fn xorshift_bytes(seed: u32, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn sample_files() -> Vec<(String, Vec<u8>)> {
    let text: Vec<u8> = (0..3_000_000u32)
        .flat_map(|i| format!("line {i} of some text\r\n").into_bytes())
        .take(3 << 20)
        .collect();
    let random = xorshift_bytes(0x1234_5678, 2 << 20);
    vec![
        ("a/empty".into(), vec![]),
        ("a/one".into(), vec![b'x']),
        ("a/b/c/32768".into(), vec![b'q'; 32768]),
        (
            "a/b/c/32769".into(),
            (0..32769u32).map(|i| (i % 251) as u8).collect(),
        ),
        ("text.txt".into(), text),
        ("random.bin".into(), random),
        ("dup/random-again.bin".into(), Vec::new()), // filled below
        ("Ünïcödé ファイル/名前.xml".into(), "<x>é</x>".into()),
    ]
}

fn build(compression: Compression) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let mut files = sample_files();
    let random = files[5].1.clone();
    files[6].1 = random;
    let mut tree = ImageTree::new();
    tree.add_dir("empty-dir").expect("valid folder");
    for (p, b) in &files {
        tree.add_file(p, b.clone()).expect("valid file");
    }
    let info = ImageInfo {
        name: "round trip".into(),
        version: "1.0".into(),
        ..ImageInfo::default()
    };
    let opts = WriteOptions::deterministic([9; 16], T).with_compression(compression);
    let mut out = Cursor::new(Vec::new());
    let stats = write_wim(&mut out, &tree, &info, &opts).expect("write to memory");
    assert_eq!(stats.files, files.len() as u64);
    assert_eq!(
        stats.blobs,
        files.len() as u64 - 2,
        "empty file and duplicate have no blob"
    );
    (out.into_inner(), files)
}

#[test]
fn our_reader_reads_what_we_write() {
    for c in [Compression::Xpress, Compression::None] {
        let (wim, files) = build(c);
        let mut r = WimReader::new(Cursor::new(&wim)).unwrap();
        assert_eq!(r.image_info().file_count, files.len() as u64);
        assert_eq!(r.image_info().dir_count, 6);
        for (p, b) in &files {
            let e = r.find(p).cloned().unwrap_or_else(|| panic!("{p}"));
            assert_eq!(e.size, b.len() as u64);
            assert_eq!(&r.read_to_vec(&e, u64::MAX).unwrap(), b, "{p}");
            assert_eq!(e.creation_time, T);
        }
        assert!(r.find("empty-dir").unwrap().is_dir);
    }
}

#[test]
fn output_is_deterministic() {
    assert_eq!(build(Compression::Xpress).0, build(Compression::Xpress).0);
}

/// Chunks are compressed and files hashed in parallel: the bytes must not depend on the
/// number of threads (1, 2 or 7 workers).
#[test]
fn output_does_not_depend_on_the_thread_count() {
    let with = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| build(Compression::Xpress).0)
    };
    let one = with(1);
    assert_eq!(one, with(2));
    assert_eq!(one, with(7));
}

fn write_temp(wim: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("t.wim");
    std::fs::write(&path, wim).expect("write temp WIM");
    (dir, path)
}

#[test]
fn wimlib_verifies_and_applies_what_we_write() {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    for c in [Compression::Xpress, Compression::None] {
        let (wim, files) = build(c);
        let (dir, path) = write_temp(&wim);
        let o = Command::new("wimlib-imagex")
            .arg("verify")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "verify: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = dir.path().join("applied");
        let o = Command::new("wimlib-imagex")
            .arg("apply")
            .arg(&path)
            .arg("1")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "apply: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for (p, b) in &files {
            assert_eq!(&std::fs::read(out.join(p)).unwrap(), b, "{p}");
        }
        assert!(out.join("empty-dir").is_dir());
    }
}

fn seven_zip_tests(c: Compression) {
    if !ppkg_testdata::tool("7zz") {
        return;
    }
    let (wim, files) = build(c);
    let (dir, path) = write_temp(&wim);
    let o = Command::new("7zz")
        .arg("t")
        .arg(&path)
        .output()
        .expect("run 7zz");
    assert!(
        o.status.success(),
        "7zz t: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let out = dir.path().join("x");
    let o = Command::new("7zz")
        .arg("x")
        .arg(format!("-o{}", out.display()))
        .arg(&path)
        .output()
        .expect("run 7zz");
    assert!(
        o.status.success(),
        "7zz x: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    for (p, b) in &files {
        assert_eq!(
            &std::fs::read(out.join(p)).expect("extracted file"),
            b,
            "{p}"
        );
    }
}

#[test]
fn seven_zip_tests_uncompressed_wims() {
    seven_zip_tests(Compression::None);
}

/// 7-Zip's XPRESS decoder (XpressDecoder.cpp) is stricter than wimlib's: each chunk must end
/// with the end-of-data symbol 256 and use its input up exactly.
#[test]
fn seven_zip_tests_xpress_wims() {
    seven_zip_tests(Compression::Xpress);
}

#[test]
fn file_sources_are_streamed_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.xml");
    let text: Vec<u8> = (0..150_000u32)
        .flat_map(|i| format!("<i n=\"{i}\"/>\n").into_bytes())
        .collect();
    std::fs::write(&big, &text).unwrap();
    let mut tree = ImageTree::new();
    tree.add_file("DataAsset/2/big.xml", big.clone()).unwrap();
    tree.add_file("copy.xml", std::path::PathBuf::from(&big))
        .unwrap();
    let mut out = Cursor::new(Vec::new());
    let stats = write_wim(
        &mut out,
        &tree,
        &ImageInfo::default(),
        &WriteOptions::deterministic([1; 16], T),
    )
    .unwrap();
    assert_eq!(
        (stats.files, stats.blobs, stats.bytes_in),
        (2, 1, 2 * text.len() as u64)
    );
    assert!(
        stats.bytes_out < text.len() as u64 / 2,
        "XPRESS shrinks text: {}",
        stats.bytes_out
    );
    let mut r = WimReader::new(out).unwrap();
    let e = r.find("DataAsset/2/big.xml").cloned().unwrap();
    assert_eq!(r.read_to_vec(&e, u64::MAX).unwrap(), text);
    // A missing source file is an error naming it.
    let mut t2 = ImageTree::new();
    t2.add_file("x", dir.path().join("missing.bin")).unwrap();
    let e = write_wim(
        Cursor::new(Vec::new()),
        &t2,
        &ImageInfo::default(),
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("missing.bin"), "{e}");
}

#[test]
fn source_date_epoch_makes_output_reproducible() {
    // The only test in this binary that touches the variable.
    std::env::set_var("SOURCE_DATE_EPOCH", "1700000000");
    let a = WriteOptions::from_env();
    let b = WriteOptions::from_env();
    std::env::remove_var("SOURCE_DATE_EPOCH");
    assert_eq!(
        a.timestamp,
        ppkg_format::metadata::unix_to_filetime(1_700_000_000)
    );
    let mut tree = ImageTree::new();
    tree.add_file("a.txt", "same content").unwrap();

    let (wa, wb) = (write_with(&tree, &a), write_with(&tree, &b));
    assert_eq!(wa, wb);
    let guid = WimReader::new(Cursor::new(&wa)).unwrap().header().guid;
    assert_ne!(guid, [0; 16]);
    // Other content, other GUID.
    tree.add_file("b.txt", "more").unwrap();
    let other = WimReader::new(Cursor::new(write_with(&tree, &a)))
        .unwrap()
        .header()
        .guid;
    assert_ne!(guid, other);
    // Without the variable: a random GUID each time.
    assert_ne!(WriteOptions::from_env().guid, WriteOptions::from_env().guid);
}

fn write_with(tree: &ImageTree, o: &WriteOptions) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    write_wim(&mut out, tree, &ImageInfo::default(), o).expect("write to memory");
    out.into_inner()
}

#[test]
fn incompressible_blobs_are_stored_whole_and_compressible_ones_in_chunks() {
    let (wim, files) = build(Compression::Xpress);
    let r = WimReader::new(Cursor::new(&wim)).unwrap();
    let flags = |path: &str| {
        let sha = r.find(path).unwrap().sha1.unwrap();
        r.blobs()
            .iter()
            .find(|b| b.sha1 == sha)
            .unwrap()
            .resource
            .flags
    };
    // Random data over 1 MiB is streamed in one pass (issue 15): a chunk table whose chunks
    // are all stored raw (4 bytes per chunk after the first, 0.012 %); the writer cannot take
    // the table back once the blob is written.
    assert_eq!(flags("random.bin"), 0x04, "random data: raw chunks");
    assert_eq!(flags("a/one"), 0, "one byte: stored");
    assert_eq!(flags("text.txt"), 0x04, "text: compressed");
    assert_eq!(flags("a/b/c/32768"), 0x04);
    let random = &files.iter().find(|(p, _)| p == "random.bin").unwrap().1;
    let e = r.find("random.bin").unwrap();
    let b = r.blobs().iter().find(|b| Some(b.sha1) == e.sha1).unwrap();
    let chunks = (random.len() as u64).div_ceil(32768);
    assert_eq!(
        b.resource.size_in_wim,
        random.len() as u64 + 4 * (chunks - 1),
        "every chunk raw"
    );
}

#[test]
fn small_incompressible_blobs_have_no_chunk_table() {
    // Up to 1 MiB a file is read whole, so the exact decision costs no second read.
    let mut x = 0x9e37_79b9u32;
    let random: Vec<u8> = (0..(700 << 10))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    let mut tree = ImageTree::new();
    tree.add_file("r.bin", random.clone()).unwrap();
    let wim = write_with(&tree, &WriteOptions::deterministic([1; 16], 1));
    let mut r = WimReader::new(Cursor::new(&wim)).unwrap();
    let b = r.blobs()[0];
    assert_eq!(
        (b.resource.flags, b.resource.size_in_wim),
        (0, random.len() as u64)
    );
    let e = r.find("r.bin").cloned().unwrap();
    assert_eq!(r.read_to_vec(&e, 1 << 20).unwrap(), random);
}

/// A shared [`ResourceCache`] changes no byte: the first write fills it, the second is served
/// from it, and both equal a write without it (issue #13: bulk compresses shared files once).
#[test]
fn resource_cache_gives_identical_bytes() {
    use ppkg_format::wim::ResourceCache;
    use std::sync::Arc;
    let random = xorshift_bytes(0x9E37_79B9, 40_000);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("small.xml", b"<a><b>text text text text</b></a>".to_vec()),
        ("tiny", vec![b'x']),
        ("random.bin", random),
        (
            "two-chunks.txt",
            (0..70_000u32).map(|i| (i % 97) as u8).collect(),
        ),
        ("dup.xml", b"<a><b>text text text text</b></a>".to_vec()),
    ];
    let mut tree = ImageTree::new();
    for (p, b) in &files {
        tree.add_file(p, b.clone()).expect("add");
    }
    let info = ImageInfo {
        name: "cache".into(),
        ..ImageInfo::default()
    };
    let write = |opts: &WriteOptions| {
        let mut out = Cursor::new(Vec::new());
        write_wim(&mut out, &tree, &info, opts).expect("write");
        out.into_inner()
    };
    let plain = write(&WriteOptions::deterministic([1; 16], T));
    let cache = Arc::new(ResourceCache::new());
    let with = WriteOptions::deterministic([1; 16], T).with_resource_cache(Arc::clone(&cache));
    let first = write(&with);
    let (blobs, bytes) = cache.len_and_bytes();
    assert_eq!(blobs, 4, "four distinct blobs kept");
    assert!(bytes > 0 && bytes < 120_000, "{bytes}");
    let second = write(&with);
    assert!(first == plain, "a cache miss writes the same bytes");
    assert!(second == plain, "a cache hit writes the same bytes");
    assert_eq!(cache.len_and_bytes(), (blobs, bytes), "hits add nothing");
    let none = Arc::new(ResourceCache::with_limit(0));
    let bounded =
        write(&WriteOptions::deterministic([1; 16], T).with_resource_cache(Arc::clone(&none)));
    assert!(bounded == plain);
    assert_eq!(none.len_and_bytes(), (0, 0), "a zero limit keeps nothing");
    let mut r = WimReader::new(Cursor::new(second)).expect("reads");
    for (p, b) in &files {
        let e = r.find(p).cloned().expect("present");
        assert_eq!(&r.read_to_vec(&e, 1 << 20).expect("read"), b, "{p}");
    }
}

/// Large blobs (over 1 MiB) are kept too: a file by its identity, bytes in memory by SHA-1.
/// A hit writes the same bytes; a file changed in between is read again, not served stale.
#[test]
fn resource_cache_keeps_large_files_and_sees_changes() {
    use ppkg_format::wim::{ResourceCache, Source};
    use std::sync::Arc;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("installer.bin");
    let text = |seed: u32| -> Vec<u8> {
        (0..300_000u32)
            .flat_map(|i| format!("{seed} line {i}\n").into_bytes())
            .take(3 << 20)
            .collect()
    };
    std::fs::write(&file, text(1)).expect("write");
    let memory: Vec<u8> = text(2);
    let tree = || {
        let mut t = ImageTree::new();
        t.add_file("a/installer.bin", Source::File(file.clone()))
            .expect("add");
        t.add_file("b/in-memory.bin", memory.clone()).expect("add");
        t
    };
    let info = ImageInfo::default();
    let write = |opts: &WriteOptions| {
        let mut out = Cursor::new(Vec::new());
        write_wim(&mut out, &tree(), &info, opts).expect("write");
        out.into_inner()
    };
    let cache = Arc::new(ResourceCache::new());
    let cached = WriteOptions::deterministic([3; 16], T).with_resource_cache(Arc::clone(&cache));
    let plain = write(&WriteOptions::deterministic([3; 16], T));
    assert!(write(&cached) == plain, "miss");
    let (n, bytes) = cache.len_and_bytes();
    assert_eq!(n, 2, "both large blobs kept");
    assert!(write(&cached) == plain, "hit");
    assert_eq!(cache.len_and_bytes(), (n, bytes));
    // Same size, new content: the file's times changed, so it is read again.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, text(3)).expect("rewrite");
    let plain2 = write(&WriteOptions::deterministic([3; 16], T));
    assert!(plain2 != plain);
    assert!(
        write(&cached) == plain2,
        "a changed file is not served from the cache"
    );
    // A cache too small for a large blob streams it as before.
    let small = Arc::new(ResourceCache::with_limit(1 << 20));
    let w = write(&WriteOptions::deterministic([3; 16], T).with_resource_cache(Arc::clone(&small)));
    assert!(w == plain2);
    assert_eq!(small.len_and_bytes().0, 0);
}
