//! The one error type of `csp-model`.
//!
//! Validation problems are not errors: they are diagnostics in a report (see `validate`).
//! `Err` is reserved for "the input could not be read or compiled" (STYLE.md A3). Messages name
//! the setting path, file, line and column where known, and never contain setting values that
//! may be secret (passwords, enrollment secrets, PFX passwords): only paths and names.

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error of `csp-model`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The embedded or supplied catalog table is malformed (`line` is 1-based; 0 when the whole
    /// table is at fault, e.g. no version line).
    #[error("catalog table line {line}: {message}")]
    Catalog {
        /// 1-based line in the table.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An answer-file element names a setting that the catalog does not know.
    #[error("{line}:{column}: unknown setting {path}")]
    UnknownSetting {
        /// The setting path, e.g. `/Workplace/Enrollments/UPN/AuthPolicy`.
        path: String,
        /// 1-based line of the element in the answer file.
        line: u32,
        /// 1-based column of the element.
        column: u32,
    },
    /// A setting's value cannot be compiled (wrong type, unknown enum label, missing list key…).
    #[error("{line}:{column}: setting {path}: {message}")]
    InvalidValue {
        /// The setting path.
        path: String,
        /// 1-based line of the element in the answer file.
        line: u32,
        /// 1-based column of the element.
        column: u32,
        /// What is wrong (never the value itself: it may be a secret).
        message: String,
    },
    /// The answer file's structure is not what WCD writes (no `Settings/Customizations/Common`,
    /// no package ID…).
    #[error("answer file: {0}")]
    AnswerFile(String),
    /// An asset file (command file, certificate…) could not be resolved or read.
    #[error("asset {reference:?} of setting {path}: {message}")]
    Asset {
        /// The setting path that references the file.
        path: String,
        /// The file reference as written in the answer file (a path on the author's machine).
        reference: String,
        /// What failed.
        message: String,
    },
    /// An error from `ppkg-format` (document models).
    #[error(transparent)]
    Format(#[from] ppkg_format::Error),
    /// An I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_formats_with_its_location() {
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::Catalog {
                    line: 7,
                    message: "bad".into(),
                },
                "line 7",
            ),
            (
                Error::UnknownSetting {
                    path: "/A/B".into(),
                    line: 3,
                    column: 9,
                },
                "3:9: unknown setting /A/B",
            ),
            (
                Error::InvalidValue {
                    path: "/A/B".into(),
                    line: 4,
                    column: 2,
                    message: "not an integer".into(),
                },
                "4:2: setting /A/B: not an integer",
            ),
            (Error::AnswerFile("no Settings".into()), "no Settings"),
            (
                Error::Asset {
                    path: "/X".into(),
                    reference: "D:\\a.msi".into(),
                    message: "not found".into(),
                },
                "not found",
            ),
            (Error::Io(std::io::Error::other("disk")), "disk"),
        ];
        for (e, want) in cases {
            assert!(e.to_string().contains(want), "{e} lacks {want}");
        }
    }
}
