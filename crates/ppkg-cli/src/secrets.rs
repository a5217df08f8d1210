//! Where passwords come from: `--password-file PATH`, an environment variable, or a prompt
//! without echo on a terminal; `--password VALUE` still works but warns, since any user can read
//! a command line (`ps`, `/proc/PID/cmdline`, shell history).
//!
//! Order: the command-line value (with a warning), the file (its first line; a trailing
//! newline is not part of the password), the environment variable, then — only where a
//! password is needed and stdin is a terminal — a prompt. Values are never printed.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Encryption password of `build`, and of encrypted packages read by `inspect`, `extract`,
/// `validate` and `diff`.
pub(crate) const PASSWORD_ENV: &str = "PPKG_PASSWORD";
/// Password of the signing PFX (`build --sign`).
pub(crate) const SIGN_PASSWORD_ENV: &str = "PPKG_SIGN_PASSWORD";

/// A password from `--FLAG VALUE`, `--FLAG-file PATH` or `$ENV`, in that order; `None` when
/// none is given.
///
/// # Errors
/// A file that cannot be read or is not UTF-8 (the message names the file, never its content).
pub(crate) fn resolve(
    value: Option<&str>,
    file: Option<&Path>,
    env: &str,
    flag: &str,
) -> Result<Option<String>> {
    if let Some(v) = value {
        eprintln!(
            "warning: {flag} on the command line is visible to other users of this machine \
             (ps, shell history); use {flag}-file PATH, ${env}, or leave it out to be asked"
        );
        return Ok(Some(v.to_owned()));
    }
    if let Some(path) = file {
        let bytes = crate::io::read_input(path).with_context(|| format!("{flag}-file"))?;
        let Ok(text) = String::from_utf8(bytes) else {
            bail!("{flag}-file {}: not UTF-8 text", path.display());
        };
        let first = text.lines().next().unwrap_or_default().to_owned();
        return Ok(Some(first));
    }
    match std::env::var(env) {
        Ok(v) if !v.is_empty() => Ok(Some(v)),
        _ => Ok(None),
    }
}

/// Asks for a password on the terminal without echo; `None` when stdin is not a terminal.
///
/// # Errors
/// The terminal could not be read.
pub(crate) fn prompt(what: &str) -> Result<Option<String>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let p = rpassword::prompt_password(format!("{what}: "))
        .with_context(|| format!("cannot read the {what} from the terminal"))?;
    Ok(Some(p))
}
