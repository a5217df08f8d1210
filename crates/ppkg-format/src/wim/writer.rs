//! The streaming WIM writer: [`ImageTree`] + [`write_wim`].
//!
//! Output layout, as WCD writes packages (checked against `reference/ppkg/start_pins.ppkg`):
//! header (v1.13, flags `0x00020082`, chunk size 32768), the file blobs (deduplicated by SHA-1,
//! XPRESS in 32 KiB chunks, a one-chunk blob stored uncompressed when compression does not make
//! it smaller, a chunk stored raw when it does not shrink; each file read once, see
//! [`write_wim`]), the metadata resource (flags METADATA|COMPRESSED), the blob table (flags METADATA, the
//! metadata blob first), the UTF-16LE XML data (flags METADATA); no integrity table; the file
//! ends with the XML data.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::codec::Compressor;
use super::dentry::{check_name, write_metadata, OutDentry};
use super::header::*;
use super::reader::{BlobEntry, BLOB_ENTRY_SIZE};
use super::resource::{
    compress_batch, read_chunks, read_exact_src, write_resource, Written, PARALLEL_BATCH,
};
use crate::error::{Error, Result};
use crate::metadata::{encode_utf16le, unix_to_filetime, ImageInfo};

/// Chunk size of XPRESS resources (bytes), as WCD and wimlib write them.
pub const CHUNK_SIZE: u32 = 32 * 1024;

/// How file data is stored.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// No compression: header flags `0x80`, chunk size 0 (as `wimlib-imagex --compress=none`).
    None,
    /// XPRESS in 32 KiB chunks: header flags `0x00020082`, as WCD writes packages.
    #[default]
    Xpress,
}

/// Writer options. `Default` = XPRESS, a random GUID, the current time;
/// [`WriteOptions::deterministic`] fixes GUID and time; [`WriteOptions::from_env`] honours
/// `SOURCE_DATE_EPOCH` (reproducible builds: <https://reproducible-builds.org/specs/source-date-epoch/>).
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// Compression of file data and metadata (default [`Compression::Xpress`]).
    pub compression: Compression,
    /// The WIM header's GUID (default: random, UUID v4 bytes).
    pub guid: [u8; 16],
    /// FILETIME (100 ns ticks since 1601) used for every dentry time and, when the image info
    /// has none, the XML creation and modification times (default: now).
    pub timestamp: u64,
    /// How `FILECOUNT` in the XML data is counted (default [`FileCount::Files`]).
    pub file_count: FileCount,
    /// Derive the GUID from the content at write time (set by [`WriteOptions::from_env`]).
    guid_from_content: bool,
    /// Compressed small blobs shared between writes ([`WriteOptions::with_resource_cache`]).
    resource_cache: Option<Arc<ResourceCache>>,
}

/// Compressed resources shared between many writes: a bulk run of thousands of packages that
/// differ in a few XML files compresses each shared file once (issue #13, "compile the shared
/// part once"). Small blobs (at most 1 MiB, which the writer reads whole) are found by their
/// SHA-1; a large payload (an installer of a provisioning command) by the file's identity and
/// change times, so that it is neither read nor compressed again (see `LargeKey` in the
/// source), or, when in memory, by its SHA-1.
///
/// A hit writes the bytes a miss would have written: the XPRESS encoder is deterministic and
/// a resource's bytes do not depend on where it sits in the WIM (chunk-table entries are
/// relative to the resource's start), so a package written with a cache is byte-identical to
/// the same package written without one. Only XPRESS writes use it. Bounded: once
/// [`ResourceCache::with_limit`] bytes of compressed data are held, new blobs are written
/// without being kept (nothing is evicted, so a long run keeps the blobs it met first).
/// Thread-safe (`Arc` it and share it between threads).
pub struct ResourceCache {
    map: std::sync::Mutex<CacheMap>,
    limit: usize,
}

#[derive(Default)]
struct CacheMap {
    entries: HashMap<[u8; 20], Arc<CachedResource>>,
    /// Large blobs by identity: the SHA-1 their resource is kept under.
    large: HashMap<LargeKey, [u8; 20]>,
    bytes: usize,
}

/// How a large blob (over 1 MiB, streamed by the writer) is recognised without reading it: a
/// file by its identity and change times (device, inode, size, modification and change times
/// on Unix; path, size and modification time elsewhere), as build tools such as make and
/// cargo decide that a file is unchanged; bytes in memory by their SHA-1.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum LargeKey {
    #[cfg(unix)]
    File {
        dev: u64,
        ino: u64,
        len: u64,
        mtime: (i64, i64),
        ctime: (i64, i64),
    },
    #[cfg(not(unix))]
    File {
        path: PathBuf,
        len: u64,
        modified: Option<std::time::SystemTime>,
    },
    Bytes([u8; 20]),
}

impl LargeKey {
    /// The key of `src` when it still has `size` bytes (`None` when its metadata cannot be
    /// read or its size changed: the write then streams it and reports any change).
    fn of(src: &Source, size: u64) -> Option<LargeKey> {
        match src {
            Source::Bytes(b) => Some(LargeKey::Bytes(Sha1::digest(b).into())),
            Source::Written(_) => None,
            Source::File(p) => {
                let m = std::fs::metadata(p).ok()?;
                if m.len() != size {
                    return None;
                }
                #[cfg(unix)]
                {
                    use std::os::unix::fs::MetadataExt;
                    Some(LargeKey::File {
                        dev: m.dev(),
                        ino: m.ino(),
                        len: m.len(),
                        mtime: (m.mtime(), m.mtime_nsec()),
                        ctime: (m.ctime(), m.ctime_nsec()),
                    })
                }
                #[cfg(not(unix))]
                {
                    Some(LargeKey::File {
                        path: p.clone(),
                        len: m.len(),
                        modified: m.modified().ok(),
                    })
                }
            }
        }
    }
}

/// One blob's resource as [`write_resource`] wrote it.
struct CachedResource {
    size_in_wim: u64,
    flags: u8,
    bytes: Box<[u8]>,
}

impl CachedResource {
    /// Runs `write` into memory (a resource's bytes do not depend on where it is written),
    /// copies the bytes to `out` and returns them for the cache.
    fn record<W: Write>(
        out: &mut W,
        write: impl FnOnce(&mut io::Cursor<Vec<u8>>) -> Result<Written>,
    ) -> Result<(Written, CachedResource)> {
        let mut mem = io::Cursor::new(Vec::new());
        let w = write(&mut mem)?;
        let bytes = mem.into_inner();
        out.write_all(&bytes)?;
        let res = CachedResource {
            size_in_wim: w.header.size_in_wim,
            flags: w.header.flags,
            bytes: bytes.into_boxed_slice(),
        };
        Ok((w, res))
    }

