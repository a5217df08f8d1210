//! Writing the tree of WCD's `start_pins.ppkg` with its GUID and times gives the same header,
//! chunk size, resource flags, dentry order and attributes, blob order and XML fields as WCD's
//! own file. Remaining differences (asserted below, so a change is noticed):
//! - security descriptors: WCD stores the build folder's ACL (with the builder's SIDs); we store
//!   none (security id −1), as wimlib does on Linux;
//! - dentry times: WCD keeps each source file's times; we write one timestamp everywhere;
//! - WCD leaves an unreferenced 304-byte metadata stub at offset 208; our data starts at 208.

use std::fs::File;
use std::io::{Cursor, Read, Seek};

use ppkg_format::wim::{
    write_wim, FileCount, ImageTree, WimReader, WriteOptions, FILE_ATTRIBUTE_ARCHIVE,
    FILE_ATTRIBUTE_DIRECTORY,
};

#[test]
fn rewriting_start_pins_matches_wcd_layout() {
    let Some(p) = ppkg_testdata::reference_file("ppkg/start_pins.ppkg") else {
        return;
    };
    let mut wcd = WimReader::new(File::open(p).unwrap()).unwrap();
    let mut tree = ImageTree::new();
    for e in wcd.entries().to_vec() {
        if e.is_dir {
            tree.add_dir(&e.path).unwrap();
        } else {
            tree.add_file(&e.path, wcd.read_to_vec(&e, 1 << 20).unwrap())
                .unwrap();
        }
    }
    let root_time = 0x01DC_0D07_2071_95DC; // the root dentry's times in start_pins
    let mut opts = WriteOptions::deterministic(wcd.header().guid, root_time);
    opts.file_count = FileCount::WcdPackage;
    let mut out = Cursor::new(Vec::new());
    write_wim(&mut out, &tree, wcd.image_info(), &opts).unwrap();
    let bytes = out.into_inner();
    let ours = WimReader::new(Cursor::new(&bytes)).unwrap();

    let (a, b) = (wcd.header(), ours.header());
    assert_eq!(
        (
            a.version,
            a.flags,
            a.chunk_size,
            a.guid,
            a.part_number,
            a.total_parts
        ),
        (
            b.version,
            b.flags,
            b.chunk_size,
            b.guid,
            b.part_number,
            b.total_parts
        )
    );
    assert_eq!((a.image_count, a.boot_index), (b.image_count, b.boot_index));
    assert_eq!(a.blob_table.flags, b.blob_table.flags);
    assert_eq!(a.xml_data.flags, b.xml_data.flags);
    assert_eq!(a.integrity, b.integrity);
    assert_eq!(a.boot_metadata, b.boot_metadata);
    assert_eq!(
        wcd.metadata_blob().resource.flags,
        ours.metadata_blob().resource.flags
    );
    // The file ends with the XML data, in both.
    assert_eq!(
        b.xml_data.offset + b.xml_data.size_in_wim,
        bytes.len() as u64
    );
    assert_eq!(a.xml_data.offset + a.xml_data.size_in_wim, wcd.file_len());

    // Same dentries in the same order, same attributes and hashes.
    let ours_list = list(&ours);
    assert_eq!(list(&wcd), ours_list);
    for (_, is_dir, attr, ..) in &ours_list {
        let want = if *is_dir {
            FILE_ATTRIBUTE_DIRECTORY
        } else {
            FILE_ATTRIBUTE_ARCHIVE
        };
        assert_eq!(*attr, want);
    }
    // Same blob order and the same choice of compressed / stored per file.
    assert_eq!(blobs(&wcd), blobs(&ours));

    // XML: every field equal, FILECOUNT by WCD's rule (7 files + 6 folders − 4).
    let want = wcd.image_info().clone();
    assert_eq!(want.file_count, 9);
    assert_eq!(ours.image_info(), &want);
    // The metadata blob comes first in both blob tables: checked through the raw bytes.
    let first_flags =
        |bytes: &[u8], h: &ppkg_format::wim::Header| bytes[h.blob_table.offset as usize + 7];
    let wcd_bytes =
        std::fs::read(ppkg_testdata::reference_file("ppkg/start_pins.ppkg").unwrap()).unwrap();
    assert_eq!(first_flags(&wcd_bytes, a), first_flags(&bytes, b));
}

type Listed = (String, bool, u32, Option<[u8; 20]>, u64);

fn list<R: Read + Seek>(w: &WimReader<R>) -> Vec<Listed> {
    w.entries()
        .iter()
        .map(|e| (e.path.clone(), e.is_dir, e.attributes, e.sha1, e.size))
        .collect()
}

/// (SHA-1, resource flags, reference count) of each blob, in file order.
fn blobs<R: Read + Seek>(w: &WimReader<R>) -> Vec<([u8; 20], u8, u32)> {
    let mut v: Vec<_> = w
        .blobs()
        .iter()
        .map(|b| (b.resource.offset, b.sha1, b.resource.flags, b.ref_count))
        .collect();
    v.sort();
    v.into_iter().map(|(_, h, f, r)| (h, f, r)).collect()
}
