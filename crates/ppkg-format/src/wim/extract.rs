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
//! - memory stays bounded: data is copied through a 64 KiB buffer, and the SHA-1 is checked
//!   before the file gets its final name (a file that fails its check is removed).

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::dentry::check_name;
use super::reader::{ExtractStats, WimReader};
use super::resource::from_io;
use crate::error::{Error, ErrorKind, Result};

pub(crate) fn extract<R: Read + Seek>(wim: &mut WimReader<R>, dir: &Path) -> Result<ExtractStats> {
    fs::create_dir_all(dir).map_err(|e| Error::from(e).in_part(dir.display().to_string()))?;
    let mut stats = ExtractStats::default();
    let entries = wim.entries().to_vec();
    let mut buf = vec![0u8; 64 * 1024];
    for (n, e) in entries.iter().enumerate() {
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
        let parent = target.parent().unwrap_or(dir);
        let tmp = parent.join(format!(".ppkg-extract-{}-{n}.tmp", std::process::id()));
        let result = (|| -> Result<u64> {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|err| Error::from(err).in_part(e.path.clone()))?;
            let mut r = wim.open(e)?;
            let mut total = 0u64;
            loop {
                let k = r.read(&mut buf).map_err(from_io)?;
                if k == 0 {
                    break;
                }
                f.write_all(&buf[..k])?;
                total += k as u64;
            }
            if let Some(t) = filetime_to_system(e.last_write_time) {
                // Best effort: a file system that cannot store times still gets the data.
                let _ = f.set_modified(t);
            }
            // No fsync per file (as tar and wimlib-imagex apply): it made extraction of a
            // 256 MiB package wait on the disk for every file; callers that need durability
            // sync the folder themselves.
            Ok(total)
        })();
        match result {
            Ok(bytes) => {
                if fs::symlink_metadata(&target).is_ok() {
                    let _ = fs::remove_file(&tmp);
                    return Err(Error::invalid_input("the target file exists already")
                        .in_part(e.path.clone()));
                }
                fs::rename(&tmp, &target)
                    .map_err(|err| Error::from(err).in_part(e.path.clone()))?;
                stats.files += 1;
                stats.bytes += bytes;
            }
            Err(err) => {
                let _ = fs::remove_file(&tmp);
                return Err(err.in_part(e.path.clone()));
            }
        }
    }
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
