//! `ppkg serve`: the HTTP service and web page of the `ppkg-server` crate.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::Args;

/// `ppkg serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Configuration file (TOML): listen address, templates folder, token file, limits, TLS.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
}

pub(crate) fn run(a: &ServeArgs) -> Result<u8> {
    let config = ppkg_server::Config::load(&a.config).map_err(|e| anyhow!("{e}"))?;
    ppkg_server::run(config).map_err(|e| anyhow!("{e}"))?;
    Ok(0)
}
