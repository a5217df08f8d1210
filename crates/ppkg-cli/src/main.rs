//! The `ppkg` command-line tool: build, inspect, extract, validate, compile, bulk, schedule and
//! diff Windows provisioning packages. See `ppkg --help`.

#![forbid(unsafe_code)]

mod cli;
mod clock;
mod cmd;
mod input;
mod io;
mod report;
mod secrets;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a package build makes many small, short-lived
/// allocations (XML strings, paths, tree nodes), on every rayon thread at once; measured on the
/// bulk benchmark (issue #13) it gives about 1.6x the packages per CPU-second of glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for "the input is invalid" (validation errors, a failed build).
const EXIT_INVALID: u8 = 1;
/// Exit code for usage or I/O errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cmd::run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // `ppkg inspect … | head`: the reader went away; not an error of ours.
            // (`--json` output fails inside serde_json, which wraps the I/O error.)
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<serde_json::Error>()
                        .and_then(serde_json::Error::io_error_kind)
                        == Some(std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("ppkg: error: {}", message(&e));
            ExitCode::from(
                e.downcast_ref::<cmd::Invalid>()
                    .map_or(EXIT_USAGE, |_| EXIT_INVALID),
            )
        }
    }
}

/// The error and its causes joined by `: `, leaving out a cause whose text the message already
/// holds (several error types print their source in their own message, so `{e:#}` said
/// "not UTF-8 text (byte 11): not UTF-8 text (byte 11)").
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let inner = std::io::Error::other("not UTF-8 text (byte 11)");
        let e = anyhow::Error::new(inner).context("bad8.toml: not UTF-8 text (byte 11)");
        assert_eq!(super::message(&e), "bad8.toml: not UTF-8 text (byte 11)");
        let e = anyhow::Error::new(std::io::Error::other("denied")).context("cannot read x");
        assert_eq!(super::message(&e), "cannot read x: denied");
    }
}
