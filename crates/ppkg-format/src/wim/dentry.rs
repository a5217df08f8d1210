//! The metadata resource: security data, then the directory-entry (dentry) tree.
//!
//! Layout (FORMAT.md §1; the "Windows Imaging File Format" paper; checked against
//! `reference/ppkg/start_pins.ppkg` and WIMs written by `wimlib-imagex capture`):
//!
//! - Security data: u32 total length, u32 entry count, u64 size of each descriptor, the
//!   descriptors; the root dentry starts at the total length rounded up to 8.
//! - Dentry, 102 fixed bytes then the names, padded to 8:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | length of this dentry (0 = end of a directory's list) |
//! | 8 | 4 | attributes (`0x10` directory, `0x20` archive, `0x400` reparse point) |
//! | 12 | 4 | security id (index into the security data, −1 = none) |
//! | 16 | 8 | offset of the first child in the metadata resource (0 = none) |
//! | 24 | 16 | unused |
//! | 40 | 8 | creation time (FILETIME) |
//! | 48 | 8 | last access time |
//! | 56 | 8 | last write time |
//! | 64 | 20 | SHA-1 of the unnamed data stream (zero = empty) |
//! | 84 | 4 | unknown / reparse reserved |
//! | 88 | 8 | hard link group id, or reparse tag and flags |
//! | 96 | 2 | number of extra stream entries that follow the dentry |
//! | 98 | 2 | short name length in bytes |
//! | 100 | 2 | file name length in bytes |
//! | 102 | … | file name (UTF-16LE) + u16 NUL if not empty, short name + NUL if not empty |
//!
//! - Extra stream entry (after the dentry, 8-aligned): u64 length, u64 unused, 20-byte SHA-1,
//!   u16 name length, name + NUL, padded to 8. An unnamed one carries the file's data.
//! - A directory's children are consecutive dentries ended by an 8-byte zero length.

use std::collections::HashSet;

use crate::error::{Error, ErrorKind, Result};

/// Attribute: directory.
pub const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
/// Attribute: archive (WCD sets it on every file).
pub const FILE_ATTRIBUTE_ARCHIVE: u32 = 0x20;
/// Attribute: normal (wimlib sets it on files captured on Linux).
pub const FILE_ATTRIBUTE_NORMAL: u32 = 0x80;
/// Attribute: reparse point (symbolic link, junction …).
pub const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;

/// Fixed part of a dentry.
pub(crate) const DENTRY_FIXED: usize = 102;
/// Most dentries (directory end markers included) one image may have: 65,536.
///
/// Source of the limit: real packages. WCD's packages hold a few dozen entries (`start_pins.ppkg`
/// 14 with the root, `bypass_oobe_wcd2024.ppkg` 25, the Acer package 41 per its XML data's
/// DIRCOUNT and FILECOUNT: one folder and one file per payload beside the fixed members), so
/// 65,536 is over a thousand times the largest seen,
/// while keeping the reader's memory for the dentry list (about 200 bytes each with the path)
/// far under the 64 MiB promised for hostile input (issue 12 item 5). A WIM with more is refused
/// with [`ErrorKind::LimitExceeded`] naming the count.
pub const MAX_DENTRIES: usize = 65_536;
/// Most bytes all entry paths of one image may take together (UTF-8): 8 MiB, 128 bytes per
/// dentry at [`MAX_DENTRIES`] on average. Real packages' longest paths are about 100 bytes
/// (`Multivariant/0/Prov/RunTime/…provxml`, `DataAsset/2/<i>_<base64>/<file>`); the bound keeps a deep tree of long names from
/// multiplying its size in memory when every entry carries its full path.
pub const MAX_PATH_BYTES: usize = 8 << 20;
/// Deepest directory nesting read.
pub(crate) const MAX_DEPTH: usize = 256;
/// Most extra stream entries one dentry may have.
pub(crate) const MAX_STREAMS: usize = 1024;

/// One dentry as parsed, with its '/'-joined path.
#[derive(Clone, Debug)]
pub(crate) struct RawDentry {
    pub(crate) path: String,
    pub(crate) attributes: u32,
    pub(crate) hash: [u8; 20],
    pub(crate) creation_time: u64,
    pub(crate) last_write_time: u64,
    /// Offset in the metadata resource.
    pub(crate) offset: u64,
}

impl RawDentry {
    pub(crate) fn is_dir(&self) -> bool {
        self.attributes & FILE_ATTRIBUTE_DIRECTORY != 0
            && self.attributes & FILE_ATTRIBUTE_REPARSE_POINT == 0
    }
}

