//! XPRESS (MS-XCA LZ77+Huffman) decoder on arbitrary input: the first two bytes choose the
//! output size (1..=65536), the rest is the compressed stream. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ppkg_format::xpress;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let out_len = usize::from(u16::from_le_bytes([data[0], data[1]])) + 1;
    let mut out = vec![0u8; out_len];
    let _ = xpress::decompress(&data[2..], &mut out);
});
