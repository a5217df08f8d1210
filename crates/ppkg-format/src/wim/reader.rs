//! [`WimReader`]: the checked index layer (header, blob table, metadata, XML data, all
//! validated in [`WimReader::new`]) and the streaming access layer ([`WimReader::open`]).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::dentry::{self, RawDentry, MAX_DENTRIES};
use super::header::*;
use super::resource::{from_io, hex, BlobReader};
use crate::error::{Error, ErrorKind, Result};
use crate::metadata::{self, ImageInfo};

/// Size of one blob table entry: resource header, u16 part number, u32 reference count, SHA-1.
pub const BLOB_ENTRY_SIZE: usize = 50;
/// Largest metadata resource (uncompressed) this reader loads: 16 MiB, 256 bytes for each of
/// [`MAX_DENTRIES`] dentries (a dentry with a 60-character name takes about 230). Real packages'
/// metadata resources are a few KiB (`start_pins.ppkg`: 3.6 KiB); the bound keeps hostile input
/// under the 64 MiB of memory the README promises (issue 12 item 5).
pub const MAX_METADATA_BYTES: u64 = 16 << 20;
/// Largest blob table this reader loads: 4 MiB (83,886 entries; one blob per file at most is
/// [`MAX_DENTRIES`] + 1 entries, 3.3 MB). Real packages: under 40 entries.
pub const MAX_BLOB_TABLE_BYTES: u64 = 4 << 20;
/// Largest XML data this reader loads: 1 MiB (real packages: under 2 KiB; it describes one
/// image in about 20 elements).
pub const MAX_WIM_XML_BYTES: u64 = 1 << 20;

/// One blob table entry (50 bytes on disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobEntry {
    /// Where the blob is stored.
    pub resource: ResourceHeader,
    /// Part of a split WIM holding it (1).
    pub part_number: u16,
    /// How many streams refer to it.
    pub ref_count: u32,
    /// SHA-1 of the uncompressed bytes.
    pub sha1: [u8; 20],
}

impl BlobEntry {
    /// Parses 50 bytes.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] for fewer than 50 bytes.
    pub fn parse(b: &[u8]) -> Result<Self> {
        if b.len() < BLOB_ENTRY_SIZE {
            return Err(Error::new(ErrorKind::Truncated {
                needed: (BLOB_ENTRY_SIZE - b.len()) as u64,
            }));
        }
        Ok(Self {
            resource: ResourceHeader::parse(&b[..24])?,
            part_number: le16(&b[24..26]),
            ref_count: le32(&b[26..30]),
            sha1: b[30..50].try_into().unwrap_or_default(),
        })
    }

    /// The 50 bytes on disk.
    ///
    /// # Errors
    /// As [`ResourceHeader::to_bytes`].
    pub fn to_bytes(&self) -> Result<[u8; BLOB_ENTRY_SIZE]> {
        let mut b = [0u8; BLOB_ENTRY_SIZE];
        b[..24].copy_from_slice(&self.resource.to_bytes()?);
        b[24..26].copy_from_slice(&self.part_number.to_le_bytes());
        b[26..30].copy_from_slice(&self.ref_count.to_le_bytes());
        b[30..].copy_from_slice(&self.sha1);
        Ok(b)
    }
}

/// A file or folder of the image.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Path from the image root, '/'-separated, no leading '/' (the root is not listed), e.g.
    /// `Multivariant/0/customizations.xml`.
    pub path: String,
    /// Whether this is a folder.
    pub is_dir: bool,
    /// Size of the file's data in bytes (0 for folders).
    pub size: u64,
    /// SHA-1 of the data (`None` for folders and empty files).
    pub sha1: Option<[u8; 20]>,
    /// Creation time (FILETIME: 100 ns ticks since 1601-01-01 UTC).
    pub creation_time: u64,
    /// Last write time (FILETIME).
    pub last_write_time: u64,
    /// Windows file attributes (`0x10` directory, `0x20` archive, `0x400` reparse point …).
    pub attributes: u32,
    /// Index of the blob in the reader's blob list.
    blob: Option<usize>,
}

impl Entry {
    /// Index of the entry's blob in the reader's blob list (`None` for folders and empty files).
    pub(crate) fn blob_index(&self) -> Option<usize> {
        self.blob
    }

