//! Peak memory on hostile WIMs: one test in its own binary, so that `VmHWM` (the process's peak
//! resident set, /proc/self/status, Linux) measures only this work. Size claims just under and
//! far over the reader's caps (blob table, metadata, XML data, file resources and their chunk
//! tables) must be refused without allocating what they claim: peak RSS stays under 64 MiB.

use std::io::{Cursor, Read};

use ppkg_format::metadata::ImageInfo;
use ppkg_format::wim::{
    write_wim, BlobEntry, Header, ImageTree, WimReader, WriteOptions, BLOB_ENTRY_SIZE, HEADER_SIZE,
    MAX_BLOB_TABLE_BYTES, MAX_METADATA_BYTES, RESHDR_METADATA,
};

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn sample() -> Vec<u8> {
    let mut tree = ImageTree::new();
    tree.add_file("a/text.xml", b"<parm name=\"x\"/>\r\n".repeat(20_000))
        .expect("hostile test setup");
    tree.add_file(
        "b.bin",
        (0..100_000u32)
            .map(|i| ((i * 7919) >> 3) as u8)
            .collect::<Vec<_>>(),
    )
    .expect("hostile test setup");
    let info = ImageInfo {
        name: "rss".into(),
        version: "1.0".into(),
        ..ImageInfo::default()
    };
    let mut out = Cursor::new(Vec::new());
    write_wim(
        &mut out,
        &tree,
        &info,
        &WriteOptions::deterministic([3; 16], 1),
    )
    .expect("hostile test setup");
    out.into_inner()
}

/// Opens and streams every file; returns whether anything failed.
fn read_all(wim: Vec<u8>) -> bool {
    let Ok(mut r) = WimReader::new(Cursor::new(wim)) else {
        return true;
    };
    let mut failed = false;
    for e in r.entries().to_vec() {
        if e.is_dir {
            continue;
        }
        match r.open(&e) {
            Ok(s) => {
                let mut buf = [0u8; 1 << 16];
                let mut s = s.take(32 << 20);
                loop {
                    match s.read(&mut buf) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(_) => {
                            failed = true;
                            break;
                        }
                    }
                }
            }
            Err(_) => failed = true,
        }
    }
    failed
}

#[test]
fn hostile_size_claims_keep_peak_rss_under_64_mib() {
    let Some(before) = vm_hwm_kib() else {
        eprintln!("skipped: no /proc/self/status VmHWM on this system");
        return;
    };
    let base = sample();
    assert!(!read_all(base.clone()), "the untouched sample reads");
    let h = Header::parse(&base[..HEADER_SIZE]).expect("hostile test setup");
    let bt = h.blob_table;
    let entries: Vec<(usize, BlobEntry)> = (bt.offset as usize
        ..(bt.offset + bt.size_in_wim) as usize)
        .step_by(BLOB_ENTRY_SIZE)
        .map(|o| {
            (
                o,
                BlobEntry::parse(&base[o..o + BLOB_ENTRY_SIZE]).expect("hostile test setup"),
            )
        })
        .collect();
    let mut cases = Vec::new();
    for size in [
        MAX_BLOB_TABLE_BYTES - 50,
        MAX_BLOB_TABLE_BYTES + 50,
        1 << 40,
    ] {
        let mut hh = h.clone();
        hh.blob_table.size_in_wim = size;
        hh.blob_table.original_size = size;
        cases.push(("blob table", hh, None));
    }
    for size in [60u64 << 20, 1 << 40] {
        let mut hh = h.clone();
        hh.xml_data.size_in_wim = size;
        hh.xml_data.original_size = size;
        cases.push(("xml data", hh, None));
    }
    for (off, b) in &entries {
        for size in [MAX_METADATA_BYTES - 1, 200 << 20, 1 << 40, u64::MAX >> 8] {
            let mut bb = *b;
            bb.resource.original_size = size;
            let what = if b.resource.flags & RESHDR_METADATA != 0 {
                "metadata"
            } else {
                "file"
            };
            cases.push((what, h.clone(), Some((*off, bb))));
        }
    }
    let mut refused = 0;
    for (what, hh, blob) in cases {
        let mut wim = base.clone();
        wim[..HEADER_SIZE].copy_from_slice(&hh.to_bytes().expect("hostile test setup"));
        if let Some((off, b)) = blob {
            wim[off..off + BLOB_ENTRY_SIZE]
                .copy_from_slice(&b.to_bytes().expect("hostile test setup"));
        }
        if read_all(wim) {
            refused += 1;
        } else {
            panic!("{what}: hostile size accepted");
        }
    }
    let after = vm_hwm_kib().expect("hostile test setup");
    eprintln!("VmHWM before {before} KiB, after {after} KiB, {refused} hostile WIMs refused");
    assert!(after < 64 * 1024, "peak RSS {after} KiB over 64 MiB");
}
