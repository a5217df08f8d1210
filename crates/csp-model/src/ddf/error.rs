//! The error of DDF loading: "the input could not be read". Problems with *values* are not
//! errors but [`crate::validate::Diagnostic`]s.

use std::fmt;
use std::path::PathBuf;

use super::model::SourcePos;

/// A DDF file could not be read: what went wrong ([`DdfErrorKind`]), where in the file
/// ([`SourcePos`], when known) and which file (when loaded from disk).
///
/// `Display` gives `file:line:column: reason` (the parts that are known).
#[derive(Debug)]
pub struct DdfError {
    /// What went wrong.
    pub kind: DdfErrorKind,
    /// Where in the input (line, column, byte offset), when known.
    pub pos: Option<SourcePos>,
    /// The file, when the input came from [`super::DdfSet::load_dir`] or
    /// [`super::DdfFile::load`].
    pub file: Option<PathBuf>,
}

impl DdfError {
    pub(crate) fn new(kind: DdfErrorKind, pos: Option<SourcePos>) -> Self {
        Self {
            kind,
            pos,
            file: None,
        }
    }

    pub(crate) fn with_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for DdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if let Some(pos) = &self.pos {
            write!(f, "{}:{}:", pos.line, pos.column)?;
        }
        if self.file.is_some() || self.pos.is_some() {
            f.write_str(" ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for DdfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DdfErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// What made a DDF file unreadable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DdfErrorKind {
    /// Reading the file or listing the folder failed.
    #[error("I/O error: {0}")]
    Io(#[source] std::io::Error),
    /// The bytes are not UTF-8 (DDF files are UTF-8; a UTF-16 byte-order mark is named here).
    #[error("unsupported encoding: {0}")]
    Encoding(String),
    /// The XML is not well formed, or uses an entity other than the five predefined ones
    /// (DOCTYPE entities are never expanded).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Elements are nested deeper than [`super::MAX_DEPTH`].
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The file holds more than [`super::MAX_ELEMENTS`] elements.
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The root element is not `<MgmtTree>`.
    #[error("root element is <{found}>, expected <MgmtTree>")]
    NotMgmtTree {
        /// The root element found.
        found: String,
    },
    /// A required element is missing (`DDFv2.xsd`: `Node` needs `NodeName` and
    /// `DFProperties`).
    #[error("<{parent}> lacks <{element}>")]
    Missing {
        /// The element that lacks a child.
        parent: &'static str,
        /// The missing child.
        element: &'static str,
    },
    /// An element or attribute holds a value that its schema type does not allow (for example a
    /// non-numeric `<OneOrN>`).
    #[error("<{element}> holds {value:?}: {reason}")]
    InvalidValue {
        /// The element (or `element@attribute`).
        element: String,
        /// The value found (truncated to 80 characters).
        value: String,
        /// Why it is wrong.
        reason: &'static str,
    },
    /// `DdfSet::load_dir` found no `*.xml` file holding a `<MgmtTree>`.
    #[error("no DDF file found")]
    NoFiles,
}