    /// Whether the entry is a reparse point (symbolic link or junction): listed, never
    /// extracted.
    pub fn is_reparse_point(&self) -> bool {
        self.attributes & dentry::FILE_ATTRIBUTE_REPARSE_POINT != 0
    }
}

/// Counts of what [`WimReader::extract_to`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtractStats {
    /// Files written.
    pub files: u64,
    /// Folders created (the target itself not counted).
    pub dirs: u64,
    /// Bytes of file data written.
    pub bytes: u64,
}

/// Options of [`WimReader::extract_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtractOptions {
    /// Workers decoding, writing and checking files; `0` (the default) is one per core, at most
    /// 8 (each holds about 4 MiB). The result does not depend on the count.
    pub threads: usize,
    /// Whether the target folder is created by the call and so known to be empty (default
    /// `false`): see [`WimReader::extract_to_fresh`].
    pub fresh: bool,
}

/// A WIM opened for reading. [`WimReader::new`] reads and checks the header, the blob table,
/// the image's metadata resource (SHA-1 included) and the XML data before anything is handed
/// out; file data is then streamed by [`WimReader::open`] with its SHA-1 checked at the end.
///
/// Reads version 1.13 (and 1.12) WIMs with one image, uncompressed or XPRESS-compressed.
/// LZX, LZMS, solid, split and pipable WIMs give [`ErrorKind::Unsupported`] naming the feature.
#[derive(Debug)]
pub struct WimReader<R: Read + Seek> {
    inner: R,
    file_len: u64,
    header: Header,
    blobs: Vec<BlobEntry>,
    metadata_blob: BlobEntry,
    xml: String,
    info: ImageInfo,
    entries: Vec<Entry>,
    /// Indexes into `entries`, sorted by path (4 bytes per entry, no second copy of the paths).
    by_path: Vec<u32>,
}

impl<R: Read + Seek> WimReader<R> {
    /// Opens a WIM: checks the header, tables and the dentry tree up front. Memory is bounded by
    /// the caps [`MAX_BLOB_TABLE_BYTES`], [`MAX_METADATA_BYTES`], [`MAX_WIM_XML_BYTES`],
    /// [`MAX_DENTRIES`] and [`super::MAX_PATH_BYTES`] (together under 64 MiB of peak memory on any
    /// input); every size is checked against the file length before it is used.
    ///
    /// # Errors
    /// [`ErrorKind::NotWim`], [`ErrorKind::Unsupported`] (LZX, LZMS, solid, split, pipable, more
    /// than one image), [`ErrorKind::Truncated`] (a resource past the end of the file),
    /// [`ErrorKind::Malformed`], [`ErrorKind::LimitExceeded`], [`ErrorKind::HashMismatch`]
    /// (metadata), [`ErrorKind::UnsafePath`] (a dentry name that cannot be a path component),
    /// [`ErrorKind::Xml`] / [`ErrorKind::Encoding`] (XML data), [`ErrorKind::Io`]; each with the
    /// absolute byte offset (or the offset in the metadata resource) and the part name.
    pub fn new(mut inner: R) -> Result<Self> {
        let file_len = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(0))?;
        let mut hb = vec![0u8; (HEADER_SIZE as u64).min(file_len) as usize];
        inner.read_exact(&mut hb)?;
        let header = Header::parse(&hb).map_err(|e| e.in_part("WIM header"))?;
        check_header(&header).map_err(|e| e.in_part("WIM header"))?;
        let compressed_ok = header.flags & FLAG_COMPRESSION != 0;
        if header.boot_index > header.image_count {
            return Err(Error::malformed(format!(
                "boot index {} but {} image(s)",
                header.boot_index, header.image_count
            ))
            .at(120)
            .in_part("WIM header"));
        }
        if (header.boot_index == 0) != header.boot_metadata.is_empty() {
            return Err(Error::malformed("boot metadata and boot index disagree")
                .at(96)
                .in_part("WIM header"));
        }
        // Not used by this reader, but a header pointing outside the file is broken.
        check_res(
            &header.boot_metadata,
            file_len,
            compressed_ok,
            96,
            "boot metadata",
        )?;
        check_res(&header.integrity, file_len, false, 124, "integrity table")?;

