//! `ppkg compile`: the whole package tree, unpacked, for review and diffing.
//!
//! The tree is produced by writing the package (uncompressed, through the facade's
//! [`ppkg::Package`]) to a temporary file and extracting it with the same safe extraction as
//! `ppkg extract`, so `compile` and `build` + `extract` give identical trees by construction —
//! and a test checks it.

use std::io::{Seek, SeekFrom};

use anyhow::{Context, Result};
use ppkg::format::wim::WimReader;
use ppkg::Compression;

use crate::cli::CompileArgs;
use crate::input::{edition, from_facade, package, package_id, print};

pub(crate) fn run(a: &CompileArgs) -> Result<u8> {
    let mut tmp_dir = None;
    let mut pkg = package(Some(&a.input), a.asset_dir.as_deref(), &mut tmp_dir)?
        .edition(edition("desktop")?)
        .compression(Compression::None);
    if let Some(id) = &a.package_id {
        pkg = pkg.package_id(package_id(id)?);
    }
    let mut tmp = tempfile::tempfile().context("cannot create a temporary file")?;
    let written = pkg.write_to(&mut tmp).map_err(from_facade)?;
    print(written.report.diagnostics());
    tmp.seek(SeekFrom::Start(0))?;
    let mut wim =
        WimReader::new(std::io::BufReader::new(tmp)).context("internal: re-reading the package")?;
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("cannot create {}", a.output.display()))?;
    let stats = wim
        .extract_to(&a.output)
        .with_context(|| format!("cannot write the tree to {}", a.output.display()))?;
    eprintln!(
        "wrote {} files, {} folders ({} settings group(s)) to {}",
        stats.files,
        stats.dirs,
        written.groups,
        a.output.display()
    );
    Ok(0)
}
