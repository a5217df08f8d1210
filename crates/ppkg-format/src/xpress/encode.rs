//! The XPRESS (LZ77+Huffman) encoder: MS-XCA §2.1, "LZ77+Huffman Compression Algorithm
//! Details", one block per WIM chunk.
//!
//! Two passes per chunk: a hash-chain match finder with lazy evaluation turns the input into a
//! sequence of literals and matches while counting symbol frequencies; then Huffman codes are
//! built from the real frequencies (limited to 15 bits) and the sequence is written, followed
//! by the end-of-data symbol 256 that MS-XCA's compressor writes. WIM readers stop when the
//! chunk's known size is reached and never need that symbol, but wimlib writes it too, for
//! compatibility with Microsoft's decompressor; it costs a few bits per chunk.

use super::huffman::CodeBuilder;
use super::{BLOCK_SIZE, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};

/// Literal run length after which positions start being skipped by the match search.
const SKIP_START: usize = 128;
/// log2 of the literals per additional skipped position.
const SKIP_SHIFT: u32 = 5;

/// The end-of-data symbol (a match header of length 3, offset 1, written last).
const END_OF_DATA: usize = 256;
/// Longest match: header 15, byte 255, then a `u16` of length − 3.
const MAX_MATCH: usize = 65535 + MIN_MATCH;
/// Hash table size (log2) for the chains of 4-byte prefixes: 2^16 heads (issue #15: fewer
/// collisions than 2^15 on binaries, which pays for filling 128 KiB per chunk; `u32` heads
/// stamped per chunk instead of filled measured 3 % slower).
const HASH4_BITS: u32 = 16;
/// Hash table size (log2) for the most recent 3-byte prefix.
const HASH3_BITS: u32 = 12;
/// Largest offset for a 3-byte match: beyond it the offset bits make the match cost more than
/// three literals on typical data.
const MAX_LEN3_OFFSET: usize = 1024;
/// End of a hash chain. Tables hold position + 1 as `u16`: positions that start a 4-byte
/// prefix are below 65533 in a block of at most 65536 bytes.
const NIL: u16 = 0;

/// Chunks up to this many bytes leave the hash heads clean by clearing the entries their
/// positions hashed to (one pass over the input) rather than having the next chunk fill both
/// heads (69,632 entries).
const SMALL_CLEAR: usize = 8 * 1024;

/// Search effort: chain steps per position, and the match length that stops the search.
#[derive(Clone, Copy, Debug)]
struct Effort {
    /// Chain candidates examined per search.
    max_depth: u32,
    /// Chain candidates examined at the position after a match (the lazy evaluation).
    lazy_depth: u32,
    /// A match this long is taken without further search or lazy evaluation.
    nice_len: usize,
}

/// Issue #15, measured on a mixed-binaries corpus (executables, shared libraries, archives,
/// text; `benches/examples/xpress_corpus.rs`): nice length 48 instead of 32 and a lazy depth of
/// 4 instead of 8 (with 2^16 heads) took 8 % less CPU time for 0.1 % more output (1.0075x
/// wimlib's payload size instead of 1.0065x). Deeper chains buy little: depth 64 was 0.5 %
/// smaller at 1.3x the time.
const DEFAULT_EFFORT: Effort = Effort {
    max_depth: 16,
    lazy_depth: 4,
    nice_len: 48,
};

/// A reusable XPRESS compressor for WIM chunks.
///
/// Holds the match finder's hash chains, the parsed sequence and the Huffman scratch space, so
/// compressing many chunks allocates only on the first one (buffers grow to the largest chunk).
/// Deterministic: the same input always gives the same bytes.
pub struct Compressor {
    /// Most recent position (or [`NIL`]) for each 3-byte hash.
    head3: Box<[u16; 1 << HASH3_BITS]>,
    /// Most recent position (or [`NIL`]) for each 4-byte hash.
    head4: Box<[u16; 1 << HASH4_BITS]>,
    /// Previous position with the same 4-byte hash, per position (or [`NIL`]).
    prev: Box<[u16; BLOCK_SIZE]>,
    /// Parsed sequence: a literal is `byte << 16`; a match is `(length − 3) << 16 | offset`
    /// (offset ≥ 1, so the low half tells them apart).
    items: Vec<u32>,
    freq: [u32; NUM_SYMBOLS],
    lens: [u8; NUM_SYMBOLS],
    codes: [u16; NUM_SYMBOLS],
    code_builder: CodeBuilder,
    effort: Effort,
    /// Whether `head3` and `head4` hold only [`NIL`] (true after a small chunk, whose entries
    /// are cleared one by one instead of filling both tables).
    clean: bool,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor")
            .field("effort", &self.effort)
            .finish_non_exhaustive()
    }
}