        // Blob table.
        let bt = header.blob_table;
        check_res(&bt, file_len, false, 48, "blob table")?;
        if bt.is_compressed() {
            return Err(Error::malformed("the blob table is marked compressed")
                .at(48)
                .in_part("blob table"));
        }
        if bt.size_in_wim % BLOB_ENTRY_SIZE as u64 != 0 {
            return Err(Error::malformed(format!(
                "blob table size {} is not a multiple of {BLOB_ENTRY_SIZE}",
                bt.size_in_wim
            ))
            .at(48)
            .in_part("blob table"));
        }
        if bt.size_in_wim > MAX_BLOB_TABLE_BYTES {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "blob table size".into(),
                value: bt.size_in_wim,
                limit: MAX_BLOB_TABLE_BYTES,
            })
            .at(48)
            .in_part("blob table"));
        }
        let mut table = vec![0u8; bt.size_in_wim as usize];
        inner.seek(SeekFrom::Start(bt.offset))?;
        inner
            .read_exact(&mut table)
            .map_err(|e| Error::from(e).at(bt.offset).in_part("blob table"))?;
        let mut blobs = Vec::with_capacity(table.len() / BLOB_ENTRY_SIZE);
        let mut metadata = Vec::new();
        let mut by_hash: HashMap<[u8; 20], usize> = HashMap::new();
        for (i, raw) in table.chunks_exact(BLOB_ENTRY_SIZE).enumerate() {
            let at = bt.offset + (i * BLOB_ENTRY_SIZE) as u64;
            let part = || format!("blob table entry {i}");
            let e = BlobEntry::parse(raw)?;
            let r = e.resource;
            if r.flags & RESHDR_FREE != 0 {
                continue;
            }
            if r.flags & RESHDR_SOLID != 0 {
                return Err(Error::unsupported("solid resources")
                    .at(at + 7)
                    .in_part(part()));
            }
            if r.flags & RESHDR_SPANNED != 0 || e.part_number != 1 {
                return Err(Error::unsupported("split WIM (resource in another part)")
                    .at(at + 24)
                    .in_part(part()));
            }
            check_res(&r, file_len, compressed_ok, at, &part())?;
            if r.flags & RESHDR_METADATA != 0 {
                metadata.push(e);
                continue;
            }
            if e.sha1 == [0; 20] {
                return Err(Error::malformed("blob with an all-zero SHA-1")
                    .at(at + 30)
                    .in_part(part()));
            }
            if by_hash.insert(e.sha1, blobs.len()).is_some() {
                return Err(
                    Error::malformed(format!("SHA-1 {} listed twice", hex(&e.sha1)))
                        .at(at + 30)
                        .in_part(part()),
                );
            }
            blobs.push(e);
        }
        if metadata.len() != header.image_count as usize {
            return Err(Error::malformed(format!(
                "{} metadata resources for {} images",
                metadata.len(),
                header.image_count
            ))
            .at(bt.offset)
            .in_part("blob table"));
        }
        let metadata_blob = metadata[0];
        check_no_overlap(&header, &blobs, &metadata)?;

        // Metadata resource.
        let mr = metadata_blob.resource;
        if mr.original_size > MAX_METADATA_BYTES {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "metadata resource size".into(),
                value: mr.original_size,
                limit: MAX_METADATA_BYTES,
            })
            .at(mr.offset)
            .in_part("metadata resource"));
        }
        // Reserved once (the claimed size is capped above, so growing by doubling could only
        // raise the peak); pages not written are never resident.
        let mut meta = Vec::with_capacity(mr.original_size as usize);
        BlobReader::new(
            &mut inner,
            mr,
            header.chunk_size,
            Some(metadata_blob.sha1),
            "metadata resource",
        )?
        .read_to_end(&mut meta)
        .map_err(from_io)?;
        let raw = dentry::parse_metadata(&meta).map_err(|e| e.in_part("metadata resource"))?;
        drop(meta);

        // Every compressed blob's chunk table, checked now (one table in memory at a time) so
        // that a broken table is found before any file is handed out.
        for b in &blobs {
            if b.resource.is_compressed() {
                let part = format!("blob {}", hex(&b.sha1));
                BlobReader::new(
                    &mut inner,
                    b.resource,
                    header.chunk_size,
                    Some(b.sha1),
                    &part,
                )?;
            }
        }

        // XML data.
        let xr = header.xml_data;
        check_res(&xr, file_len, false, 72, "XML data")?;
        if xr.is_empty() || xr.size_in_wim == 0 {
            return Err(Error::malformed("no XML data").at(72).in_part("XML data"));
        }
        if xr.is_compressed() {
            return Err(Error::malformed("the XML data is marked compressed")
                .at(72)
                .in_part("XML data"));
        }
        if xr.size_in_wim > MAX_WIM_XML_BYTES {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "XML data size".into(),
                value: xr.size_in_wim,
                limit: MAX_WIM_XML_BYTES,
            })
            .at(72)
            .in_part("XML data"));
        }
        let mut xb = vec![0u8; xr.size_in_wim as usize];
        inner.seek(SeekFrom::Start(xr.offset))?;
        inner
            .read_exact(&mut xb)
            .map_err(|e| Error::from(e).at(xr.offset).in_part("XML data"))?;
        let xml = metadata::decode_utf16le(&xb).map_err(|e| {
            let off = e.offset().map(|o| o + xr.offset);
            let e = Error::new(e.kind().clone()).in_part("XML data");
            match off {
                Some(o) => e.at(o),
                None => e.at(xr.offset),
            }
        })?;
        let info = ImageInfo::from_wim_xml(&xml)?;

        debug_assert!(raw.len() <= MAX_DENTRIES);
        let mut entries = Vec::with_capacity(raw.len());
        for d in raw {
            entries.push(make_entry(d, &by_hash, &blobs)?);
        }
        drop(by_hash);
        let mut by_path: Vec<u32> = (0..entries.len() as u32).collect();
        by_path.sort_unstable_by(|&a, &b| entries[a as usize].path.cmp(&entries[b as usize].path));
        for w in by_path.windows(2) {
            let e = &entries[w[0] as usize].path;
            if *e == entries[w[1] as usize].path {
                return Err(
                    Error::malformed(format!("'{e}' appears twice in the image"))
                        .in_part("metadata resource"),
                );
            }
        }
        Ok(Self {
            inner,
            file_len,
            header,
            blobs,
            metadata_blob,
            xml,
            info,
            entries,
            by_path,
        })
    }

    /// The WIM header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The image's fields from the XML data (`<IMAGE INDEX="1">`).
    pub fn image_info(&self) -> &ImageInfo {
        &self.info
    }

    /// The XML data as text (decoded from UTF-16LE, BOM removed).
    pub fn xml_data(&self) -> &str {
        &self.xml
    }

    /// The blob table's data blobs (metadata resources not included), in table order.
    pub fn blobs(&self) -> &[BlobEntry] {
        &self.blobs
    }

    /// The blob table entry of the image's metadata resource.
    pub fn metadata_blob(&self) -> &BlobEntry {
        &self.metadata_blob
    }

    /// Length of the underlying file in bytes.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Every file and folder, depth first, parents before children, in on-disk order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry at `path` (`'/'` or `'\\'` separated, leading separator optional), matched
    /// exactly first, then ignoring ASCII case as Windows does.
    pub fn find(&self, path: &str) -> Option<&Entry> {
        let norm: String = path.replace('\\', "/");
        let norm = norm.trim_matches('/');
        if let Ok(i) = self
            .by_path
            .binary_search_by(|&i| self.entries[i as usize].path.as_str().cmp(norm))
        {
            return self.entries.get(self.by_path[i] as usize);
        }
        self.entries
            .iter()
            .find(|e| e.path.eq_ignore_ascii_case(norm))
    }

    /// A streaming reader of a file's data; the SHA-1 is checked when the last byte is read (a
    /// mismatch is an `io::Error` of kind `InvalidData` wrapping [`ErrorKind::HashMismatch`]).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a folder, a reparse point, or an entry not from this
    /// reader; I/O and [`ErrorKind::Malformed`] errors reading the chunk table.
    pub fn open(&mut self, entry: &Entry) -> Result<BlobReader<'_, R>> {
        if entry.is_dir || entry.is_reparse_point() {
            return Err(Error::invalid_input(format!(
                "'{}' is not a regular file",
                entry.path
            )));
        }
        let (res, sha1) = match entry.blob {
            Some(i) => {
                let b = self
                    .blobs
                    .get(i)
                    .filter(|b| Some(b.sha1) == entry.sha1)
                    .ok_or_else(|| {
                        Error::invalid_input(format!(
                            "'{}' is not an entry of this WIM",
                            entry.path
                        ))
                    })?;
                (b.resource, Some(b.sha1))
            }
            None => (ResourceHeader::default(), None),
        };
        BlobReader::new(
            &mut self.inner,
            res,
            self.header.chunk_size,
            sha1,
            &entry.path,
        )
    }

    /// Reads a whole file into memory, refusing files larger than `limit` bytes.
    ///
    /// # Errors
    /// [`ErrorKind::LimitExceeded`] when `entry.size > limit`; otherwise as [`WimReader::open`]
    /// and reading (hash mismatch, malformed XPRESS data …).
    pub fn read_to_vec(&mut self, entry: &Entry, limit: u64) -> Result<Vec<u8>> {
        if entry.size > limit {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "file size".into(),
                value: entry.size,
                limit,
            })
            .in_part(entry.path.clone()));
        }
        let mut v = Vec::with_capacity(entry.size.min(64 << 20) as usize);
        self.open(entry)?.read_to_end(&mut v).map_err(from_io)?;
        Ok(v)
    }

    /// Reads every blob of the image and checks its SHA-1 (and, for compressed blobs, that each
    /// XPRESS chunk decodes to its size), in the order the blobs are stored, decoding and
    /// hashing on every core with bounded buffers (two windows of 2 MiB). Returns the number
    /// of files with data and the bytes checked (each blob once).
    ///
    /// # Errors
    /// [`ErrorKind::HashMismatch`], [`ErrorKind::Xpress`], [`ErrorKind::Malformed`] (chunk
    /// table) and I/O errors, with the path of a file holding the blob and the byte offset.
    pub fn verify_all(&mut self) -> Result<(u64, u64)>
    where
        R: Send,
    {
        struct Nothing;
        impl super::stream::Sinks for Nothing {
            type S = ();
            fn open(&self, _: usize) -> Result<()> {
                Ok(())
            }
            fn data(&self, _: &mut (), _: &[u8]) -> Result<()> {
                Ok(())
            }
            fn finish(&self, _: (), _: usize) -> Result<()> {
                Ok(())
            }
            fn abort(&self, _: ()) {}
        }
        let files = self
            .entries
            .iter()
            .filter(|e| !e.is_dir && e.blob.is_some())
            .count() as u64;
        // One job per blob (a blob shared by several files is read once), named after the
        // first file holding it.
        let mut first: Vec<Option<usize>> = vec![None; self.blobs.len()];
        for (n, e) in self.entries.iter().enumerate() {
            if let Some(b) = e.blob {
                first[b].get_or_insert(n);
            }
        }
        let mut order: Vec<(usize, usize)> = first
            .iter()
            .enumerate()
            .filter_map(|(b, n)| n.map(|n| (b, n)))
            .collect();
        order.sort_by_key(|&(b, _)| self.blobs[b].resource.offset);
        let jobs: Vec<super::stream::Job<'_>> = order
            .iter()
            .map(|&(b, n)| super::stream::Job {
                res: self.blobs[b].resource,
                sha1: self.blobs[b].sha1,
                part: &self.entries[n].path,
            })
            .collect();
        let bytes = jobs.iter().map(|j| j.res.original_size).sum();
        super::stream::stream_blobs(&mut self.inner, self.header.chunk_size, &jobs, &Nothing)?;
        Ok((files, bytes))
    }

    /// The reader's parts for [`super::stream`]: the file, the chunk size, entries and blobs.
    pub(crate) fn parts_mut(&mut self) -> (&mut R, u32, &[Entry], &[BlobEntry]) {
        (
            &mut self.inner,
            self.header.chunk_size,
            &self.entries,
            &self.blobs,
        )
    }

    /// Extracts every file and folder below `dir` (created if missing) safely: see
    /// [`super::extract`] for the rules.
    ///
    /// # Errors
    /// [`ErrorKind::UnsafePath`] for a name that must not be written (reserved device names,
    /// reparse points, an existing symlink on the way …), [`ErrorKind::InvalidInput`] when a
    /// target file exists already, and read errors as [`WimReader::open`].
    pub fn extract_to(&mut self, dir: &Path) -> Result<ExtractStats>
    where
        R: Send,
    {
        self.extract_with(dir, &ExtractOptions::default())
    }

    /// Extracts every file and folder into `dir`, which this call creates (its parent must
    /// exist; `dir` must not): as [`WimReader::extract_to`], with the same name rules and checks,
    /// but without looking up each name first, since nothing can exist in a folder that was just
    /// created. The fastest way to extract a whole image (`ppkg extract` uses it).
    ///
    /// # Errors
    /// As [`WimReader::extract_to`]; an I/O error of kind `AlreadyExists` when `dir` exists.
    pub fn extract_to_fresh(&mut self, dir: &Path) -> Result<ExtractStats>
    where
        R: Send,
    {
        let o = ExtractOptions {
            fresh: true,
            ..ExtractOptions::default()
        };
        self.extract_with(dir, &o)
    }

    /// Extracts as [`WimReader::extract_to`] or [`WimReader::extract_to_fresh`] (per
    /// [`ExtractOptions::fresh`]), on [`ExtractOptions::threads`] workers. The extracted files do
    /// not depend on the number of workers.
    ///
    /// # Errors
    /// As [`WimReader::extract_to`] and [`WimReader::extract_to_fresh`].
    pub fn extract_with(&mut self, dir: &Path, options: &ExtractOptions) -> Result<ExtractStats>
    where
        R: Send,
    {
        super::extract::extract(self, dir, options.fresh, options.threads)
    }
}

