//! Outputs written to a temporary file beside their final path and renamed into place.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An output file written to a temporary file beside its final path and renamed into place by
/// [`AtomicFile::commit`]; dropped without commit, the temporary file is removed, so a failed
/// build leaves no file.
pub(crate) struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file (`.NAME.XXXXXX.tmp`) in `path`'s folder (which must exist).
    /// An existing `path` must be a regular file: a folder, FIFO or device is never replaced.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.is_file() {
                return Err(Error::io(
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "exists and is not a regular file; refusing to replace it",
                    ),
                ));
            }
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// The temporary file.
    pub(crate) fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Flushes, syncs and renames the temporary file to the final path.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.tmp
            .as_file_mut()
            .flush()
            .map_err(|e| Error::io(&self.path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = self
                .tmp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644));
        }
        self.tmp.as_file().sync_all().ok();
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }
}
