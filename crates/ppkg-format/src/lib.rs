//! `ppkg-format`: the bytes of Windows provisioning packages (`.ppkg`).
//!
//! A `.ppkg` is a WIM file (Windows Imaging Format, version 1.13, one image, XPRESS
//! compression in 32 KiB chunks) holding the source answer file (`customizations.xml`), the
//! compiled `.provxml` documents, an index per element and the payload files. This crate reads
//! and writes that container and the documents inside it; it knows nothing of what settings
//! mean (that is `csp-model`).
//!
//! Modules:
//! - [`xpress`]: the XPRESS (LZ77+Huffman, MS-XCA) codec as WIM uses it.
//! - [`wim`]: WIM reader (checked index layer + streaming readers) and streaming writer.
//! - [`xml`]: a lossless XML tree with source positions, used by the document models.
//! - [`answer`], [`provxml`], [`runtime`]: `customizations.xml`, `.provxml`, `RunTime.xml`.
//! - [`layout`]: the package layout (elements, index files, DataAsset naming) and the package
//!   builder/reader on top of [`wim`].
//! - [`metadata`]: the WIM XML data (`<IMAGE>`: NAME, VERSION, PACKAGEID, ALTITUDE, …).
//! - [`crypt`]: password encryption of whole packages (AES-128-CBC + HMAC-SHA256).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod answer;
pub mod crypt;
mod error;
pub mod layout;
pub mod metadata;
pub mod owner;
pub mod path;
pub mod provxml;
pub mod runtime;
pub mod wim;
pub mod xml;
pub mod xpress;

pub use error::{Error, ErrorKind, Result};