fn make_entry(
    d: RawDentry,
    by_hash: &HashMap<[u8; 20], usize>,
    blobs: &[BlobEntry],
) -> Result<Entry> {
    let is_dir = d.is_dir();
    let (blob, size, sha1) = if is_dir || d.hash == [0; 20] {
        (None, 0, None)
    } else {
        let i = *by_hash.get(&d.hash).ok_or_else(|| {
            Error::malformed(format!(
                "no blob with SHA-1 {} for '{}'",
                hex(&d.hash),
                d.path
            ))
            .at(d.offset + 64)
            .in_part("metadata resource")
        })?;
        (Some(i), blobs[i].resource.original_size, Some(d.hash))
    };
    Ok(Entry {
        path: d.path,
        is_dir,
        size,
        sha1,
        creation_time: d.creation_time,
        last_write_time: d.last_write_time,
        attributes: d.attributes,
        blob,
    })
}

/// Checks that no two resources (blob table, XML data, metadata and file blobs) share bytes:
/// a stored size that reaches into the next resource is a sign of corruption even when the
/// decoder does not need the extra bytes.
fn check_no_overlap(h: &Header, blobs: &[BlobEntry], metadata: &[BlobEntry]) -> Result<()> {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for r in blobs
        .iter()
        .chain(metadata)
        .map(|b| &b.resource)
        .chain([&h.blob_table, &h.xml_data])
        .filter(|r| r.size_in_wim > 0)
    {
        // An offset and size whose sum overflows cannot lie in any file (found by the
        // `wim_read` fuzz target: this addition used to overflow).
        let end = r.offset.checked_add(r.size_in_wim).ok_or_else(|| {
            Error::malformed(format!(
                "resource at offset {} with size {} runs past the end of any file",
                r.offset, r.size_in_wim
            ))
            .in_part("blob table")
        })?;
        ranges.push((r.offset, end));
    }
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(Error::malformed(format!(
                "resources at {}..{} and {}..{} overlap",
                w[0].0, w[0].1, w[1].0, w[1].1
            ))
            .at(w[1].0)
            .in_part("blob table"));
        }
    }
    Ok(())
}

