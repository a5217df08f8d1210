//! The parallel extraction engine behind [`super::WimReader::extract_to`] and
//! [`super::WimReader::extract_to_fresh`] (issue 15).
//!
//! Blobs are handed out in the order they are stored (the file is read front to back) to one
//! worker per core (the calling thread is one of them):
//!
//! - a **small** blob (at most [`SEGMENT`] bytes) is one task: the worker reads its stored bytes,
//!   decodes, hashes and checks them in memory, and only then creates its files under their final
//!   names (`create_new`: an existing name is never overwritten) and writes them;
//! - a **large** blob is cut into segments of [`SEGMENT`] uncompressed bytes (whole chunks), two
//!   blobs at a time, their segments in turn. When a blob is opened its files are created under
//!   temporary names; each worker reads (positioned read under a short lock), decodes and writes
//!   (positioned write) a segment, then hashes it if it is the blob's next one (SHA-1 is
//!   sequential), else leaves it waiting for the worker hashing that blob, which takes it in
//!   turn. After a blob's last byte that worker checks its SHA-1 and only then gives the files
//!   their final names.
//!
//! Memory: `workers + 3` segment buffers of 2 MiB (decoded bytes; a worker takes one before it
//! takes a task and gives it back once the segment is hashed, which bounds the segments waiting
//! to be hashed: the next one of each blob is always held by a worker that has its buffer), one
//! stored-bytes buffer per worker, and the chunk tables of the two large blobs being cut (8
//! bytes per chunk). On any error the first one is returned, every worker stops, and every
//! temporary file is removed; files already given their final name were complete and checked.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use sha1::{Digest, Sha1};

use super::header::ResourceHeader;
use super::reader::Entry;
use super::resource::{chunk_table_shape, hex, parse_chunk_table, BlobReader};
use crate::error::{Error, ErrorKind, Result};
use crate::xpress;

/// Uncompressed bytes per segment of a large blob (64 chunks of 32 KiB), and the largest blob
/// handled whole by one worker.
pub(crate) const SEGMENT: u64 = 2 << 20;

/// Most workers (buffers: about 4 MiB each, plus three segments): decoding is rarely what
/// limits an extraction beyond a few cores, and memory stays under 64 MiB.
pub(crate) const MAX_WORKERS: usize = 8;

/// Large blobs cut into segments at a time: two, so that two blobs are hashed side by side
/// (SHA-1 is sequential within a blob) while each holds one chunk table (at most 8 MiB).
const OPEN_LARGE: usize = 2;

/// One blob to extract: where it is stored, its SHA-1, the files holding it.
pub(crate) struct Plan {
    pub(crate) res: ResourceHeader,
    pub(crate) sha1: [u8; 20],
    /// The files holding the blob: their final paths, entry paths (for errors) and times.
    pub(crate) targets: Vec<Target>,
}

/// One file to write: its checked final path and its entry (path for errors, time).
pub(crate) struct Target {
    pub(crate) path: PathBuf,
    pub(crate) entry: usize,
}

/// Locks, ignoring poisoning (a panicking worker is reported through its join).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Temporary name of a large file beside its target.
fn tmp_name(target: &std::path::Path, blob: usize, file: usize) -> PathBuf {
    let parent = target.parent().unwrap_or(std::path::Path::new("."));
    parent.join(format!(
        ".ppkg-extract-{}-{blob}-{file}.tmp",
        std::process::id()
    ))
}

/// Writes all of `buf` at `offset` without moving any file position (workers write segments
/// of one file concurrently).
fn write_all_at(f: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(f, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_write(f, buf, offset) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (f, buf, offset);
        Err(std::io::Error::other(
            "positioned writes are not supported here",
        ))
    }
}

/// A large blob in flight: its temporary files (written by several workers at once) and its
/// SHA-1 so far.
struct Large {
    plan: usize,
    files: Vec<(File, PathBuf)>,
    /// Held while a segment is written.
    writing: Mutex<()>,
    hashing: Mutex<Hashing>,
}

/// The in-order hashing of one large blob: segments decoded ahead of the next one to hash wait
/// in `waiting` (keyed by their offset in the blob); one worker at a time hashes.
#[derive(Default)]
struct Hashing {
    /// Offset of the next segment to hash (bytes hashed so far).
    next: u64,
    /// Whether a worker is hashing (it takes the waiting segments in turn).
    busy: bool,
    hasher: Sha1,
    waiting: BTreeMap<u64, (Vec<u8>, usize)>,
}

