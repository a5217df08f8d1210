//! Outputs written to a temporary file beside their final path and renamed into place.
//!
//! Temporary files are named `.NAME.ppkg-tmp-PID-XXXXXX` (NAME the output's file name, PID the
//! writing process): SIGINT and SIGTERM remove every live one before the process exits
//! (exit code 128 + signal), and a file left by a killed process (SIGKILL, power loss) is
//! recognised by its name and removed by the next write of the same output once its process
//! is gone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use crate::error::{Error, Result};

/// The marker between an output's name and the writer's pid in temporary file names.
pub(crate) const TMP_MARKER: &str = ".ppkg-tmp-";

/// Temporary files this process is writing, removed on SIGINT/SIGTERM.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Installs (once) the SIGINT/SIGTERM handler thread that removes the live temporary files and
/// exits with 128 + the signal number, as a shell reports a signalled process.
fn install_signal_cleanup() {
    #[cfg(unix)]
    HANDLER.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let live = LIVE.lock().map(|l| l.clone()).unwrap_or_default();
                for p in live {
                    let _ = std::fs::remove_file(p);
                }
                std::process::exit(128 + sig);
            }
        });
    });
}

fn register(p: &Path) {
    if let Ok(mut l) = LIVE.lock() {
        l.push(p.to_path_buf());
    }
}

fn unregister(p: &Path) {
    if let Ok(mut l) = LIVE.lock() {
        l.retain(|x| x != p);
    }
}

/// Whether process `pid` still runs: `/proc/PID` on Linux; where there is no `/proc`, a file
/// is treated as stale only after a day.
fn process_alive(pid: u32, modified: Option<std::time::SystemTime>) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    modified
        .and_then(|m| m.elapsed().ok())
        .is_none_or(|age| age < std::time::Duration::from_secs(24 * 3600))
}

/// Removes temporary files of earlier writes of `name` in `dir` whose process is gone
/// (`.NAME.ppkg-tmp-PID-…`); returns how many were removed.
pub(crate) fn remove_stale(dir: &Path, name: &str) -> usize {
    let prefix = format!(".{name}{TMP_MARKER}");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let file_name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let meta = e.metadata().ok();
        if meta.as_ref().is_some_and(|m| m.is_file())
            && !process_alive(pid, meta.and_then(|m| m.modified().ok()))
            && std::fs::remove_file(e.path()).is_ok()
        {
            n += 1;
        }
    }
    n
}

/// An output file written to a temporary file beside its final path and renamed into place by
/// [`AtomicFile::commit`]; dropped without commit, the temporary file is removed, so a failed
/// build leaves no file. SIGINT and SIGTERM remove it too, and a file left by a killed process
/// is removed by the next `create` of the same output (see the module docs). The CLI's
/// `bulk` zip and `extract` outputs use it as [`crate::Package::write_atomic`] does.
pub struct AtomicFile {
    /// Always `Some` until [`AtomicFile::commit`] takes it.
    tmp: Option<tempfile::NamedTempFile>,
    tmp_path: PathBuf,
    path: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file (`.NAME.ppkg-tmp-PID-XXXXXX`) in `path`'s folder (which must
    /// exist), first removing stale ones of the same output (see the module docs).
    /// An existing `path` must be a regular file: a folder, FIFO or device is never replaced.
    ///
    /// # Errors
    /// [`Error::Io`] when `path` exists and is not a regular file, or the temporary file
    /// cannot be created.
    pub fn create(path: &Path) -> Result<Self> {
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
        remove_stale(&dir, &name);
        install_signal_cleanup();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}{TMP_MARKER}{}-", std::process::id()))
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        register(tmp.path());
        Ok(AtomicFile {
            tmp_path: tmp.path().to_path_buf(),
            tmp: Some(tmp),
            path: path.to_path_buf(),
        })
    }

    /// The open temporary file, to write the output into.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp
            .as_mut()
            .map(tempfile::NamedTempFile::as_file_mut)
            .expect("the temporary file is open until commit")
    }

    /// Flushes, syncs and renames the temporary file to the final path (permissions 0644 on
    /// Unix).
    ///
    /// # Errors
    /// [`Error::Io`] when flushing or renaming fails (the temporary file is then removed).
    pub fn commit(mut self) -> Result<()> {
        let path = self.path.clone();
        let Some(mut tmp) = self.tmp.take() else {
            return Ok(());
        };
        tmp.as_file_mut().flush().map_err(|e| Error::io(&path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = tmp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644));
        }
        tmp.as_file().sync_all().ok();
        tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // The NamedTempFile (dropped after this) removes an uncommitted file.
        unregister(&self.tmp_path);
    }
}
