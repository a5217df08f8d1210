//! `ppkg-sign`: sign Windows provisioning packages the way Windows Configuration Designer does,
//! with a Microsoft catalog (`NAME.cat`) beside the `.ppkg` (`FORMAT.md` §6), and verify such
//! catalogs.
//!
//! The catalog is a PKCS #7 SignedData (DER) whose content is a certificate trust list
//! (`szOID_CTL`) of catalog version 2: one member, the SHA-256 of the whole `.ppkg` file, with
//! its file name. It is signed with an RSA or EC P-256 key and certificate read from a PFX.
//! The package's bytes do not change. Devices trust the package without asking when the
//! signer chains to a certificate in their TrustedProvisioners store.
//!
//! Main items:
//! - [`Signer`]: the key and certificate, from a PFX ([`Signer::from_pfx`]).
//! - [`sign`] / [`sign_file`]: make the catalog (bytes, or `NAME.cat` beside the package).
//! - [`verify`] / [`inspect`]: check a catalog's signature and, for [`verify`], that the
//!   package is its member; both return a [`CatalogInfo`]. [`verify_beside`] finds and checks
//!   `NAME.cat` next to a package.
//!
//! This crate keeps the CMS/X.509/RSA dependencies out of `ppkg-format`. It uses no external
//! programs at run time.
//!
//! ```no_run
//! use std::path::Path;
//! use std::time::SystemTime;
//!
//! # fn main() -> ppkg_sign::Result<()> {
//! let pfx = std::fs::read("signer.pfx")?;
//! let signer = ppkg_sign::Signer::from_pfx(&pfx, "pfx password")?;
//! let cat_path = ppkg_sign::sign_file(Path::new("enroll.ppkg"), &signer, SystemTime::now())?;
//! let info = ppkg_sign::verify(&std::fs::read(&cat_path)?, std::fs::File::open("enroll.ppkg")?)?;
//! assert_eq!(info.catalog_version, 2);
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod catalog;
mod ctl;
mod error;
mod signer;

pub use catalog::{
    catalog_path, inspect, sign, sign_file, verify, verify_beside, CatalogInfo, CatalogMember,
    PackageDigest, SignerSummary, CATALOG_VERSION,
};
pub use error::{Error, Result};
pub use signer::Signer;
