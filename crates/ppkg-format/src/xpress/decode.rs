//! The XPRESS (LZ77+Huffman) decoder: MS-XCA §2.2, "LZ77+Huffman Decompression Algorithm
//! Details", for one WIM chunk (one block of at most 65536 output bytes).

use crate::error::{Error, ErrorKind, Result};

use super::{BLOCK_SIZE, MAX_CODE_LEN, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};

/// Bits indexed by the primary decode table.
const TABLE_BITS: u32 = 11;
/// Bits indexed by each second-level table (codes of 12 to 15 bits).
const SUB_BITS: u32 = MAX_CODE_LEN - TABLE_BITS;
/// Entries of a second-level table.
const SUB_SIZE: usize = 1 << SUB_BITS;
/// Flag of a primary entry that points to a second-level table.
const SUB_FLAG: u32 = 1 << 31;

/// A malformed-data error at a byte offset of the compressed input.
fn bad(msg: impl Into<String>, offset: usize) -> Error {
    Error::new(ErrorKind::Xpress(msg.into())).at(offset as u64)
}

/// Table-driven canonical Huffman decoder for the 512-symbol XPRESS alphabet.
///
/// Entries are `symbol | code_len << 16`; a primary entry with [`SUB_FLAG`] holds the start of a
/// 16-entry second-level table in `sub`, indexed by the 4 bits after the first 11.
struct DecodeTable {
    primary: [u32; 1 << TABLE_BITS],
    sub: Vec<u32>,
}

impl DecodeTable {
    /// Builds the table from the 256-byte length table (symbol `2i` in the low nibble of byte
    /// `i`, symbol `2i+1` in the high nibble, MS-XCA §2.1). Codes are canonical: assigned in
    /// order of (length, symbol). The code must be complete: an over-subscribed, incomplete or
    /// empty code is an error at offset 0.
    fn new(table: &[u8]) -> Result<Self> {
        let mut lens = [0u8; NUM_SYMBOLS];
        for (i, &b) in table.iter().take(TABLE_BYTES).enumerate() {
            lens[2 * i] = b & 0x0f;
            lens[2 * i + 1] = b >> 4;
        }
        let mut count = [0u32; MAX_CODE_LEN as usize + 1];
        for &l in &lens {
            count[usize::from(l)] += 1;
        }
        count[0] = 0;
        // Kraft check: the code must fill the code space exactly.
        let mut left: i64 = 1;
        for (len, &c) in count.iter().enumerate().skip(1) {
            left = (left << 1) - i64::from(c);
            if left < 0 {
                return Err(bad(
                    format!("Huffman code is over-subscribed at length {len}"),
                    0,
                ));
            }
        }
        if left != 0 {
            let used: u32 = count.iter().sum();
            return Err(bad(
                format!("Huffman code is incomplete ({used} symbols with nonzero length)"),
                0,
            ));
        }
        // First canonical code of each length.
        let mut next = [0u32; MAX_CODE_LEN as usize + 2];
        let mut code = 0u32;
        for len in 1..=MAX_CODE_LEN as usize {
            code = (code + count[len - 1]) << 1;
            next[len] = code;
        }
        let mut t = Self {
            primary: [0; 1 << TABLE_BITS],
            sub: Vec::new(),
        };
        // Symbols in canonical order (by length, then symbol), by counting sort.
        let mut start = [0usize; MAX_CODE_LEN as usize + 2];
        for len in 1..=MAX_CODE_LEN as usize {
            start[len + 1] = start[len] + count[len] as usize;
        }
        let mut sorted = [0u16; NUM_SYMBOLS];
        for (sym, &l) in lens.iter().enumerate() {
            if l != 0 {
                let slot = &mut start[usize::from(l)];
                sorted[*slot] = sym as u16;
                *slot += 1;
            }
        }
        let used = start[MAX_CODE_LEN as usize];
        for &sym in &sorted[..used] {
            let len = u32::from(lens[usize::from(sym)]);
            let code = next[len as usize];
            next[len as usize] += 1;
            let entry = u32::from(sym) | (len << 16);
            if len <= TABLE_BITS {
                let start = (code << (TABLE_BITS - len)) as usize;
                let n = 1usize << (TABLE_BITS - len);
                t.primary[start..start + n].fill(entry);
            } else {
                let prefix = (code >> (len - TABLE_BITS)) as usize;
                if t.primary[prefix] & SUB_FLAG == 0 {
                    let base = t.sub.len() as u32;
                    t.sub.resize(t.sub.len() + SUB_SIZE, 0);
                    t.primary[prefix] = SUB_FLAG | base;
                }
                let base = (t.primary[prefix] & !SUB_FLAG) as usize;
                let low = code & ((1 << (len - TABLE_BITS)) - 1);
                let start = base + (low << (MAX_CODE_LEN - len)) as usize;
                let n = 1usize << (MAX_CODE_LEN - len);
                t.sub[start..start + n].fill(entry);
            }
        }
        Ok(t)
    }

