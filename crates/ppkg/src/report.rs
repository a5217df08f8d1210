//! The diagnostics of every stage (profile checks, catalog validation, bulk rows): the
//! workspace's one diagnostic type, [`csp_model::validate::Diagnostic`], with its stable
//! [`Code`]s (`docs/DIAGNOSTICS.md`), re-exported here.

use std::fmt;

use serde::Serialize;

pub use csp_model::validate::{Code, Diagnostic, LineCol, Severity};

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
