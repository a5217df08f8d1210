//! The XPRESS (LZ77+Huffman) encoder: MS-XCA §2.1, "LZ77+Huffman Compression Algorithm
//! Details", one block per WIM chunk, no end-of-block symbol (as WIM writes it).
//!
//! Two passes per chunk: a hash-chain match finder with lazy evaluation turns the input into a
//! sequence of literals and matches while counting symbol frequencies; then Huffman codes are
//! built from the real frequencies (limited to 15 bits) and the sequence is written.

use super::huffman::CodeBuilder;
use super::{BLOCK_SIZE, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};

/// Largest match offset an XPRESS match header can express (15 offset bits after the leading 1).
const MAX_OFFSET: usize = 65535;
/// Longest match: header 15, byte 255, then a `u16` of length − 3.
const MAX_MATCH: usize = 65535 + MIN_MATCH;
/// Hash table size (log2) for 3-byte prefixes.
const HASH_BITS: u32 = 15;
/// End of a hash chain.
const NIL: u32 = u32::MAX;

/// Search effort: chain steps per position, and the match length that stops the search.
#[derive(Clone, Copy, Debug)]
struct Effort {
    max_depth: u32,
    nice_len: usize,
}

const DEFAULT_EFFORT: Effort = Effort {
    max_depth: 24,
    nice_len: 48,
};