    /// Writes the kept bytes at `pos` (offset in the WIM) for a blob of `size` bytes.
    fn write<W: Write>(&self, out: &mut W, pos: u64, size: u64, sha1: [u8; 20]) -> Result<Written> {
        out.write_all(&self.bytes)?;
        Ok(Written {
            header: ResourceHeader {
                size_in_wim: self.size_in_wim,
                flags: self.flags,
                offset: pos,
                original_size: size,
            },
            sha1,
        })
    }
}

impl ResourceCache {
    /// Default bound on the compressed bytes held: 64 MiB.
    pub const DEFAULT_LIMIT: usize = 64 << 20;

    /// An empty cache holding at most [`ResourceCache::DEFAULT_LIMIT`] bytes.
    pub fn new() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }

    /// An empty cache holding at most `limit` bytes of compressed resources (0 keeps nothing).
    pub fn with_limit(limit: usize) -> Self {
        Self {
            map: std::sync::Mutex::new(CacheMap::default()),
            limit,
        }
    }

    /// Resources held and their bytes.
    pub fn len_and_bytes(&self) -> (usize, usize) {
        let m = self.lock();
        (m.entries.len(), m.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheMap> {
        // A panic elsewhere cannot leave the map inconsistent (inserts are single calls).
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, sha1: &[u8; 20]) -> Option<Arc<CachedResource>> {
        self.lock().entries.get(sha1).cloned()
    }

    fn get_large(&self, key: &LargeKey) -> Option<([u8; 20], Arc<CachedResource>)> {
        let m = self.lock();
        let h = m.large.get(key)?;
        Some((*h, Arc::clone(m.entries.get(h)?)))
    }

    /// Whether a resource of about `size` bytes (an incompressible blob plus its chunk table)
    /// would still fit.
    fn has_room(&self, size: u64) -> bool {
        let need = size.saturating_add(size / 1024 + 64);
        let m = self.lock();
        (m.bytes as u64).saturating_add(need) <= self.limit as u64
    }

    fn insert_large(&self, key: LargeKey, sha1: [u8; 20], r: CachedResource) {
        self.insert(sha1, r);
        let mut m = self.lock();
        if m.entries.contains_key(&sha1) {
            m.large.insert(key, sha1);
        }
    }

    fn insert(&self, sha1: [u8; 20], r: CachedResource) {
        let mut m = self.lock();
        if m.bytes + r.bytes.len() <= self.limit && !m.entries.contains_key(&sha1) {
            m.bytes += r.bytes.len();
            m.entries.insert(sha1, Arc::new(r));
        }
    }
}

impl Default for ResourceCache {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ResourceCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, bytes) = self.len_and_bytes();
        f.debug_struct("ResourceCache")
            .field("blobs", &n)
            .field("bytes", &bytes)
            .field("limit", &self.limit)
            .finish()
    }
}

/// How the writer fills `FILECOUNT` in the image's XML data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileCount {
    /// The number of files in the image, as `wimlib-imagex capture` writes it.
    #[default]
    Files,
    /// WCD's count for packages: files + folders (root excluded) − 4, never below 0. Fits all
    /// three real WCD packages of different shapes (`start_pins`: 7 files, 6 folders → 9;
    /// `bypass_oobe_wcd2024`: 18, 6 → 20; Acer: 24, 10 → 30); why WCD subtracts 4 is not known
    /// [seen in 3 samples, cause inferred]. The package layout writer uses it.
    WcdPackage,
}

impl Default for WriteOptions {
    fn default() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| unix_to_filetime(d.as_secs()) + u64::from(d.subsec_nanos() / 100))
            .unwrap_or(0);
        Self {
            compression: Compression::Xpress,
            guid: *uuid::Uuid::new_v4().as_bytes(),
            timestamp: now,
            file_count: FileCount::Files,
            guid_from_content: false,
            resource_cache: None,
        }
    }
}

impl WriteOptions {
    /// Fixed GUID and FILETIME: the same tree and info then give identical bytes.
    pub fn deterministic(guid: [u8; 16], timestamp: u64) -> Self {
        Self {
            compression: Compression::Xpress,
            guid,
            timestamp,
            file_count: FileCount::Files,
            guid_from_content: false,
            resource_cache: None,
        }
    }

    /// Defaults, except when `SOURCE_DATE_EPOCH` holds Unix seconds: then the timestamp is that
    /// time and the GUID is derived from the content (SHA-256 of the metadata resource and XML
    /// data, first 16 bytes, marked as a version 8 UUID), so the output is reproducible. An
    /// unparsable value is ignored.
    pub fn from_env() -> Self {
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok());
        match epoch {
            Some(secs) => Self {
                guid_from_content: true,
                ..Self::deterministic([0; 16], unix_to_filetime(secs))
            },
            None => Self::default(),
        }
    }

    /// The same options, sharing compressed small blobs with every other write that uses
    /// `cache` (see [`ResourceCache`]; the output bytes do not change).
    #[must_use]
    pub fn with_resource_cache(mut self, cache: Arc<ResourceCache>) -> Self {
        self.resource_cache = Some(cache);
        self
    }

    /// The same options with another compression.
    #[must_use]
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }
}

/// A file's bytes, re-readable: read once to hash, again to compress. `File` sources are opened
/// by path at write time and streamed (never whole in memory). `Debug` shows the size or path,
/// never the bytes (they may hold secrets).
#[derive(Clone)]
pub enum Source {
    /// Bytes in memory.
    Bytes(Arc<[u8]>),
    /// A file on disk.
    File(PathBuf),
    /// A blob already written by the [`WimWriter`] that writes this tree
    /// ([`WimWriter::write_blobs`]): the file refers to it, nothing is read again.
    Written(BlobDigest),
}

/// The digests of a blob written by [`WimWriter::write_blobs`]: its SHA-1 (the WIM's blob
/// name), its SHA-256 (the DataAsset key of a payload) and its size, all from the one read that
/// wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlobDigest {
    /// SHA-1 of the bytes.
    pub sha1: [u8; 20],
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// Size in bytes.
    pub size: u64,
}

impl Source {
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(match self {
            Self::Bytes(b) => Box::new(&b[..]),
            Self::File(p) => Box::new(File::open(p)?),
            Self::Written(_) => Box::new(io::empty()),
        })
    }

    /// Size in bytes now (a `stat` for files): the writer's plan; the bytes read must agree.
    fn size(&self) -> io::Result<u64> {
        Ok(match self {
            Self::Bytes(b) => b.len() as u64,
            Self::File(p) => std::fs::metadata(p)?.len(),
            Self::Written(d) => d.size,
        })
    }

    fn describe(&self) -> String {
        match self {
            Self::Bytes(b) => format!("{} bytes in memory", b.len()),
            Self::File(p) => p.display().to_string(),
            Self::Written(d) => format!("blob {} written before", super::resource::hex(&d.sha1)),
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Written(d) => write!(f, "Written({} bytes)", d.size),
        }
    }
}

