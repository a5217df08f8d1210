//! Broken input gives errors, never panics: `start_pins.ppkg` truncated at every offset, each
//! byte of its header, blob table, metadata resource and file data flipped, and headers that
//! claim huge resources (which must fail fast, without allocating what they claim).

use std::io::{Cursor, Read};
use std::time::Instant;

use ppkg_format::wim::{write_wim, ImageTree, WimReader, WriteOptions};
use ppkg_format::ErrorKind;

fn start_pins() -> Option<Vec<u8>> {
    ppkg_testdata::reference_file("ppkg/start_pins.ppkg").map(|p| std::fs::read(p).expect("read"))
}

/// Opens and reads every file; `Err` at the first error.
fn read_all(bytes: &[u8]) -> ppkg_format::Result<()> {
    let mut w = WimReader::new(Cursor::new(bytes))?;
    for e in w.entries().to_vec() {
        if !e.is_dir {
            w.read_to_vec(&e, 1 << 20)?;
        }
    }
    Ok(())
}

#[test]
fn every_truncation_is_an_error() {
    let Some(full) = start_pins() else { return };
    read_all(&full).unwrap();
    for cut in 0..full.len() {
        assert!(
            read_all(&full[..cut]).is_err(),
            "truncated at {cut} was accepted"
        );
    }
}

#[test]
fn flipped_header_and_table_bytes_are_errors() {
    let Some(full) = start_pins() else { return };
    let w = WimReader::new(Cursor::new(&full)).unwrap();
    let bt = w.header().blob_table;
    let meta = w.metadata_blob().resource;
    drop(w);
    // Header fields that matter: all but the GUID (24..40) and the 60 unused bytes (148..208).
    let header: Vec<usize> = (0..148).filter(|i| !(24..40).contains(i)).collect();
    // Blob table entries, except the reference counts (bytes 26..30 of each 50-byte entry),
    // which readers do not need.
    let table: Vec<usize> = (bt.offset as usize..(bt.offset + bt.size_in_wim) as usize)
        .filter(|i| !(26..30).contains(&((i - bt.offset as usize) % 50)))
        .collect();
    // The compressed metadata resource: any change fails decoding or its SHA-1, except in the
    // final padding word(s) that the decoder does not need (last 8 bytes).
    let metadata: Vec<usize> =
        (meta.offset as usize..(meta.offset + meta.size_in_wim - 8) as usize).collect();
    for i in header.into_iter().chain(table).chain(metadata) {
        let mut b = full.clone();
        b[i] ^= 0xFF;
        assert!(read_all(&b).is_err(), "flipping byte {i} was accepted");
    }
}

#[test]
fn flipped_file_data_fails_its_read_never_panics() {
    let Some(full) = start_pins() else { return };
    // Every byte of an uncompressed blob, and of a compressed one except its last 8 (the
    // decoder may not need the final padding word), is covered by the SHA-1 or the decoder.
    let w = WimReader::new(Cursor::new(&full)).unwrap();
    let mut covered = Vec::new();
    for blob in w.blobs() {
        let r = blob.resource;
        let end = r.offset + r.size_in_wim - if r.is_compressed() { 8 } else { 0 };
        covered.extend(r.offset as usize..end as usize);
    }
    drop(w);
    assert!(covered.len() > 2000);
    for i in covered {
        let mut b = full.clone();
        b[i] ^= 0xFF;
        assert!(read_all(&b).is_err(), "flipping data byte {i} was accepted");
    }
    // And every byte of the whole file, flipped, never panics.
    for i in 0..full.len() {
        let mut b = full.clone();
        b[i] ^= 0x55;
        let _ = read_all(&b);
    }
}

fn small_wim() -> Vec<u8> {
    let mut t = ImageTree::new();
    t.add_file("a/big.txt", "some text ".repeat(10_000))
        .expect("valid path");
    let mut out = Cursor::new(Vec::new());
    write_wim(
        &mut out,
        &t,
        &Default::default(),
        &WriteOptions::deterministic([1; 16], 1),
    )
    .expect("write to memory");
    out.into_inner()
}

