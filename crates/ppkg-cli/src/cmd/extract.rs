//! `ppkg extract`: safe extraction of a package (or any readable WIM).
//!
//! One pass: files are extracted (each checked against its SHA-1 by the reader, decoded and
//! written on every core) into a fresh staging folder beside the output, and moved into the output only when every file was good,
//! so a damaged package leaves nothing behind and no file is decompressed twice.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cli::ExtractArgs;
use crate::io::{open_package, write_atomic};

pub(crate) fn run(args: &ExtractArgs) -> Result<u8> {
    let password = crate::secrets::resolve(
        args.password.as_deref(),
        args.password_file.as_deref(),
        crate::secrets::PASSWORD_ENV,
        "--password",
    )?;
    let mut pkg = open_package(&args.file, password.as_deref())?;
    if args.answer_file_only {
        let bytes = pkg
            .read_part("Multivariant/0/customizations.xml")
            .with_context(|| format!("{}: cannot read the answer file", args.file.display()))?
            .with_context(|| {
                format!(
                    "{}: the package has no customizations.xml",
                    args.file.display()
                )
            })?;
        std::fs::create_dir_all(&args.output)
            .with_context(|| format!("cannot create {}", args.output.display()))?;
        let path = args.output.join("customizations.xml");
        write_atomic(&path, &bytes)?;
        eprintln!("wrote {}", path.display());
        return Ok(0);
    }
    let output = &args.output;
    if let Ok(md) = std::fs::symlink_metadata(output) {
        if !md.is_dir() {
            bail!("{}: exists and is not a folder", output.display());
        }
    }
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    // Removed on drop, whatever happens below, unless everything was moved out of it.
    let staging = tempfile::Builder::new()
        .prefix(".ppkg-extract-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;
    let has_answer = pkg
        .wim()
        .find("Multivariant/0/customizations.xml")
        .is_some();
    // The tree goes into a folder created inside the fresh staging folder: nothing can exist
    // there, so the reader skips its per-file existence checks (`extract_to_fresh`).
    let tree = staging.path().join("tree");
    let stats = pkg.wim().extract_to_fresh(&tree).with_context(|| {
        format!(
            "{}: extraction stopped; nothing was extracted",
            args.file.display()
        )
    })?;
    move_into(&tree, output)?;
    eprintln!(
        "extracted {} files, {} folders, {} bytes to {}{}",
        stats.files,
        stats.dirs,
        stats.bytes,
        output.display(),
        if has_answer {
            " (the answer file is Multivariant/0/customizations.xml)"
        } else {
            ""
        }
    );
    Ok(0)
}

/// Moves the staged tree to `output`: one rename when `output` does not exist; otherwise each
/// top-level entry is renamed into it, after checking that none of them exists there already
/// (existing files are never overwritten, as in [`ppkg_format::wim::WimReader::extract_to`]).
fn move_into(staging: &Path, output: &Path) -> Result<()> {
    if std::fs::symlink_metadata(output).is_err() {
        return std::fs::rename(staging, output)
            .with_context(|| format!("cannot move the extracted files to {}", output.display()));
    }
    let entries: Vec<_> = std::fs::read_dir(staging)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    for name in &entries {
        let target = output.join(name);
        if std::fs::symlink_metadata(&target).is_ok() {
            bail!(
                "{} exists already; extract into a new or empty folder",
                target.display()
            );
        }
    }
    for name in &entries {
        let target = output.join(name);
        std::fs::rename(staging.join(name), &target)
            .with_context(|| format!("cannot move {}", target.display()))?;
    }
    Ok(())
}
