//! Parallel streaming of many blobs in on-disk order: the engine behind
//! [`super::WimReader::extract_to`] and [`super::WimReader::verify_all`].
//!
//! The blobs are visited in the order of their offsets in the file, so the file is read
//! front to back. Work goes in windows of at most [`WINDOW_BYTES`] stored bytes (and as many
//! uncompressed): the calling thread reads a window (sequentially) and decodes its XPRESS chunks
//! (with helper threads on machines of more than two cores) and hashes it (SHA-1, in order),
//! while a second thread hands the previous windows to the sinks (files being written, the
//! kernel copying the bytes): decoding, hashing and writing run on every core. Memory: at most four windows (4 × 4 MiB), the chunk tables of the
//! blobs in flight, and one sink per blob in flight.
//!
//! Every blob's SHA-1 is checked after its last byte; a sink is finished (a file renamed to its
//! final name) only after that check, and aborted (its temporary file removed) on any error.

use std::io::{Read, Seek, SeekFrom};

use sha1::{Digest, Sha1};

use super::header::ResourceHeader;
use super::resource::{hex, BlobReader};
use crate::error::{Error, ErrorKind, Result};
use crate::xpress;

/// Most stored bytes read in one window (and most uncompressed bytes decoded in one): 2 MiB,
/// 64 chunks of 32 KiB, enough to keep both cores busy decoding.
const WINDOW_BYTES: usize = 2 << 20;
/// Piece of an uncompressed resource handled as one unit.
const RAW_UNIT: u64 = 256 << 10;

/// One blob to stream: where it is stored, its SHA-1, and a name for errors.
pub(crate) struct Job<'a> {
    pub(crate) res: ResourceHeader,
    pub(crate) sha1: [u8; 20],
    pub(crate) part: &'a str,
}

/// What receives each blob's bytes. `open` is called before a blob's first byte, `data` with its
/// bytes in order, then `finish` after its SHA-1 was checked, or `abort` on any error.
pub(crate) trait Sinks: Sync {
    /// State of one blob in flight.
    type S: Send;
    fn open(&self, job: usize) -> Result<Self::S>;
    fn data(&self, s: &mut Self::S, bytes: &[u8]) -> Result<()>;
    fn finish(&self, s: Self::S, job: usize) -> Result<()>;
    fn abort(&self, s: Self::S);
}

#[derive(Clone, Copy)]
struct Unit {
    job: usize,
    /// Absolute offset of the stored bytes in the WIM (for errors).
    abs: u64,
    /// Offset of the stored bytes in the window's `stored` buffer.
    stored_off: usize,
    slen: usize,
    ulen: usize,
    compressed: bool,
    /// Offset of the decoded bytes in the window's `out` buffer (compressed units).
    out_off: usize,
    /// Last unit of its blob.
    last: bool,
}

#[derive(Default)]
struct Window {
    stored: Vec<u8>,
    out: Vec<u8>,
    units: Vec<Unit>,
    /// Blobs whose last byte is in this window and whose SHA-1 differs: (job, SHA-1 found).
    bad: Vec<(usize, [u8; 20])>,
}

impl Window {
    fn bytes(&self, u: &Unit) -> (bool, usize, usize) {
        if u.compressed {
            (true, u.out_off, u.out_off + u.ulen)
        } else {
            (false, u.stored_off, u.stored_off + u.ulen)
        }
    }
}

/// The reading side: which blob and unit comes next.
struct Cursor<'j, 'p> {
    jobs: &'j [Job<'p>],
    chunk_size: u32,
    job: usize,
    unit: usize,
    /// Units of the current blob, and for a compressed blob its chunk starts.
    units_in_job: usize,
    starts: Vec<u64>,
    loaded: bool,
    pos: Option<u64>,
}

impl Cursor<'_, '_> {
    fn done(&self) -> bool {
        self.job >= self.jobs.len()
    }

