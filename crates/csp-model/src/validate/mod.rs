//! Validation of answer files (`customizations.xml`) and setting values against the settings
//! catalog, reporting every diagnostic at once.
//!
//! Validation is kept apart from failure (STYLE.md A3, after x509-parser's `Validator` and
//! `Logger`): checks never stop at the first problem; each finding becomes a [`Diagnostic`] with
//! a stable [`Code`] (a name such as `UnknownSetting`; table in `docs/DIAGNOSTICS.md`), a
//! [`Severity`], the setting path and the line:column in the source. A [`Report`] holds them
//! sorted; its `Display` prints `line:col: severity[Code] path: message`, one per line.
//!
//! [`Diagnostic`] is the one diagnostic type of the workspace: the `workplace` profile checks
//! and the CLI report through it too (see [`merge_layers`] for how two layers finding the same
//! fault give one diagnostic).
//!
//! - [`validate`] / [`Validator`]: a whole answer file for a target edition.
//! - [`validate_value`]: one value against one catalog [`crate::catalog::Setting`] (reusable by
//!   profile builders).
//! - [`check_embedded_xml`]: XML carried inside a value (WLAN profiles …).
//!
//! ```
//! use csp_model::catalog::{Catalog, Edition};
//! use csp_model::validate::{validate, Code};
//! use ppkg_format::answer::AnswerFile;
//!
//! let xml = br#"<WindowsCustomizations>
//!   <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
//!     <ID>{a0ff437e-87ae-4f47-a6a0-4121eb6bc106}</ID><Name>Enroll</Name>
//!     <Version>1.0</Version><OwnerType>ITAdmin</OwnerType><Rank>0</Rank>
//!   </PackageConfig>
//!   <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
//!     <Customizations><Common>
//!       <Workplace><Enrollments><UPN UPN="a@contoso.com">
//!         <AuthPolicy>Kerberos</AuthPolicy>
//!       </UPN></Enrollments></Workplace>
//!     </Common></Customizations>
//!   </Settings>
//! </WindowsCustomizations>"#;
//! let answer = AnswerFile::parse(xml)?;
//! let report = validate(&answer, Catalog::builtin(), Edition::Desktop);
//! assert!(!report.is_valid());
//! let d = report.errors().next().expect("one error");
//! assert_eq!(d.code, Code::EnumNotAllowed);
//! assert_eq!(d.pos.map(|p| p.line), Some(9));
//! assert!(d.to_string().starts_with("9:9: error[EnumNotAllowed] /Workplace/Enrollments/UPN[a@contoso.com]/AuthPolicy"));
//! # Ok::<(), ppkg_format::Error>(())
//! ```

mod answer;
mod embedded;
mod report;
pub(crate) mod value;

pub use answer::{validate, Validator};
pub use embedded::{check_embedded_xml, EmbeddedXmlProblem};
pub use report::{
    code_table_markdown, dedup_exact, merge_layers, setting_key, CallbackLogger, Code, Diagnostic,
    Layer, LineCol, Logger, Report, Severity,
};
pub use value::{is_secret, is_xml_valued, validate_value};
