//! Diagnostics, their stable codes, the [`Report`] that holds them and the [`Logger`] seam.
//!
//! The shape follows x509-parser's `validate` feature (`src/validate/mod.rs` `Validator`,
//! `src/validate/loggers.rs` `Logger`/`VecLogger`): checks push every finding into a logger and
//! never stop at the first; `Err` is kept for input that could not be read at all.

use std::fmt;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing; the package is fine.
    Info,
    /// Likely a mistake, but WCD would build the package.
    Warning,
    /// WCD would refuse the package, or the device would fail to apply the setting.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $num:literal, $text:literal, $sev:ident; )*) => {
        /// A stable diagnostic code, `PPKG-V0NN`. Numbers are never reused or renumbered; new
        /// codes are appended.
        #[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in number order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: `PPKG-V001`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $text, )* }
            }

            /// The number (1 for `PPKG-V001`).
            pub fn number(self) -> u16 {
                match self { $( Code::$variant => $num, )* }
            }

            /// The severity this code normally carries.
            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// The code's name (`UnknownSetting`), for JSON output and matching by name.
            pub fn name(self) -> &'static str {
                match self { $( Code::$variant => stringify!($variant), )* }
            }
        }
    };
}

codes! {
    /// The element is not a setting of the catalog at that place (field case B01).
    UnknownSetting = 1, "PPKG-V001", Error;
    /// The setting exists, but under another parent (e.g. a top-level node nested wrongly).
    WrongParent = 2, "PPKG-V002", Error;
    /// The setting exists, but not for the target edition (field case B02).
    NotInEdition = 3, "PPKG-V003", Error;
    /// The value is not of the setting's type (bool, integer, base64, …).
    WrongType = 4, "PPKG-V004", Error;
    /// The value is not one of the allowed enumeration labels/values.
    EnumNotAllowed = 5, "PPKG-V005", Error;
    /// The number is outside the allowed range.
    OutOfRange = 6, "PPKG-V006", Error;
    /// The text is longer than the maximum length (field case B06).
    TooLong = 7, "PPKG-V007", Error;
    /// The text is shorter than the minimum length.
    TooShort = 8, "PPKG-V008", Error;
    /// The text does not match the required pattern.
    PatternMismatch = 9, "PPKG-V009", Error;
    /// A map or list item lacks its key attribute (e.g. `<User>` without `UserName`).
    MissingKey = 10, "PPKG-V010", Error;
    /// Two items of one map or list share a key.
    DuplicateKey = 11, "PPKG-V011", Error;
    /// An XML value (e.g. a WLAN profile) is empty, not well formed or uses an undeclared
    /// namespace prefix (field case B03).
    EmbeddedXmlInvalid = 12, "PPKG-V012", Error;
    /// A container setting holds text (it should only hold child settings).
    UnexpectedText = 13, "PPKG-V013", Warning;
    /// A value setting is present but empty.
    EmptyValue = 14, "PPKG-V014", Warning;
    /// The same setting appears twice under one parent; WCD keeps only one.
    DuplicateSetting = 15, "PPKG-V015", Warning;
    /// A constraint could not be checked (e.g. a pattern in a dialect this library cannot
    /// compile).
    Unchecked = 16, "PPKG-V016", Info;
    /// The CSP node does not accept this operation (`AccessType` lacks Add/Replace/Exec).
    AccessDenied = 17, "PPKG-V017", Error;
    /// The OMA-URI names no node of the loaded DDF files.
    UnknownNode = 18, "PPKG-V018", Error;
    /// The CSP node is deprecated (`MSFT:Deprecated`).
    Deprecated = 19, "PPKG-V019", Warning;
    /// An attribute that the setting does not define (only a map item's key attribute is
    /// expected).
    UnexpectedAttribute = 20, "PPKG-V020", Warning;
    /// A setting marked required by the catalog is missing from an item that is present.
    MissingRequired = 21, "PPKG-V021", Error;
    /// The answer file's structure is off (no `<Settings>`, no `<PackageConfig>`, …).
    Structure = 22, "PPKG-V022", Warning;
    /// The setting is in the catalog but the compiler has no way to write it (no CSP path, no
    /// registry mapping, not a payload): `build` would refuse it, so `validate` does too.
    NoCompilerHandler = 23, "PPKG-V023", Error;
    /// No SettingsGroup GUID is known for the setting's group (no sequence table entry, no real
    /// package, no generated GUID): `build` would refuse it.
    NoSettingsGroup = 24, "PPKG-V024", Error;
    /// The setting's SettingsGroup GUID is generated by this crate (no sequence table or real
    /// package gives WCD's); the package works, but its RunTime.xml differs from WCD's there.
    GeneratedSettingsGroup = 25, "PPKG-V025", Info;
    /// The setting is defined only by an older settings store (2019) for the target edition;
    /// the current store (22621) no longer lists it. Accepted as the older store defines it.
    OlderStoreOnly = 26, "PPKG-V026", Info;
    /// A value, name, attribute or package field holds a character XML 1.0 cannot carry (C0
    /// controls other than TAB/CR/LF, NUL, U+FFFE, U+FFFF): no package could hold it.
    InvalidXmlChar = 27, "PPKG-V027", Error;
    /// Multivariant settings (`Targets`, `Variant`/`Profile`): not compiled, because the layout
    /// WCD gives them in a package is not established from evidence; `build` refuses rather than
    /// leaving the variant settings out.
    MultivariantNotCompiled = 28, "PPKG-V028", Error;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line and column in a source document (both 1-based; column in characters).
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl From<crate::ddf::SourcePos> for LineCol {
    fn from(p: crate::ddf::SourcePos) -> Self {
        Self {
            line: p.line,
            column: p.column,
        }
    }
}

/// One finding: code, severity, the setting path (customizations.xml path written with `/`, or
/// an OMA-URI), the source position when known, and a message.
///
/// Messages never contain the value of a secret setting (passwords, keys, tokens): checks on
/// such settings describe the value by its length only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity (normally `code.default_severity()`).
    pub severity: Severity,
    /// The setting path, e.g. `Settings/Workplace/Enrollments/UPN[user@contoso.com]/AuthPolicy`.
    pub path: String,
    /// Where in the source, when known.
    pub pos: Option<LineCol>,
    /// What is wrong, and how to fix it when known.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(
        code: Code,
        path: impl Into<String>,
        pos: Option<LineCol>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: code.default_severity(),
            path: path.into(),
            pos,
            message: message.into(),
        }
    }

    /// The same diagnostic with another severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `line:col: severity CODE path: message`, with `-` in place of an unknown position.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{p}: ")?,
            None => f.write_str("-: ")?,
        }
        write!(
            f,
            "{} {} {}: {}",
            self.severity, self.code, self.path, self.message
        )
    }
}

