//! The crate's error type: reserved for input that cannot be read at all. Problems in a
//! profile that can be read are [`crate::Diagnostic`]s in a [`crate::Report`].

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a profile, answer file or asset could not be read or written.
///
/// Messages name the file, the field path and, for text formats, the line and column. They
/// never contain a secret's value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A TOML profile did not parse or did not match the profile's shape.
    #[error("TOML profile{}: {message}", at_line(*line, *column))]
    Toml {
        /// What went wrong, as the TOML reader put it (its message names the key).
        message: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
    },
    /// A JSON profile did not parse or did not match the profile's shape.
    #[error("JSON profile at line {line}, column {column}: {message}")]
    Json {
        /// What went wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Writing a profile as TOML or JSON failed.
    #[error("cannot write the profile: {0}")]
    Serialize(String),
    /// An asset file named by the profile could not be read.
    #[error("{field}: cannot read {}: {source}", path.display())]
    Asset {
        /// Field path of the setting that names the file, e.g. `Certificates/RootCertificates/RootCertificate[CertificateName=Lab]/CertificatePath`.
        field: String,
        /// The file as resolved against the base folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The answer file has a shape this crate cannot map (for example a typed setting given
    /// twice with different values, or a list item without its key attribute).
    #[error("answer file {path}: {reason}")]
    AnswerFile {
        /// Element path, e.g. `Settings/Customizations/Common/Workplace/Enrollments/UPN`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An error from the document model (`ppkg-format`).
    #[error(transparent)]
    Format(#[from] ppkg_format::Error),
}

fn at_line(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}
