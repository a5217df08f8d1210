//! `ppkg inspect`: metadata, settings (answer file and compiled CSP paths), payloads, warnings,
//! and for a multivariant answer file its targets (conditions) and variants (which settings each
//! changes). The input is a package, or a `customizations.xml` answer file (no compiled part).
//! The document is built by [`ppkg::inspect`] (which `ppkg serve` uses too); this module reads
//! the file and prints it.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::InspectArgs;
use crate::io::{is_encrypted, open_package};

pub(crate) use ppkg::inspect::is_secret_name;
/// Everything `inspect` reports; also the input of `diff`.
pub(crate) use ppkg::inspect::Inspection as Report;

/// Whether `path` holds a package (WIM magic, or an encrypted package) rather than an answer
/// file.
fn is_package(path: &Path) -> Result<bool> {
    if is_encrypted(path)? {
        return Ok(true);
    }
    let mut head = [0u8; 8];
    let n = {
        use std::io::Read as _;
        let mut f = crate::io::open_file(path)?;
        f.read(&mut head)?
    };
    Ok(n < 8 || head.starts_with(b"MSWIM\0\0\0"))
}

pub(crate) fn run(args: &InspectArgs) -> Result<u8> {
    let password = crate::secrets::resolve(
        args.password.as_deref(),
        args.password_file.as_deref(),
        crate::secrets::PASSWORD_ENV,
        "--password",
    )?;
    let report = build_report(&args.file, password.as_deref(), args.show_secrets)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &report)?;
    }
    Ok(0)
}

/// The document of a package (decrypted with `password` when encrypted) or an answer file.
pub(crate) fn build_report(path: &Path, password: Option<&str>, show: bool) -> Result<Report> {
    let file = path.display().to_string();
    let opts = ppkg::inspect::Options {
        show_secrets: show,
        edition: csp_model::Edition::Desktop,
        now: Some(crate::clock::now()),
    };
    if !is_package(path)? {
        let bytes = crate::io::read_input(path)?;
        return ppkg::inspect::answer_file(&bytes, &file, &opts)
            .with_context(|| format!("{file}: neither a package nor an answer file"));
    }
    let encrypted = is_encrypted(path)?;
    let mut pkg = open_package(path, password)?;
    let catalog = ppkg::inspect::catalog_beside(path);
    Ok(ppkg::inspect::package(
        &mut pkg, &file, encrypted, catalog, &opts,
    )?)
}

fn print_text(out: &mut impl Write, r: &Report) -> Result<()> {
    let m = &r.metadata;
    writeln!(out, "Package       {}", r.file)?;
    writeln!(out, "Name          {}", m.name)?;
    writeln!(out, "Version       {}", m.version)?;
    writeln!(
        out,
        "Package ID    {}",
        m.package_id.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "Owner type    {} (altitude {}), rank {}",
        m.owner_type.as_deref().unwrap_or("?"),
        m.altitude.map_or_else(|| "-".into(), |a| a.to_string()),
        m.rank.map_or_else(|| "-".into(), |a| a.to_string())
    )?;
    writeln!(
        out,
        "Encrypted     {}",
        if r.encrypted { "yes" } else { "no" }
    )?;
    match &r.catalog {
        None => writeln!(out, "Signed        no (no catalog beside the package)")?,
        Some(c) if c.matches => writeln!(
            out,
            "Signed        yes: {} matches, signer {}",
            c.path,
            c.signer.as_deref().unwrap_or("?")
        )?,
        Some(c) => writeln!(
            out,
            "Signed        NO: {} does not match ({})",
            c.path,
            c.problem.as_deref().unwrap_or("?")
        )?,
    }
    writeln!(out, "Notes         {}", m.notes)?;
    writeln!(
        out,
        "Contents      {} files, {} folders, {} bytes",
        m.files, m.folders, m.total_bytes
    )?;
    writeln!(out, "\nSettings ({})", r.settings.len())?;
    for s in &r.settings {
        writeln!(out, "  {} = {}", s.path, s.value)?;
    }
    if !r.targets.is_empty() || !r.variants.is_empty() {
        writeln!(out, "\nTargets ({})", r.targets.len())?;
        for t in &r.targets {
            writeln!(out, "  {}  (line {})", t.id, t.line)?;
            for (i, state) in t.states.iter().enumerate() {
                let conds: Vec<String> = state.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                writeln!(
                    out,
                    "    {} {}",
                    if i == 0 { "when" } else { "or  " },
                    conds.join(" and ")
                )?;
            }
        }
        writeln!(out, "\nVariants ({})", r.variants.len())?;
        for v in &r.variants {
            writeln!(
                out,
                "  {}  for {}  (line {}; {} setting(s), not compiled by ppkg)",
                v.name,
                v.targets.join(", "),
                v.line,
                v.settings.len()
            )?;
            for s in &v.settings {
                writeln!(out, "    {} = {}", s.path, s.value)?;
            }
        }
    }
    writeln!(out, "\nCompiled ({} groups)", r.compiled.len())?;
    for g in &r.compiled {
        writeln!(out, "  {}  [{}]", g.file, g.settings_group)?;
        for p in &g.parms {
            writeln!(
                out,
                "    {} = {}{}",
                p.csp_path,
                p.value,
                p.datatype
                    .as_deref()
                    .map(|d| format!("  ({d})"))
                    .unwrap_or_default()
            )?;
        }
    }
    writeln!(out, "\nPayloads ({})", r.payloads.len())?;
    for p in &r.payloads {
        writeln!(
            out,
            "  {}  {} bytes  sha256 {}  ({})",
            p.file_name,
            p.size,
            p.sha256.as_deref().unwrap_or("-"),
            p.setting_path
        )?;
    }
    crate::cmd::wifi_view::print(out, &r.wifi)?;
    if !r.diagnostics.is_empty() {
        writeln!(out, "\nDiagnostics")?;
        crate::report::write_diagnostics(out, &r.diagnostics, "  ")?;
    }
    Ok(())
}
