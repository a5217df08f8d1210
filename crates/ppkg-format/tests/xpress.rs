//! XPRESS codec: round trips at the edges of the format, malformed input, property tests.

use ppkg_format::xpress::{self, Compressor, MAX_CHUNK};
use ppkg_format::ErrorKind;
use proptest::prelude::*;

/// xorshift64*: deterministic pseudo-random bytes.
fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Compresses, checks the size contract, decodes and compares; returns the compressed size.
fn round_trip(c: &mut Compressor, data: &[u8]) -> usize {
    let mut out = Vec::new();
    let n = c.compress(data, &mut out);
    assert_eq!(n, out.len());
    assert!(
        n >= 260,
        "a block has a 256-byte table and two words at least"
    );
    let mut back = vec![0xa5u8; data.len()];
    xpress::decompress(&out, &mut back)
        .unwrap_or_else(|e| panic!("decoding our own {}-byte chunk: {e}", data.len()));
    assert!(back == data, "round trip of {} bytes differs", data.len());
    n
}

fn xpress_err(input: &[u8], out_len: usize) -> ppkg_format::Error {
    let mut out = vec![0u8; out_len];
    let e = xpress::decompress(input, &mut out).expect_err("malformed input must fail");
    assert!(
        matches!(e.kind(), ErrorKind::Xpress(_)),
        "wrong kind: {:?}",
        e.kind()
    );
    assert!(e.offset().is_some(), "no offset in {e}");
    e
}

#[test]
fn empty_and_one_byte() {
    let mut c = Compressor::new();
    let mut out = Vec::new();
    c.compress(&[], &mut out);
    xpress::decompress(&out, &mut []).unwrap();
    assert_eq!(xpress::compress(&[]).len(), out.len());
    let n = round_trip(&mut c, b"x");
    assert!(n >= 1, "one byte never shrinks: stored raw by WIM");
}

#[test]
fn all_same_32768() {
    let data = vec![0x41u8; MAX_CHUNK];
    let n = round_trip(&mut Compressor::new(), &data);
    // One literal and one long match: table + a few words + 3 length bytes.
    assert!(n < 280, "{n}");
}

#[test]
fn random_is_not_smaller() {
    let data = random_bytes(7, MAX_CHUNK);
    let n = round_trip(&mut Compressor::new(), &data);
    // Incompressible: WIM would store it raw; the encoder must still be correct.
    assert!(n > MAX_CHUNK - 300, "{n}");
}

/// Lengths at the extension boundaries: header 14/15 (lengths 17, 18), byte 254/255 (lengths
/// 272, 273: the `u16` form starts at 273), and the largest lengths a chunk allows.
#[test]
fn length_extension_boundaries() {
    let mut c = Compressor::new();
    let seed = random_bytes(3, 600);
    for len in [
        3usize, 4, 16, 17, 18, 19, 270, 271, 272, 273, 274, 1000, 32765,
    ] {
        // A random prefix, then a copy of its first `len` bytes (the copy is one match), then
        // a random tail so that the match cannot run on.
        let mut data = seed[..300].to_vec();
        let mut src = random_bytes(len as u64, len.max(300));
        src.truncate(len);
        data.clear();
        data.extend_from_slice(&src);
        data.extend_from_slice(&seed[..50]);
        data.extend_from_slice(&src);
        data.extend_from_slice(&seed[300..350]);
        if data.len() > MAX_CHUNK {
            data.truncate(MAX_CHUNK);
        }
        round_trip(&mut c, &data);
    }
    // Run of one byte: the longest match in a chunk (32767 bytes at offset 1).
    round_trip(&mut c, &[0u8; MAX_CHUNK]);
    // Longest block the format allows (65536 bytes): match length 65535 at offset 1.
    round_trip(&mut c, &vec![9u8; 65536]);
}

/// Offsets of every bit length up to the largest one a block can use. In one block of at most
/// 65536 bytes a match of at least 3 bytes at offset `d` needs `d + 3` bytes, so the format's
/// maximum offset 65535 is unreachable: the largest is 65533 (3 bytes), and 65532 for the 4-byte
/// matches that the encoder takes at large offsets.
#[test]
fn offset_boundaries() {
    let mut c = Compressor::new();
    for off in [
        1usize, 2, 3, 4, 7, 8, 255, 256, 4095, 4096, 32767, 32768, 32769, 65532, 65533,
    ] {
        let k = 16.min(65536 - off);
        // Filler: numbered lines (short matches everywhere, so the search visits every
        // position), then a random pattern at 0 and at `off`.
        let mut data = Vec::new();
        let mut line = 0;
        while data.len() < off + k {
            data.extend_from_slice(format!("line {line:05}\n").as_bytes());
            line += 7;
        }
        data.truncate(off + k);
        data[..k].copy_from_slice(&random_bytes(off as u64 + 100, k));
        for i in off..off + k {
            data[i] = data[i - off];
        }
        let n = round_trip(&mut c, &data);
        if k >= 4 && off > 16 {
            // The repetition is found: the chunk is smaller than with a mismatching copy.
            for i in (off..off + k).step_by(3) {
                data[i] ^= 0xff;
            }
            let mut other = Vec::new();
            let m = c.compress(&data, &mut other);
            assert!(n < m || off > 65532, "offset {off}: {n} vs {m}");
        }
    }
}

