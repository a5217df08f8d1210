//! Hostile WIMs and XML, built by patching bytes of a WIM that our own writer produced (never
//! the reference files): size and count bombs (blob table, XML data, metadata, file resources,
//! chunk tables, dentry and name lengths), cyclic and overlapping dentry offsets, unsafe names
//! (`..`, `/`, `\`, drive letters, NUL, reserved device names), deep XML nesting and DOCTYPE
//! entities. Each must be refused with a clear error, quickly and without large allocations
//! (the peak-RSS check lives in `hostile_rss.rs`, a binary with a single test).

use std::io::{Cursor, Read};

use ppkg_format::answer::AnswerFile;
use ppkg_format::metadata::ImageInfo;
use ppkg_format::provxml::ProvDoc;
use ppkg_format::wim::{
    write_wim, BlobEntry, Compression, Header, ImageTree, ResourceHeader, WimReader, WriteOptions,
    BLOB_ENTRY_SIZE, HEADER_SIZE, RESHDR_METADATA,
};
use ppkg_format::xml::Document;
use ppkg_format::{Error, ErrorKind};
use sha1::{Digest, Sha1};

/// Fixed part of a dentry (WIM paper §3.5): the name starts at byte 102.
const DENTRY_FIXED: usize = 102;

fn build(files: &[(&str, Vec<u8>)], compression: Compression) -> Vec<u8> {
    let mut tree = ImageTree::new();
    for (path, data) in files {
        tree.add_file(path, data.clone())
            .expect("hostile test setup");
    }
    let info = ImageInfo {
        name: "hostile".into(),
        version: "1.0".into(),
        ..ImageInfo::default()
    };
    let mut out = Cursor::new(Vec::new());
    let opts =
        WriteOptions::deterministic([9; 16], 0x01DC_0D07_2073_7ED1).with_compression(compression);
    write_wim(&mut out, &tree, &info, &opts).expect("hostile test setup");
    out.into_inner()
}

/// The tree every test patches: one folder with a file, one file at the root, both named with
/// eight characters so that names can be shortened in place.
fn sample(compression: Compression) -> Vec<u8> {
    let text = b"<wap-provisioningdoc/>\r\n".repeat(3000);
    build(
        &[
            ("Folder01/FileAAAA", text.clone()),
            ("FileBBBB", b"hello hostile world".to_vec()),
        ],
        compression,
    )
}

fn header(wim: &[u8]) -> Header {
    Header::parse(&wim[..HEADER_SIZE]).expect("hostile test setup")
}

fn set_header(wim: &mut [u8], h: &Header) {
    wim[..HEADER_SIZE].copy_from_slice(&h.to_bytes().expect("hostile test setup"));
}

/// (offset in the file, entry) of every blob table entry.
fn blob_entries(wim: &[u8]) -> Vec<(usize, BlobEntry)> {
    let bt = header(wim).blob_table;
    let start = bt.offset as usize;
    let end = start + bt.size_in_wim as usize;
    (start..end)
        .step_by(BLOB_ENTRY_SIZE)
        .map(|off| {
            (
                off,
                BlobEntry::parse(&wim[off..off + BLOB_ENTRY_SIZE]).expect("hostile test setup"),
            )
        })
        .collect()
}

fn set_blob(wim: &mut [u8], off: usize, b: &BlobEntry) {
    wim[off..off + BLOB_ENTRY_SIZE].copy_from_slice(&b.to_bytes().expect("hostile test setup"));
}

/// Applies `f` to the (uncompressed) metadata resource in place, then fixes its SHA-1 in the
/// blob table so that the reader's structural checks, not the hash, must catch the damage.
fn patch_metadata(wim: &mut [u8], f: impl FnOnce(&mut [u8])) {
    let (off, mut b) = blob_entries(wim)
        .into_iter()
        .find(|(_, b)| b.resource.flags & RESHDR_METADATA != 0)
        .expect("a metadata blob");
    assert!(!b.resource.is_compressed(), "patch an uncompressed WIM");
    let start = b.resource.offset as usize;
    let end = start + b.resource.size_in_wim as usize;
    f(&mut wim[start..end]);
    b.sha1 = Sha1::digest(&wim[start..end]).into();
    set_blob(wim, off, &b);
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Offset of the dentry whose long name is `name`, in the metadata buffer.
fn dentry_of(meta: &[u8], name: &str) -> usize {
    let needle = utf16(name);
    let pos = meta
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .expect("name in metadata");
    pos - DENTRY_FIXED
}

fn le64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().expect("hostile test setup"))
}