impl Compressor {
    /// A compressor with empty buffers (they are sized by the first chunk).
    pub fn new() -> Self {
        Self {
            head3: Box::new([NIL; 1 << HASH3_BITS]),
            head4: Box::new([NIL; 1 << HASH4_BITS]),
            prev: Box::new([NIL; BLOCK_SIZE]),
            items: Vec::new(),
            freq: [0; NUM_SYMBOLS],
            lens: [0; NUM_SYMBOLS],
            codes: [0; NUM_SYMBOLS],
            code_builder: CodeBuilder::new(),
            effort: DEFAULT_EFFORT,
            clean: true,
        }
    }

    /// Compresses `input` as one XPRESS block into `out` (cleared first) and returns the
    /// compressed length (`out.len()`).
    ///
    /// WIM rule: when the result is not smaller than `input` (`>= input.len()`), the caller
    /// stores the chunk raw instead; the decoder is never given such a chunk. Inputs longer
    /// than 65536 bytes (one MS-XCA block; WIM chunks are at most
    /// [`MAX_CHUNK`](super::MAX_CHUNK)) are not compressed: `out` receives a copy of `input`
    /// and the returned length equals `input.len()`, so the caller stores them raw.
    ///
    /// The output decodes with [`decompress`](super::decompress) into a buffer of
    /// `input.len()` bytes; it always has a complete Huffman code and at least 260 bytes.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        out.clear();
        if input.len() > BLOCK_SIZE {
            out.extend_from_slice(input);
            return out.len();
        }
        let n = input.len();
        // `prev` needs no reset: an entry is read only after this chunk wrote it. The heads
        // must start empty: after a small chunk they were cleared entry by entry (cheaper than
        // filling 136 KiB for a 1 KiB XML file, and the same tables, so the same bytes).
        if !self.clean {
            self.head3.fill(NIL);
            self.head4.fill(NIL);
        }
        self.items.clear();
        self.items.reserve(n);
        self.freq.fill(0);
        let mut tables = Tables {
            head3: &mut self.head3,
            head4: &mut self.head4,
            prev: &mut self.prev,
        };
        parse_lazy(
            input,
            &mut tables,
            self.effort,
            &mut self.items,
            &mut self.freq,
        );
        if n <= SMALL_CLEAR {
            for w in input.windows(4) {
                let v = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                self.head3[hash3(v)] = NIL;
                self.head4[hash4(v)] = NIL;
            }
            self.clean = true;
        } else {
            self.clean = false;
        }
        self.freq[END_OF_DATA] += 1;
        self.code_builder
            .build(&self.freq, &mut self.lens, &mut self.codes);
        emit(&self.items, &self.lens, &self.codes, out);
        out.len()
    }
}

/// The match finder's tables, borrowed for one chunk.
struct Tables<'a> {
    /// Most recent position + 1 (or [`NIL`]) for each 3-byte hash.
    head3: &'a mut [u16; 1 << HASH3_BITS],
    /// Most recent position + 1 (or [`NIL`]) for each 4-byte hash.
    head4: &'a mut [u16; 1 << HASH4_BITS],
    /// Previous position + 1 with the same 4-byte hash, per position (or [`NIL`]).
    prev: &'a mut [u16; BLOCK_SIZE],
}