#[test]
fn decoder_reads_15_offset_bits() {
    // Literal 'a' and symbol 256 + 0xF0 (offset 32768 + 15 bits); a match at output position
    // 0 with offset 65535 must be rejected as pointing before the start.
    let mut input = two_symbol_table(256 + 0xf0);
    // Match symbol (code 1), then 15 offset bits all ones: offset 65535.
    input.extend_from_slice(&0xffffu16.to_le_bytes());
    input.extend_from_slice(&[0, 0, 0, 0]);
    let e = xpress_err(&input, 100);
    assert!(e.to_string().contains("offset 65535"), "{e}");
}

#[test]
fn text_compresses_well() {
    let line =
        b"<characteristic type=\"Enrollments\"><parm name=\"UPN\" value=\"user@contoso.com\"/>\r\n";
    let mut data = Vec::new();
    let mut i = 0u32;
    while data.len() < MAX_CHUNK {
        data.extend_from_slice(line);
        data.extend_from_slice(i.to_string().as_bytes());
        i += 1;
    }
    data.truncate(MAX_CHUNK);
    let n = round_trip(&mut Compressor::new(), &data);
    assert!(n < MAX_CHUNK / 8, "{n}");
}

#[test]
fn compressor_is_reusable_and_deterministic() {
    let a = random_bytes(1, 5000);
    let mut text = b"abcabcabd".repeat(1000);
    text.extend_from_slice(&a);
    let mut c = Compressor::new();
    let mut o1 = Vec::new();
    let mut o2 = Vec::new();
    c.compress(&text, &mut o1);
    c.compress(&a, &mut o2);
    c.compress(&text, &mut o2);
    assert_eq!(o1, o2);
    assert_eq!(o1, xpress::compress(&text));
}

#[test]
fn oversized_input_is_returned_raw() {
    let data = vec![1u8; 65537];
    let mut out = Vec::new();
    let n = Compressor::new().compress(&data, &mut out);
    assert_eq!(n, data.len());
    assert_eq!(out, data);
}

#[test]
fn rejects_short_table() {
    let e = xpress_err(&[0u8; 100], 10);
    assert_eq!(e.offset(), Some(100));
}

#[test]
fn rejects_bad_codes() {
    // All zero lengths: empty code.
    let mut input = vec![0u8; 260];
    xpress_err(&input, 10);
    // One symbol of length 1: incomplete.
    input[0] = 1;
    xpress_err(&input, 10);
    // Three symbols of length 1: over-subscribed.
    input[0] = 0x11;
    input[1] = 0x01;
    let e = xpress_err(&input, 10);
    assert_eq!(e.offset(), Some(0));
    // Oversized output.
    let ok = xpress::compress(b"hello hello hello");
    xpress_err(&ok, 65537);
}

/// A code with literal 'a' (length 1) and match symbol 256 + 0x10 (offset 2..3, length 3).
fn two_symbol_table(match_sym: usize) -> Vec<u8> {
    let mut t = vec![0u8; 256];
    t[b'a' as usize / 2] |= 1 << (4 * (b'a' as usize % 2));
    t[match_sym / 2] |= 1 << (4 * (match_sym % 2));
    t
}

#[test]
fn rejects_offset_before_start() {
    // Literal 'a' has code 0, the match symbol code 1 (canonical order: 'a' < 256).
    let mut input = two_symbol_table(256 + 0x10);
    // Bits: match first (1), offset bit (0): offset 2 at output position 0.
    input.extend_from_slice(&0x8000u16.to_le_bytes());
    input.extend_from_slice(&[0, 0]);
    let e = xpress_err(&input, 16);
    assert!(e.to_string().contains("before the start"), "{e}");
}

#[test]
fn rejects_output_overrun() {
    let mut input = two_symbol_table(256 + 0x10);
    // 'a', 'a', then match offset 2 length 3: needs 5 bytes.
    input.extend_from_slice(&0b0010_0000_0000_0000u16.to_le_bytes());
    input.extend_from_slice(&[0, 0]);
    let e = xpress_err(&input, 4);
    assert!(e.to_string().contains("past the end"), "{e}");
    // The same stream fills exactly 5 bytes.
    let mut out = [0u8; 5];
    xpress::decompress(&input, &mut out).unwrap();
    assert_eq!(&out, b"aaaaa");
}