impl From<Vec<u8>> for Source {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(v.into())
    }
}

impl From<&[u8]> for Source {
    fn from(v: &[u8]) -> Self {
        Self::Bytes(v.into())
    }
}

impl From<String> for Source {
    fn from(v: String) -> Self {
        Self::Bytes(v.into_bytes().into())
    }
}

impl From<&str> for Source {
    fn from(v: &str) -> Self {
        Self::Bytes(v.as_bytes().into())
    }
}

impl From<PathBuf> for Source {
    fn from(v: PathBuf) -> Self {
        Self::File(v)
    }
}

impl From<Arc<[u8]>> for Source {
    fn from(v: Arc<[u8]>) -> Self {
        Self::Bytes(v)
    }
}

/// The tree of an image to write: folders and files by path.
///
/// Order: within each folder, files first then subfolders, each in the order they were added.
/// That is the order WCD's packages have on disk (`start_pins.ppkg`: `Multivariant` before
/// `CommonSettings`, `Prov/RunTime.xml` before `Prov/RunTime/`), and the order of the dentries
/// and of the blobs in the file. Names are compared ignoring case, as Windows does.
#[derive(Clone, Debug, Default)]
pub struct ImageTree {
    root: Dir,
}

#[derive(Clone, Debug, Default)]
struct Dir {
    /// Children in insertion order.
    children: Vec<(String, Node)>,
    /// Upper-cased name → index in `children`.
    index: HashMap<String, usize>,
}

impl Dir {
    /// Children in write order: files, then folders, each in insertion order.
    fn ordered(&self) -> impl Iterator<Item = &(String, Node)> {
        let files = self
            .children
            .iter()
            .filter(|(_, n)| matches!(n, Node::File(_)));
        let dirs = self
            .children
            .iter()
            .filter(|(_, n)| matches!(n, Node::Dir(_)));
        files.chain(dirs)
    }
}

#[derive(Clone, Debug)]
enum Node {
    Dir(Dir),
    File(Source),
}

impl ImageTree {
    /// An empty tree (the root folder only).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a folder (and its missing parents). Adding an existing folder again is fine.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] when a component is not a valid Windows name (see
    /// [`super::extract`]), the path is empty or absolute, or a file is in the way.
    pub fn add_dir(&mut self, path: &str) -> Result<()> {
        let parts = split_path(path)?;
        self.dir_mut(&parts, path).map(|_| ())
    }

    /// Adds a file (and its missing parent folders).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] for an invalid path as [`ImageTree::add_dir`], or when
    /// the path exists already (compared ignoring case, as Windows does).
    pub fn add_file(&mut self, path: &str, source: impl Into<Source>) -> Result<()> {
        let parts = split_path(path)?;
        let (name, parents) = parts
            .split_last()
            .ok_or_else(|| Error::invalid_input("empty path"))?;
        let dir = self.dir_mut(parents, path)?;
        let key = upper(name);
        if dir.index.contains_key(&key) {
            return Err(Error::invalid_input(format!(
                "'{path}' is already in the tree"
            )));
        }
        dir.index.insert(key, dir.children.len());
        dir.children
            .push(((*name).to_owned(), Node::File(source.into())));
        Ok(())
    }

    /// Number of files and folders (root not counted).
    pub fn len(&self) -> usize {
        fn count(d: &Dir) -> usize {
            d.children
                .iter()
                .map(|(_, n)| match n {
                    Node::Dir(s) => 1 + count(s),
                    Node::File(_) => 1,
                })
                .sum()
        }
        count(&self.root)
    }

    /// Whether the tree has no file or folder.
    pub fn is_empty(&self) -> bool {
        self.root.children.is_empty()
    }

    fn dir_mut(&mut self, parts: &[&str], path: &str) -> Result<&mut Dir> {
        let mut dir = &mut self.root;
        for p in parts {
            let key = upper(p);
            let i = match dir.index.get(&key) {
                Some(&i) => i,
                None => {
                    dir.index.insert(key, dir.children.len());
                    dir.children
                        .push(((*p).to_owned(), Node::Dir(Dir::default())));
                    dir.children.len() - 1
                }
            };
            dir = match &mut dir.children[i].1 {
                Node::Dir(d) => d,
                Node::File(_) => {
                    return Err(Error::invalid_input(format!("'{p}' in '{path}' is a file")))
                }
            };
        }
        Ok(dir)
    }
}

fn split_path(path: &str) -> Result<Vec<&str>> {
    if path.starts_with('/') || path.starts_with('\\') {
        return Err(Error::invalid_input(format!(
            "'{path}' is absolute; give a path inside the image"
        )));
    }
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    for p in &parts {
        check_name(p)
            .map_err(|why| Error::invalid_input(format!("'{path}': component {p:?}: {why}")))?;
    }
    Ok(parts)
}

/// Case-folding key: each character upper-cased when that gives one character (Windows compares
/// names after an upcase table of single UTF-16 units).
fn upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// What [`write_wim`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Files in the image.
    pub files: u64,
    /// Folders in the image (root not counted).
    pub dirs: u64,
    /// Distinct blobs stored (after SHA-1 deduplication; empty files have none).
    pub blobs: u64,
    /// Sum of the file sizes in bytes.
    pub bytes_in: u64,
    /// Size of the WIM in bytes.
    pub bytes_out: u64,
}

/// Streams every file once (never whole in memory for a [`Source::File`] over 1 MiB; only a
/// large file whose size another large file shares is hashed first, to find duplicates),
/// hashing, probing and compressing in one pass, dedups blobs by SHA-1, and
/// writes header, resources, blob table, metadata resource and XML data at the writer's current
/// position (offsets in the WIM are relative to it). Counts in `info` (`DIRCOUNT`, `FILECOUNT`,
/// `TOTALBYTES`, `HARDLINKBYTES`) are recomputed; `CREATIONTIME`/`LASTMODIFICATIONTIME` keep
/// `info`'s values when non-zero and take `opts.timestamp` otherwise.
///
/// # Errors
/// I/O errors of `out` or of a source file (with its path); [`crate::ErrorKind::InvalidInput`]
/// when a source file's size or content changes while it is written (against its `stat` size or
/// its first-pass hash), or when an `info` field holds a character XML 1.0 cannot carry
/// ([`ImageInfo::check_xml_chars`]).
pub fn write_wim<W: Write + Seek>(
    out: W,
    tree: &ImageTree,
    info: &ImageInfo,
    opts: &WriteOptions,
) -> Result<WriteStats> {
    // Issue #11: refuse metadata XML cannot carry before writing a byte.
    info.check_xml_chars()?;
    WimWriter::new(out, opts)?.finish(tree, info)
}

