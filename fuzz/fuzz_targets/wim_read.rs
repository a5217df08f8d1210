//! WIM reader: open arbitrary bytes as a WIM, then read every regular file with a size cap.
//! Errors are fine; panics, hangs and unbounded allocation are not.
#![no_main]

use std::io::{Cursor, Read};

use libfuzzer_sys::fuzz_target;
use ppkg_format::wim::WimReader;

/// Largest file the target reads (the reader itself caps metadata and the blob table).
const FILE_CAP: u64 = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok(mut wim) = WimReader::new(Cursor::new(data)) else {
        return;
    };
    let _ = wim.image_info();
    let _ = wim.xml_data();
    let entries = wim.entries().to_vec();
    for entry in &entries {
        if entry.is_dir || entry.is_reparse_point() {
            continue;
        }
        if entry.size <= FILE_CAP {
            let _ = wim.read_to_vec(entry, FILE_CAP);
        } else if let Ok(mut r) = wim.open(entry) {
            // Stream at most FILE_CAP bytes of a large file.
            let mut sink = Vec::new();
            let _ = (&mut r).take(FILE_CAP).read_to_end(&mut sink);
        }
    }
});
