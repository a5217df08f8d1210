//! One module per subcommand; [`run`] dispatches.

mod build;
mod bulk;
mod compile;
mod csp;
mod diff;
mod explain;
mod extract;
mod inspect;
mod schedule;
pub(crate) mod serve;
mod settings;
mod validate;
mod wifi_view;

use std::fmt;

use anyhow::Result;

use crate::cli::Command;

/// Marker error: the input is invalid (exit code 1), as opposed to usage or I/O errors (2).
/// The diagnostics were already printed.
#[derive(Debug)]
pub(crate) struct Invalid(pub(crate) String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// Runs one subcommand; returns the process exit code.
pub(crate) fn run(command: Command) -> Result<u8> {
    match command {
        Command::Build(a) => build::run(&a),
        Command::Inspect(a) => inspect::run(&a),
        Command::Extract(a) => extract::run(&a),
        Command::Validate(a) => validate::run(&a),
        Command::Compile(a) => compile::run(&a),
        Command::Bulk(a) => bulk::run(&a),
        Command::Schedule(a) => schedule::run(&a),
        Command::Diff(a) => diff::run(&a),
        Command::Serve(a) => serve::run(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Settings(a) => settings::run(&a),
        Command::Csp(a) => csp::run(&a),
    }
}

/// Masking of secret values: one rule for `inspect`, `diff` and `ppkg serve`.
pub(crate) use ppkg::inspect::mask;