/// A WIM written in two steps, so that blobs can be written before the tree that names them is
/// known: [`WimWriter::write_blobs`] streams payloads into the WIM and returns their SHA-1 and
/// SHA-256 from that one read; [`WimWriter::finish`] then writes the tree's other files, whose
/// [`Source::Written`] entries refer to those blobs, and the metadata, blob table and XML data
/// (the WIM layout lets all of these follow the blobs). A package's DataAsset payloads are
/// named by their SHA-256 in the compiled documents and in the tree: this is how each payload
/// byte is read once (issue #15). [`write_wim`] is `new` + `finish`.
///
/// The bytes written depend only on the inputs, never on the thread count.
pub struct WimWriter<W: Write + Seek> {
    out: W,
    base: u64,
    opts: WriteOptions,
    spare: SpareCompressor,
    blobs: Vec<BlobEntry>,
    by_hash: HashMap<[u8; 20], usize>,
    /// SHA-256 of the blobs [`WimWriter::write_blobs`] wrote, by SHA-1.
    sha256: HashMap<[u8; 20], [u8; 32]>,
    /// Bytes of payloads written by [`WimWriter::write_blobs`] (read from their sources).
    bytes_read: u64,
}

impl<W: Write + Seek> fmt::Debug for WimWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WimWriter")
            .field("blobs", &self.blobs.len())
            .field("bytes_read", &self.bytes_read)
            .finish_non_exhaustive()
    }
}

/// Small payloads (at most [`SMALL_FILE`]) read, hashed and compressed in parallel per group,
/// holding at most this many input bytes at once.
const SMALL_GROUP_BYTES: u64 = 8 << 20;

/// One small payload prepared off the writing thread: its digests and its resource written to
/// memory at offset 0.
struct Prepared {
    digest: BlobDigest,
    resource: Option<(CachedResourceHeader, Vec<u8>)>,
}

/// A resource's header fields that do not depend on its offset.
#[derive(Clone, Copy)]
struct CachedResourceHeader {
    size_in_wim: u64,
    flags: u8,
}

impl<W: Write + Seek> WimWriter<W> {
    /// Starts a WIM at the writer's current position (offsets in the WIM are relative to it):
    /// writes a placeholder header, filled in by [`WimWriter::finish`].
    ///
    /// # Errors
    /// I/O errors of `out`.
    pub fn new(mut out: W, opts: &WriteOptions) -> Result<Self> {
        let base = out.stream_position()?;
        out.write_all(&[0u8; HEADER_SIZE])?;
        Ok(Self {
            out,
            base,
            opts: opts.clone(),
            spare: SpareCompressor::take(),
            blobs: Vec::new(),
            by_hash: HashMap::new(),
            sha256: HashMap::new(),
            bytes_read: 0,
        })
    }

    /// Sets how `FILECOUNT` is counted (the package layout counts as WCD does).
    pub(crate) fn set_file_count(&mut self, c: FileCount) {
        self.opts.file_count = c;
    }

    /// Bytes read from the sources given to [`WimWriter::write_blobs`] so far (each source is
    /// read once; a large file whose size another large file shares is read twice, see
    /// [`write_wim`]).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Writes the blobs of `sources` ((name for messages, source) pairs) now, in order,
    /// deduplicated by SHA-1, and returns each one's digests. Each source is read once: its
    /// SHA-1 and SHA-256 are computed from the bytes that are compressed. Small sources (at
    /// most 1 MiB) are read, hashed and compressed in parallel in groups of up to 8 MiB, then
    /// written in order, so the bytes do not depend on the thread count. Refer to a blob in
    /// the tree given to [`WimWriter::finish`] with [`Source::Written`]; a blob no file refers
    /// to is left out of the blob table.
    ///
    /// # Errors
    /// As [`write_wim`].
    pub fn write_blobs(&mut self, sources: &[(&str, &Source)]) -> Result<Vec<BlobDigest>> {
        use rayon::prelude::*;
        let xpress = self.opts.compression == Compression::Xpress;
        let cache = self.opts.resource_cache.clone().filter(|_| xpress);
        // The same file named twice is read once.
        let mut first_of: HashMap<&std::path::Path, usize> = HashMap::new();
        let mut same_as: Vec<Option<usize>> = Vec::with_capacity(sources.len());
        for (i, (_, src)) in sources.iter().enumerate() {
            same_as.push(match src {
                Source::File(p) => match first_of.get(p.as_path()) {
                    Some(&j) => Some(j),
                    None => {
                        first_of.insert(p.as_path(), i);
                        None
                    }
                },
                _ => None,
            });
        }
        let sizes: Vec<Option<u64>> = sources
            .iter()
            .zip(&same_as)
            .map(|((_, s), dup)| if dup.is_some() { None } else { s.size().ok() })
            .collect();
        // Large files whose size another large file shares may be duplicates that a streaming
        // pass finds too late: those are hashed first (as `write_wim` does).
        let mut seen: HashMap<u64, usize> = HashMap::new();
        for &sz in sizes.iter().flatten() {
            if sz > SMALL_FILE {
                *seen.entry(sz).or_default() += 1;
            }
        }
        let mut out: Vec<Option<BlobDigest>> = vec![None; sources.len()];
        let mut i = 0;
        while i < sources.len() {
            if let Some(j) = same_as[i] {
                let d = out[j].ok_or_else(|| Error::invalid_input("payload order"))?;
                out[i] = Some(d);
                i += 1;
                continue;
            }
            let small = |k: usize| {
                same_as[k].is_none()
                    && matches!(sources[k].1, Source::Bytes(_) | Source::File(_))
                    && sizes[k].is_some_and(|n| n <= SMALL_FILE)
            };
            if small(i) {
                // A group of consecutive small sources, prepared in parallel.
                let mut end = i;
                let mut bytes = 0u64;
                while end < sources.len() && small(end) && (end == i || bytes < SMALL_GROUP_BYTES) {
                    bytes += sizes[end].unwrap_or(0);
                    end += 1;
                }
                let prepared: Vec<Result<Prepared>> = (i..end)
                    .into_par_iter()
                    .map(|k| {
                        let (path, src) = sources[k];
                        prepare_small(path, src, sizes[k].unwrap_or(0), xpress, cache.as_deref())
                    })
                    .collect();
                for (k, p) in (i..end).zip(prepared) {
                    let p = p?;
                    out[k] = Some(self.put_prepared(p, cache.as_deref())?);
                }
                i = end;
                continue;
            }
            let (path, src) = sources[i];
            let d = match src {
                Source::Written(d) => {
                    if !self.by_hash.contains_key(&d.sha1) {
                        return Err(Error::invalid_input(format!(
                            "'{path}': {} was not written by this writer",
                            src.describe()
                        )));
                    }
                    *d
                }
                _ => {
                    let pre = match sizes[i] {
                        Some(sz) if seen.get(&sz).copied().unwrap_or(0) > 1 => {
                            Some(hash_source(src, path)?)
                        }
                        _ => None,
                    };
                    self.write_large(path, src, sizes[i], pre)?
                }
            };
            out[i] = Some(d);
            i += 1;
        }
        out.into_iter()
            .map(|d| d.ok_or_else(|| Error::invalid_input("payload order")))
            .collect()
    }