/// Opens the WIM and reads every file (capped), returning the first error.
fn open_and_read_all(wim: Vec<u8>) -> Result<(), Error> {
    let mut r = WimReader::new(Cursor::new(wim))?;
    for e in r.entries().to_vec() {
        if e.is_dir {
            continue;
        }
        let mut sink = Vec::new();
        r.open(&e)?
            .take(16 << 20)
            .read_to_end(&mut sink)
            .map_err(|io| Error::malformed(io.to_string()))?;
    }
    Ok(())
}

fn assert_refused(wim: Vec<u8>, what: &str) -> Error {
    let err = open_and_read_all(wim).expect_err(what);
    assert!(!err.to_string().is_empty());
    err
}

#[test]
fn untouched_sample_reads() {
    for c in [Compression::None, Compression::Xpress] {
        open_and_read_all(sample(c)).expect("hostile test setup");
    }
    // The patch helper itself leaves a valid WIM when it changes nothing.
    let mut wim = sample(Compression::None);
    patch_metadata(&mut wim, |_| {});
    open_and_read_all(wim).expect("hostile test setup");
}

#[test]
fn blob_table_size_bomb() {
    let mut wim = sample(Compression::Xpress);
    let mut h = header(&wim);
    h.blob_table.size_in_wim = 1 << 40;
    h.blob_table.original_size = 1 << 40;
    set_header(&mut wim, &h);
    let err = assert_refused(wim, "blob table of 1 TiB");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded { .. } | ErrorKind::Malformed(_) | ErrorKind::Truncated { .. }
        ),
        "{err}"
    );
}

#[test]
fn xml_data_size_bomb() {
    let mut wim = sample(Compression::Xpress);
    let mut h = header(&wim);
    h.xml_data.size_in_wim = 1 << 40;
    h.xml_data.original_size = 1 << 40;
    set_header(&mut wim, &h);
    assert_refused(wim, "XML data of 1 TiB");
}

#[test]
fn metadata_size_bomb() {
    for c in [Compression::None, Compression::Xpress] {
        let mut wim = sample(c);
        let (off, mut b) = blob_entries(&wim)
            .into_iter()
            .find(|(_, b)| b.resource.flags & RESHDR_METADATA != 0)
            .expect("hostile test setup");
        b.resource.original_size = 1 << 40;
        set_blob(&mut wim, off, &b);
        let err = assert_refused(wim, "metadata of 1 TiB");
        assert!(
            err.to_string().to_lowercase().contains("metadata") || err.offset().is_some(),
            "{err}"
        );
    }
}

#[test]
fn file_resource_size_and_chunk_count_bombs() {
    for c in [Compression::None, Compression::Xpress] {
        for size in [1u64 << 40, u64::MAX >> 8, 1 << 56] {
            let mut wim = sample(c);
            let (off, mut b) = blob_entries(&wim)
                .into_iter()
                .find(|(_, b)| {
                    b.resource.flags & RESHDR_METADATA == 0 && b.resource.original_size > 1000
                })
                .expect("hostile test setup");
            // For XPRESS this claims 2^40 / 32 KiB = 33 million chunks (a 256 MiB chunk table).
            b.resource.original_size = size;
            set_blob(&mut wim, off, &b);
            assert_refused(wim, "file resource bomb");
        }
    }
}

#[test]
fn resource_past_end_of_file_and_overlapping() {
    let mut wim = sample(Compression::Xpress);
    let entries = blob_entries(&wim);
    let files: Vec<_> = entries
        .iter()
        .filter(|(_, b)| b.resource.flags & RESHDR_METADATA == 0)
        .collect();
    assert!(files.len() >= 2);
    let (off, mut b) = *files[0];
    b.resource.offset = wim.len() as u64 - 10;
    set_blob(&mut wim, off, &b);
    assert_refused(wim, "resource past EOF");

    let mut wim = sample(Compression::Xpress);
    let (off, mut b) = *files[0];
    let other = files[1].1.resource;
    b.resource = ResourceHeader {
        offset: other.offset + 1,
        ..b.resource
    };
    set_blob(&mut wim, off, &b);
    assert_refused(wim, "overlapping resources");
}

#[test]
fn dentry_length_bombs() {
    // (A length of 8 or less is an end-of-list marker, as in wimlib: not an error.)
    for bad in [u64::MAX, 1 << 40, 9, 101, 0x7fff_ffff] {
        let mut wim = sample(Compression::None);
        patch_metadata(&mut wim, |m| {
            let d = dentry_of(m, "FileBBBB");
            m[d..d + 8].copy_from_slice(&bad.to_le_bytes());
        });
        assert_refused(wim, "dentry length");
    }
}

#[test]
fn name_length_bombs() {
    for field in [98usize, 100] {
        for bad in [0xfffeu16, 0x1001, 3] {
            let mut wim = sample(Compression::None);
            patch_metadata(&mut wim, |m| {
                let d = dentry_of(m, "FileBBBB");
                m[d + field..d + field + 2].copy_from_slice(&bad.to_le_bytes());
            });
            assert_refused(wim, "name length");
        }
    }
}