/// Checks version, flags, parts and image count.
fn check_header(h: &Header) -> Result<()> {
    const KNOWN: u32 = 0xFF | 0x0001_0000 | FLAG_XPRESS | FLAG_LZX | FLAG_LZMS | FLAG_XPRESS2;
    if h.flags & !KNOWN != 0 {
        return Err(
            Error::unsupported(format!("unknown header flags {:#010x}", h.flags & !KNOWN)).at(16),
        );
    }
    if h.flags & FLAG_WRITE_IN_PROGRESS != 0 {
        return Err(
            Error::malformed("the WIM's writer did not finish (write-in-progress flag)").at(16),
        );
    }
    if h.flags & FLAG_COMPRESSION != 0 {
        if h.flags & FLAG_LZX != 0 {
            return Err(Error::unsupported("LZX compression").at(16));
        }
        if h.flags & FLAG_LZMS != 0 {
            return Err(Error::unsupported("LZMS compression").at(16));
        }
        if h.flags & FLAG_XPRESS2 != 0 {
            return Err(Error::unsupported("XPRESS2 compression").at(16));
        }
        if h.flags & FLAG_XPRESS == 0 {
            return Err(Error::unsupported(format!(
                "unknown compression (flags {:#010x})",
                h.flags
            ))
            .at(16));
        }
        if !h.chunk_size.is_power_of_two()
            || !(4096..=crate::xpress::MAX_CHUNK as u32).contains(&h.chunk_size)
        {
            return Err(Error::unsupported(format!("XPRESS chunk size {}", h.chunk_size)).at(20));
        }
    }
    match h.version {
        VERSION_1_13 | VERSION_1_12 => {}
        VERSION_SOLID => {
            return Err(Error::unsupported("solid resources (WIM version 3584)").at(12))
        }
        v => return Err(Error::unsupported(format!("WIM version {v:#x}")).at(12)),
    }
    if h.flags & FLAG_SPANNED != 0 || h.total_parts != 1 || h.part_number != 1 {
        return Err(Error::unsupported(format!(
            "split WIM (part {} of {})",
            h.part_number, h.total_parts
        ))
        .at(40));
    }
    if h.flags & (FLAG_RESOURCE_ONLY | FLAG_METADATA_ONLY) != 0 {
        return Err(Error::unsupported("resource-only or metadata-only WIM").at(16));
    }
    match h.image_count {
        0 => Err(Error::malformed("the WIM has no image").at(44)),
        1 => Ok(()),
        n => Err(Error::unsupported(format!("WIM with {n} images")).at(44)),
    }
}