    /// Writes (or finds written) one prepared small blob.
    fn put_prepared(&mut self, p: Prepared, cache: Option<&ResourceCache>) -> Result<BlobDigest> {
        let d = p.digest;
        self.bytes_read += d.size;
        self.sha256.insert(d.sha1, d.sha256);
        if d.size == 0 || self.by_hash.contains_key(&d.sha1) {
            return Ok(d);
        }
        let pos = self.out.stream_position()? - self.base;
        let (h, bytes) = match p.resource {
            Some(r) => r,
            None => {
                // Found in the cache while preparing.
                let res = cache
                    .and_then(|c| c.get(&d.sha1))
                    .ok_or_else(|| Error::invalid_input("resource cache entry vanished"))?;
                let w = res.write(&mut self.out, pos, d.size, d.sha1)?;
                self.push_blob(w.header, d.sha1, 0);
                return Ok(d);
            }
        };
        self.out.write_all(&bytes)?;
        let header = ResourceHeader {
            size_in_wim: h.size_in_wim,
            flags: h.flags,
            offset: pos,
            original_size: d.size,
        };
        if let Some(c) = cache {
            c.insert(
                d.sha1,
                CachedResource {
                    size_in_wim: h.size_in_wim,
                    flags: h.flags,
                    bytes: bytes.into_boxed_slice(),
                },
            );
        }
        self.push_blob(header, d.sha1, 0);
        Ok(d)
    }

    fn push_blob(&mut self, resource: ResourceHeader, sha1: [u8; 20], ref_count: u32) {
        self.by_hash.insert(sha1, self.blobs.len());
        self.blobs.push(BlobEntry {
            resource,
            part_number: 1,
            ref_count,
            sha1,
        });
    }

    /// Streams one large source (or one whose size is unknown) into the WIM, hashing SHA-1 and
    /// SHA-256 as it is compressed.
    fn write_large(
        &mut self,
        path: &str,
        src: &Source,
        planned: Option<u64>,
        pre: Option<([u8; 20], u64)>,
    ) -> Result<BlobDigest> {
        let open_err =
            |e: io::Error| Error::from(e).in_part(format!("{path} ({})", src.describe()));
        if let Some((h, n)) = pre {
            if let Some(&s256) = self.sha256.get(&h) {
                self.bytes_read += n;
                return Ok(BlobDigest {
                    sha1: h,
                    sha256: s256,
                    size: n,
                });
            }
        }
        let size = match (pre, planned) {
            (Some((_, n)), _) | (None, Some(n)) => n,
            (None, None) => src.size().map_err(open_err)?,
        };
        let mut r = src.open().map_err(open_err)?;
        let pos = self.out.stream_position()? - self.base;
        let mut sha256 = Sha256::new();
        let xpress = self.opts.compression == Compression::Xpress;
        let comp = self.spare.get();
        let w = super::resource::write_resource_hashed(
            &mut self.out,
            pos,
            &mut r,
            size,
            xpress.then_some(comp),
            0,
            path,
            Some(&mut sha256),
        )?;
        let changed = || {
            Error::invalid_input(format!(
                "'{path}' ({}) changed while it was being written",
                src.describe()
            ))
        };
        if pre.is_some_and(|(h, _)| h != w.sha1) || self.by_hash.contains_key(&w.sha1) {
            return Err(changed());
        }
        let d = BlobDigest {
            sha1: w.sha1,
            sha256: sha256.finalize().into(),
            size,
        };
        self.bytes_read += size;
        self.sha256.insert(d.sha1, d.sha256);
        if size > 0 {
            self.push_blob(w.header, w.sha1, 0);
        }
        Ok(d)
    }