impl Tables<'_> {
    /// Enters position `p` into the hash tables without searching.
    #[inline(always)]
    fn insert(&mut self, data: &[u8], p: usize) {
        if p + 4 <= data.len() {
            let v = load_u32(data, p);
            self.head3[hash3(v)] = p as u16 + 1;
            let h = hash4(v);
            self.prev[usize::from(p as u16)] = self.head4[h];
            self.head4[h] = p as u16 + 1;
        }
    }

    /// Finds the longest match at `p` longer than `min_len` (length, offset), or `(0, 0)`,
    /// then enters `p` into the hash tables. Matches of 4 bytes or more come from the 4-byte
    /// hash chains (at most `depth` candidates, stopping at `nice` bytes); a 3-byte match
    /// (only when `min_len` is 2) from the most recent position with the same 3-byte hash, and
    /// only when its offset is at most [`MAX_LEN3_OFFSET`] (further away, its offset bits cost
    /// more than three literals).
    #[inline(always)]
    fn find_and_insert(
        &mut self,
        data: &[u8],
        p: usize,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        let n = data.len();
        if p + 4 > n {
            return (0, 0);
        }
        let v = load_u32(data, p);
        let h3 = hash3(v);
        let c3 = self.head3[h3];
        self.head3[h3] = p as u16 + 1;
        let h4 = hash4(v);
        let mut cand = self.head4[h4];
        self.prev[usize::from(p as u16)] = cand;
        self.head4[h4] = p as u16 + 1;

        let max = (n - p).min(MAX_MATCH);
        if max <= min_len {
            return (0, 0);
        }
        let nice = nice.min(max);
        let (mut best_len, mut best_off) = (min_len, 0usize);
        if min_len < MIN_MATCH && c3 != NIL {
            let c = usize::from(c3) - 1;
            let off = p - c;
            if off <= MAX_LEN3_OFFSET && (load_u32(data, c) ^ v) & 0x00ff_ffff == 0 {
                best_len = MIN_MATCH;
                best_off = off;
            }
        }
        let mut depth = depth;
        while cand != NIL && depth > 0 {
            let c = usize::from(cand) - 1;
            if data[c + best_len] == data[p + best_len] && load_u32(data, c) == v {
                let l = 4 + match_len(data, c + 4, p + 4, max - 4);
                if l > best_len {
                    best_len = l;
                    best_off = p - c;
                    if l >= nice {
                        break;
                    }
                }
            }
            cand = self.prev[usize::from(cand - 1)];
            depth -= 1;
        }
        if best_off == 0 {
            return (0, 0);
        }
        (best_len, best_off)
    }

    /// Enters positions `from..to` into the hash tables (the inside of a chosen match).
    #[inline(always)]
    fn skip(&mut self, data: &[u8], from: usize, to: usize) {
        for p in from..to {
            self.insert(data, p);
        }
    }
}

/// Lazy parse of `data` into `items`, counting symbol frequencies into `freq`: at each
/// position take the longest match unless the next position has a longer one, in which case
/// emit a literal and decide again there. `data` is at most one block (65536 bytes), so every
/// offset fits the format's 65535 limit.
#[inline(never)]
fn parse_lazy(
    data: &[u8],
    t: &mut Tables<'_>,
    effort: Effort,
    items: &mut Vec<u32>,
    freq: &mut [u32; NUM_SYMBOLS],
) {
    let n = data.len();
    let nice = effort.nice_len;
    let mut i = 0usize;
    // Literals since the last match: in incompressible stretches, positions are searched ever
    // more sparsely (one more skipped position per SKIP_STEP literals beyond SKIP_START).
    let mut run = 0usize;
    while i < n {
        let (mut len, mut off) = t.find_and_insert(data, i, MIN_MATCH - 1, effort.max_depth, nice);
        i += 1;
        if len < MIN_MATCH {
            push_literal(items, freq, data[i - 1]);
            run += 1;
            if run > SKIP_START {
                let end = (i + ((run - SKIP_START) >> SKIP_SHIFT)).min(n);
                for &b in &data[i..end] {
                    push_literal(items, freq, b);
                }
                run += end - i;
                i = end;
            }
            continue;
        }
        run = 0;
        // A match starts at i - 1.
        loop {
            if len >= nice {
                push_match(items, freq, len, off);
                t.skip(data, i, i - 1 + len);
                i += len - 1;
                break;
            }
            let (next_len, next_off) = t.find_and_insert(data, i, len, effort.lazy_depth, nice);
            i += 1;
            if next_len > len {
                // Longer match one byte later: the byte before it becomes a literal.
                push_literal(items, freq, data[i - 2]);
                (len, off) = (next_len, next_off);
                continue;
            }
            push_match(items, freq, len, off);
            t.skip(data, i, i - 2 + len);
            i += len - 2;
            break;
        }
    }
}

/// Records a literal: the item is `byte << 16` (offset field 0).
#[inline(always)]
fn push_literal(items: &mut Vec<u32>, freq: &mut [u32; NUM_SYMBOLS], b: u8) {
    freq[usize::from(b)] += 1;
    items.push(u32::from(b) << 16);
}

/// Records a match: the item is `(length − 3) << 16 | offset` (offset ≥ 1).
#[inline(always)]
fn push_match(items: &mut Vec<u32>, freq: &mut [u32; NUM_SYMBOLS], len: usize, off: usize) {
    freq[match_symbol(len, off)] += 1;
    items.push(((len - MIN_MATCH) as u32) << 16 | off as u32);
}