/// Receives diagnostics as checks find them (x509-parser's `Logger`).
pub trait Logger {
    /// Records one diagnostic.
    fn log(&mut self, diagnostic: Diagnostic);
}

impl Logger for Vec<Diagnostic> {
    fn log(&mut self, diagnostic: Diagnostic) {
        self.push(diagnostic);
    }
}

/// A [`Logger`] that hands each diagnostic to a closure (for streaming output).
#[derive(Debug)]
pub struct CallbackLogger<F: FnMut(Diagnostic)>(pub F);

impl<F: FnMut(Diagnostic)> Logger for CallbackLogger<F> {
    fn log(&mut self, diagnostic: Diagnostic) {
        (self.0)(diagnostic);
    }
}

/// Every diagnostic of one validation, sorted by position (unknown positions last), then code,
/// then path.
///
/// `Display` prints one diagnostic per line (see [`Diagnostic`]'s `Display`).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Report {
    diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// A report of these diagnostics (sorted on construction).
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by(|a, b| {
            let key = |d: &Diagnostic| (d.pos.is_none(), d.pos);
            key(a)
                .cmp(&key(b))
                .then(a.code.cmp(&b.code))
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.message.cmp(&b.message))
        });
        Self { diagnostics }
    }

    /// All diagnostics, sorted.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Whether there is no error (warnings and infos allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// Whether there is no diagnostic at all.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// The number of diagnostics.
    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    /// The diagnostics with this code.
    pub fn with_code(&self, code: Code) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics.iter().filter(move |d| d.code == code)
    }

    /// Consumes the report, giving its sorted diagnostics.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Report {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.diagnostics.iter()
    }
}