    /// Writes the files of `tree` that are not written yet (a [`Source::Written`] file refers
    /// to its blob), then the metadata resource, the blob table, the XML data and the header;
    /// see [`write_wim`].
    ///
    /// # Errors
    /// As [`write_wim`]; [`crate::ErrorKind::InvalidInput`] when a [`Source::Written`] names a
    /// blob this writer did not write.
    pub fn finish(self, tree: &ImageTree, info: &ImageInfo) -> Result<WriteStats> {
        info.check_xml_chars()?;
        let Self {
            mut out,
            base,
            opts,
            mut spare,
            mut blobs,
            mut by_hash,
            ..
        } = self;
        let opts = &opts;
        let xpress = opts.compression == Compression::Xpress;
        let comp = spare.get();
        let mut stats = WriteStats::default();
        // One read of each file (issue 15): sizes come from `stat`; a file of at most
        // SMALL_FILE bytes is read whole, hashed and deduplicated before it is written; a larger
        // one is hashed, probed and compressed in one streaming pass. Only large files whose size
        // another large file shares could be duplicates that a streaming pass finds too late:
        // those alone are hashed first (in parallel), and so read twice.
        let plan = {
            use rayon::prelude::*;
            let mut files = Vec::new();
            collect_files(&tree.root, "", &mut files);
            let sizes: Vec<Option<u64>> = files.iter().map(|(_, s)| s.size().ok()).collect();
            let mut seen: HashMap<u64, usize> = HashMap::new();
            for (sz, (_, src)) in sizes.iter().zip(&files) {
                let Some(sz) = *sz else { continue };
                if sz > SMALL_FILE && !matches!(src, Source::Written(_)) {
                    *seen.entry(sz).or_default() += 1;
                }
            }
            files
                .par_iter()
                .zip(sizes.par_iter())
                .map(|((path, src), size)| {
                    let pre = match size {
                        _ if matches!(src, Source::Written(_)) => None,
                        Some(sz) if *sz > SMALL_FILE && seen.get(sz).copied().unwrap_or(0) > 1 => {
                            Some(hash_source(src, path))
                        }
                        _ => None,
                    };
                    (*size, pre)
                })
                .collect::<Vec<_>>()
        };
        let root = write_dir(
            &mut out,
            base,
            "",
            &tree.root,
            &mut Ctx {
                comp: xpress.then_some(&mut *comp),
                cache: opts.resource_cache.as_deref().filter(|_| xpress),
                blobs: &mut blobs,
                by_hash: &mut by_hash,
                stats: &mut stats,
                plan: plan.into_iter(),
                buf: Vec::new(),
            },
        )?;
        let root = OutDentry {
            name: Vec::new(),
            is_dir: true,
            hash: [0; 20],
            children: root,
        };

        // Metadata resource.
        let meta = write_metadata(&root, opts.timestamp);
        let meta_pos = out.stream_position()? - base;
        let mut meta_src: &[u8] = &meta;
        let meta_compress = xpress
            && worth_compressing(&mut &meta[..], meta.len() as u64, comp, "metadata resource")?;
        let mw = write_resource(
            &mut out,
            meta_pos,
            &mut meta_src,
            meta.len() as u64,
            if meta_compress { Some(comp) } else { None },
            RESHDR_METADATA,
            "metadata resource",
        )?;
        let meta_entry = BlobEntry {
            resource: mw.header,
            part_number: 1,
            ref_count: 1,
            sha1: mw.sha1,
        };

        // Blob table: the metadata blob first, then the data blobs in file order (as WCD).
        let table_pos = out.stream_position()? - base;
        let mut table = Vec::with_capacity((blobs.len() + 1) * BLOB_ENTRY_SIZE);
        // Blobs written by `write_blobs` that no file refers to are left out.
        blobs.retain(|b| b.ref_count > 0);
        for b in std::iter::once(&meta_entry).chain(blobs.iter()) {
            table.extend_from_slice(&b.to_bytes()?);
        }
        out.write_all(&table)?;

        // XML data.
        let xml_pos = out.stream_position()? - base;
        let mut info = info.clone();
        info.dir_count = stats.dirs;
        info.file_count = match opts.file_count {
            FileCount::Files => stats.files,
            FileCount::WcdPackage => (stats.files + stats.dirs).saturating_sub(4),
        };
        info.total_bytes = stats.bytes_in;
        info.hard_link_bytes = 0;
        if info.creation_time == 0 {
            info.creation_time = opts.timestamp;
        }
        if info.last_modification_time == 0 {
            info.last_modification_time = opts.timestamp;
        }
        let xml = encode_utf16le(&info.to_wim_xml(xml_pos));
        out.write_all(&xml)?;
        let end = out.stream_position()?;

        let guid = if opts.guid_from_content {
            let mut h = Sha256::new();
            h.update(&meta);
            h.update(&xml);
            let d = h.finalize();
            let mut g = [0u8; 16];
            g.copy_from_slice(&d[..16]);
            g[6] = (g[6] & 0x0F) | 0x80; // UUID version 8 (custom)
            g[8] = (g[8] & 0x3F) | 0x80; // RFC 4122 variant
            g
        } else {
            opts.guid
        };
        let header = Header {
            version: VERSION_1_13,
            flags: if xpress {
                FLAG_COMPRESSION | FLAG_RP_FIX | FLAG_XPRESS
            } else {
                FLAG_RP_FIX
            },
            chunk_size: if xpress { CHUNK_SIZE } else { 0 },
            guid,
            part_number: 1,
            total_parts: 1,
            image_count: 1,
            blob_table: ResourceHeader {
                size_in_wim: table.len() as u64,
                flags: RESHDR_METADATA,
                offset: table_pos,
                original_size: table.len() as u64,
            },
            xml_data: ResourceHeader {
                size_in_wim: xml.len() as u64,
                // WCD and wimlib both flag the XML data METADATA.
                flags: RESHDR_METADATA,
                offset: xml_pos,
                original_size: xml.len() as u64,
            },
            boot_metadata: ResourceHeader::default(),
            boot_index: 0,
            integrity: ResourceHeader::default(),
        };
        out.seek(SeekFrom::Start(base))?;
        out.write_all(&header.to_bytes()?)?;
        out.seek(SeekFrom::Start(end))?;
        out.flush()?;
        stats.blobs = blobs.len() as u64;
        stats.bytes_out = end - base;
        Ok(stats)
    }
}

/// Reads, hashes and compresses one small source into memory (off the writing thread).
fn prepare_small(
    path: &str,
    src: &Source,
    size: u64,
    xpress: bool,
    cache: Option<&ResourceCache>,
) -> Result<Prepared> {
    let open_err = |e: io::Error| Error::from(e).in_part(format!("{path} ({})", src.describe()));
    let owned;
    let buf: &[u8] = match src {
        Source::Bytes(b) => b,
        _ => {
            let mut r = src.open().map_err(open_err)?;
            let mut v = vec![0u8; size as usize];
            read_exact_src(&mut r, &mut v, path)?;
            let mut probe = [0u8; 1];
            if r.read(&mut probe).map_err(open_err)? != 0 {
                return Err(Error::invalid_input(format!(
                    "'{path}' grew while it was being written (more than {size} bytes)"
                )));
            }
            owned = v;
            &owned
        }
    };
    let digest = BlobDigest {
        sha1: Sha1::digest(buf).into(),
        sha256: Sha256::digest(buf).into(),
        size: buf.len() as u64,
    };
    if buf.is_empty() || cache.is_some_and(|c| c.get(&digest.sha1).is_some()) {
        return Ok(Prepared {
            digest,
            resource: None,
        });
    }
    let mut spare = SpareCompressor::take();
    let mut mem = io::Cursor::new(Vec::with_capacity(buf.len() / 2 + 64));
    let w = write_small(&mut mem, 0, buf, xpress.then_some(spare.get()), path)?;
    Ok(Prepared {
        digest,
        resource: Some((
            CachedResourceHeader {
                size_in_wim: w.header.size_in_wim,
                flags: w.header.flags,
            },
            mem.into_inner(),
        )),
    })
}

/// The calling thread's XPRESS compressor (about 200 KiB of tables), taken for one write and
/// given back when it ends, so that thousands of small writes on one thread allocate it once.
/// Taken rather than borrowed: the thread may run other writes (rayon work stealing) while it
/// waits for its own parallel chunks.
struct SpareCompressor(Option<Box<Compressor>>);

thread_local! {
    static SPARE_COMPRESSOR: std::cell::Cell<Option<Box<Compressor>>> =
        const { std::cell::Cell::new(None) };
}