/// Where one chunk (or raw piece) of a segment is stored.
#[derive(Clone, Copy)]
struct Piece {
    /// Absolute offset of its stored bytes.
    abs: u64,
    slen: usize,
    ulen: usize,
}

/// A unit of work for a worker.
enum Task {
    Small(usize),
    Segment {
        large: Arc<Large>,
        /// Offset of the segment in the blob.
        uoff: u64,
        pieces: Vec<Piece>,
    },
}

/// The large blob being cut into segments.
struct Cutting {
    large: Arc<Large>,
    /// For a compressed blob, the absolute chunk starts plus the end (empty when raw).
    starts: Vec<u64>,
    next_chunk: usize,
    /// Uncompressed bytes handed out.
    uoff: u64,
}

/// Hands out tasks in file order, cutting up to [`OPEN_LARGE`] large blobs at a time (their
/// segments in turn, so that their hashing, sequential within each blob, runs side by side).
struct Dispatch {
    next_plan: usize,
    open: Vec<Cutting>,
    turn: usize,
}

/// State shared by the workers.
struct Shared<'a, R> {
    plans: &'a [Plan],
    entries: &'a [Entry],
    chunk_size: u32,
    reader: Mutex<&'a mut R>,
    dispatch: Mutex<Dispatch>,
    /// Free segment buffers, and how many may still be made.
    pool: Mutex<(Vec<Vec<u8>>, usize)>,
    pool_cv: Condvar,
    failed: AtomicBool,
    error: Mutex<Option<Error>>,
    /// Temporary files of large blobs not yet renamed (removed on failure).
    live: Mutex<BTreeMap<usize, Vec<PathBuf>>>,
}

