//! `ppkg extract`: safe extraction of a package (or any readable WIM).

use anyhow::{Context, Result};

use crate::cli::ExtractArgs;
use crate::io::{open_package, verify_all, write_atomic};

pub(crate) fn run(args: &ExtractArgs) -> Result<u8> {
    let mut pkg = open_package(&args.file, args.password.as_deref())?;
    // Check every file first (SHA-1, XPRESS) so that a damaged package leaves nothing behind.
    verify_all(pkg.wim()).with_context(|| format!("{}: damaged package", args.file.display()))?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
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
        let path = args.output.join("customizations.xml");
        write_atomic(&path, &bytes)?;
        eprintln!("wrote {}", path.display());
        return Ok(0);
    }
    let stats = pkg
        .wim()
        .extract_to(&args.output)
        .with_context(|| format!("{}: extraction failed", args.file.display()))?;
    eprintln!(
        "extracted {} files, {} folders, {} bytes to {} (the answer file is Multivariant/0/customizations.xml)",
        stats.files,
        stats.dirs,
        stats.bytes,
        args.output.display()
    );
    Ok(0)
}
