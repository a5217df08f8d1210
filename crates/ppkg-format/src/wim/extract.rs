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
//! - existing files are never overwritten: a file of at most 2 MiB is decoded and checked in
//!   memory and only then created under its final name (`create_new`, which neither follows a
//!   link nor replaces a file; a failed write removes it); a larger file is written to a fresh
//!   temporary file in its folder and renamed, after its SHA-1 was checked, over a name that
//!   must not exist yet;
//! - memory stays bounded: blobs are handed out in the order they are stored, large ones in
//!   segments of 2 MiB, to one worker per core (see `parallel.rs`), and each blob's SHA-1 is
//!   checked before its files get their final names.
//!
//! [`super::WimReader::extract_to_fresh`] extracts into a folder it creates itself: nothing can
//! exist in it yet, so the per-file and per-component existence checks are skipped (the names
//! are still checked, and files are still created with `create_new`).

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use super::dentry::check_name;
use super::parallel::{create_final, extract_blobs, filetime_to_system, Plan, Target};
use super::reader::{ExtractStats, WimReader};
use crate::error::{Error, ErrorKind, Result};

/// Extracts `wim`'s image below `dir`: created if missing (`fresh == false`), or created here and
/// required not to exist (`fresh == true`, no existence checks). `threads`: workers (0: one per
/// core).
pub(crate) fn extract<R: Read + Seek + Send>(
    wim: &mut WimReader<R>,
    dir: &Path,
    fresh: bool,
    threads: usize,
) -> Result<ExtractStats> {
    let made = if fresh {
        fs::create_dir(dir)
    } else {
        fs::create_dir_all(dir)
    };
    made.map_err(|e| Error::from(e).in_part(dir.display().to_string()))?;
    let mut stats = ExtractStats::default();
    // Folders first (parents before children, as the entries are listed), then empty files,
    // then the blobs in the order they are stored in the file.
    let mut by_blob: BTreeMap<usize, Vec<Target>> = BTreeMap::new();
    for (n, e) in wim.entries().iter().enumerate() {
        let target = safe_join(dir, &e.path, !fresh)?;
        if e.is_reparse_point() {
            return Err(Error::new(ErrorKind::UnsafePath(
                "reparse points (links, junctions) are not extracted".into(),
            ))
            .in_part(e.path.clone()));
        }
        if e.is_dir {
            match fs::create_dir(&target) {
                Ok(()) => stats.dirs += 1,
                Err(err) if !fresh && err.kind() == std::io::ErrorKind::AlreadyExists => {
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
        if !fresh && fs::symlink_metadata(&target).is_ok() {
            return Err(
                Error::invalid_input("the target file exists already").in_part(e.path.clone())
            );
        }
        match e.blob_index() {
            Some(b) => by_blob.entry(b).or_default().push(Target {
                path: target,
                entry: n,
            }),
            None => {
                // An empty file: no data to check.
                let f = create_final(&target, &e.path)?;
                if let Some(t) = filetime_to_system(e.last_write_time) {
                    // Best effort: a file system that cannot store times still gets the file.
                    let _ = f.set_modified(t);
                }
                stats.files += 1;
            }
        }
    }
    let (inner, chunk_size, entries, blobs) = wim.parts_mut();
    let mut plans: Vec<Plan> = by_blob
        .into_iter()
        .map(|(b, targets)| Plan {
            res: blobs[b].resource,
            sha1: blobs[b].sha1,
            targets,
        })
        .collect();
    plans.sort_by_key(|p| p.res.offset);
    for p in &plans {
        stats.files += p.targets.len() as u64;
        stats.bytes += p.res.original_size * p.targets.len() as u64;
    }
    extract_blobs(inner, chunk_size, &plans, entries, threads)?;
    Ok(stats)
}

/// Joins a '/'-separated entry path to `dir`, checking every component and that no existing
/// component on the way is a symbolic link.
/// With `check_existing` false (a fresh target folder) nothing on the way is looked up.
fn safe_join(dir: &Path, path: &str, check_existing: bool) -> Result<PathBuf> {
    let mut out = dir.to_path_buf();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, c) in parts.iter().enumerate() {
        check_name(c).map_err(|why| {
            Error::new(ErrorKind::UnsafePath(format!("component {c:?}: {why}")))
                .in_part(path.to_owned())
        })?;
        out.push(c);
        if check_existing && i + 1 < parts.len() {
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