impl<R: Read + Seek> Shared<'_, R> {
    /// The path of the entry `t` (for errors).
    fn part(&self, t: &Target) -> String {
        self.entries
            .get(t.entry)
            .map_or_else(String::new, |e| e.path.clone())
    }

    /// The path of the first file holding `plan`'s blob (for errors).
    fn plan_part(&self, plan: &Plan) -> &str {
        plan.targets
            .first()
            .and_then(|t| self.entries.get(t.entry))
            .map_or("", |e| e.path.as_str())
    }

    fn mtime(&self, t: &Target) -> Option<std::time::SystemTime> {
        self.entries
            .get(t.entry)
            .and_then(|e| filetime_to_system(e.last_write_time))
    }

    fn fail(&self, e: Error) {
        let mut slot = lock(&self.error);
        if slot.is_none() {
            *slot = Some(e);
        }
        drop(slot);
        self.failed.store(true, Ordering::SeqCst);
        let _guard = lock(&self.pool);
        self.pool_cv.notify_all();
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// A segment buffer, waiting for one when all are in use; `None` after a failure.
    fn take_buf(&self) -> Option<Vec<u8>> {
        let mut p = lock(&self.pool);
        loop {
            if self.failed() {
                return None;
            }
            if let Some(b) = p.0.pop() {
                return Some(b);
            }
            if p.1 > 0 {
                p.1 -= 1;
                return Some(Vec::new());
            }
            p = self.pool_cv.wait(p).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn put_buf(&self, b: Vec<u8>) {
        lock(&self.pool).0.push(b);
        self.pool_cv.notify_one();
    }

    /// Reads `buf.len()` stored bytes at `abs`.
    fn read_at(&self, abs: u64, buf: &mut [u8], part: &str) -> Result<()> {
        let mut r = lock(&self.reader);
        r.seek(SeekFrom::Start(abs))
            .and_then(|_| r.read_exact(buf))
            .map_err(|e| Error::from(e).at(abs).in_part(part.to_owned()))
    }

    /// The next task in file order, or `None` when every blob was handed out.
    fn next_task(&self) -> Result<Option<Task>> {
        let mut d = lock(&self.dispatch);
        if d.open.len() < OPEN_LARGE {
            if let Some(plan) = self.plans.get(d.next_plan) {
                let n = d.next_plan;
                d.next_plan += 1;
                if plan.res.original_size <= SEGMENT {
                    return Ok(Some(Task::Small(n)));
                }
                self.open_large(&mut d, n)?;
            }
        }
        if d.open.is_empty() {
            return Ok(None);
        }
        let i = d.turn % d.open.len();
        d.turn = d.turn.wrapping_add(1);
        let c = &mut d.open[i];
        let res = self.plans[c.large.plan].res;
        let uoff = c.uoff;
        let mut pieces = Vec::new();
        if c.starts.is_empty() {
            let ulen = SEGMENT.min(res.original_size - uoff) as usize;
            pieces.push(Piece {
                abs: res.offset + uoff,
                slen: ulen,
                ulen,
            });
            c.uoff += ulen as u64;
        } else {
            let cs = u64::from(self.chunk_size);
            let per = (SEGMENT / cs).max(1) as usize;
            let chunks = c.starts.len() - 1;
            let end = (c.next_chunk + per).min(chunks);
            for k in c.next_chunk..end {
                let ulen = cs.min(res.original_size - k as u64 * cs) as usize;
                let (a, b) = (c.starts[k], c.starts[k + 1]);
                pieces.push(Piece {
                    abs: a,
                    slen: (b - a) as usize,
                    ulen,
                });
                c.uoff += ulen as u64;
            }
            c.next_chunk = end;
        }
        let last = c.uoff >= res.original_size;
        let large = Arc::clone(&c.large);
        if last {
            d.open.remove(i);
        }
        Ok(Some(Task::Segment {
            large,
            uoff,
            pieces,
        }))
    }

    /// Starts cutting large blob `n`: reads its chunk table and creates its temporary files.
    fn open_large(&self, d: &mut Dispatch, n: usize) -> Result<()> {
        let plan = &self.plans[n];
        let starts = if plan.res.is_compressed() {
            let mut r = lock(&self.reader);
            BlobReader::new(
                &mut **r,
                plan.res,
                self.chunk_size,
                None,
                self.plan_part(plan),
            )?
            .into_chunk_starts()
        } else {
            Vec::new()
        };
        let large = Arc::new(self.create_temps(n)?);
        d.open.push(Cutting {
            large,
            starts,
            next_chunk: 0,
            uoff: 0,
        });
        Ok(())
    }

    /// Hands a written segment to its blob's hashing: hashes it now if it is the next one and
    /// no other worker is hashing the blob (then also every segment that waited for it), else
    /// leaves it waiting. After the blob's last byte, checks the SHA-1 and renames the files.
    fn hash_segment(&self, large: &Large, uoff: u64, buf: Vec<u8>, len: usize) -> Result<()> {
        let size = self.plans[large.plan].res.original_size;
        let mut h = lock(&large.hashing);
        h.waiting.insert(uoff, (buf, len));
        if h.busy {
            return Ok(());
        }
        h.busy = true;
        loop {
            let next = h.next;
            let Some((buf, len)) = h.waiting.remove(&next) else {
                h.busy = false;
                return Ok(());
            };
            let mut hasher = std::mem::take(&mut h.hasher);
            drop(h);
            hasher.update(&buf[..len]);
            self.put_buf(buf);
            if next + len as u64 >= size {
                let got: [u8; 20] = hasher.finalize().into();
                self.check_sha1(&self.plans[large.plan], &got)?;
                return self.finish_large(large);
            }
            if self.failed() {
                return Ok(());
            }
            h = lock(&large.hashing);
            h.hasher = hasher;
            h.next = next + len as u64;
        }
    }

    /// Creates the temporary files of large blob `n`.
    fn create_temps(&self, n: usize) -> Result<Large> {
        let plan = &self.plans[n];
        let mut files = Vec::with_capacity(plan.targets.len());
        let mut paths = Vec::with_capacity(plan.targets.len());
        for (i, t) in plan.targets.iter().enumerate() {
            let tmp = tmp_name(&t.path, n, i);
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => {
                    // The final size up front: segments are written out of order.
                    if let Err(e) = f.set_len(plan.res.original_size) {
                        let _ = fs::remove_file(&tmp);
                        for p in &paths {
                            let _ = fs::remove_file(p);
                        }
                        return Err(Error::from(e).in_part(self.part(t)));
                    }
                    paths.push(tmp.clone());
                    files.push((f, tmp));
                }
                Err(e) => {
                    for p in &paths {
                        let _ = fs::remove_file(p);
                    }
                    return Err(Error::from(e).in_part(self.part(t)));
                }
            }
        }
        lock(&self.live).insert(n, paths);
        Ok(Large {
            plan: n,
            files,
            writing: Mutex::new(()),
            hashing: Mutex::new(Hashing::default()),
        })
    }

    /// Reads and decodes `pieces` (consecutive pieces of one blob) into `out` (resized to their
    /// uncompressed length), using `stored` as the read buffer, and hands the decoded bytes to
    /// `written` (the segment's writes; nothing for a small blob, written after its check).
    fn load(
        &self,
        pieces: &[Piece],
        part: &str,
        stored: &mut Vec<u8>,
        out: &mut Vec<u8>,
        written: impl FnOnce(&[u8]) -> Result<()>,
    ) -> Result<usize> {
        let (Some(a), Some(z)) = (pieces.first(), pieces.last()) else {
            return Ok(0);
        };
        let ulen: usize = pieces.iter().map(|p| p.ulen).sum();
        if out.len() < ulen {
            out.resize(ulen, 0);
        }
        let slen = (z.abs + z.slen as u64 - a.abs) as usize;
        if slen == ulen {
            // Every piece is stored raw (each stored size is at most its uncompressed size).
            self.read_at(a.abs, &mut out[..ulen], part)?;
            written(&out[..ulen])?;
            return Ok(ulen);
        }
        if stored.len() < slen {
            stored.resize(slen, 0);
        }
        self.read_at(a.abs, &mut stored[..slen], part)?;
        let mut o = 0usize;
        for p in pieces {
            let s = (p.abs - a.abs) as usize;
            let src = &stored[s..s + p.slen];
            let dst = &mut out[o..o + p.ulen];
            if p.slen == p.ulen {
                dst.copy_from_slice(src);
            } else {
                xpress::decompress(src, dst).map_err(|e| {
                    Error::new(e.kind().clone())
                        .at(p.abs + e.offset().unwrap_or(0))
                        .in_part(part.to_owned())
                })?;
            }
            o += p.ulen;
        }
        written(&out[..o])?;
        Ok(ulen)
    }

    /// Extracts a small blob whole: read, decode, check, then create and write its files.
    fn small(&self, n: usize, stored: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<()> {
        let plan = &self.plans[n];
        let res = plan.res;
        let part = self.plan_part(plan);
        let len = if res.is_compressed() {
            let cs = u64::from(self.chunk_size);
            let (_, _, table_len) = chunk_table_shape(res, cs, part)?;
            let mut table = std::mem::take(stored);
            table.resize(table_len as usize, 0);
            let got = self.read_at(res.offset, &mut table, part);
            let starts = got.and_then(|()| parse_chunk_table(res, cs, &table, part));
            *stored = table;
            let starts = starts?;
            let pieces: Vec<Piece> = starts
                .windows(2)
                .enumerate()
                .map(|(k, w)| Piece {
                    abs: w[0],
                    slen: (w[1] - w[0]) as usize,
                    ulen: cs.min(res.original_size - k as u64 * cs) as usize,
                })
                .collect();
            self.load(&pieces, part, stored, out, |_| Ok(()))?
        } else {
            let ulen = res.original_size as usize;
            let piece = Piece {
                abs: res.offset,
                slen: ulen,
                ulen,
            };
            self.load(&[piece], part, stored, out, |_| Ok(()))?
        };
        let data = &out[..len];
        let got: [u8; 20] = Sha1::digest(data).into();
        self.check_sha1(plan, &got)?;
        let mut made: Vec<&PathBuf> = Vec::with_capacity(plan.targets.len());
        let result = (|| -> Result<()> {
            for t in &plan.targets {
                let mut f = create_final(&t.path, &self.part(t))?;
                made.push(&t.path);
                f.write_all(data)
                    .map_err(|e| Error::from(e).in_part(self.part(t)))?;
                if let Some(m) = self.mtime(t) {
                    // Best effort: a file system that cannot store times still gets the data.
                    let _ = f.set_modified(m);
                }
            }
            Ok(())
        })();
        if result.is_err() {
            for p in made {
                let _ = fs::remove_file(p);
            }
        }
        result
    }

    fn check_sha1(&self, plan: &Plan, got: &[u8; 20]) -> Result<()> {
        if *got == plan.sha1 {
            return Ok(());
        }
        Err(Error::new(ErrorKind::HashMismatch {
            expected: hex(&plan.sha1),
            actual: hex(got),
        })
        .at(plan.res.offset)
        .in_part(self.plan_part(plan).to_owned()))
    }

    /// Gives a checked large blob's files their final names.
    fn finish_large(&self, large: &Large) -> Result<()> {
        let plan = &self.plans[large.plan];
        for ((f, tmp), t) in large.files.iter().zip(&plan.targets) {
            if let Some(m) = self.mtime(t) {
                let _ = f.set_modified(m);
            }
            // Few files are large: the check costs nothing next to their bytes.
            if fs::symlink_metadata(&t.path).is_ok() {
                return Err(
                    Error::invalid_input("the target file exists already").in_part(self.part(t))
                );
            }
            fs::rename(tmp, &t.path).map_err(|e| Error::from(e).in_part(self.part(t)))?;
        }
        lock(&self.live).remove(&large.plan);
        Ok(())
    }

    /// One worker: takes a buffer, then a task, until every blob was handed out or a task
    /// failed.
    fn work(&self) {
        let mut stored = Vec::new();
        while let Some(mut buf) = self.take_buf() {
            let task = match self.next_task() {
                Ok(Some(t)) => t,
                Ok(None) => {
                    self.put_buf(buf);
                    break;
                }
                Err(e) => {
                    self.fail(e);
                    break;
                }
            };
            let r = match task {
                Task::Small(n) => {
                    let r = self.small(n, &mut stored, &mut buf);
                    self.put_buf(buf);
                    r
                }
                Task::Segment {
                    large,
                    uoff,
                    pieces,
                } => {
                    let plan = &self.plans[large.plan];
                    // The segment is written in one call per file (writing in pieces of 64 or
                    // 256 KiB cost more CPU), then hashed in order. Writers of one file take
                    // turns here: waiting in the kernel for the file's lock spins.
                    let write = |bytes: &[u8]| -> Result<()> {
                        let _turn = lock(&large.writing);
                        for ((f, _), t) in large.files.iter().zip(&plan.targets) {
                            write_all_at(f, bytes, uoff)
                                .map_err(|e| Error::from(e).in_part(self.part(t)))?;
                        }
                        Ok(())
                    };
                    match self.load(&pieces, self.plan_part(plan), &mut stored, &mut buf, write) {
                        Ok(len) => self.hash_segment(&large, uoff, buf, len),
                        Err(e) => {
                            self.put_buf(buf);
                            Err(e)
                        }
                    }
                }
            };
            if let Err(e) = r {
                self.fail(e);
                break;
            }
        }
    }
}

/// Creates a file under its final name, never over an existing one (nor through a link).
pub(crate) fn create_final(path: &std::path::Path, part: &str) -> Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::invalid_input("the target file exists already").in_part(part.to_owned())
            } else {
                Error::from(e).in_part(part.to_owned())
            }
        })
}

