//! The one error type of `ppkg-format`: a kind, plus where it happened.

use std::fmt;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error reading or writing a package: a [`ErrorKind`], the absolute byte offset in the input
/// where it was found (when known), and the part or entry name (when known).
///
/// `Display` reads like `malformed WIM: blob table entry 3 points past the end of the file
/// (offset 9000, file size 6026) at byte 232 in 'Multivariant/0/customizations.xml'`.
///
/// Errors never contain secret values (passwords, keys): only names, sizes and offsets.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    offset: Option<u64>,
    part: Option<String>,
    source: Option<std::io::Error>,
}

/// What went wrong. Grouped so that callers can act on the group: malformed input, unsupported
/// features, unsafe paths, limits exceeded, XML problems, I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not a WIM (bad magic or header size).
    NotWim,
    /// The input is a WIM but its structure is broken; the text says which field and why.
    Malformed(String),
    /// The input ends before a structure it declares (`needed` more bytes at least).
    Truncated {
        /// Bytes still needed.
        needed: u64,
    },
    /// A WIM feature this crate does not read (LZX, LZMS, solid, split, pipable…), by name.
    Unsupported(String),
    /// XPRESS compressed data is malformed; the text says why.
    Xpress(String),
    /// A blob's SHA-1 does not match the blob table.
    HashMismatch {
        /// Expected SHA-1 (hex).
        expected: String,
        /// Computed SHA-1 (hex).
        actual: String,
    },
    /// A size, count or depth read from the input exceeds a safety limit.
    LimitExceeded {
        /// What was limited (e.g. "resource size", "dentry count").
        what: String,
        /// The value found.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// An entry name or path that must not be extracted (`..`, absolute, drive letter, NUL,
    /// reserved device name…); the text says why.
    UnsafePath(String),
    /// XML that is not well formed or not of the expected shape, with 1-based line and column.
    Xml {
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: u32,
        /// 1-based column (in characters).
        column: u32,
    },
    /// Text in the wrong encoding (e.g. UTF-16 bytes under a UTF-8 declaration).
    Encoding(String),
    /// An argument given by the caller is invalid (e.g. a duplicate path in a tree being written).
    InvalidInput(String),
    /// Decryption failed: wrong password or tampered file.
    Decrypt(String),
    /// An I/O error (the source is attached).
    Io,
}

impl Error {
    /// A new error of this kind, with no location.
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            offset: None,
            part: None,
            source: None,
        }
    }

    /// Shorthand for [`ErrorKind::Malformed`].
    pub fn malformed(msg: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed(msg.into()))
    }

    /// Shorthand for [`ErrorKind::Unsupported`].
    pub fn unsupported(feature: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported(feature.into()))
    }

    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid_input(msg: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput(msg.into()))
    }

    /// Attach the absolute byte offset in the input (kept if one is already set: the innermost
    /// offset is the most precise).
    #[must_use]
    pub fn at(mut self, offset: u64) -> Self {
        self.offset.get_or_insert(offset);
        self
    }

    /// Attach the part or entry name (kept if one is already set).
    #[must_use]
    pub fn in_part(mut self, part: impl Into<String>) -> Self {
        if self.part.is_none() {
            self.part = Some(part.into());
        }
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The absolute byte offset in the input, when known.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// The part or entry name, when known.
    pub fn part(&self) -> Option<&str> {
        self.part.as_deref()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotWim => f.write_str("not a WIM file (no MSWIM magic)"),
            Self::Malformed(m) => write!(f, "malformed WIM: {m}"),
            Self::Truncated { needed } => write!(f, "input truncated: {needed} more bytes needed"),
            Self::Unsupported(m) => write!(f, "unsupported: {m}"),
            Self::Xpress(m) => write!(f, "malformed XPRESS data: {m}"),
            Self::HashMismatch { expected, actual } => {
                write!(f, "SHA-1 mismatch: expected {expected}, got {actual}")
            }
            Self::LimitExceeded { what, value, limit } => {
                write!(f, "{what} {value} exceeds the limit of {limit}")
            }
            Self::UnsafePath(m) => write!(f, "unsafe path: {m}"),
            Self::Xml {
                message,
                line,
                column,
            } => write!(f, "XML error at line {line}, column {column}: {message}"),
            Self::Encoding(m) => write!(f, "encoding error: {m}"),
            Self::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Self::Decrypt(m) => write!(f, "cannot decrypt: {m}"),
            Self::Io => f.write_str("I/O error"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)?;
        if let Some(src) = &self.source {
            write!(f, ": {src}")?;
        }
        if let Some(off) = self.offset {
            write!(f, " at byte {off}")?;
        }
        if let Some(part) = &self.part {
            write!(f, " in '{part}'")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            return Self::new(ErrorKind::Truncated { needed: 1 });
        }
        Self {
            kind: ErrorKind::Io,
            offset: None,
            part: None,
            source: Some(e),
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_formats() {
        let kinds = [
            ErrorKind::NotWim,
            ErrorKind::Malformed("x".into()),
            ErrorKind::Truncated { needed: 3 },
            ErrorKind::Unsupported("LZX compression".into()),
            ErrorKind::Xpress("bad".into()),
            ErrorKind::HashMismatch {
                expected: "aa".into(),
                actual: "bb".into(),
            },
            ErrorKind::LimitExceeded {
                what: "resource size".into(),
                value: 9,
                limit: 8,
            },
            ErrorKind::UnsafePath("..".into()),
            ErrorKind::Xml {
                message: "m".into(),
                line: 1,
                column: 2,
            },
            ErrorKind::Encoding("e".into()),
            ErrorKind::InvalidInput("i".into()),
            ErrorKind::Decrypt("d".into()),
            ErrorKind::Io,
        ];
        for k in kinds {
            let e = Error::new(k).at(7).in_part("a/b");
            let s = e.to_string();
            assert!(s.ends_with(" at byte 7 in 'a/b'"), "{s}");
        }
    }

    #[test]
    fn innermost_location_wins() {
        let e = Error::malformed("x").at(5).at(9).in_part("a").in_part("b");
        assert_eq!(e.offset(), Some(5));
        assert_eq!(e.part(), Some("a"));
    }
}
