//! Printing diagnostics: the one place the CLI formats them.
//!
//! Text: one diagnostic per line, `file:line:col: severity[Code] setting-path: message` (the
//! `Display` of [`csp_model::validate::Diagnostic`]); `--json`: the same fields as an object
//! (its `Serialize`). Duplicates (the same finding twice) are dropped before printing.

use std::io::Write;

use csp_model::validate::Diagnostic as Diag;

/// Writes diagnostics as text, one per line, each prefixed with `indent`.
pub(crate) fn write_diagnostics(
    out: &mut impl Write,
    diags: &[Diag],
    indent: &str,
) -> std::io::Result<()> {
    for d in csp_model::validate::dedup_exact(diags.to_vec()) {
        writeln!(out, "{indent}{d}")?;
    }
    Ok(())
}

/// Prints diagnostics to stderr (a closed stderr is ignored).
pub(crate) fn eprint_diagnostics(diags: &[Diag]) {
    let mut err = std::io::stderr().lock();
    let _ = write_diagnostics(&mut err, diags, "");
}

/// The number of errors and warnings.
pub(crate) fn counts(diags: &[Diag]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == csp_model::validate::Severity::Warning)
        .count();
    (errors, warnings)
}
