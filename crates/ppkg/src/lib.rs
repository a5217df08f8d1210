//! `ppkg`: build Windows provisioning packages (`.ppkg`) in one call, and the whole crate family
//! under one name.
//!
//! A [`Package`] takes a typed enrollment profile ([`workplace::Profile`], TOML or JSON) or a
//! WCD answer file (`customizations.xml`) and runs what Windows Configuration Designer does on
//! "Build": the profile checks, the catalog validation, the compiler to `.provxml`, the WIM
//! layout, and optionally encryption and a signed catalog. Every option has a default and a
//! chainable setter. [`Bulk`] builds one package per device from a shared template whose
//! assets are read once.
//!
//! ```
//! use ppkg::{Encryption, Package};
//! fn main() -> Result<(), ppkg::Error> {
//! #   std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).unwrap();
//!     let written = Package::from_path("examples/bulk-enrollment.toml")?
//!         .encrypt(Encryption::Generate)
//!         .sign_with_pfx_file("examples/assets/example-test-signer.pfx", "example-signer")?
//!         .write_atomic("enrollment.ppkg")?;
//!     eprintln!("wrote {} ({} bytes), catalog {:?}", written.package_id, written.bytes, written.catalog_path);
//!     if let Some(p) = &written.password { println!("password: {}", p.expose()); }
//! #   assert!(written.password.is_some() && written.catalog.is_some());
//! #   std::fs::remove_file("enrollment.ppkg").unwrap(); std::fs::remove_file("enrollment.cat").unwrap();
//!     Ok(())
//! }
//! ```
//!
//! (The same lines are the README's quick start; a test keeps them equal. The PFX is a
//! self-signed TEST certificate shipped with the examples.)
//!
//! # Stages and errors
//!
//! - [`Package::validate`] returns a [`Report`] of [`Diagnostic`]s (`file:line:col: severity
//!   code path: message`), every problem at once;
//! - [`Package::write_to`] / [`Package::write_atomic`] build and write, returning [`Written`]
//!   (package ID, sizes, settings groups, the generated password, the catalog); with any error
//!   diagnostic they return [`Error::Invalid`] and write nothing;
//! - [`Package::compile`] stops before writing, for tools that lay out the parts themselves.
//!
//! Passwords ([`ppkg_format::crypt::Password`], [`workplace::Secret`]) never appear in `Debug`
//! output, errors or diagnostics.
//!
//! # The family
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`format`] | `ppkg-format` | WIM, XPRESS, package layout, answer file, provxml, encryption |
//! | [`csp_model`] | `csp-model` | settings catalog, DDF, validation, compiler |
//! | [`workplace`] | `workplace` | typed enrollment profile, checks, certificates |
//! | [`retry_sched`] | `retry-sched` | the provisioning engine's retry and poll schedules |
//! | [`sign`] | `ppkg-sign` | signed catalogs (`.cat`) |
//!
//! Setting paths (`Workplace/Enrollments/UPN[enroll@example.com]/Secret`) are read and written by
//! [`workplace::parse_path`] and [`workplace::format_path`].
//!
//! [`inspect`] reads a package (or an answer file) into the document `ppkg inspect --json`
//! prints and `ppkg serve` returns.

#![forbid(unsafe_code)]

mod atomic;
mod bulk;
mod error;
pub mod inspect;
mod package;
mod report;
mod resolve;

pub use csp_model;
pub use ppkg_format as format;
pub use ppkg_sign as sign;
pub use retry_sched;
pub use workplace;

pub use atomic::AtomicFile;
pub use bulk::{safe_file_stem, Bulk, BulkOutput, Device};
pub use csp_model::Edition;
pub use error::{Error, Result};
pub use package::{
    is_profile_path, read_input, Compiled, Encryption, Package, Written, MAX_INPUT_BYTES,
};
pub use ppkg_format::crypt::Password;
pub use ppkg_format::wim::{Compression, ResourceCache, WriteOptions};
pub use report::{Code, Diagnostic, LineCol, Report, Severity};
pub use workplace::Profile;