    /// Reads the next window's stored bytes into `w` (its buffers reused).
    fn read_window<R: Read + Seek>(&mut self, inner: &mut R, w: &mut Window) -> Result<()> {
        // The buffers keep their length from window to window (only their first bytes are
        // used): zeroing 4 MiB per window again was 15 % of an extraction's user time.
        w.units.clear();
        let mut stored_len = 0usize;
        let mut out_len = 0usize;
        while !self.done() && stored_len < WINDOW_BYTES && out_len < WINDOW_BYTES {
            let j = &self.jobs[self.job];
            let res = j.res;
            if !self.loaded {
                if res.is_compressed() {
                    let r = BlobReader::new(inner, res, self.chunk_size, None, j.part)?;
                    self.starts = r.into_chunk_starts();
                    self.units_in_job = self.starts.len().saturating_sub(1);
                    // The chunk table read moved the file position.
                    self.pos = None;
                } else {
                    self.starts.clear();
                    self.units_in_job = res.original_size.div_ceil(RAW_UNIT) as usize;
                }
                self.loaded = true;
            }
            let k = self.unit;
            let (a, slen, ulen, compressed) = if res.is_compressed() {
                let cs = u64::from(self.chunk_size);
                let (a, b) = (self.starts[k], self.starts[k + 1]);
                let ulen = cs.min(res.original_size - k as u64 * cs) as usize;
                let slen = (b - a) as usize;
                (a, slen, ulen, slen != ulen)
            } else {
                let ulen = RAW_UNIT.min(res.original_size - k as u64 * RAW_UNIT) as usize;
                (res.offset + k as u64 * RAW_UNIT, ulen, ulen, false)
            };
            if self.pos != Some(a) {
                inner.seek(SeekFrom::Start(a))?;
            }
            let at = stored_len;
            stored_len += slen;
            if w.stored.len() < stored_len {
                w.stored.resize(stored_len, 0);
            }
            inner
                .read_exact(&mut w.stored[at..stored_len])
                .map_err(|e| Error::from(e).at(a).in_part(j.part.to_owned()))?;
            self.pos = Some(a + slen as u64);
            self.unit += 1;
            let last = self.unit == self.units_in_job;
            w.units.push(Unit {
                job: self.job,
                abs: a,
                stored_off: at,
                slen,
                ulen,
                compressed,
                out_off: if compressed { out_len } else { 0 },
                last,
            });
            if compressed {
                out_len += ulen;
            }
            if last {
                self.job += 1;
                self.unit = 0;
                self.loaded = false;
            }
        }
        if w.out.len() < out_len {
            w.out.resize(out_len, 0);
        }
        Ok(())
    }
}

/// Decodes a window's compressed units, on `threads` threads (the caller's included).
fn decode_window(w: &mut Window, jobs: &[Job<'_>], threads: usize) -> Result<()> {
    let mut slices: Vec<(Unit, &mut [u8])> = Vec::with_capacity(w.units.len());
    let mut rest: &mut [u8] = &mut w.out;
    for u in w.units.iter().filter(|u| u.compressed) {
        let (head, tail) = rest.split_at_mut(u.ulen);
        slices.push((*u, head));
        rest = tail;
    }
    let stored = &w.stored;
    let decode = |group: &mut [(Unit, &mut [u8])]| -> Result<()> {
        for (u, out) in group.iter_mut() {
            xpress::decompress(&stored[u.stored_off..u.stored_off + u.slen], out).map_err(|e| {
                Error::new(e.kind().clone())
                    .at(u.abs + e.offset().unwrap_or(0))
                    .in_part(jobs[u.job].part.to_owned())
            })?;
        }
        Ok(())
    };
    if threads <= 1 || slices.len() < 2 {
        return decode(&mut slices);
    }
    let per = slices.len().div_ceil(threads);
    std::thread::scope(|s| {
        let mut groups = slices.chunks_mut(per);
        let first = groups.next();
        let handles: Vec<_> = groups.map(|g| s.spawn(|| decode(g))).collect();
        let mut result = first.map_or(Ok(()), decode);
        for h in handles {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(Error::malformed("a decoding thread panicked")));
            result = result.and(r);
        }
        result
    })
}

/// One blob's units in a window, with its state when it is already open.
type Segment<S> = (Option<Open<S>>, std::ops::Range<usize>, usize);

/// A blob in flight on the sink side.
struct Open<S> {
    job: usize,
    sink: S,
}

