//! XPRESS differential round trip: compress a chunk (≤ 32 KiB, as WIM does) with our encoder,
//! decode it with our decoder, and require the input back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ppkg_format::xpress::{self, Compressor, MAX_CHUNK};

fuzz_target!(|data: &[u8]| {
    let input = &data[..data.len().min(MAX_CHUNK)];
    if input.is_empty() {
        return;
    }
    let mut c = Compressor::new();
    let mut packed = Vec::new();
    let n = c.compress(input, &mut packed);
    assert_eq!(n, packed.len(), "compress returns the bytes it appended");
    let mut back = vec![0u8; input.len()];
    xpress::decompress(&packed, &mut back).expect("our own output decodes");
    assert_eq!(back, input, "round trip must equal the input");
    // The one-shot helper must agree with the reusable compressor.
    let again = xpress::compress(input);
    let mut back2 = vec![0u8; input.len()];
    xpress::decompress(&again, &mut back2).expect("one-shot output decodes");
    assert_eq!(back2, input);
});