impl SpareCompressor {
    fn take() -> Self {
        Self(Some(
            SPARE_COMPRESSOR
                .with(std::cell::Cell::take)
                .unwrap_or_else(|| Box::new(Compressor::new())),
        ))
    }

    fn get(&mut self) -> &mut Compressor {
        self.0.get_or_insert_with(|| Box::new(Compressor::new()))
    }
}

impl Drop for SpareCompressor {
    fn drop(&mut self) {
        let c = self.0.take();
        // The thread-local is gone when the thread is exiting: then the compressor is dropped.
        let _ = SPARE_COMPRESSOR.try_with(|s| s.set(c));
    }
}

struct Ctx<'a> {
    comp: Option<&'a mut Compressor>,
    cache: Option<&'a ResourceCache>,
    blobs: &'a mut Vec<BlobEntry>,
    by_hash: &'a mut HashMap<[u8; 20], usize>,
    stats: &'a mut WriteStats,
    /// Per file in `write_dir` order ([`collect_files`]): its size by `stat`, and its
    /// (SHA-1, size) when it had to be hashed first.
    plan: std::vec::IntoIter<Plan>,
    /// Whole small files ([`SMALL_FILE`]), one at a time.
    buf: Vec<u8>,
}

/// A file's size by `stat` (`None` when that failed: the read will report it) and, for a large
/// file that may be a duplicate, its (SHA-1, size) from a first pass.
type Plan = (Option<u64>, Option<Result<([u8; 20], u64)>>);

/// Files up to this size (1 MiB, one parallel batch) are read whole into memory, hashed and
/// deduplicated before anything is written; larger ones are streamed.
const SMALL_FILE: u64 = (PARALLEL_BATCH * CHUNK_SIZE as usize) as u64;

/// Every file of `dir`, depth first in write order (as [`write_dir`] visits them), with its
/// '/'-joined path.
fn collect_files<'t>(dir: &'t Dir, prefix: &str, out: &mut Vec<(String, &'t Source)>) {
    for (name, node) in dir.ordered() {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        match node {
            Node::Dir(d) => collect_files(d, &path, out),
            Node::File(src) => out.push((path, src)),
        }
    }
}

/// Writes the blobs of `dir`'s files (depth first, in child order) and returns the dentries.
fn write_dir<W: Write + Seek>(
    out: &mut W,
    base: u64,
    prefix: &str,
    dir: &Dir,
    ctx: &mut Ctx<'_>,
) -> Result<Vec<OutDentry>> {
    let mut list = Vec::with_capacity(dir.children.len());
    for (name, node) in dir.ordered() {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let utf16: Vec<u16> = name.encode_utf16().collect();
        match node {
            Node::Dir(d) => {
                ctx.stats.dirs += 1;
                let children = write_dir(out, base, &path, d, ctx)?;
                list.push(OutDentry {
                    name: utf16,
                    is_dir: true,
                    hash: [0; 20],
                    children,
                });
            }
            Node::File(src) => {
                ctx.stats.files += 1;
                let hash = write_file(out, base, &path, src, ctx)?;
                list.push(OutDentry {
                    name: utf16,
                    is_dir: false,
                    hash,
                    children: Vec::new(),
                });
            }
        }
    }
    Ok(list)
}

/// Writes one file's blob (or counts a reference to an equal blob written before) reading the
/// file once, and returns its SHA-1 (zero for an empty file).
fn write_file<W: Write + Seek>(
    out: &mut W,
    base: u64,
    path: &str,
    src: &Source,
    ctx: &mut Ctx<'_>,
) -> Result<[u8; 20]> {
    let (planned, pre) = ctx.plan.next().unwrap_or((None, None));
    if let Source::Written(d) = src {
        ctx.stats.bytes_in += d.size;
        if d.size == 0 {
            return Ok([0; 20]);
        }
        return match ctx.by_hash.get(&d.sha1) {
            Some(&i) => {
                ctx.blobs[i].ref_count += 1;
                Ok(d.sha1)
            }
            None => Err(Error::invalid_input(format!(
                "'{path}': {} was not written by this writer",
                src.describe()
            ))),
        };
    }
    let open_err = |e: io::Error| Error::from(e).in_part(format!("{path} ({})", src.describe()));
    let known = match pre {
        Some(r) => Some(r?),
        None => None,
    };
    let mut r = src.open().map_err(open_err)?;
    let size = match (known, planned) {
        (Some((_, n)), _) => n,
        (None, Some(n)) => n,
        (None, None) => src.size().map_err(open_err)?,
    };
    let dup = |ctx: &mut Ctx<'_>, h: &[u8; 20]| -> bool {
        match ctx.by_hash.get(h) {
            Some(&i) => {
                ctx.blobs[i].ref_count += 1;
                true
            }
            None => false,
        }
    };
    let changed = || {
        Error::invalid_input(format!(
            "'{path}' ({}) changed while it was being written",
            src.describe()
        ))
    };
    ctx.stats.bytes_in += size;
    if size == 0 {
        let mut probe = [0u8; 1];
        if r.read(&mut probe).map_err(open_err)? != 0 {
            return Err(changed());
        }
        return Ok([0; 20]);
    }
    if let Some((h, _)) = known {
        if dup(ctx, &h) {
            return Ok(h);
        }
    }
    let pos = out.stream_position()? - base;
    let w = if size <= SMALL_FILE {
        // Read whole (bounded by SMALL_FILE), hashed and deduplicated before writing.
        let mut buf = std::mem::take(&mut ctx.buf);
        buf.resize(size as usize, 0);
        read_exact_src(&mut r, &mut buf, path)?;
        let mut probe = [0u8; 1];
        if r.read(&mut probe).map_err(open_err)? != 0 {
            return Err(Error::invalid_input(format!(
                "'{path}' grew while it was being written (more than {size} bytes)"
            )));
        }
        let h: [u8; 20] = Sha1::digest(&buf).into();
        if dup(ctx, &h) {
            ctx.buf = buf;
            return Ok(h);
        }
        let hit = ctx.cache.and_then(|c| c.get(&h));
        let w = if let Some(hit) = hit {
            hit.write(out, pos, size, h)?
        } else if let Some(cache) = ctx.cache {
            let (w, res) = CachedResource::record(out, |mem| {
                write_small(mem, pos, &buf, ctx.comp.as_deref_mut(), path)
            })?;
            cache.insert(w.sha1, res);
            w
        } else {
            write_small(out, pos, &buf, ctx.comp.as_deref_mut(), path)?
        };
        ctx.buf = buf;
        w
    } else if let Some(cache) = ctx.cache {
        // A large blob: found by the file's identity (or, in memory, its SHA-1) without
        // reading it, else written to memory and kept when the cache has room for it.
        let key = LargeKey::of(src, size);
        let hit = key
            .as_ref()
            .and_then(|k| cache.get_large(k))
            .filter(|(h, _)| known.is_none_or(|(k, _)| k == *h));
        match (hit, key) {
            (Some((h, res)), _) => {
                if dup(ctx, &h) {
                    return Ok(h);
                }
                res.write(out, pos, size, h)?
            }
            (None, Some(k)) if cache.has_room(size) => {
                let (w, res) = CachedResource::record(out, |mem| {
                    write_resource(mem, pos, &mut r, size, ctx.comp.as_deref_mut(), 0, path)
                })?;
                cache.insert_large(k, w.sha1, res);
                w
            }
            _ => write_resource(out, pos, &mut r, size, ctx.comp.as_deref_mut(), 0, path)?,
        }
    } else {
        write_resource(out, pos, &mut r, size, ctx.comp.as_deref_mut(), 0, path)?
    };
    if known.is_some_and(|(h, _)| h != w.sha1) {
        return Err(changed());
    }
    // A large file of a size no other large file has cannot equal a blob written before.
    if dup(ctx, &w.sha1) {
        return Err(changed());
    }
    ctx.by_hash.insert(w.sha1, ctx.blobs.len());
    ctx.blobs.push(BlobEntry {
        resource: w.header,
        part_number: 1,
        ref_count: 1,
        sha1: w.sha1,
    });
    Ok(w.sha1)
}