/// Hashes a decoded window's bytes in order (on the reading side, so that hashing and writing
/// run on different cores), carrying the hash of a blob that continues into the next window, and
/// records every blob that ends here with the wrong SHA-1.
fn hash_window(w: &mut Window, jobs: &[Job<'_>], hashing: &mut Option<(usize, Sha1)>) {
    w.bad.clear();
    for u in &w.units {
        let (dec, a, b) = w.bytes(u);
        let bytes = if dec { &w.out[a..b] } else { &w.stored[a..b] };
        let h = match hashing {
            Some((job, h)) if *job == u.job => h,
            _ => &mut hashing.insert((u.job, Sha1::new())).1,
        };
        h.update(bytes);
        if u.last {
            if let Some((job, h)) = hashing.take() {
                let got: [u8; 20] = h.finalize().into();
                if got != jobs[job].sha1 {
                    w.bad.push((job, got));
                }
            }
        }
    }
}

/// Hands a window's bytes to the sinks, finishing each blob that ends here (or aborting it when
/// [`hash_window`] found its SHA-1 wrong). `carry` is the blob
/// left open by the previous window (its first units are in this one); the blob left open at
/// the end of this window is returned in it.
fn sink_window<K: Sinks>(
    w: &Window,
    jobs: &[Job<'_>],
    sinks: &K,
    carry: &mut Option<Open<K::S>>,
) -> Result<()> {
    // Segments: runs of units of one blob.
    let mut segs: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for (i, u) in w.units.iter().enumerate() {
        match segs.last_mut() {
            Some((job, r)) if *job == u.job => r.end = i + 1,
            _ => segs.push((u.job, i..i + 1)),
        }
    }
    let mut work: Vec<Segment<K::S>> = Vec::with_capacity(segs.len());
    for (n, (job, r)) in segs.into_iter().enumerate() {
        let open = if n == 0 {
            match carry.take() {
                Some(o) if o.job == job => Some(o),
                Some(o) => {
                    sinks.abort(o.sink);
                    None
                }
                None => None,
            }
        } else {
            None
        };
        work.push((open, r, job));
    }
    let run = |(open, r, job): &mut Segment<K::S>| -> Result<()> {
        if open.is_none() {
            *open = Some(Open {
                job: *job,
                sink: sinks.open(*job)?,
            });
        }
        let Some(o) = open.as_mut() else {
            return Ok(());
        };
        // Adjacent units whose bytes are contiguous in one buffer go out as one slice.
        let mut pending: Option<(bool, usize, usize)> = None;
        let flush = |p: Option<(bool, usize, usize)>, o: &mut Open<K::S>| -> Result<()> {
            if let Some((dec, a, b)) = p {
                let bytes = if dec { &w.out[a..b] } else { &w.stored[a..b] };
                sinks.data(&mut o.sink, bytes)?;
            }
            Ok(())
        };
        for u in &w.units[r.clone()] {
            let (dec, a, b) = w.bytes(u);
            pending = match pending {
                Some((pd, pa, pb)) if pd == dec && pb == a => Some((pd, pa, b)),
                p => {
                    flush(p, o)?;
                    Some((dec, a, b))
                }
            };
        }
        flush(pending.take(), o)?;
        let finished = w.units[r.end - 1].last;
        if finished {
            if let Some(o) = open.take() {
                let j = &jobs[o.job];
                if let Some((_, got)) = w.bad.iter().find(|(b, _)| *b == o.job) {
                    sinks.abort(o.sink);
                    return Err(Error::new(ErrorKind::HashMismatch {
                        expected: hex(&j.sha1),
                        actual: hex(got),
                    })
                    .at(j.res.offset)
                    .in_part(j.part.to_owned()));
                }
                sinks.finish(o.sink, o.job)?;
            }
        }
        Ok(())
    };
    let mut result = Vec::with_capacity(work.len());
    for seg in work.iter_mut() {
        let r = run(seg);
        let failed = r.is_err();
        result.push(r);
        if failed {
            break;
        }
    }
    // The last segment may stay open for the next window; on error every open blob is aborted.
    let first_err = result.into_iter().find_map(|r| r.err());
    let mut opens: Vec<Open<K::S>> = work.into_iter().filter_map(|(o, _, _)| o).collect();
    if let Some(e) = first_err {
        for o in opens {
            sinks.abort(o.sink);
        }
        return Err(e);
    }
    debug_assert!(opens.len() <= 1);
    *carry = opens.pop();
    Ok(())
}

/// Streams `jobs` (sorted by offset; none empty) from `inner` into `sinks`, as the module
/// documentation describes.
pub(crate) fn stream_blobs<R: Read + Seek + Send, K: Sinks>(
    inner: &mut R,
    chunk_size: u32,
    jobs: &[Job<'_>],
    sinks: &K,
) -> Result<()> {
    let mut cur = Cursor {
        jobs,
        chunk_size,
        job: 0,
        unit: 0,
        units_in_job: 0,
        starts: Vec::new(),
        loaded: false,
        pos: None,
    };
    // One thread writes; the others (the caller's and, on more than two cores, helpers per
    // window) read, decode and hash. Plain threads and blocking channels: no spinning
    // worker pool taking time slices from other processes on a busy machine.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let decoders = cores.saturating_sub(1).max(1);
    std::thread::scope(|scope| {
        let (to_sink, windows) = std::sync::mpsc::sync_channel::<Window>(1);
        let (back, spares) = std::sync::mpsc::channel::<Window>();
        let sink = scope.spawn(move || -> Result<()> {
            let mut carry: Option<Open<K::S>> = None;
            let mut result = Ok(());
            for w in windows {
                result = sink_window(&w, jobs, sinks, &mut carry);
                let _ = back.send(w);
                if result.is_err() {
                    break;
                }
            }
            if let Some(o) = carry.take() {
                sinks.abort(o.sink);
            }
            result
        });
        let read = (|| -> Result<()> {
            let mut hashing: Option<(usize, Sha1)> = None;
            while !cur.done() {
                let mut w = spares.try_recv().unwrap_or_default();
                cur.read_window(inner, &mut w)?;
                decode_window(&mut w, jobs, decoders)?;
                hash_window(&mut w, jobs, &mut hashing);
                if to_sink.send(w).is_err() {
                    // The sink stopped on an error: it reports it.
                    break;
                }
            }
            Ok(())
        })();
        drop(to_sink);
        let sunk = sink
            .join()
            .unwrap_or_else(|_| Err(Error::malformed("the writing thread panicked")));
        read.and(sunk)
    })
}
