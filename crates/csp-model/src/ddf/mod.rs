//! OMA-DM Device Description Framework (DDF) v2 files: parsing, the CSP node tree, OMA-URI
//! resolution and value checks.
//!
//! A DDF file (`<MgmtTree>`, OMA "DM_DDF-V1_2" DTD plus Microsoft's `MSFT:` extensions in
//! `DDFv2Msft.xsd`) describes one configuration service provider (CSP) as a tree of `<Node>`
//! elements. Each node carries `<DFProperties>`: the access types it allows, its format
//! (`chr`, `int`, `bool`, `b64`, `node`, …), occurrence, scope, MIME type, and Microsoft's
//! applicability, allowed values, dynamic-node naming, dependencies and deprecation.
//!
//! - [`DdfFile::parse`] reads one file into [`DdfNode`]s with every property kept ([`DfProperties`];
//!   unknown elements land in [`DfProperties::extra`] as [`RawProperty`]).
//! - [`DdfSet`] loads many files ([`DdfSet::load_dir`], [`DdfSet::parse`]) and builds a
//!   [`CspTree`], whose [`CspTree::resolve`] maps an OMA-URI such as
//!   `./Device/Vendor/MSFT/WiFi/Profile/MyNet/WlanXml` to its node, matching unnamed (dynamic)
//!   nodes against any segment.
//! - [`DdfNode::check_value`] checks a value against a node's format, allowed values (ENUM, Flag,
//!   Range, RegEx, …) and access type, and reports [`crate::validate::Diagnostic`]s.
//!
//! Parsing is safe on hostile input: the DOCTYPE is skipped and never expanded (so no entity
//! expansion), only the five predefined XML entities and character references are decoded, the
//! element depth is capped at [`MAX_DEPTH`] and the element count at [`MAX_ELEMENTS`].
//!
//! ```no_run
//! # fn main() -> Result<(), csp_model::ddf::DdfError> {
//! use csp_model::ddf::{DdfSet, Operation};
//!
//! let set = DdfSet::load_dir("ddf/")?;
//! let resolved = set.tree().resolve("./Vendor/MSFT/WiFi/Profile/Lab%20Net/WlanXml");
//! if let Some(found) = resolved {
//!     let diagnostics = found.node.check_value("<WLANProfile/>", Operation::Add);
//!     assert!(diagnostics.is_empty());
//! }
//! # Ok(())
//! # }
//! ```

mod error;
mod model;
pub(crate) mod parse;
mod tree;
pub(crate) mod value;

pub use error::{DdfError, DdfErrorKind};
pub use model::{
    AccessType, AdmxBacked, AllowedValues, Applicability, CaseSense, ConflictResolution, DdfFile,
    DdfNode, Dependency, DependencyGroup, DependencyType, Deprecated, DfFormat, DfProperties,
    DfType, DynamicNodeNaming, EnumValue, GpMapping, Occurrence, RawProperty, RebootBehavior,
    ReplaceBehavior, Scope, SourcePos, ValueType,
};
pub use tree::{CspTree, DdfSet, OmaUri, Resolved, UriScope};
pub use value::{Operation, RangeBound};

/// The deepest element nesting a DDF file may have (real files reach 14; the OMA DTD sets no
/// limit). Deeper input is rejected with [`DdfErrorKind::TooDeep`].
pub const MAX_DEPTH: usize = 128;

/// The most elements one DDF file may hold (the largest real file, `DMClient.xml`, has about
/// 2,600). More is rejected with [`DdfErrorKind::TooManyElements`].
pub const MAX_ELEMENTS: usize = 1_000_000;
