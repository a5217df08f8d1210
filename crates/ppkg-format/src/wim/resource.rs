//! Resources: reading and writing the bytes behind a [`ResourceHeader`].
//!
//! An uncompressed resource is the blob's bytes. A compressed one (resource flag `COMPRESSED`)
//! is a chunk table then the chunks (FORMAT.md §1, the WIM paper): the blob is cut into chunks of
//! the header's chunk size (32 KiB); the table holds the start of chunks 2..n relative to the end
//! of the table, as u32 while the uncompressed size fits in 32 bits and u64 above; a chunk whose
//! stored size equals its uncompressed size is stored raw, any other is one XPRESS block.

use std::io::{self, Read, Seek, SeekFrom, Write};

use sha1::{Digest, Sha1};

use super::header::{ResourceHeader, RESHDR_COMPRESSED};
use crate::error::{Error, ErrorKind, Result};
use crate::xpress;

/// Chunk size the writer uses: 32 KiB, as WCD and wimlib.
pub(crate) const CHUNK: usize = 32 * 1024;

/// Largest chunk table this reader loads: 4 MiB (1 Mi chunks, a 32 GiB blob at 32 KiB; the
/// largest payloads of real packages are MSIs under 100 MB). Held as 8-byte offsets, 8 MiB.
pub(crate) const MAX_CHUNK_TABLE_BYTES: u64 = 4 << 20;

/// Hex of a SHA-1, for messages.
pub(crate) fn hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// Wraps our error in an `io::Error` (for `Read` impls); [`from_io`] unwraps it again.
pub(crate) fn to_io(e: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Turns an `io::Error` back into our error, unwrapping one made by [`to_io`].
pub(crate) fn from_io(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = e.into_inner() {
            if let Ok(ours) = inner.downcast::<Error>() {
                return *ours;
            }
        }
        return Error::malformed("unreadable error");
    }
    Error::from(e)
}

/// A streaming reader of one resource's uncompressed bytes that checks the SHA-1 (when one is
/// expected) at the end: reading past the last byte returns the mismatch as an error of kind
/// `InvalidData` whose inner error is a [`ErrorKind::HashMismatch`]. Memory: one chunk (32 KiB)
/// plus its stored form, plus the chunk table (8 bytes per chunk).
pub struct BlobReader<'a, R: Read + Seek> {
    inner: &'a mut R,
    res: ResourceHeader,
    /// Absolute start of each chunk's stored bytes, plus the end of the last one.
    chunk_starts: Vec<u64>,
    chunk_size: u64,
    next_chunk: usize,
    /// Uncompressed bytes of the current chunk (compressed resources) or a read buffer.
    buf: Vec<u8>,
    stored: Vec<u8>,
    buf_pos: usize,
    buf_len: usize,
    /// Uncompressed bytes not yet delivered to the caller.
    remaining: u64,
    /// Next absolute read position (uncompressed resources).
    raw_pos: u64,
    hasher: Sha1,
    expected: Option<[u8; 20]>,
    verified: bool,
    part: String,
}

impl<'a, R: Read + Seek> BlobReader<'a, R> {
    /// Opens a resource already checked against the file (offset + stored size within it).
    /// For compressed resources this reads and checks the chunk table.
    pub(crate) fn new(
        inner: &'a mut R,
        res: ResourceHeader,
        chunk_size: u32,
        expected: Option<[u8; 20]>,
        part: &str,
    ) -> Result<Self> {
        let mut r = Self {
            inner,
            res,
            chunk_starts: Vec::new(),
            chunk_size: u64::from(chunk_size),
            next_chunk: 0,
            buf: Vec::new(),
            stored: Vec::new(),
            buf_pos: 0,
            buf_len: 0,
            remaining: res.original_size,
            raw_pos: res.offset,
            hasher: Sha1::new(),
            expected,
            verified: false,
            part: part.to_owned(),
        };
        if res.is_compressed() && res.original_size > 0 {
            r.load_chunk_table()?;
        }
        Ok(r)
    }

    /// The absolute start of each chunk's stored bytes plus the end of the last one (empty for
    /// an uncompressed resource), as checked by [`BlobReader::new`].
    pub(crate) fn into_chunk_starts(self) -> Vec<u64> {
        self.chunk_starts
    }

