//! The diagnostics of every stage (profile checks, catalog validation, bulk rows) in one shape.

use std::fmt;

use serde::Serialize;

/// How bad a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the package is fine.
    Info,
    /// Likely a mistake, but WCD would build the package.
    Warning,
    /// WCD would refuse the package, or the device would fail to apply the setting: nothing is
    /// written.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<csp_model::validate::Severity> for Severity {
    fn from(s: csp_model::validate::Severity) -> Self {
        match s {
            csp_model::validate::Severity::Error => Severity::Error,
            csp_model::validate::Severity::Warning => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

impl From<workplace::Severity> for Severity {
    fn from(s: workplace::Severity) -> Self {
        match s {
            workplace::Severity::Error => Severity::Error,
            workplace::Severity::Warning => Severity::Warning,
            workplace::Severity::Info => Severity::Info,
        }
    }
}

/// One diagnostic, from any stage, as `file:line:col: severity code path: message`.
///
/// - `file`: what was read (a profile path, `… (customizations.xml)` for the answer file made
///   from a profile, `devices.csv:17` for a bulk row);
/// - `line`/`column`: 1-based, when the source has positions (TOML and XML do; JSON and
///   profiles built in code do not);
/// - `code`: the stable code of the stage that found it (`workplace::Code`,
///   `csp_model::validate::Code`, or `Asset`, `Bulk`, `PackageId` for the facade's own);
/// - `path`: the setting path (`Workplace/Enrollments/UPN[enroll@example.com]/Secret`), empty
///   for a whole-file problem;
/// - `message`: never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Where: a file name or a bulk row.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// Error, warning or info.
    pub severity: Severity,
    /// Stable code.
    pub code: String,
    /// Setting path (may be empty).
    pub path: String,
    /// What is wrong (and the hint, in parentheses, when there is one).
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic without a source position.
    pub fn unplaced(
        file: impl Into<String>,
        severity: Severity,
        code: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            line: None,
            column: None,
            severity,
            code: code.into(),
            path: path.into(),
            message: message.into(),
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}:{}", self.column.unwrap_or(1))?;
        }
        write!(f, ": {} {}", self.severity, self.code)?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every diagnostic of a [`crate::Package::validate`] run (or of one bulk device), in the order
/// found: profile checks first, then the catalog validation of the answer file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// A report of these diagnostics.
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        Report { diagnostics }
    }

    /// The diagnostics.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The diagnostics, owned.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Whether any diagnostic is an error (then nothing is written).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// Whether there is no diagnostic at all.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

impl fmt::Display for Report {
    /// One diagnostic per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}