/// A reusable XPRESS compressor for WIM chunks.
///
/// Holds the match finder's hash chains, the parsed sequence and the Huffman scratch space, so
/// compressing many chunks allocates only on the first one (buffers grow to the largest chunk).
/// Deterministic: the same input always gives the same bytes.
pub struct Compressor {
    /// Most recent position (or [`NIL`]) for each 3-byte hash.
    head: Vec<u32>,
    /// Previous position with the same hash, per position (or [`NIL`]).
    prev: Vec<u32>,
    /// Parsed sequence: a literal is `byte << 16`; a match is `(length − 3) << 16 | offset`
    /// (offset ≥ 1, so the low half tells them apart).
    items: Vec<u32>,
    freq: [u32; NUM_SYMBOLS],
    lens: [u8; NUM_SYMBOLS],
    codes: [u16; NUM_SYMBOLS],
    code_builder: CodeBuilder,
    effort: Effort,
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
            head: Vec::new(),
            prev: Vec::new(),
            items: Vec::new(),
            freq: [0; NUM_SYMBOLS],
            lens: [0; NUM_SYMBOLS],
            codes: [0; NUM_SYMBOLS],
            code_builder: CodeBuilder::new(),
            effort: DEFAULT_EFFORT,
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
        self.freq.fill(0);
        self.items.clear();
        self.parse_lazy(input);
        self.code_builder
            .build(&self.freq, &mut self.lens, &mut self.codes);
        self.emit(out);
        out.len()
    }

    /// Lazy parse: at each position take the longest match unless the next position has a
    /// longer one, in which case emit a literal and decide again there.
    fn parse_lazy(&mut self, data: &[u8]) {
        let n = data.len();
        self.head.clear();
        self.head.resize(1 << HASH_BITS, NIL);
        self.prev.clear();
        self.prev.resize(n, NIL);
        let mut i = 0usize;
        // Match found at position i - 1 and not yet emitted.
        let mut pending: Option<(usize, usize)> = None;
        while i < n {
            let cur = if pending.is_some_and(|(l, _)| l >= self.effort.nice_len) {
                (0, 0)
            } else {
                self.find_and_insert(data, i)
            };
            if let Some((plen, poff)) = pending {
                if cur.0 <= plen {
                    // The match at i - 1 wins: positions i+1 .. i-1+plen enter the chains.
                    self.push_match(plen, poff);
                    if plen >= self.effort.nice_len {
                        // The search at i was skipped, so i is not in the chains yet.
                        self.insert(data, i);
                    }
                    for p in i + 1..i - 1 + plen {
                        self.insert(data, p);
                    }
                    i = i - 1 + plen;
                    pending = None;
                    continue;
                }
                self.push_literal(data[i - 1]);
            }
            if cur.0 >= MIN_MATCH {
                pending = Some(cur);
            } else {
                self.push_literal(data[i]);
                pending = None;
            }
            i += 1;
        }
        if let Some((plen, poff)) = pending {
            self.push_match(plen, poff);
        }
    }

    #[inline(always)]
    fn push_literal(&mut self, b: u8) {
        self.freq[usize::from(b)] += 1;
        self.items.push(u32::from(b) << 16);
    }

    #[inline(always)]
    fn push_match(&mut self, len: usize, off: usize) {
        self.freq[match_symbol(len, off)] += 1;
        self.items
            .push(((len - MIN_MATCH) as u32) << 16 | off as u32);
    }

    #[inline(always)]
    fn insert(&mut self, data: &[u8], p: usize) {
        if p + MIN_MATCH <= data.len() {
            let h = hash3(data, p);
            self.prev[p] = self.head[h];
            self.head[h] = p as u32;
        }
    }

    /// Finds the longest match at `p` (length, offset), `(0, 0)` if none of at least 3 bytes,
    /// then inserts `p` into the hash chains.
    #[inline(always)]
    fn find_and_insert(&mut self, data: &[u8], p: usize) -> (usize, usize) {
        let n = data.len();
        if p + MIN_MATCH > n {
            return (0, 0);
        }
        let h = hash3(data, p);
        let mut cand = self.head[h];
        self.prev[p] = cand;
        self.head[h] = p as u32;
        let max = (n - p).min(MAX_MATCH);
        let nice = self.effort.nice_len.min(max);
        let (mut best_len, mut best_off) = (MIN_MATCH - 1, 0usize);
        let mut depth = self.effort.max_depth;
        while cand != NIL && depth > 0 {
            let c = cand as usize;
            let off = p - c;
            if off > MAX_OFFSET {
                break;
            }
            if data[c + best_len] == data[p + best_len] && data[c] == data[p] {
                let l = match_len(data, c, p, max);
                if l > best_len {
                    best_len = l;
                    best_off = off;
                    if l >= nice {
                        break;
                    }
                }
            }
            cand = self.prev[c];
            depth -= 1;
        }
        if best_off == 0 {
            return (0, 0);
        }
        (best_len, best_off)
    }

    /// Writes the length table and the bitstream of `items` into `out`.
    fn emit(&self, out: &mut Vec<u8>) {
        out.reserve(TABLE_BYTES + self.items.len() * 2 + 8);
        out.extend(
            self.lens
                .chunks_exact(2)
                .map(|pair| pair[0] | (pair[1] << 4)),
        );
        let mut w = BitWriter::new(out);
        for &item in &self.items {
            let off = (item & 0xffff) as usize;
            if off == 0 {
                let s = (item >> 16) as usize;
                w.put(u32::from(self.codes[s]), u32::from(self.lens[s]));
                continue;
            }
            let len = (item >> 16) as usize + MIN_MATCH;
            let s = match_symbol(len, off);
            w.put(u32::from(self.codes[s]), u32::from(self.lens[s]));
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
        w.finish();
    }
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

#[inline(always)]
fn hash3(data: &[u8], p: usize) -> usize {
    let v = u32::from(data[p]) | u32::from(data[p + 1]) << 8 | u32::from(data[p + 2]) << 16;
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
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
    /// Pending bits of the current word (right-aligned).
    buf: u32,
    /// Number of pending bits (0..=16).
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

    /// Appends the low `m` (0..=16) bits of `v`, most significant first.
    #[inline(always)]
    fn put(&mut self, v: u32, m: u32) {
        if self.n + m <= 16 {
            self.buf = (self.buf << m) | v;
            self.n += m;
            return;
        }
        let k = 16 - self.n;
        let word = ((self.buf << k) | (v >> (m - k))) as u16;
        self.out[self.cur..self.cur + 2].copy_from_slice(&word.to_le_bytes());
        self.cur = self.next;
        self.next = self.out.len();
        self.out.extend_from_slice(&[0, 0]);
        self.n = m - k;
        self.buf = v & ((1 << self.n) - 1);
    }

    /// Writes the last, partial word (zero-padded); the reserved next slot stays zero.
    fn finish(self) {
        let word = (self.buf << (16 - self.n)) as u16;
        self.out[self.cur..self.cur + 2].copy_from_slice(&word.to_le_bytes());
    }
}