struct Parser<'a> {
    buf: &'a [u8],
    out: Vec<RawDentry>,
    /// Byte ranges taken by dentries and end markers, checked for overlap at the end.
    ranges: Vec<(u64, u64)>,
    lists: HashSet<u64>,
    count: usize,
    /// Sum of the lengths of the paths in `out`.
    path_bytes: usize,
    security_count: u32,
    min_offset: u64,
}

/// Parses a metadata resource's bytes: checks the security data, then walks the dentry tree
/// depth first. Returns every dentry except the root, parents before children.
///
/// Every length, offset and count is checked against `buf` before use; dentries that overlap,
/// directory lists reached twice (cycles), nesting deeper than 256, more than
/// [`MAX_DENTRIES`] dentries and paths longer than [`MAX_PATH_BYTES`] in total are errors. Offsets in errors are relative to the metadata resource.
pub(crate) fn parse_metadata(buf: &[u8]) -> Result<Vec<RawDentry>> {
    let len = buf.len() as u64;
    if len < 8 {
        return Err(mal(
            "metadata resource shorter than its security data header",
            0,
        ));
    }
    let total = u64::from(le32(buf, 0));
    let count = le32(buf, 4);
    if total < 8 || total > len {
        return Err(mal(
            format!("security data length {total} outside 8..={len} (metadata resource size)"),
            0,
        ));
    }
    let sizes_end = 8 + u64::from(count) * 8;
    if sizes_end > total {
        return Err(mal(
            format!("{count} security descriptors do not fit in {total} bytes of security data"),
            4,
        ));
    }
    let mut sum = sizes_end;
    for i in 0..u64::from(count) {
        let s = le64(buf, (8 + i * 8) as usize);
        sum = sum.checked_add(s).filter(|&v| v <= total).ok_or_else(|| {
            mal(
                format!("security descriptor {i} of {s} bytes runs past the security data"),
                8 + i * 8,
            )
        })?;
    }
    let root_off = total.div_ceil(8) * 8;
    let mut p = Parser {
        buf,
        out: Vec::new(),
        ranges: Vec::new(),
        lists: HashSet::new(),
        count: 0,
        path_bytes: 0,
        security_count: count,
        min_offset: root_off,
    };
    if root_off + 16 <= len && le32(buf, root_off as usize + 8) & FILE_ATTRIBUTE_DIRECTORY == 0 {
        return Err(mal("the root dentry is not a directory", root_off + 8));
    }
    p.dentry(root_off, "", 0)?
        .ok_or_else(|| mal("no root dentry", root_off))?;
    p.check_overlaps()?;
    Ok(p.out)
}

/// What one dentry parse yields: the entry, where its children list starts, and the offset of
/// the next sibling.
struct Parsed {
    next: u64,
}

