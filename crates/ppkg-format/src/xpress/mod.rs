//! The XPRESS codec ("LZ77+Huffman", Microsoft MS-XCA §2.1–2.2) as WIM uses it.
//!
//! WIM compresses each 32 KiB chunk of a resource independently ([`MAX_CHUNK`]); a chunk that
//! does not shrink is stored raw, so the caller compares the compressed size with the input
//! size. Each compressed chunk is one MS-XCA block:
//!
//! - 256 bytes: the 4-bit code lengths of the 512 symbols (symbol `2i` in the low nibble of
//!   byte `i`), canonical Huffman codes of at most 15 bits;
//! - a bitstream of 16-bit little-endian words, read from their most significant bit: symbols
//!   0–255 are literals, 256–511 are matches whose low 4 bits are a length header (length − 3,
//!   15 = "read a length byte, and if that is 255 a `u16`") and whose high 4 bits are the
//!   number of offset bits after the implicit leading 1 (offsets 1 to 65535);
//! - then the end-of-data symbol 256, which MS-XCA's compressor writes; a WIM reader knows each
//!   chunk's uncompressed size and stops before it, but wimlib writes it too ("needed for MS
//!   compatibility"), and so does [`Compressor`].
//!
//! - [`decompress`] decodes one chunk into a caller-sized buffer and rejects malformed input
//!   with an [`ErrorKind::Xpress`](crate::ErrorKind::Xpress) error at a byte offset.
//! - [`Compressor`] (reusable) and [`compress`] encode one chunk: hash-chain match finder with
//!   lazy matching, Huffman codes from the chunk's real symbol frequencies.
//!
//! ```
//! use ppkg_format::xpress;
//!
//! let text = b"<parm name=\"UPN\"/><parm name=\"UPN\"/><parm name=\"UPN\"/>".repeat(100);
//! let mut c = xpress::Compressor::new();
//! let mut chunk = Vec::new();
//! let n = c.compress(&text, &mut chunk);
//! assert!(n < text.len()); // else WIM stores the chunk raw
//! let mut back = vec![0; text.len()];
//! xpress::decompress(&chunk, &mut back)?;
//! assert_eq!(back, text);
//! # Ok::<(), ppkg_format::Error>(())
//! ```

mod decode;
mod encode;
mod huffman;

pub use decode::decompress;
pub use encode::{compress, Compressor};

/// Largest uncompressed chunk WIM uses with XPRESS: 32768 bytes (the WIM header's chunk size).
pub const MAX_CHUNK: usize = 32768;

/// Largest MS-XCA block: a new length table starts every 65536 output bytes.
const BLOCK_SIZE: usize = 65536;
/// Symbols: 256 literals + 256 match headers.
const NUM_SYMBOLS: usize = 512;
/// Bytes of the code length table (two 4-bit lengths per byte).
const TABLE_BYTES: usize = NUM_SYMBOLS / 2;
/// Longest Huffman code (a 4-bit length).
const MAX_CODE_LEN: u32 = 15;
/// Shortest match.
const MIN_MATCH: usize = 3;