#[test]
fn stream_count_bomb() {
    let mut wim = sample(Compression::None);
    patch_metadata(&mut wim, |m| {
        let d = dentry_of(m, "FileBBBB");
        m[d + 96..d + 98].copy_from_slice(&0xffffu16.to_le_bytes());
    });
    assert_refused(wim, "alternate stream count");
}

#[test]
fn cyclic_and_overlapping_subdir_offsets() {
    // Folder01's child list pointing back at the root's list (a cycle), at Folder01 itself,
    // into the middle of a dentry, and past the end.
    let base = sample(Compression::None);
    let mut targets = Vec::new();
    {
        let (_, b) = blob_entries(&base)
            .into_iter()
            .find(|(_, b)| b.resource.flags & RESHDR_METADATA != 0)
            .expect("hostile test setup");
        let m = &base[b.resource.offset as usize..][..b.resource.size_in_wim as usize];
        let folder = dentry_of(m, "Folder01");
        // The root dentry's subdir offset names the root list.
        let security_len =
            u32::from_le_bytes(m[0..4].try_into().expect("hostile test setup")) as u64;
        let root = security_len.div_ceil(8) * 8;
        let root_children = le64_at(m, root as usize + 16);
        targets.extend([
            root_children,
            folder as u64,
            folder as u64 + 4,
            root,
            // (`m.len() - 8` is not here: those 8 bytes are zero padding, which reads as an
            // empty child list, a harmless and valid reading, covered below.)
            m.len() as u64 + 4096,
            u64::MAX - 7,
        ]);
    }
    for &t in &targets {
        let mut wim = base.clone();
        patch_metadata(&mut wim, |m| {
            let folder = dentry_of(m, "Folder01");
            m[folder + 16..folder + 24].copy_from_slice(&t.to_le_bytes());
        });
        assert_refused(wim, &format!("subdir offset {t} (targets {targets:?})"));
    }
    // A child list that points at trailing zero padding: Folder01 reads as empty, its old
    // children are unreachable, and nothing else changes.
    let mut wim = base.clone();
    patch_metadata(&mut wim, |m| {
        let folder = dentry_of(m, "Folder01");
        let pad = (m.len() - 8) as u64;
        assert_eq!(le64_at(m, pad as usize), 0, "hostile test setup: padding");
        m[folder + 16..folder + 24].copy_from_slice(&pad.to_le_bytes());
    });
    let r = WimReader::new(Cursor::new(wim)).expect("empty child list is valid");
    assert!(r.entries().iter().any(|e| e.path == "Folder01" && e.is_dir));
    assert!(!r.entries().iter().any(|e| e.path.starts_with("Folder01/")));
}

/// Renames `FileBBBB` in place to `name` (at most 8 UTF-16 units) and extracts: the reader or
/// the extractor must refuse, and nothing may appear outside the target folder.
fn hostile_name(name: &str) -> Error {
    let units: Vec<u16> = name.encode_utf16().collect();
    assert!(units.len() <= 8);
    let mut wim = sample(Compression::None);
    patch_metadata(&mut wim, |m| {
        let d = dentry_of(m, "FileBBBB");
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        m[d + 100..d + 102].copy_from_slice(&(bytes.len() as u16).to_le_bytes());
        m[d + DENTRY_FIXED..d + DENTRY_FIXED + 16].fill(0);
        m[d + DENTRY_FIXED..d + DENTRY_FIXED + bytes.len()].copy_from_slice(&bytes);
    });
    let outer = tempfile::tempdir().expect("hostile test setup");
    let target = outer.path().join("out");
    let result = WimReader::new(Cursor::new(wim)).and_then(|mut r| r.extract_to(&target));
    let listing: Vec<_> = std::fs::read_dir(outer.path())
        .expect("hostile test setup")
        .map(|e| e.expect("hostile test setup").file_name())
        .collect();
    assert!(
        listing.iter().all(|n| n == "out"),
        "{name:?}: wrote outside the target: {listing:?}"
    );
    assert!(!std::path::Path::new("/x").exists() || name != "/x");
    result.expect_err(&format!("{name:?} must be refused"))
}

#[test]
fn unsafe_names_are_refused() {
    for name in [
        "..", ".", "../x", "..\\x", "a/b", "a\\b", "/x", "\\x", "C:x", "C:\\x", "a\0b", "CON",
        "nul.txt", "COM1", "LPT9.a", "AUX", "", "x:y",
    ] {
        let err = hostile_name(name);
        assert!(
            matches!(
                err.kind(),
                ErrorKind::UnsafePath(_) | ErrorKind::Malformed(_) | ErrorKind::InvalidInput(_)
            ),
            "{name:?}: {err}"
        );
    }
}

