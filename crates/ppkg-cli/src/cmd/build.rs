//! `ppkg build`: profile or answer file → validated, compiled, written atomically (the
//! facade's [`ppkg::Package`]).

use anyhow::{Context, Result};
use ppkg::{Compression, Encryption, Password};

use crate::cli::BuildArgs;
use crate::input::{edition, from_facade, package, package_id, print};

pub(crate) fn run(a: &BuildArgs) -> Result<u8> {
    crate::clock::set(a.now.as_deref())?;
    let edition = edition(&a.edition)?;
    let mut inputs: Vec<&std::path::Path> = a.input.iter().map(|p| p.as_path()).collect();
    inputs.extend(a.sign.as_deref());
    crate::io::refuse_output_over_input(&a.output, &inputs)?;
    if a.sign.is_some() {
        // The catalog is written beside the package: it must not replace an input either.
        crate::io::refuse_output_over_input(&ppkg::sign::catalog_path(&a.output), &inputs)?;
    }
    let mut tmp = None;
    let mut pkg = package(a.input.as_deref(), a.asset_dir.as_deref(), &mut tmp)?.edition(edition);
    if a.now.is_some() {
        pkg = pkg.checked_at(crate::clock::now());
    }
    if let Some(id) = &a.package_id {
        pkg = pkg.package_id(package_id(id)?);
    }
    if a.no_compress {
        pkg = pkg.compression(Compression::None);
    }
    // --password / --password-file imply --encrypt; $PPKG_PASSWORD is used with --encrypt.
    let password = if a.password.is_some() || a.password_file.is_some() || a.encrypt {
        crate::secrets::resolve(
            a.password.as_deref(),
            a.password_file.as_deref(),
            crate::secrets::PASSWORD_ENV,
            "--password",
        )?
    } else {
        None
    };
    match (&password, a.encrypt) {
        (Some(p), _) => {
            pkg = pkg.encrypt(Encryption::Password(
                Password::new(p).context("--password")?,
            ))
        }
        (None, true) => pkg = pkg.encrypt(Encryption::Generate),
        (None, false) => {}
    }
    if let Some(pfx) = &a.sign {
        let bytes = crate::io::read_input(pfx)?;
        let sign_password = match crate::secrets::resolve(
            a.sign_password.as_deref(),
            a.sign_password_file.as_deref(),
            crate::secrets::SIGN_PASSWORD_ENV,
            "--sign-password",
        )? {
            Some(p) => p,
            None => crate::secrets::prompt(&format!("password of {}", pfx.display()))?
                .unwrap_or_default(),
        };
        pkg = pkg
            .sign_with_pfx(&bytes, &sign_password)
            .with_context(|| format!("{}: cannot open the signing certificate", pfx.display()))?;
    }
    let written = pkg.write_atomic(&a.output).map_err(from_facade)?;
    print(written.report.diagnostics());
    eprintln!(
        "wrote {} ({} bytes; {} settings group(s), {} payload(s); package ID {{{}}})",
        a.output.display(),
        written.bytes,
        written.groups,
        written.payloads,
        written.package_id
    );
    if let Some(p) = &written.password {
        // Printed once, on stdout, so that it can be captured; never logged elsewhere.
        std::io::Write::write_fmt(
            &mut std::io::stdout().lock(),
            format_args!("password: {}\n", p.expose()),
        )?;
    }
    let cat = ppkg::sign::catalog_path(&a.output);
    if let Some(c) = &written.catalog_path {
        eprintln!("wrote {}", c.display());
    } else if cat.is_file() {
        eprintln!(
            "warning: {} is from an earlier build and does not sign this package; delete it or build with --sign",
            cat.display()
        );
    }
    Ok(0)
}