    fn load_chunk_table(&mut self) -> Result<()> {
        let res = self.res;
        let (_, _, table_len) = chunk_table_shape(res, self.chunk_size, &self.part)?;
        let mut table = vec![0u8; table_len as usize];
        self.inner.seek(SeekFrom::Start(res.offset))?;
        self.inner
            .read_exact(&mut table)
            .map_err(|e| Error::from(e).at(res.offset).in_part(self.part.clone()))?;
        self.chunk_starts = parse_chunk_table(res, self.chunk_size, &table, &self.part)?;
        Ok(())
    }

    fn fill(&mut self) -> Result<()> {
        if self.res.is_compressed() {
            let i = self.next_chunk;
            let (a, b) = (self.chunk_starts[i], self.chunk_starts[i + 1]);
            let cs = self.chunk_size;
            let ulen = cs.min(self.res.original_size - i as u64 * cs) as usize;
            let slen = (b - a) as usize;
            self.buf.resize(ulen, 0);
            self.inner.seek(SeekFrom::Start(a))?;
            if slen == ulen {
                self.inner
                    .read_exact(&mut self.buf[..ulen])
                    .map_err(|e| Error::from(e).at(a).in_part(self.part.clone()))?;
            } else {
                self.stored.resize(slen, 0);
                self.inner
                    .read_exact(&mut self.stored)
                    .map_err(|e| Error::from(e).at(a).in_part(self.part.clone()))?;
                xpress::decompress(&self.stored, &mut self.buf[..ulen]).map_err(|e| {
                    let off = a + e.offset().unwrap_or(0);
                    Error::new(e.kind().clone())
                        .at(off)
                        .in_part(self.part.clone())
                })?;
            }
            self.next_chunk += 1;
            self.buf_len = ulen;
        } else {
            let want = self.remaining.min(64 * 1024) as usize;
            self.buf.resize(want, 0);
            self.inner.seek(SeekFrom::Start(self.raw_pos))?;
            self.inner
                .read_exact(&mut self.buf[..want])
                .map_err(|e| Error::from(e).at(self.raw_pos).in_part(self.part.clone()))?;
            self.raw_pos += want as u64;
            self.buf_len = want;
        }
        self.buf_pos = 0;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.verified {
            return Ok(());
        }
        self.verified = true;
        if let Some(exp) = self.expected {
            let got: [u8; 20] = self.hasher.finalize_reset().into();
            if got != exp {
                return Err(Error::new(ErrorKind::HashMismatch {
                    expected: hex(&exp),
                    actual: hex(&got),
                })
                .at(self.res.offset)
                .in_part(self.part.clone()));
            }
        }
        Ok(())
    }
}

/// The shape of a compressed resource's chunk table: (chunks, bytes per entry, table bytes),
/// checked against the resource (table size cap, at least one stored byte per chunk).
pub(crate) fn chunk_table_shape(
    res: ResourceHeader,
    cs: u64,
    part: &str,
) -> Result<(u64, u64, u64)> {
    if cs == 0 {
        return Err(
            Error::malformed("compressed resource in a WIM with chunk size 0")
                .at(res.offset)
                .in_part(part.to_owned()),
        );
    }
    let n = res.original_size.div_ceil(cs);
    let entry = if res.original_size > u64::from(u32::MAX) {
        8
    } else {
        4
    };
    let table_len = n.saturating_sub(1).saturating_mul(entry);
    if table_len > MAX_CHUNK_TABLE_BYTES {
        return Err(Error::new(ErrorKind::LimitExceeded {
            what: "chunk table size".into(),
            value: table_len,
            limit: MAX_CHUNK_TABLE_BYTES,
        })
        .at(res.offset)
        .in_part(part.to_owned()));
    }
    // Each chunk needs at least one stored byte.
    if table_len.saturating_add(n) > res.size_in_wim {
        return Err(Error::malformed(format!(
            "compressed resource of {} bytes cannot hold {n} chunks of a {}-byte blob",
            res.size_in_wim, res.original_size
        ))
        .at(res.offset)
        .in_part(part.to_owned()));
    }
    Ok((n, entry, table_len))
}

