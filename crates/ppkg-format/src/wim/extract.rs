//! Safe extraction of an image to a folder.
//!
//! Rules (issue 2 item 7):
//! - every path component passes the Windows file-name rules of the reader and the writer: no
//!   `..`, `.`, empty names, `/`, `\`, `:` (drive letters, alternate data streams), NUL, control
//!   characters, `<>"|?*`, trailing dots or spaces, reserved device names (CON, PRN, AUX, NUL,
//!   COM1–9, LPT1–9); absolute paths cannot arise because names never contain separators;
//! - reparse points (symbolic links, junctions) are refused, never created;
//! - folders are created one component at a time with `create_dir`; an existing folder on the
//!   way is accepted only if it is a real folder (not a symbolic link);
//! - files are written to a fresh temporary file (`create_new`, never following a link) in their
//!   folder, then renamed over a name that must not exist yet; existing files are never
//!   overwritten;
//! - memory stays bounded: blobs are streamed in the order they are stored, in windows of
//!   2 MiB decoded and hashed on every core, and each blob's SHA-1 is checked before
//!   its files get their final names (a file that fails its check is removed).

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::dentry::check_name;
use super::reader::{Entry, ExtractStats, WimReader};
use super::stream::{stream_blobs, Job, Sinks};
use crate::error::{Error, ErrorKind, Result};

/// One file of a blob being extracted: its temporary file, final name and time.
pub(crate) struct OutFile {
    tmp: PathBuf,
    file: fs::File,
    target: PathBuf,
    entry: usize,
}

/// The extraction sinks: for each blob, the entries (files) that hold it.
struct FileSinks<'a> {
    entries: &'a [Entry],
    /// Per job: (indexes of the entries holding the blob, their checked target paths).
    targets: Vec<Vec<(usize, PathBuf)>>,
}

fn tmp_name(target: &Path, entry: usize) -> PathBuf {
    let parent = target.parent().unwrap_or(Path::new("."));
    parent.join(format!(".ppkg-extract-{}-{entry}.tmp", std::process::id()))
}

impl Sinks for FileSinks<'_> {
    type S = Vec<OutFile>;

    fn open(&self, job: usize) -> Result<Self::S> {
        let mut out = Vec::with_capacity(self.targets[job].len());
        for (i, target) in &self.targets[job] {
            let path = &self.entries[*i].path;
            if fs::symlink_metadata(target).is_ok() {
                self.abort(out);
                return Err(
                    Error::invalid_input("the target file exists already").in_part(path.clone())
                );
            }
            let tmp = tmp_name(target, *i);
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(file) => out.push(OutFile {
                    tmp,
                    file,
                    target: target.clone(),
                    entry: *i,
                }),
                Err(err) => {
                    self.abort(out);
                    return Err(Error::from(err).in_part(path.clone()));
                }
            }
        }
        Ok(out)
    }

    fn data(&self, s: &mut Self::S, bytes: &[u8]) -> Result<()> {
        for f in s.iter_mut() {
            f.file
                .write_all(bytes)
                .map_err(|e| Error::from(e).in_part(self.entries[f.entry].path.clone()))?;
        }
        Ok(())
    }

    fn finish(&self, s: Self::S, _job: usize) -> Result<()> {
        let mut files = s.into_iter();
        while let Some(f) = files.next() {
            if let Err(e) = finish_file(f, self.entries) {
                self.abort(files.collect());
                return Err(e);
            }
        }
        Ok(())
    }

    fn abort(&self, s: Self::S) {
        for f in s {
            drop(f.file);
            let _ = fs::remove_file(&f.tmp);
        }
    }
}

/// Sets the time and renames a complete, checked file to its final name.
fn finish_file(f: OutFile, entries: &[Entry]) -> Result<()> {
    let e = &entries[f.entry];
    if let Some(t) = filetime_to_system(e.last_write_time) {
        // Best effort: a file system that cannot store times still gets the data.
        let _ = f.file.set_modified(t);
    }
    // No fsync per file (as tar and wimlib-imagex apply): it made extraction of a 256 MiB
    // package wait on the disk for every file; callers that need durability sync the folder.
    drop(f.file);
    if fs::symlink_metadata(&f.target).is_ok() {
        let _ = fs::remove_file(&f.tmp);
        return Err(Error::invalid_input("the target file exists already").in_part(e.path.clone()));
    }
    fs::rename(&f.tmp, &f.target).map_err(|err| {
        let _ = fs::remove_file(&f.tmp);
        Error::from(err).in_part(e.path.clone())
    })
}

