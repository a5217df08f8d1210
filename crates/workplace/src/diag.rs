//! Diagnostics: what [`crate::check`] reports about a profile.
//!
//! The types are csp-model's ([`csp_model::validate::Diagnostic`] and its [`Code`]): one
//! diagnostic type and one code scheme for the whole workspace (`docs/DIAGNOSTICS.md`). The
//! profile checks create diagnostics with [`Diagnostic::field`] (a setting path, no position);
//! the caller that has the source text places them (`locate`, `locate_in_toml`,
//! `locate_in_json`).

pub use csp_model::validate::{Code, Diagnostic, Report, Severity};
