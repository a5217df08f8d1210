//! `ppkg build`: profile or answer file → validated, compiled, written atomically.

use std::io::{Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result};
use ppkg_format::crypt::{self, Password};
use ppkg_format::layout::{write_package_with, LayoutOptions, PackageParts};
use ppkg_format::wim::{Compression, WriteOptions};

use crate::cli::BuildArgs;
use crate::io::{write_atomic, AtomicFile};
use crate::pipeline::{compile, edition, prepare, report, Input};

pub(crate) fn run(a: &BuildArgs) -> Result<u8> {
    crate::clock::set(a.now.as_deref())?;
    let edition = edition(&a.edition)?;
    let mut inputs: Vec<&std::path::Path> = a.input.iter().map(|p| p.as_path()).collect();
    inputs.extend(a.sign.as_deref());
    crate::io::refuse_output_over_input(&a.output, &inputs)?;
    let input = match &a.input {
        Some(p) => Input::File(p),
        None => Input::Example,
    };
    let password = match (&a.password, a.encrypt) {
        (Some(p), _) => Some(Password::new(p).context("--password")?),
        (None, true) => Some(Password::generate().context("cannot generate a password")?),
        (None, false) => None,
    };
    let signer = match &a.sign {
        Some(pfx) => {
            let bytes = crate::io::read_input(pfx)?;
            let signer =
                ppkg_sign::Signer::from_pfx(&bytes, a.sign_password.as_deref().unwrap_or(""))
                    .with_context(|| {
                        format!("{}: cannot open the signing certificate", pfx.display())
                    })?;
            Some(signer)
        }
        None => None,
    };
    let prepared = prepare(
        &input,
        a.asset_dir.as_deref(),
        a.package_id.as_deref(),
        edition,
    )?;
    report(&prepared.diags)?;
    let (parts, mut layout) = compile(&prepared, edition)?;
    layout.encrypt_package = password.is_some();
    layout.sign_package = signer.is_some();
    let mut opts = WriteOptions::from_env();
    if a.no_compress {
        opts = opts.with_compression(Compression::None);
    }
    let stats = write(
        &a.output,
        &parts,
        &opts,
        &layout,
        password.as_ref(),
        signer.as_ref(),
    )?;
    let id = parts
        .answer_file
        .package_config()
        .ok()
        .and_then(|c| c.id_braced())
        .unwrap_or_default();
    eprintln!(
        "wrote {} ({} bytes; {} settings group(s), {} payload(s); package ID {id})",
        a.output.display(),
        stats,
        parts.provxml.len(),
        parts.assets.len()
    );
    if let (Some(p), None) = (&password, &a.password) {
        // Printed once, on stdout, so that it can be captured; never logged elsewhere.
        println!("password: {}", p.expose());
    }
    let cat = ppkg_sign::catalog_path(&a.output);
    if signer.is_some() {
        eprintln!("wrote {}", cat.display());
    } else if cat.is_file() {
        eprintln!(
            "warning: {} is from an earlier build and does not sign this package; delete it or build with --sign",
            cat.display()
        );
    }
    Ok(0)
}

/// Writes the package (and its catalog) atomically: everything goes to temporary files first
/// and is renamed into place only when all of it succeeded. Returns the package's size.
pub(crate) fn write(
    out: &Path,
    parts: &PackageParts,
    opts: &WriteOptions,
    layout: &LayoutOptions,
    password: Option<&Password>,
    signer: Option<&ppkg_sign::Signer>,
) -> Result<u64> {
    let mut file = AtomicFile::create(out)?;
    match password {
        None => {
            let mut w = std::io::BufWriter::new(file.file());
            write_package_with(&mut w, parts, opts, layout)
                .with_context(|| format!("cannot write {}", out.display()))?;
            std::io::Write::flush(&mut w)?;
        }
        Some(pw) => {
            let mut plain = tempfile::tempfile().context("cannot create a temporary file")?;
            let mut w = std::io::BufWriter::new(&mut plain);
            write_package_with(&mut w, parts, opts, layout).context("cannot write the package")?;
            std::io::Write::flush(&mut w)?;
            drop(w);
            plain.seek(SeekFrom::Start(0))?;
            let iv = crypt::random_iv().context("cannot draw a random IV")?;
            let mut w = std::io::BufWriter::new(file.file());
            crypt::encrypt(std::io::BufReader::new(plain), &mut w, pw, iv)
                .context("cannot encrypt the package")?;
            std::io::Write::flush(&mut w)?;
        }
    }
    let f = file.file();
    let len = f.seek(SeekFrom::End(0))?;
    if let Some(signer) = signer {
        f.seek(SeekFrom::Start(0))?;
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cat = ppkg_sign::sign(
            std::io::BufReader::new(&mut *f),
            &name,
            signer,
            crate::clock::signing_time(),
        )
        .context("cannot sign the package")?;
        write_atomic(&ppkg_sign::catalog_path(out), &cat)?;
    }
    file.commit()?;
    Ok(len)
}
