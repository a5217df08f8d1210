//! `ppkg compile`: the whole package tree, unpacked, for review and diffing.
//!
//! The tree is produced by writing the package (uncompressed) to a temporary file and
//! extracting it with the same safe extraction as `ppkg extract`, so `compile` and
//! `build` + `extract` give identical trees by construction — and a test checks it.

use std::io::{Seek, SeekFrom};

use anyhow::{Context, Result};
use ppkg_format::layout::write_package_with;
use ppkg_format::wim::{Compression, WimReader, WriteOptions};

use crate::cli::CompileArgs;
use crate::pipeline::{compile, edition, prepare, report, Input};

pub(crate) fn run(a: &CompileArgs) -> Result<u8> {
    let edition = edition("desktop")?;
    let prepared = prepare(
        &Input::File(&a.input),
        a.asset_dir.as_deref(),
        a.package_id.as_deref(),
        edition,
    )?;
    report(&prepared.diags)?;
    let (parts, layout) = compile(&prepared, edition)?;
    let mut tmp = tempfile::tempfile().context("cannot create a temporary file")?;
    {
        let mut w = std::io::BufWriter::new(&mut tmp);
        let opts = WriteOptions::from_env().with_compression(Compression::None);
        write_package_with(&mut w, &parts, &opts, &layout).context("cannot lay out the package")?;
        std::io::Write::flush(&mut w)?;
    }
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
        parts.provxml.len(),
        a.output.display()
    );
    Ok(0)
}