    /// Looks up the symbol whose code starts at bit 63 of `bits`; returns `(symbol, length)`.
    #[inline(always)]
    fn decode(&self, bits: u64) -> (usize, u32) {
        let mut e = self.primary[(bits >> (64 - TABLE_BITS)) as usize];
        if e & SUB_FLAG != 0 {
            let idx = ((bits >> (64 - MAX_CODE_LEN)) as usize) & (SUB_SIZE - 1);
            // A complete code fills every slot of every second-level table it creates.
            e = self
                .sub
                .get((e & !SUB_FLAG) as usize + idx)
                .copied()
                .unwrap_or(0);
        }
        ((e & 0xffff) as usize, e >> 16)
    }
}

/// The MS-XCA bit reader: 16-bit little-endian words consumed from their most significant bit,
/// with whole bytes (match length extensions) read at the current input position.
///
/// It keeps the exact refill schedule of MS-XCA (two words loaded at the start, one more
/// whenever fewer than 16 bits remain after a Huffman symbol or an offset field), because the
/// position of the extension bytes in the input depends on it.
struct BitReader<'a> {
    input: &'a [u8],
    /// Next unread byte of `input`.
    pos: usize,
    /// Left-aligned bit buffer: the next bit is bit 63.
    buf: u64,
    /// Valid bits in `buf`.
    bits: u32,
    /// Zero bytes supplied past the end of `input` (an error if any of them is consumed).
    pad: u32,
}

impl<'a> BitReader<'a> {
    fn new(input: &'a [u8], pos: usize) -> Self {
        let mut r = Self {
            input,
            pos,
            buf: 0,
            bits: 0,
            pad: 0,
        };
        r.load_word();
        r.load_word();
        r
    }

    #[inline(always)]
    fn load_word(&mut self) {
        let w = match self.input.get(self.pos..self.pos + 2) {
            Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
            _ => self.load_word_slow(),
        };
        self.buf |= u64::from(w) << (48 - self.bits);
        self.bits += 16;
        self.pos += 2;
    }

    #[cold]
    fn load_word_slow(&mut self) -> u16 {
        let lo = self.input.get(self.pos).copied();
        if lo.is_none() {
            self.pad += 1;
        }
        self.pad += 1;
        u16::from(lo.unwrap_or(0))
    }

    /// Consumes `n` (0..=15) bits already in the buffer, then refills if fewer than 16 remain.
    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.bits -= n;
        if self.bits < 16 {
            self.load_word();
        }
    }

    /// Reads `n` (0..=15) bits as an integer and refills.
    #[inline(always)]
    fn read_bits(&mut self, n: u32) -> u32 {
        let v = if n == 0 {
            0
        } else {
            (self.buf >> (64 - n)) as u32
        };
        self.consume(n);
        v
    }

    /// Byte position of the next unconsumed bit (for error messages).
    fn bit_pos(&self) -> usize {
        // `pos` counts the zero padding read past the end too; an offset is never past the end.
        self.pos
            .saturating_sub((self.bits / 8) as usize)
            .min(self.input.len())
    }

    /// Reads one whole byte at the current input position.
    fn read_u8(&mut self) -> Result<u8> {
        match self.input.get(self.pos) {
            Some(&b) if self.pad == 0 => {
                self.pos += 1;
                Ok(b)
            }
            _ => Err(self.exhausted("a match length byte")),
        }
    }

    /// Reads a little-endian `u16` at the current input position.
    fn read_u16(&mut self) -> Result<u16> {
        match self.input.get(self.pos..self.pos + 2) {
            Some(&[lo, hi]) if self.pad == 0 => {
                self.pos += 2;
                Ok(u16::from_le_bytes([lo, hi]))
            }
            _ => Err(self.exhausted("a 16-bit match length")),
        }
    }

    /// Reads a little-endian `u32` at the current input position.
    fn read_u32(&mut self) -> Result<u32> {
        match self.input.get(self.pos..self.pos + 4) {
            Some(&[a, b, c, d]) if self.pad == 0 => {
                self.pos += 4;
                Ok(u32::from_le_bytes([a, b, c, d]))
            }
            _ => Err(self.exhausted("a 32-bit match length")),
        }
    }

    fn exhausted(&self, what: &str) -> Error {
        bad(
            format!("input exhausted while reading {what}"),
            self.input.len(),
        )
    }

    /// Whether a bit that was never in the input (padding) has been consumed.
    fn overread(&self) -> bool {
        self.bits < self.pad * 8
    }
}