#[test]
fn rejects_exhausted_input() {
    let data = b"the quick brown fox jumps over the lazy dog. ".repeat(40);
    let full = xpress::compress(&data);
    let mut out = vec![0u8; data.len()];
    for cut in [256, 258, 260, 256 + (full.len() - 256) / 2, full.len() - 4] {
        let e = xpress_err(&full[..cut], data.len());
        assert!(e.to_string().contains("exhausted"), "cut {cut}: {e}");
    }
    // Asking for more output than was encoded also exhausts the input.
    let mut longer = vec![0u8; data.len() + 1000];
    assert!(xpress::decompress(&full, &mut longer).is_err());
    xpress::decompress(&full, &mut out).unwrap();
    assert_eq!(out, data);
}

#[test]
fn rejects_bad_length_extension() {
    // Symbol 256 + 15: length header 15; byte 255 then u16 14 (< 15) is invalid.
    let mut input = two_symbol_table(256 + 15);
    // 'a' then the match symbol: bits 0, 1.
    input.extend_from_slice(&0b0100_0000_0000_0000u16.to_le_bytes());
    input.extend_from_slice(&[0, 0]);
    input.extend_from_slice(&[255, 14, 0]);
    let e = xpress_err(&input, 100);
    assert!(e.to_string().contains("below 15"), "{e}");
    assert_eq!(e.offset(), Some(261));
}

/// Found by `decoder_never_panics_on_valid_table` (CI, 2026-12-03): an error raised while
/// the bit reader was inside its zero padding named an offset past the end of the input.
#[test]
fn error_offsets_stay_inside_the_input() {
    let mut input = xpress::compress(b"abcdefgh abcdefgh abcdefgh, ijkl ijkl 0123456789");
    input.truncate(256);
    input.extend_from_slice(&[20, 83, 112]);
    let mut out = vec![0u8; 6];
    let e = xpress::decompress(&input, &mut out).expect_err("garbage bitstream");
    assert!(matches!(e.kind(), ErrorKind::Xpress(_)), "{e}");
    assert!(
        e.offset().is_some_and(|o| o <= input.len() as u64),
        "{e} (input {} bytes)",
        input.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_arbitrary(data in proptest::collection::vec(any::<u8>(), 0..=MAX_CHUNK)) {
        let out = xpress::compress(&data);
        let mut back = vec![0u8; data.len()];
        xpress::decompress(&out, &mut back).unwrap();
        prop_assert!(back == data);
    }

    /// Redundant data (few distinct bytes, repeated runs) exercises matches of every length.
    #[test]
    fn round_trip_redundant(
        pieces in proptest::collection::vec(
            (proptest::collection::vec(0u8..4, 1..40), 1usize..300), 1..60),
    ) {
        let mut data = Vec::new();
        for (p, reps) in pieces {
            for _ in 0..reps {
                data.extend_from_slice(&p);
            }
        }
        data.truncate(MAX_CHUNK);
        let out = xpress::compress(&data);
        let mut back = vec![0u8; data.len()];
        xpress::decompress(&out, &mut back).unwrap();
        prop_assert!(back == data);
    }

    /// A reused compressor (small chunks clear their hash entries one by one, large ones leave
    /// the heads to be filled) gives the bytes of a fresh one for every chunk of a sequence.
    #[test]
    fn reused_compressor_equals_fresh(
        chunks in proptest::collection::vec(
            (proptest::collection::vec(0u8..8, 0..300), 1usize..200), 1..8),
    ) {
        let mut c = Compressor::new();
        for (p, reps) in chunks {
            let mut data = p.repeat(reps);
            data.truncate(MAX_CHUNK);
            let mut reused = Vec::new();
            c.compress(&data, &mut reused);
            prop_assert!(reused == xpress::compress(&data));
        }
    }

    #[test]
    fn decoder_never_panics(
        input in proptest::collection::vec(any::<u8>(), 0..2000),
        out_len in 0usize..70_000,
    ) {
        let mut out = vec![0u8; out_len];
        let _ = xpress::decompress(&input, &mut out);
    }

    /// Valid tables with garbage bitstreams: reaches the match/offset checks.
    #[test]
    fn decoder_never_panics_on_valid_table(
        body in proptest::collection::vec(any::<u8>(), 0..3000),
        out_len in 1usize..40_000,
    ) {
        let mut input = xpress::compress(b"abcdefgh abcdefgh abcdefgh, ijkl ijkl 0123456789");
        input.truncate(256);
        input.extend_from_slice(&body);
        let mut out = vec![0u8; out_len];
        if let Err(e) = xpress::decompress(&input, &mut out) {
            prop_assert!(matches!(e.kind(), ErrorKind::Xpress(_)));
            prop_assert!(e.offset().is_some_and(|o| o <= input.len() as u64));
        }
    }
}
