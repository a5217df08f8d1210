//! `ppkg validate` (being wired to csp-model and workplace).

use anyhow::{bail, Result};

pub(crate) fn run(_args: &crate::cli::ValidateArgs) -> Result<u8> {
    bail!("ppkg validate: not wired yet")
}

/// Warnings about a package's answer file that `inspect` shows.
pub(crate) fn package_warnings(_answer: Option<&ppkg_format::answer::AnswerFile>) -> Vec<String> {
    Vec::new()
}