/// Writes a blob held whole in memory. The exact decision costs no read: compressed only when
/// chunks plus chunk table come out smaller (an incompressible blob is stored whole, as
/// wimlib does).
fn write_small<W: Write + Seek>(
    out: &mut W,
    pos: u64,
    buf: &[u8],
    comp: Option<&mut Compressor>,
    path: &str,
) -> Result<Written> {
    let size = buf.len() as u64;
    let comp = match comp {
        Some(c) => {
            if worth_compressing(&mut &buf[..], size, c, path)? {
                Some(c)
            } else {
                None
            }
        }
        None => None,
    };
    write_resource(out, pos, &mut &buf[..], size, comp, 0, path)
}

/// Whether a blob of `size` bytes read from `r` is worth storing compressed. A one-chunk blob
/// always goes to [`write_resource`], which stores the chunk raw and the resource uncompressed
/// when it does not shrink. For a longer blob: yes when its first chunk shrinks (the common
/// case, decided after one chunk); otherwise every chunk is compressed once here and the blob is
/// compressed only if chunks plus chunk table come out smaller than the blob, as wimlib decides
/// (so an incompressible payload, such as an MSI, is stored as it is, without a chunk table).
fn worth_compressing(
    r: &mut dyn Read,
    size: u64,
    comp: &mut Compressor,
    part: &str,
) -> Result<bool> {
    let cs = u64::from(CHUNK_SIZE);
    if size <= cs {
        return Ok(true);
    }
    let n = size.div_ceil(cs);
    let entry: u64 = if size > u64::from(u32::MAX) { 8 } else { 4 };
    let mut total = (n - 1) * entry;
    // The first chunk alone: when it shrinks, the answer is yes at once.
    let cs_usize = CHUNK_SIZE as usize;
    let mut chunk = vec![0u8; cs_usize];
    let mut out = Vec::with_capacity(cs_usize + 1024);
    read_exact_src(r, &mut chunk, part)?;
    let clen = comp.compress(&chunk, &mut out);
    if clen < cs_usize {
        return Ok(true);
    }
    total += cs;
    // The rest in parallel batches, stopping as soon as the sum reaches the blob's size.
    let batch = PARALLEL_BATCH.min((n - 1) as usize);
    let mut ubuf = vec![0u8; batch * cs_usize];
    let mut cbufs: Vec<Vec<u8>> = (0..batch)
        .map(|_| Vec::with_capacity(cs_usize + 1024))
        .collect();
    let mut clens = vec![0usize; batch];
    let mut i = 1u64;
    while i < n {
        let k = batch.min((n - i) as usize);
        let ulens = read_chunks(r, &mut ubuf, i, k, size, part, |_| {})?;
        compress_batch(
            comp,
            &ubuf[..k * cs_usize],
            &ulens[..k],
            &[true; PARALLEL_BATCH][..k],
            &mut cbufs[..k],
            &mut clens[..k],
        );
        for j in 0..k {
            total += clens[j].min(ulens[j]) as u64;
        }
        if total >= size {
            return Ok(false);
        }
        i += k as u64;
    }
    Ok(total < size)
}

/// First pass over a source: SHA-1 and size, streaming through a 64 KiB buffer.
fn hash_source(src: &Source, path: &str) -> Result<([u8; 20], u64)> {
    let err = |e: io::Error| Error::from(e).in_part(format!("{path} ({})", src.describe()));
    let mut r = src.open().map_err(err)?;
    let mut h = Sha1::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = match r.read(&mut buf) {
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(err(e)),
        };
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((h.finalize().into(), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_file_bytes() {
        let mut t = ImageTree::new();
        t.add_file("a/secret.xml", "<Password>hunter2</Password>")
            .unwrap();
        let s = format!("{t:?} {:?}", Source::from("hunter2"));
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("bytes"), "{s}");
    }

    #[test]
    fn order_is_files_then_folders_in_insertion_order() {
        let mut t = ImageTree::new();
        t.add_file("Multivariant/0/Prov/RunTime/0__x.provxml", "p")
            .unwrap();
        t.add_file("Multivariant/0/Prov/RunTime.xml", "r").unwrap();
        t.add_file("Multivariant/Multivariant.xml", "m").unwrap();
        t.add_dir("CommonSettings").unwrap();
        t.add_file("Multivariant/0/customizations.xml", "c")
            .unwrap();
        assert_eq!(t.len(), 9);
        let names = |d: &Dir| d.ordered().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&t.root), ["Multivariant", "CommonSettings"]);
        let Some((_, Node::Dir(mv))) = t.root.children.first() else {
            panic!("Multivariant is a folder")
        };
        assert_eq!(names(mv), ["Multivariant.xml", "0"]);
        let Some((_, Node::Dir(zero))) = mv.children.first() else {
            panic!("0 is a folder")
        };
        assert_eq!(names(zero), ["customizations.xml", "Prov"]);
    }

    #[test]
    fn deterministic_and_env_options() {
        let o = WriteOptions::deterministic([2; 16], 42).with_compression(Compression::None);
        assert_eq!(
            (o.guid, o.timestamp, o.compression),
            ([2; 16], 42, Compression::None)
        );
        assert!(!o.guid_from_content);
        assert_eq!(WriteOptions::default().compression, Compression::Xpress);
    }
}
