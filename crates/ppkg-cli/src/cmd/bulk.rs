//! `ppkg bulk` (being wired to csp-model and workplace).

use anyhow::{bail, Result};

pub(crate) fn run(_args: &crate::cli::BulkArgs) -> Result<u8> {
    bail!("ppkg bulk: not wired yet")
}