impl Parser<'_> {
    /// Parses the dentry at `off` (and, for a directory, its subtree). Returns `None` at an end
    /// marker.
    fn dentry(&mut self, off: u64, parent: &str, depth: usize) -> Result<Option<Parsed>> {
        let len = self.buf.len() as u64;
        if off < self.min_offset || off % 8 != 0 {
            return Err(mal(
                format!("dentry offset {off} is misaligned or inside the security data"),
                off,
            ));
        }
        if off.checked_add(8).is_none_or(|e| e > len) {
            return Err(mal(
                format!("dentry at {off} runs past the metadata resource ({len} bytes)"),
                off,
            ));
        }
        self.count += 1;
        if self.count > MAX_DENTRIES {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "dentry count".into(),
                value: self.count as u64,
                limit: MAX_DENTRIES as u64,
            })
            .at(off));
        }
        let dlen = le64(self.buf, off as usize);
        if dlen <= 8 {
            self.ranges.push((off, off + 8));
            return Ok(None);
        }
        if dlen < DENTRY_FIXED as u64 || off.checked_add(dlen).is_none_or(|e| e > len) {
            return Err(mal(
                format!("dentry length {dlen} at {off} is below 102 or runs past the metadata resource ({len} bytes)"),
                off,
            ));
        }
        let b = &self.buf[off as usize..(off + dlen) as usize];
        let attributes = le32(b, 8);
        let security_id = le32(b, 12) as i32;
        if security_id < -1 || (security_id >= 0 && security_id as u32 >= self.security_count) {
            return Err(mal(
                format!(
                    "security id {security_id} but {} descriptors",
                    self.security_count
                ),
                off + 12,
            ));
        }
        let subdir = le64(b, 16);
        let creation_time = le64(b, 40);
        let last_write_time = le64(b, 56);
        let mut hash: [u8; 20] = b[64..84].try_into().unwrap_or_default();
        let num_streams = le16(b, 96) as usize;
        let short_len = u64::from(le16(b, 98));
        let name_len = u64::from(le16(b, 100));
        if name_len % 2 != 0 || short_len % 2 != 0 {
            return Err(mal("odd UTF-16 name length", off + 98));
        }
        let need = DENTRY_FIXED as u64
            + name_len
            + if name_len > 0 { 2 } else { 0 }
            + short_len
            + if short_len > 0 { 2 } else { 0 };
        if need > dlen {
            return Err(mal(
                format!("names need {need} bytes but the dentry has {dlen}"),
                off + 98,
            ));
        }
        let name_bytes = &b[DENTRY_FIXED..DENTRY_FIXED + name_len as usize];
        let name = decode_name(name_bytes)
            .ok_or_else(|| mal("file name is not valid UTF-16", off + 102))?;
        // Extra stream entries.
        let mut cur = (off + dlen).div_ceil(8) * 8;
        if num_streams > MAX_STREAMS {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "stream entries of one dentry".into(),
                value: num_streams as u64,
                limit: MAX_STREAMS as u64,
            })
            .at(off + 96));
        }
        for _ in 0..num_streams {
            if cur.checked_add(38).is_none_or(|e| e > len) {
                return Err(mal("stream entry runs past the metadata resource", cur));
            }
            let slen = le64(self.buf, cur as usize);
            let snlen = u64::from(le16(self.buf, cur as usize + 36));
            if slen < 38 || cur.checked_add(slen).is_none_or(|e| e > len) || 38 + snlen > slen {
                return Err(mal(format!("stream entry length {slen} is invalid"), cur));
            }
            let shash: [u8; 20] = self.buf[cur as usize + 16..cur as usize + 36]
                .try_into()
                .unwrap_or_default();
            // Named streams (alternate data streams) are skipped: they are never extracted.
            if snlen == 0 && hash == [0; 20] {
                hash = shash;
            }
            cur = (cur + slen).div_ceil(8) * 8;
        }
        self.ranges.push((off, cur));
        let path = if depth == 0 {
            String::new()
        } else {
            check_path_component(&name).map_err(|why| {
                Error::new(ErrorKind::UnsafePath(format!(
                    "dentry name {name:?}: {why}"
                )))
                .at(off + 102)
            })?;
            if parent.is_empty() {
                name
            } else {
                format!("{parent}/{name}")
            }
        };
        self.path_bytes += path.len();
        if self.path_bytes > MAX_PATH_BYTES {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "total length of the entry paths".into(),
                value: self.path_bytes as u64,
                limit: MAX_PATH_BYTES as u64,
            })
            .at(off));
        }
        let entry = RawDentry {
            path: path.clone(),
            attributes,
            hash,
            creation_time,
            last_write_time,
            offset: off,
        };
        let is_dir = entry.is_dir();
        if depth > 0 {
            self.out.push(entry);
        }
        if is_dir && subdir != 0 {
            if depth >= MAX_DEPTH {
                return Err(Error::new(ErrorKind::LimitExceeded {
                    what: "directory depth".into(),
                    value: depth as u64 + 1,
                    limit: MAX_DEPTH as u64,
                })
                .at(off));
            }
            if !self.lists.insert(subdir) {
                return Err(mal(
                    format!("directory list at {subdir} is reached twice (cycle)"),
                    off + 16,
                ));
            }
            let mut child = subdir;
            while let Some(p) = self.dentry(child, &path, depth + 1)? {
                child = p.next;
            }
        }
        Ok(Some(Parsed { next: cur }))
    }

    fn check_overlaps(&mut self) -> Result<()> {
        self.ranges.sort_unstable();
        for w in self.ranges.windows(2) {
            if w[1].0 < w[0].1 {
                return Err(mal(
                    format!("dentries at {} and {} overlap", w[0].0, w[1].0),
                    w[1].0,
                ));
            }
        }
        Ok(())
    }
}

/// Why a dentry name cannot be a component of an [`crate::wim::Entry`] path (`Err` holds the
/// reason): empty, `.`, `..`, or containing `/`, `\` or NUL would make the '/'-joined path
/// ambiguous or escape its folder. Checked when a WIM is opened; the stricter [`check_name`]
/// applies when writing and extracting.
pub(crate) fn check_path_component(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name == "." || name == ".." {
        return Err("'.' and '..' are not names".into());
    }
    if let Some(c) = name.chars().find(|&c| matches!(c, '/' | '\\' | '\0')) {
        return Err(format!("contains {c:?}"));
    }
    Ok(())
}

