//! Command-line arguments → a [`ppkg::Package`], and the facade's reports printed. The build
//! itself is the facade's; the CLI only maps options and prints.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use ppkg::{Edition, Package};

use crate::cmd::Invalid;

/// The example profile shipped in the repository, embedded so `ppkg build` works anywhere.
pub(crate) const EXAMPLE_PROFILE: &str = include_str!("../../../examples/bulk-enrollment.toml");
/// The example's assets, by the path the profile names them with.
pub(crate) const EXAMPLE_ASSETS: &[(&str, &[u8])] = &[(
    "assets/example-test-root-ca.cer",
    include_bytes!("../../../examples/assets/example-test-root-ca.cer"),
)];
/// Name shown for the embedded example in diagnostics.
pub(crate) const EXAMPLE_NAME: &str = "examples/bulk-enrollment.toml (embedded)";

/// Parses `--edition`.
pub(crate) fn edition(name: &str) -> Result<Edition> {
    name.parse::<Edition>()
        .map_err(|_| anyhow!("--edition {name:?}: expected one of common, desktop, mobile, iotuap, team, hololens, holographic"))
}

/// Parses `--package-id` (braces optional).
pub(crate) fn package_id(id: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id.trim_matches(|c| c == '{' || c == '}'))
        .map_err(|e| anyhow!("--package-id {id:?}: not a GUID ({e})"))
}

/// A package from a file (profile or answer file) or, without one, the embedded example
/// (its assets unpacked into `tmp`, which must outlive the package).
pub(crate) fn package(
    input: Option<&Path>,
    asset_dir: Option<&Path>,
    tmp: &mut Option<tempfile::TempDir>,
) -> Result<Package> {
    let pkg = match input {
        Some(path) => {
            let p = Package::from_path(path).map_err(from_facade)?;
            match asset_dir {
                Some(d) => p.assets_folder(d),
                None => p,
            }
        }
        None => {
            let p = Package::from_toml(EXAMPLE_PROFILE)
                .map_err(from_facade)?
                .named(EXAMPLE_NAME);
            match asset_dir {
                Some(d) => p.base_folder(d),
                None => {
                    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
                    for (rel, bytes) in EXAMPLE_ASSETS {
                        let path = dir.path().join(rel);
                        if let Some(parent) = path.parent() {
                            std::fs::create_dir_all(parent)?;
                        }
                        std::fs::write(&path, bytes)?;
                    }
                    let p = p.base_folder(dir.path());
                    *tmp = Some(dir);
                    p
                }
            }
        }
    };
    Ok(pkg)
}

/// Prints diagnostics to stderr (see [`crate::report`]).
pub(crate) fn print(diags: &[ppkg::Diagnostic]) {
    crate::report::eprint_diagnostics(diags);
}

/// A facade error as the CLI reports it: an invalid input (diagnostics printed here, exit 1)
/// or a usage / I/O error (exit 2).
pub(crate) fn from_facade(e: ppkg::Error) -> anyhow::Error {
    match e {
        ppkg::Error::Invalid(report) => {
            print(report.diagnostics());
            let n = report.errors().count();
            Invalid(format!("{n} error(s); nothing was written")).into()
        }
        e @ (ppkg::Error::Profile { .. }
        | ppkg::Error::AnswerFile { .. }
        | ppkg::Error::Compile { .. }) => Invalid(e.to_string()).into(),
        e => anyhow::Error::new(e),
    }
}