fn patch_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn patch_size(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 7].copy_from_slice(&v.to_le_bytes()[..7]);
}

#[test]
fn a_terabyte_claim_fails_fast() {
    const TIB: u64 = 1 << 40;
    let good = small_wim();
    let w = WimReader::new(Cursor::new(&good)).unwrap();
    let bt = w.header().blob_table.offset as usize;
    drop(w);
    let start = Instant::now();
    // Blob table claims 1 TiB.
    let mut b = good.clone();
    patch_size(&mut b, 48, TIB);
    patch_u64(&mut b, 64, TIB);
    assert!(WimReader::new(Cursor::new(&b)).is_err());
    // XML data claims 1 TiB.
    let mut b = good.clone();
    patch_size(&mut b, 72, TIB);
    patch_u64(&mut b, 88, TIB);
    assert!(WimReader::new(Cursor::new(&b)).is_err());
    // The metadata blob (first table entry) claims 1 TiB uncompressed.
    let mut b = good.clone();
    patch_u64(&mut b, bt + 16, TIB);
    let e = WimReader::new(Cursor::new(&b)).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded { .. } | ErrorKind::Malformed(_)
        ),
        "{e}"
    );
    // A file blob (second entry, compressed) claims 1 TiB uncompressed.
    let mut b = good.clone();
    patch_u64(&mut b, bt + 50 + 16, TIB);
    assert!(WimReader::new(Cursor::new(&b)).is_err());
    eprintln!("refused in {:?}", start.elapsed());
}

#[test]
fn hash_mismatch_is_reported_at_the_end_of_the_stream() {
    let good = small_wim();
    let mut w = WimReader::new(Cursor::new(good)).unwrap();
    let e = w.find("a/big.txt").cloned().unwrap();
    let mut fake = e.clone();
    // An entry from elsewhere is refused.
    fake.sha1 = Some([1; 20]);
    assert!(w.open(&fake).is_err());
    let mut s = String::new();
    w.open(&e).unwrap().read_to_string(&mut s).unwrap();
    assert_eq!(s.len(), 100_000);
}

/// The dentry parser itself, reached past the SHA-1 check: each byte of an uncompressed
/// metadata resource is flipped and the metadata blob's SHA-1 fixed up; opening and reading
/// must give a result or an error, never a panic, and most flips must be caught.
#[test]
fn flipped_dentry_bytes_with_a_fixed_sha1_never_panic() {
    use ppkg_format::wim::Compression;
    use sha1::{Digest, Sha1};
    let mut t = ImageTree::new();
    t.add_file("Multivariant/0/Prov/RunTime/0__a.provxml", "<a/>")
        .unwrap();
    t.add_file("Multivariant/0/customizations.xml", "<b/>")
        .unwrap();
    t.add_file("CommonSettings/1/AnswerFile.xml", "").unwrap();
    t.add_dir("DataAsset/2/empty").unwrap();
    let mut out = Cursor::new(Vec::new());
    let opts = WriteOptions::deterministic([1; 16], 1).with_compression(Compression::None);
    write_wim(&mut out, &t, &Default::default(), &opts).unwrap();
    let good = out.into_inner();
    let r = WimReader::new(Cursor::new(&good)).unwrap();
    let meta = r.metadata_blob().resource;
    let table = r.header().blob_table.offset as usize;
    drop(r);
    let (start, end) = (
        meta.offset as usize,
        (meta.offset + meta.size_in_wim) as usize,
    );
    let mut caught = 0;
    for i in start..end {
        for x in [0xFF, 0x01, 0x80] {
            let mut b = good.clone();
            b[i] ^= x;
            let sha: [u8; 20] = Sha1::digest(&b[start..end]).into();
            b[table + 30..table + 50].copy_from_slice(&sha);
            if read_all(&b).is_err() {
                caught += 1;
            }
        }
    }
    // Times, attributes and unused fields may change harmlessly; structure may not.
    assert!(
        caught > (end - start) / 2,
        "only {caught} of {} flips caught",
        3 * (end - start)
    );
}
