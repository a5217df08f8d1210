//! `ppkg build` (being wired to csp-model and workplace).

use anyhow::{bail, Result};

pub(crate) fn run(_args: &crate::cli::BuildArgs) -> Result<u8> {
    bail!("ppkg build: not wired yet")
}