/// Decompresses one XPRESS (LZ77+Huffman) chunk into `out`, which must be exactly the chunk's
/// uncompressed size (at most 65536 bytes, one MS-XCA block; WIM chunks are at most
/// [`MAX_CHUNK`](super::MAX_CHUNK)).
///
/// Layout (MS-XCA §2.1, §2.2): a 256-byte table of 512 4-bit code lengths, then a bitstream of
/// 16-bit little-endian words read from their most significant bit, with the bytes of long
/// match lengths interleaved at the current input position. As in WIM, there is no
/// end-of-block symbol: decoding stops when `out` is full. Bytes after the last used bit are
/// ignored (encoders pad to whole words).
///
/// An empty `out` succeeds without reading `input`.
///
/// # Errors
/// [`ErrorKind::Xpress`] with the byte offset in `input` ([`Error::offset`]) when the length
/// table is shorter than 256 bytes, the Huffman code is over-subscribed, incomplete or empty, a
/// match offset points before the start of the output, a match runs past the end of `out`, a
/// length extension is invalid, or the input ends before `out` is full. `out.len() > 65536` is
/// an error at offset 0. Never panics, whatever the input.
pub fn decompress(input: &[u8], out: &mut [u8]) -> Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    if out.len() > BLOCK_SIZE {
        return Err(bad(
            format!(
                "output size {} exceeds the {BLOCK_SIZE}-byte XPRESS block",
                out.len()
            ),
            0,
        ));
    }
    if input.len() < TABLE_BYTES {
        return Err(bad(
            format!(
                "input of {} bytes ends inside the {TABLE_BYTES}-byte code length table",
                input.len()
            ),
            input.len(),
        ));
    }
    let table = DecodeTable::new(&input[..TABLE_BYTES])?;
    let mut r = BitReader::new(input, TABLE_BYTES);
    let end = out.len();
    let mut op = 0usize;
    while op < end {
        let (sym, len) = table.decode(r.buf);
        r.consume(len);
        if sym < 256 {
            out[op] = sym as u8;
            op += 1;
            continue;
        }
        let sym_pos = r.bit_pos();
        let m = sym - 256;
        let log2 = (m >> 4) as u32;
        let mut length = m & 15;
        if length == 15 {
            length = usize::from(r.read_u8()?);
            if length == 255 {
                let at = r.pos;
                length = usize::from(r.read_u16()?);
                if length == 0 {
                    length = r.read_u32()? as usize;
                }
                if length < 15 {
                    return Err(bad(
                        format!("match length extension {length} is below 15"),
                        at,
                    ));
                }
                length -= 15;
            }
            length += 15;
        }
        length = length.saturating_add(MIN_MATCH);
        let offset = ((1u32 << log2) | r.read_bits(log2)) as usize;
        if offset > op {
            return Err(bad(
                format!("match offset {offset} points before the start of the output (output position {op})"),
                sym_pos,
            ));
        }
        if length > end - op {
            return Err(bad(
                format!(
                    "match of length {length} at output position {op} runs past the end of the {end}-byte output"
                ),
                sym_pos,
            ));
        }
        copy_match(out, op, offset, length);
        op += length;
    }
    if r.overread() {
        return Err(r.exhausted("the bitstream"));
    }
    Ok(())
}

/// Copies `length` bytes from `op - offset` to `op`, the regions possibly overlapping (then
/// the source repeats with period `offset`). The caller checked `offset <= op` and
/// `op + length <= out.len()`.
///
/// (A fixed-step copy of short matches, 16 or 8 bytes at a time past the match end, was tried
/// in issue #15 and measured slower here: criterion `xpress/text/decode` +4 %, `wim/*/read/xpress`
/// +8 % on the development machine; `copy_within` of the exact length is kept.)
#[inline(always)]
fn copy_match(out: &mut [u8], op: usize, offset: usize, length: usize) {
    let src = op - offset;
    if offset >= length {
        out.copy_within(src..src + length, op);
    } else if offset == 1 {
        let b = out[src];
        out[op..op + length].fill(b);
    } else {
        // [src, op + done) has period `offset`, so it can be copied forward in growing pieces.
        let mut done = 0;
        while done < length {
            let n = (length - done).min(offset + done);
            out.copy_within(src..src + n, op + done);
            done += n;
        }
    }
}