pub(crate) fn extract<R: Read + Seek + Send>(
    wim: &mut WimReader<R>,
    dir: &Path,
) -> Result<ExtractStats> {
    fs::create_dir_all(dir).map_err(|e| Error::from(e).in_part(dir.display().to_string()))?;
    let mut stats = ExtractStats::default();
    // Folders first (parents before children, as the entries are listed), then empty files,
    // then the blobs in the order they are stored in the file.
    let mut by_blob: std::collections::BTreeMap<usize, Vec<(usize, PathBuf)>> =
        std::collections::BTreeMap::new();
    for (n, e) in wim.entries().iter().enumerate() {
        let target = safe_join(dir, &e.path)?;
        if e.is_reparse_point() {
            return Err(Error::new(ErrorKind::UnsafePath(
                "reparse points (links, junctions) are not extracted".into(),
            ))
            .in_part(e.path.clone()));
        }
        if e.is_dir {
            match fs::create_dir(&target) {
                Ok(()) => stats.dirs += 1,
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    let md = fs::symlink_metadata(&target)?;
                    if !md.is_dir() || md.file_type().is_symlink() {
                        return Err(Error::new(ErrorKind::UnsafePath(
                            "exists and is not a real folder".into(),
                        ))
                        .in_part(e.path.clone()));
                    }
                }
                Err(err) => return Err(Error::from(err).in_part(e.path.clone())),
            }
            continue;
        }
        if fs::symlink_metadata(&target).is_ok() {
            return Err(
                Error::invalid_input("the target file exists already").in_part(e.path.clone())
            );
        }
        match e.blob_index() {
            Some(b) => by_blob.entry(b).or_default().push((n, target)),
            None => {
                // An empty file: no data to check.
                let tmp = tmp_name(&target, n);
                let f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp)
                    .map_err(|err| Error::from(err).in_part(e.path.clone()))?;
                finish_file(
                    OutFile {
                        tmp,
                        file: f,
                        target,
                        entry: n,
                    },
                    wim.entries(),
                )?;
                stats.files += 1;
            }
        }
    }
    let (inner, chunk_size, entries, blobs) = wim.parts_mut();
    let mut order: Vec<(usize, Vec<(usize, PathBuf)>)> = by_blob.into_iter().collect();
    order.sort_by_key(|(b, _)| blobs[*b].resource.offset);
    let parts: Vec<&str> = order
        .iter()
        .map(|(_, t)| entries[t[0].0].path.as_str())
        .collect();
    let jobs: Vec<Job<'_>> = order
        .iter()
        .zip(&parts)
        .map(|((b, _), part)| {
            let blob = &blobs[*b];
            Job {
                res: blob.resource,
                sha1: blob.sha1,
                part,
            }
        })
        .collect();
    for (b, t) in &order {
        stats.files += t.len() as u64;
        stats.bytes += blobs[*b].resource.original_size * t.len() as u64;
    }
    let sinks = FileSinks {
        entries,
        targets: order.into_iter().map(|(_, t)| t).collect(),
    };
    stream_blobs(inner, chunk_size, &jobs, &sinks)?;
    Ok(stats)
}

/// Joins a '/'-separated entry path to `dir`, checking every component and that no existing
/// component on the way is a symbolic link.
fn safe_join(dir: &Path, path: &str) -> Result<PathBuf> {
    let mut out = dir.to_path_buf();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, c) in parts.iter().enumerate() {
        check_name(c).map_err(|why| {
            Error::new(ErrorKind::UnsafePath(format!("component {c:?}: {why}")))
                .in_part(path.to_owned())
        })?;
        out.push(c);
        if i + 1 < parts.len() {
            if let Ok(md) = fs::symlink_metadata(&out) {
                if md.file_type().is_symlink() || !md.is_dir() {
                    return Err(Error::new(ErrorKind::UnsafePath(format!(
                        "'{}' on the way is a link or not a folder",
                        parts[..=i].join("/")
                    )))
                    .in_part(path.to_owned()));
                }
            }
        }
    }
    Ok(out)
}

fn filetime_to_system(ft: u64) -> Option<std::time::SystemTime> {
    let secs = crate::metadata::filetime_to_unix(ft)?;
    let nanos = (ft % 10_000_000) * 100;
    std::time::UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos as u32))
}
