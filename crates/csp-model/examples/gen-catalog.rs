//! Regenerates `crates/csp-model/data/catalog.tsv` from WCD's settings stores and the real
//! packages' SettingsGroup GUIDs (see `gen/gen_catalog.rs`).
//!
//! Usage: `cargo run -p csp-model --example gen-catalog -- /work/shared/reference [out]`
//! (`out` defaults to the committed table next to this crate's sources).

#[path = "../gen/gen_catalog.rs"]
mod gen_catalog;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(store) = args.next().map(PathBuf::from) else {
        eprintln!("usage: gen-catalog <reference dir (holds wcd-store, wcd-store-22621, ppkg)> [out file]");
        return ExitCode::from(2);
    };
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/catalog.tsv"));
    match gen_catalog::generate(&store) {
        Ok(text) => match std::fs::write(&out, text.as_bytes()) {
            Ok(()) => {
                println!("wrote {} ({} bytes)", out.display(), text.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", out.display());
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("gen-catalog: {e}");
            ExitCode::FAILURE
        }
    }
}
