//! `csp-model`: what Windows provisioning settings mean.
//!
//! - [`catalog`]: every setting of Windows Configuration Designer's settings store (all seven
//!   editions): kind, constraints, enumeration labels, CSP path, registry mapping, atomic root,
//!   SettingsGroup GUID and apply level, plus an overlay learned from newer real packages.
//! - [`mod@compile`]: answer file → `RunTime.xml` + `.provxml` groups + DataAsset payloads,
//!   as WCD writes them.
//!
//! See `shared/DESIGN.md` and `shared/FORMAT.md` §4 for the facts these modules encode.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod catalog;
pub mod compile;
pub mod ddf;
mod error;
pub mod validate;

pub use catalog::{Catalog, Edition, EditionSet, Setting, SettingKind};
pub use compile::{
    answer_settings_xml, compile, compile_check, compile_streaming, compile_with, AssetResolver,
    CompileOptions, Compiled, CompiledAsset, PayloadDigests, WcdVersion,
};
pub use error::{Error, Result};
