//! `ppkg compile` (being wired to csp-model and workplace).

use anyhow::{bail, Result};

pub(crate) fn run(_args: &crate::cli::CompileArgs) -> Result<u8> {
    bail!("ppkg compile: not wired yet")
}