/// Checks a resource header against the file: inside the file, after the header, sizes
/// consistent with the flags. `at` is the offset of the header field, for errors.
fn check_res(
    r: &ResourceHeader,
    file_len: u64,
    compressed_ok: bool,
    at: u64,
    part: &str,
) -> Result<()> {
    if r.is_empty() {
        return Ok(());
    }
    if r.size_in_wim == 0 {
        return Err(
            Error::malformed("resource header with size 0 but other fields set")
                .at(at)
                .in_part(part.to_owned()),
        );
    }
    let end = r.end().ok_or_else(|| {
        Error::malformed(format!(
            "resource offset {} + size {} overflows",
            r.offset, r.size_in_wim
        ))
        .at(at)
        .in_part(part.to_owned())
    })?;
    if end > file_len {
        return Err(Error::malformed(format!(
            "resource at offset {} of {} bytes ends past the end of the file ({file_len} bytes)",
            r.offset, r.size_in_wim
        ))
        .at(at)
        .in_part(part.to_owned()));
    }
    if r.offset < HEADER_SIZE as u64 && r.size_in_wim > 0 {
        return Err(
            Error::malformed(format!("resource offset {} is inside the header", r.offset))
                .at(at)
                .in_part(part.to_owned()),
        );
    }
    if r.is_compressed() {
        if !compressed_ok {
            return Err(
                Error::malformed("compressed resource in a WIM without compression")
                    .at(at)
                    .in_part(part.to_owned()),
            );
        }
        // A chunk can shrink to a few bytes, but never below one byte per chunk, and the table
        // needs 4 bytes per chunk: bound the original size by the stored size.
        if r.original_size == 0 || r.original_size / (32 * 1024) > r.size_in_wim {
            return Err(Error::malformed(format!(
                "compressed resource of {} bytes claims {} bytes uncompressed",
                r.size_in_wim, r.original_size
            ))
            .at(at)
            .in_part(part.to_owned()));
        }
    } else if r.size_in_wim != r.original_size {
        return Err(Error::malformed(format!(
            "uncompressed resource stored in {} bytes claims {} bytes",
            r.size_in_wim, r.original_size
        ))
        .at(at)
        .in_part(part.to_owned()));
    }
    Ok(())
}