/// Parses and checks a compressed resource's chunk table (`table`: the table's bytes, as sized
/// by [`chunk_table_shape`]); returns the absolute start of each chunk's stored bytes plus the
/// end of the last one.
pub(crate) fn parse_chunk_table(
    res: ResourceHeader,
    cs: u64,
    table: &[u8],
    part: &str,
) -> Result<Vec<u64>> {
    let (n, entry, table_len) = chunk_table_shape(res, cs, part)?;
    if table.len() as u64 != table_len {
        return Err(Error::malformed(format!(
            "chunk table of {} bytes, {table_len} expected",
            table.len()
        ))
        .at(res.offset)
        .in_part(part.to_owned()));
    }
    let data_start = res.offset + table_len;
    let data_len = res.size_in_wim - table_len;
    let mut starts = Vec::with_capacity(n as usize + 1);
    starts.push(0u64);
    for e in table.chunks_exact(entry as usize) {
        let v = if entry == 8 {
            super::header::le64(e)
        } else {
            u64::from(super::header::le32(e))
        };
        starts.push(v);
    }
    starts.push(data_len);
    for i in 0..n as usize {
        let (a, b) = (starts[i], starts[i + 1]);
        let ulen = cs.min(res.original_size - i as u64 * cs);
        if b <= a || b - a > ulen {
            return Err(Error::malformed(format!(
                "chunk {i} of the resource has stored bounds {a}..{b} (uncompressed {ulen} \
                 bytes, {data_len} stored bytes after the chunk table)"
            ))
            .at(res.offset + (i.saturating_sub(1) as u64) * entry)
            .in_part(part.to_owned()));
        }
    }
    for s in &mut starts {
        *s += data_start;
    }
    Ok(starts)
}

impl<R: Read + Seek> Read for BlobReader<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.buf_pos == self.buf_len {
            if self.remaining == 0 {
                self.finish().map_err(to_io)?;
                return Ok(0);
            }
            self.fill().map_err(to_io)?;
        }
        let n = (self.buf_len - self.buf_pos)
            .min(out.len())
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let chunk = &self.buf[self.buf_pos..self.buf_pos + n];
        out[..n].copy_from_slice(chunk);
        self.hasher.update(chunk);
        self.buf_pos += n;
        self.remaining -= n as u64;
        if self.remaining == 0 {
            self.finish().map_err(to_io)?;
        }
        Ok(n)
    }
}

/// What [`write_resource`] wrote.
pub(crate) struct Written {
    pub(crate) header: ResourceHeader,
    pub(crate) sha1: [u8; 20],
}

/// Writes one blob read from `src` (exactly `size` bytes expected) at the writer's current
/// position `pos` (absolute offset in the WIM, relative to its start), compressed in chunks of
/// [`CHUNK`] bytes when `compress` is `Some`.
///
/// A one-chunk blob whose chunk does not shrink is written uncompressed (resource flags 0), as
/// WCD does for its small XML files. A larger blob is written compressed in one streaming pass
/// (a streaming writer cannot take back a chunk table): chunks that do not shrink are stored
/// raw, and after a first chunk that did not shrink only one chunk in [`SAMPLE_EVERY`] is tried
/// until one shrinks (an incompressible payload then costs its chunk table, 4 bytes per 32 KiB,
/// 0.012 %, instead of compressing it all to find out).
/// Chunks compressed together in one parallel batch: 32 × 32 KiB = 1 MiB of input held at a
/// time, enough to keep a few cores busy without growing memory with the resource.
pub(crate) const PARALLEL_BATCH: usize = 32;

thread_local! {
    /// One XPRESS compressor per worker thread (its tables are about 200 KiB).
    static COMPRESSOR: std::cell::RefCell<super::codec::Compressor> =
        std::cell::RefCell::new(super::codec::Compressor::new());
}

/// Compresses `ulens.len()` chunks laid out every `CHUNK` bytes in `ubuf` into `cbufs`,
/// recording each compressed length in `clens`: in parallel (rayon's pool, one compressor per
/// thread) when there is more than one chunk, else with the caller's compressor. A chunk whose
/// `attempt` is false is not compressed (its length is recorded as `usize::MAX`: stored raw).
pub(crate) fn compress_batch(
    comp: &mut super::codec::Compressor,
    ubuf: &[u8],
    ulens: &[usize],
    attempt: &[bool],
    cbufs: &mut [Vec<u8>],
    clens: &mut [usize],
) {
    use rayon::prelude::*;
    if ulens.len() == 1 {
        cbufs[0].clear();
        clens[0] = if attempt[0] {
            comp.compress(&ubuf[..ulens[0]], &mut cbufs[0])
        } else {
            usize::MAX
        };
        return;
    }
    cbufs
        .par_iter_mut()
        .zip(clens.par_iter_mut())
        .zip(
            ubuf.par_chunks(CHUNK)
                .zip(ulens.par_iter().zip(attempt.par_iter())),
        )
        .for_each(|((cbuf, clen), (chunk, (&ulen, &go)))| {
            cbuf.clear();
            *clen = if go {
                COMPRESSOR.with(|c| c.borrow_mut().compress(&chunk[..ulen], cbuf))
            } else {
                usize::MAX
            };
        });
}