/// Extracts `plans` (sorted by stored offset; none empty) from `reader` on `threads` workers
/// (0: one per core), as the module documentation describes.
pub(crate) fn extract_blobs<R: Read + Seek + Send>(
    reader: &mut R,
    chunk_size: u32,
    plans: &[Plan],
    entries: &[Entry],
    threads: usize,
) -> Result<()> {
    let workers = if threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        threads
    }
    .clamp(1, MAX_WORKERS)
    .min(plans.len().max(1));
    let shared = Shared {
        plans,
        entries,
        chunk_size,
        reader: Mutex::new(reader),
        dispatch: Mutex::new(Dispatch {
            next_plan: 0,
            open: Vec::new(),
            turn: 0,
        }),
        pool: Mutex::new((Vec::new(), workers + 3)),
        pool_cv: Condvar::new(),
        failed: AtomicBool::new(false),
        error: Mutex::new(None),
        live: Mutex::new(BTreeMap::new()),
    };
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers)
            .map(|_| {
                let sh = &shared;
                s.spawn(move || sh.work())
            })
            .collect();
        shared.work();
        for h in helpers {
            if h.join().is_err() {
                shared.fail(Error::malformed("an extraction thread panicked"));
            }
        }
    });
    // Every thread has stopped and every file handle is closed.
    let live = std::mem::take(&mut *lock(&shared.live));
    let error = lock(&shared.error).take();
    if let Some(e) = error {
        for p in live.values().flatten() {
            let _ = fs::remove_file(p);
        }
        return Err(e);
    }
    if !live.is_empty() {
        for p in live.values().flatten() {
            let _ = fs::remove_file(p);
        }
        return Err(Error::malformed("a blob was not finished"));
    }
    Ok(())
}

/// A FILETIME as a system time (`None` before 1970 or out of range).
pub(crate) fn filetime_to_system(ft: u64) -> Option<std::time::SystemTime> {
    let secs = crate::metadata::filetime_to_unix(ft)?;
    let nanos = (ft % 10_000_000) * 100;
    std::time::UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos as u32))
}