#[test]
fn writer_refuses_unsafe_names() {
    for name in [
        "..",
        "a/../../b",
        "C:x",
        "a\0b",
        "CON",
        "nul.txt",
        "a\\..\\b",
        "",
    ] {
        let mut tree = ImageTree::new();
        assert!(
            tree.add_file(name, "x").is_err(),
            "{name:?} accepted by the writer"
        );
    }
}

fn nested(depth: usize, root: &str) -> Vec<u8> {
    let mut s = format!("<{root}>");
    s.push_str(&"<a>".repeat(depth));
    s.push_str(&"</a>".repeat(depth));
    s.push_str(&format!("</{root}>"));
    s.into_bytes()
}

#[test]
fn deep_xml_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [10_000, 200_000] {
        assert!(
            Document::parse(&nested(depth, "r")).is_err(),
            "depth {depth}"
        );
        assert!(AnswerFile::parse(&nested(depth, "WindowsCustomizations")).is_err());
        assert!(ProvDoc::parse(&nested(depth, "wap-provisioningdoc")).is_err());
    }
    // Unclosed nesting as well.
    let open = "<a>".repeat(500_000);
    assert!(Document::parse(open.as_bytes()).is_err());
}

#[test]
fn doctype_and_entities_are_never_expanded() {
    let lol = r#"<?xml version="1.0"?>
<!DOCTYPE r [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f SYSTEM "file:///etc/passwd">
]>
<r>&e;&f;</r>"#;
    let answer = lol
        .replace("<r>", "<WindowsCustomizations>")
        .replace("</r>", "</WindowsCustomizations>");
    for input in [lol.as_bytes(), answer.as_bytes()] {
        match Document::parse(input) {
            Err(e) => assert!(!e.to_string().contains("root:"), "{e}"),
            Ok(doc) => {
                let text = doc.to_bytes(&Default::default());
                assert!(
                    text.len() < 64 * 1024,
                    "entities expanded to {} bytes",
                    text.len()
                );
                assert!(!String::from_utf8_lossy(&text).contains("root:x"));
            }
        }
        if let Ok(a) = AnswerFile::parse(input) {
            assert!(a.to_bytes().len() < 64 * 1024);
        }
    }
    let prov = lol
        .replace("<r>", "<wap-provisioningdoc><parm name=\"x\" value=\"")
        .replace("</r>", "\"/></wap-provisioningdoc>");
    if let Ok(p) = ProvDoc::parse(prov.as_bytes()) {
        assert!(p.to_bytes().len() < 64 * 1024);
    }
}

/// A large document on one line (machine-written XML often is): positions are counted on from
/// the previous one, so this parses in linear time (it was quadratic: 200,000 elements on one
/// 2.6 MB line would have counted about 2.6 × 10¹¹ characters), and the positions are right.
#[test]
fn one_line_document_with_many_elements() {
    let n = 200_000;
    let mut xml = String::from("<a>");
    for _ in 0..n {
        xml.push_str("<bb x=\"1\"/>");
    }
    xml.push_str("</a>");
    let doc = Document::parse(xml.as_bytes()).expect("parses");
    let last = doc.root.elements().last().expect("children");
    assert_eq!(doc.root.elements().count(), n);
    assert_eq!(last.pos.line, 1);
    assert_eq!(last.pos.column as usize, 3 + (n - 1) * 11 + 1);
    // Errors at the end of the line name the right column too.
    let bad = format!("{}<bb x=\"1\"></a>", &xml[..xml.len() - 4]);
    let e = Document::parse(bad.as_bytes()).expect_err("unclosed <bb>");
    assert!(matches!(e.kind(), ErrorKind::Xml { line: 1, .. }), "{e}");
}

/// The duplicate-attribute check is quadratic in the attribute count: more than
/// `MAX_ATTRIBUTES` on one element is refused with the element's position.
#[test]
fn attribute_count_bomb() {
    let attrs = |n: usize| (0..n).map(|i| format!(" a{i}=\"1\"")).collect::<String>();
    let ok = format!("<r>\n<e{}/></r>", attrs(ppkg_format::xml::MAX_ATTRIBUTES));
    Document::parse(ok.as_bytes()).expect("at the limit");
    let bomb = format!("<r>\n<e{}/></r>", attrs(200_000));
    let e = Document::parse(bomb.as_bytes()).expect_err("200,000 attributes");
    assert!(matches!(e.kind(), ErrorKind::LimitExceeded { .. }), "{e}");
    assert!(e.to_string().contains("line 2"), "{e}");
}