/// Why a name cannot be a file or folder name in a package (`Err` holds the reason). The rules
/// are those of Windows file names (Microsoft "Naming Files, Paths, and Namespaces"): not
/// empty, `.` or `..`; no `/`, `\`, `:` (drive letters, alternate data streams), `<>"|?*`, NUL
/// or control characters; no trailing dot or space; not a reserved device name (CON, PRN, AUX,
/// NUL, COM1–9, LPT1–9, also with an extension such as `CON.txt`).
pub(crate) fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name == "." || name == ".." {
        return Err("'.' and '..' are not names".into());
    }
    if name.len() > 255 * 3 || name.encode_utf16().count() > 255 {
        return Err("longer than 255 UTF-16 units".into());
    }
    if let Some(c) = name.chars().find(|&c| {
        c.is_control() || matches!(c, '/' | '\\' | ':' | '<' | '>' | '"' | '|' | '?' | '*')
    }) {
        return Err(format!("contains {c:?}"));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err("ends with a dot or a space".into());
    }
    let stem = name.split('.').next().unwrap_or("").trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let reserved = matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.chars().count() == 4
        && upper
            .chars()
            .nth(3)
            .is_some_and(|d| matches!(d, '1'..='9' | '¹' | '²' | '³')));
    if reserved {
        return Err(format!("'{stem}' is a reserved device name"));
    }
    Ok(())
}

fn decode_name(b: &[u8]) -> Option<String> {
    char::decode_utf16(b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])))
        .collect::<std::result::Result<String, _>>()
        .ok()
}

fn mal(msg: impl Into<String>, off: u64) -> Error {
    Error::malformed(msg).at(off)
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    super::header::le64(&b[at..at + 8])
}

/// A dentry to write: name, whether a directory, SHA-1 of its content (zero: empty) and its
/// children (already in the order to write).
#[derive(Debug)]
pub(crate) struct OutDentry {
    pub(crate) name: Vec<u16>,
    pub(crate) is_dir: bool,
    pub(crate) hash: [u8; 20],
    pub(crate) children: Vec<OutDentry>,
}

impl OutDentry {
    fn len(&self) -> u64 {
        let n = self.name.len() as u64 * 2;
        (DENTRY_FIXED as u64 + n + if n > 0 { 2 } else { 0 }).div_ceil(8) * 8
    }
}

/// Writes a metadata resource for `root`: empty security data (8 bytes: length 8, count 0),
/// every dentry with security id −1, the given FILETIME for all three times, directories with
/// attribute `0x10` and files `0x20` (archive) as WCD writes them; children lists in the order
/// given, each ended by 8 zero bytes, laid out as wimlib does (a directory's list, then the lists
/// of its subdirectories).
pub(crate) fn write_metadata(root: &OutDentry, time: u64) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    // Root at 8, then its end marker; children lists from there.
    let root_sub = 8 + root.len() + 8;
    write_one(&mut out, root, root_sub, time);
    out.extend_from_slice(&[0u8; 8]);
    write_lists(&mut out, root, root_sub, time);
    out
}

fn write_lists(out: &mut Vec<u8>, dir: &OutDentry, list_at: u64, time: u64) {
    debug_assert_eq!(out.len() as u64, list_at);
    // Subdirectory list offsets are allocated in the same order they are written below.
    let mut next = list_at + dir.children.iter().map(OutDentry::len).sum::<u64>() + 8;
    let mut subs = Vec::with_capacity(dir.children.len());
    for c in &dir.children {
        subs.push(sub_offset(c, &mut next));
    }
    for (c, &s) in dir.children.iter().zip(&subs) {
        write_one(out, c, s, time);
    }
    out.extend_from_slice(&[0u8; 8]);
    for (c, &s) in dir.children.iter().zip(&subs) {
        if c.is_dir {
            write_lists(out, c, s, time);
        }
    }
}

/// The offset of `d`'s list when lists are written depth first: `d`'s list, then (recursively)
/// its subdirectories' lists; advances `next` past all of them.
fn sub_offset(d: &OutDentry, next: &mut u64) -> u64 {
    if !d.is_dir {
        return 0;
    }
    let at = *next;
    *next += subtree_lists_len(d);
    at
}