/// Writes the length table, the bitstream of `items` and the end-of-data symbol into `out`.
#[inline(never)]
fn emit(items: &[u32], lens: &[u8; NUM_SYMBOLS], codes: &[u16; NUM_SYMBOLS], out: &mut Vec<u8>) {
    out.reserve(TABLE_BYTES + items.len() * 2 + 8);
    out.extend(lens.chunks_exact(2).map(|pair| pair[0] | (pair[1] << 4)));
    let mut w = BitWriter::new(out);
    for &item in items {
        let off = (item & 0xffff) as usize;
        if off == 0 {
            let s = (item >> 16) as usize;
            w.put(u32::from(codes[s]), u32::from(lens[s]));
            continue;
        }
        let len = (item >> 16) as usize + MIN_MATCH;
        let s = match_symbol(len, off);
        w.put(u32::from(codes[s]), u32::from(lens[s]));
        let extra = len - MIN_MATCH;
        if extra >= 15 {
            if extra - 15 < 255 {
                w.out.push((extra - 15) as u8);
            } else {
                w.out.push(255);
                w.out.extend_from_slice(&(extra as u16).to_le_bytes());
            }
        }
        let log2 = off.ilog2();
        if log2 > 0 {
            w.put((off as u32) & ((1 << log2) - 1), log2);
        }
    }
    w.put(u32::from(codes[END_OF_DATA]), u32::from(lens[END_OF_DATA]));
    w.finish();
}

/// Compresses `input` as one XPRESS block with a fresh [`Compressor`]; see
/// [`Compressor::compress`] for the output and the raw-storage rule. Use a [`Compressor`]
/// directly for many chunks.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Compressor::new().compress(input, &mut out);
    out
}

/// The Huffman symbol of a match: 256 + (⌊log2 offset⌋ << 4) + min(length − 3, 15).
#[inline(always)]
fn match_symbol(len: usize, off: usize) -> usize {
    256 + ((off.ilog2() as usize) << 4) + (len - MIN_MATCH).min(15)
}

/// Hash of the first 3 bytes of `v` (the little-endian load of 4 bytes).
#[inline(always)]
fn hash3(v: u32) -> usize {
    ((v << 8).wrapping_mul(0x9E37_79B1) >> (32 - HASH3_BITS)) as usize
}

/// Hash of the 4 bytes of `v`.
#[inline(always)]
fn hash4(v: u32) -> usize {
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH4_BITS)) as usize
}

#[inline(always)]
fn load_u32(data: &[u8], i: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&data[i..i + 4]);
    u32::from_le_bytes(a)
}

#[inline(always)]
fn load_u64(data: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&data[i..i + 8]);
    u64::from_le_bytes(a)
}

/// Length of the common prefix of `data[a..]` and `data[b..]` (`a < b`), at most `max`
/// (`b + max <= data.len()`).
#[inline(always)]
fn match_len(data: &[u8], a: usize, b: usize, max: usize) -> usize {
    let mut l = 0;
    while l + 8 <= max {
        let x = load_u64(data, a + l) ^ load_u64(data, b + l);
        if x != 0 {
            return l + (x.trailing_zeros() / 8) as usize;
        }
        l += 8;
    }
    while l < max && data[a + l] == data[b + l] {
        l += 1;
    }
    l
}

/// The MS-XCA bit writer: bits fill 16-bit little-endian words from their most significant
/// bit. Word slots are reserved in the output ahead of time so that bytes written meanwhile
/// (match length extensions) land where the decoder will read them: the decoder loads word
/// `k + 1` as soon as it has consumed the first bit of word `k`, so the slot of word `k + 1` is
/// reserved when the first bit enters word `k` (words 0 and 1 at the start).
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Pending bits, the newest in the low bits; bits above `n` are stale and ignored.
    buf: u32,
    /// Number of pending bits (0..=16 between calls).
    n: u32,
    /// Slot of the current word.
    cur: usize,
    /// Slot of the next word (already reserved).
    next: usize,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        let cur = out.len();
        out.extend_from_slice(&[0; 4]);
        Self {
            out,
            buf: 0,
            n: 0,
            cur,
            next: cur + 2,
        }
    }

    /// Appends the low `m` (0..=16) bits of `v` (no higher bits set), most significant first.
    /// A full word is written only when a further bit arrives, which is when the word after
    /// next gets its slot.
    #[inline(always)]
    fn put(&mut self, v: u32, m: u32) {
        self.buf = (self.buf << m) | v;
        self.n += m;
        if self.n > 16 {
            self.n -= 16;
            let word = (self.buf >> self.n) as u16;
            self.out[self.cur..self.cur + 2].copy_from_slice(&word.to_le_bytes());
            self.cur = self.next;
            self.next = self.out.len();
            self.out.extend_from_slice(&[0, 0]);
        }
    }

    /// Writes the last, partial word (zero-padded); the reserved next slot stays zero.
    fn finish(self) {
        let word = ((self.buf << (16 - self.n)) & 0xffff) as u16;
        self.out[self.cur..self.cur + 2].copy_from_slice(&word.to_le_bytes());
    }
}
