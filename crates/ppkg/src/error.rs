//! The facade's error type.

use std::path::PathBuf;

use crate::report::Report;

/// Why a package was not built or written. Nothing is ever written when an error is returned
/// (see [`crate::Package::write_atomic`]).
///
/// Messages name the file (profile, answer file, PFX, output) and never hold a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The checks or the catalog validation found errors; the report holds every diagnostic
    /// (warnings too).
    #[error("{} error(s){}; nothing was written", .0.errors().count(), first_error(.0))]
    Invalid(Report),
    /// A profile that does not parse or whose asset files cannot be read.
    #[error("{file}: {source}")]
    Profile {
        /// The profile, as shown in diagnostics.
        file: String,
        /// What went wrong.
        #[source]
        source: Box<workplace::Error>,
    },
    /// An answer file that does not parse (with line:column), or whose `PackageConfig` is
    /// invalid.
    #[error("{file}: {source}")]
    AnswerFile {
        /// The answer file, as shown in diagnostics.
        file: String,
        /// What went wrong.
        #[source]
        source: Box<ppkg_format::Error>,
    },
    /// The compiler refused a setting or could not read an asset.
    #[error("{file}: {source}")]
    Compile {
        /// The input, as shown in diagnostics.
        file: String,
        /// What went wrong.
        #[source]
        source: Box<csp_model::Error>,
    },
    /// Laying out, writing or encrypting the package failed.
    #[error("cannot write the package: {0}")]
    Write(#[source] Box<ppkg_format::Error>),
    /// The signing certificate could not be opened or used.
    #[error("cannot sign the package: {0}")]
    Sign(#[source] Box<ppkg_sign::Error>),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A package that cannot be read: not a WIM, damaged (a file's SHA-1 or XPRESS data), a
    /// wrong password, or a part that does not parse ([`crate::inspect`]).
    #[error("{file}: {what}: {source}")]
    Read {
        /// The package, as shown in diagnostics.
        file: String,
        /// What could not be read (`damaged package`, `not a package`, …).
        what: &'static str,
        /// What went wrong.
        #[source]
        source: Box<ppkg_format::Error>,
    },
    /// An encrypted package was given without its password.
    #[error("{file}: the package is encrypted: give its password")]
    PasswordRequired {
        /// The package, as shown in diagnostics.
        file: String,
    },
    /// A bad option value (a package ID that is not a GUID, an edition name, a bulk column…).
    #[error("{0}")]
    Usage(String),
}

fn first_error(r: &Report) -> String {
    r.errors()
        .next()
        .map(|d| format!(", the first: {d}"))
        .unwrap_or_default()
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The report, when the input was invalid.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Error::Invalid(r) => Some(r),
            _ => None,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
