//! Validation of answer files (`customizations.xml`) and setting values against the settings
//! catalog, reporting every diagnostic at once.
//!
//! Validation is kept apart from failure (STYLE.md A3, after x509-parser's `Validator` and
//! `Logger`): checks never stop at the first problem; each finding becomes a [`Diagnostic`] with
//! a stable [`Code`] (`PPKG-V001` …), a [`Severity`], the setting path and the line:column in the
//! source. A [`Report`] holds them sorted.

mod embedded;
mod report;

pub use embedded::{check_embedded_xml, EmbeddedXmlProblem};
pub use report::{CallbackLogger, Code, Diagnostic, LineCol, Logger, Report, Severity};