fn subtree_lists_len(d: &OutDentry) -> u64 {
    d.children.iter().map(OutDentry::len).sum::<u64>()
        + 8
        + d.children
            .iter()
            .filter(|c| c.is_dir)
            .map(subtree_lists_len)
            .sum::<u64>()
}

fn write_one(out: &mut Vec<u8>, d: &OutDentry, subdir: u64, time: u64) {
    let start = out.len();
    let len = d.len();
    out.extend_from_slice(&len.to_le_bytes());
    let attr = if d.is_dir {
        FILE_ATTRIBUTE_DIRECTORY
    } else {
        FILE_ATTRIBUTE_ARCHIVE
    };
    out.extend_from_slice(&attr.to_le_bytes());
    out.extend_from_slice(&(-1i32).to_le_bytes());
    out.extend_from_slice(&subdir.to_le_bytes());
    out.extend_from_slice(&[0u8; 16]);
    for _ in 0..3 {
        out.extend_from_slice(&time.to_le_bytes());
    }
    out.extend_from_slice(&d.hash);
    out.extend_from_slice(&[0u8; 4 + 8 + 2 + 2]);
    out.extend_from_slice(&((d.name.len() * 2) as u16).to_le_bytes());
    for u in &d.name {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out.resize(start + len as usize, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    fn tree() -> OutDentry {
        let file = |n: &str, h: u8| OutDentry {
            name: name(n),
            is_dir: false,
            hash: [h; 20],
            children: vec![],
        };
        OutDentry {
            name: vec![],
            is_dir: true,
            hash: [0; 20],
            children: vec![
                OutDentry {
                    name: name("a"),
                    is_dir: true,
                    hash: [0; 20],
                    children: vec![
                        OutDentry {
                            name: name("deep"),
                            is_dir: true,
                            hash: [0; 20],
                            children: vec![file("x.bin", 3)],
                        },
                        file("é.txt", 2),
                    ],
                },
                OutDentry {
                    name: name("empty"),
                    is_dir: true,
                    hash: [0; 20],
                    children: vec![],
                },
                file("z", 1),
            ],
        }
    }

    #[test]
    fn write_then_parse() {
        let buf = write_metadata(&tree(), 77);
        let got = parse_metadata(&buf).unwrap();
        let paths: Vec<_> = got.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["a", "a/deep", "a/deep/x.bin", "a/é.txt", "empty", "z"]
        );
        assert!(got[0].is_dir() && !got[2].is_dir());
        assert_eq!(got[2].hash, [3; 20]);
        assert!(got
            .iter()
            .all(|d| d.creation_time == 77 && d.last_write_time == 77));
    }

    #[test]
    fn cycles_and_bad_offsets_are_errors() {
        let mut buf = write_metadata(&tree(), 1);
        // Point the root's subdir at the root itself: a cycle / overlap.
        buf[8 + 16..8 + 24].copy_from_slice(&8u64.to_le_bytes());
        assert!(parse_metadata(&buf).is_err());
        let mut buf = write_metadata(&tree(), 1);
        buf[8 + 16..8 + 24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse_metadata(&buf).is_err());
        let mut buf = write_metadata(&tree(), 1);
        buf[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_metadata(&buf).is_err());
        for cut in 0..buf.len() {
            let _ = parse_metadata(&buf[..cut]);
        }
    }

    #[test]
    fn names_checked() {
        for bad in [
            "", ".", "..", "a/b", "a\\b", "c:", "x:y", "CON", "con.txt", "LPT1", "a\0", "a\u{1}",
            "a.", "a ",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in [
            "CONFIG",
            "COM10",
            "a.b",
            "é",
            "0__Policies_Start.provxml",
            "LPT",
        ] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Arbitrary bytes never panic the parser.
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_metadata(&b);
        }

        /// A valid resource with some bytes overwritten never panics the parser.
        #[test]
        fn patched_resource_never_panics(patches in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..8)) {
            let root = OutDentry {
                name: vec![],
                is_dir: true,
                hash: [0; 20],
                children: vec![OutDentry {
                    name: "dir".encode_utf16().collect(),
                    is_dir: true,
                    hash: [0; 20],
                    children: vec![OutDentry {
                        name: "f.xml".encode_utf16().collect(),
                        is_dir: false,
                        hash: [9; 20],
                        children: vec![],
                    }],
                }],
            };
            let mut b = write_metadata(&root, 5);
            for (at, v) in patches {
                let i = usize::from(at) % b.len();
                b[i] = v;
            }
            let _ = parse_metadata(&b);
        }
    }
}
