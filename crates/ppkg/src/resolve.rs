//! Asset lookup for answer files.

use std::path::{Path, PathBuf};

use csp_model::compile::{AssetContent, AssetFile, AssetResolver};

/// Resolves an answer file's asset references against a folder: first the reference as a
/// relative path (`assets/root.cer`, `\` accepted as a separator), then its file name alone
/// (answer files from WCD name files on the author's machine, such as `D:\Cortex.msi`). `..`
/// and absolute paths are never followed, and a file that a symbolic link takes out of the
/// folder is refused.
pub(crate) struct PathResolver {
    pub(crate) dir: PathBuf,
    /// Whether the folder was given explicitly (else: the answer file's folder).
    pub(crate) explicit: bool,
}

impl AssetResolver for PathResolver {
    fn resolve(&self, _setting_path: &str, reference: &str) -> std::io::Result<AssetFile> {
        let normalized = reference.replace('\\', "/");
        let name = normalized.rsplit('/').next().unwrap_or_default().to_owned();
        let relative = Path::new(&normalized);
        let mut candidates = Vec::new();
        if relative.is_relative() && !normalized.split('/').any(|c| c == "..") {
            candidates.push(self.dir.join(relative));
        }
        candidates.push(self.dir.join(&name));
        for c in &candidates {
            if c.is_file() {
                // Symbolic links must not lead out of the asset folder either.
                let root = std::fs::canonicalize(&self.dir)?;
                if !std::fs::canonicalize(c)?.starts_with(&root) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!(
                            "{} leads outside the asset folder {}",
                            c.display(),
                            root.display()
                        ),
                    ));
                }
                return Ok(AssetFile {
                    file_name: name,
                    content: AssetContent::File(c.clone()),
                });
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "not found as {}{}",
                candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                if self.explicit {
                    ""
                } else {
                    " (give an assets folder)"
                }
            ),
        ))
    }
}