/// After a blob's first chunk did not shrink, one chunk in this many is still tried; when one
/// of them shrinks, every chunk after its batch is compressed again. Random data (encrypted or
/// already compressed payloads) is then stored raw at a sixteenth of the compression work.
pub(crate) const SAMPLE_EVERY: u64 = 16;

pub(crate) fn write_resource<W: Write + Seek>(
    out: &mut W,
    pos: u64,
    src: &mut dyn Read,
    size: u64,
    compress: Option<&mut super::codec::Compressor>,
    extra_flags: u8,
    part: &str,
) -> Result<Written> {
    write_resource_hashed(out, pos, src, size, compress, extra_flags, part, None)
}

/// [`write_resource`], also feeding every byte read to `sha256` (alongside the SHA-1, on the
/// hashing side of each batch): the DataAsset key of a payload is its SHA-256, and computing it
/// here spares a second read of the payload (issue #15).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_resource_hashed<W: Write + Seek>(
    out: &mut W,
    pos: u64,
    src: &mut dyn Read,
    size: u64,
    compress: Option<&mut super::codec::Compressor>,
    extra_flags: u8,
    part: &str,
    mut sha256: Option<&mut sha2::Sha256>,
) -> Result<Written> {
    let chunk_size = CHUNK;
    let mut hasher = Sha1::new();
    let size_in_wim;
    let mut flags = extra_flags;
    match compress {
        Some(comp) if size > 0 => {
            let cs = chunk_size as u64;
            let n = size.div_ceil(cs);
            let entry: u64 = if size > u64::from(u32::MAX) { 8 } else { 4 };
            let table_len = (n - 1) * entry;
            let table_pos = out.stream_position()?;
            if n > 1 {
                io::copy(&mut io::repeat(0).take(table_len), out)?;
            }
            let mut table = Vec::with_capacity((n - 1) as usize * entry as usize);
            let mut data_len = 0u64;
            let mut all_raw = true;
            // Chunks are read in batches of up to PARALLEL_BATCH, compressed in parallel (each
            // chunk is an independent XPRESS block and the compressor resets its tables per
            // chunk, so the bytes do not depend on the thread count), and written in order.
            let batch = PARALLEL_BATCH.min(n as usize);
            // A one-chunk blob (most XML files of a package) needs only its own size: no
            // zeroed 32 KiB per file when thousands of small packages are built.
            let unit = if n == 1 { size as usize } else { chunk_size };
            let mut ubuf = vec![0u8; batch * unit];
            let mut cbufs: Vec<Vec<u8>> = (0..batch)
                .map(|_| Vec::with_capacity(unit + unit / 8 + 512))
                .collect();
            let mut clens = vec![0usize; batch];
            // One pass (issue 15): each batch is hashed while it is compressed. Whether to
            // compress is decided as the blob goes: every chunk while the first one shrank,
            // else one chunk in SAMPLE_EVERY until one of them shrinks. Decisions depend only
            // on the data (batches are PARALLEL_BATCH chunks whatever the thread count).
            let mut all = true;
            let mut attempt = [true; PARALLEL_BATCH];
            let mut i = 0u64;
            while i < n {
                let k = batch.min((n - i) as usize);
                let ulens = read_chunks(src, &mut ubuf, i, k, size, part, |_| {})?;
                for (j, a) in attempt.iter_mut().enumerate().take(k) {
                    *a = all || (i + j as u64) % SAMPLE_EVERY == 0;
                }
                let data = &ubuf[..(k - 1) * chunk_size + ulens[k - 1]];
                let mut hash = || {
                    for j in 0..k {
                        let c = &data[j * chunk_size..j * chunk_size + ulens[j]];
                        hasher.update(c);
                        if let Some(h) = sha256.as_deref_mut() {
                            h.update(c);
                        }
                    }
                };
                let mut compress = || {
                    compress_batch(
                        comp,
                        data,
                        &ulens[..k],
                        &attempt[..k],
                        &mut cbufs[..k],
                        &mut clens[..k],
                    )
                };
                if k == 1 {
                    // One chunk (every small file): hashing beside compressing is not worth a
                    // hand-off to the thread pool, which from a thread outside it costs a
                    // wake-up and a wait (criterion `bulk/packages_x100`: +23 % with it).
                    hash();
                    compress();
                } else {
                    let ((), ()) = rayon::join(hash, compress);
                }
                if i == 0 && n > 1 && clens[0] >= ulens[0] {
                    all = false;
                } else if !all && (0..k).any(|j| attempt[j] && clens[j] < ulens[j]) {
                    all = true;
                }
                for j in 0..k {
                    if i + j as u64 > 0 {
                        if entry == 8 {
                            table.extend_from_slice(&data_len.to_le_bytes());
                        } else {
                            table.extend_from_slice(&(data_len as u32).to_le_bytes());
                        }
                    }
                    let (ulen, clen, cbuf) = (ulens[j], clens[j], &cbufs[j]);
                    if clen < ulen && cbuf.len() == clen {
                        out.write_all(cbuf)?;
                        data_len += clen as u64;
                        all_raw = false;
                    } else {
                        out.write_all(&ubuf[j * chunk_size..j * chunk_size + ulen])?;
                        data_len += ulen as u64;
                    }
                }
                i += k as u64;
            }
            if n == 1 && all_raw {
                size_in_wim = size;
            } else {
                flags |= RESHDR_COMPRESSED;
                size_in_wim = table_len + data_len;
                if n > 1 {
                    let end = out.stream_position()?;
                    out.seek(SeekFrom::Start(table_pos))?;
                    out.write_all(&table)?;
                    out.seek(SeekFrom::Start(end))?;
                }
            }
        }
        _ => {
            let mut chunk = vec![0u8; chunk_size.min(size as usize)];
            let mut left = size;
            while left > 0 {
                let n = left.min(chunk_size as u64) as usize;
                read_exact_src(src, &mut chunk[..n], part)?;
                hasher.update(&chunk[..n]);
                if let Some(h) = sha256.as_deref_mut() {
                    h.update(&chunk[..n]);
                }
                out.write_all(&chunk[..n])?;
                left -= n as u64;
            }
            size_in_wim = size;
        }
    }
    // The source must end where its size said.
    let mut probe = [0u8; 1];
    if src.read(&mut probe)? != 0 {
        return Err(Error::invalid_input(format!(
            "'{part}' grew while it was being written (more than {size} bytes)"
        )));
    }
    Ok(Written {
        header: ResourceHeader {
            size_in_wim,
            flags,
            offset: pos,
            original_size: size,
        },
        sha1: hasher.finalize().into(),
    })
}

/// Reads chunks `first..first + k` of a `size`-byte source (each [`CHUNK`] bytes, the last
/// one possibly shorter) into `ubuf` at [`CHUNK`] strides, passing each to `each` as it is
/// read; returns their lengths (the first `k` entries).
pub(crate) fn read_chunks(
    src: &mut dyn Read,
    ubuf: &mut [u8],
    first: u64,
    k: usize,
    size: u64,
    part: &str,
    mut each: impl FnMut(&[u8]),
) -> Result<[usize; PARALLEL_BATCH]> {
    let cs = CHUNK as u64;
    let mut ulens = [0usize; PARALLEL_BATCH];
    for (j, ulen) in ulens.iter_mut().enumerate().take(k) {
        *ulen = cs.min(size - (first + j as u64) * cs) as usize;
        let c = &mut ubuf[j * CHUNK..j * CHUNK + *ulen];
        read_exact_src(src, c, part)?;
        each(c);
    }
    Ok(ulens)
}

pub(crate) fn read_exact_src(src: &mut dyn Read, buf: &mut [u8], part: &str) -> Result<()> {
    src.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::invalid_input(format!("'{part}' shrank while it was being written"))
        } else {
            Error::from(e).in_part(part.to_owned())
        }
    })
}
