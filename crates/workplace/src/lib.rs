//! `workplace`: typed bulk-enrollment profiles for Windows provisioning packages.
//!
//! A [`Profile`] is what an administrator means by "an enrollment package": MDM enrollments
//! (UPN, AuthPolicy, discovery/enrollment/policy URLs, Secret), client, root, CA and
//! trusted-people certificates, trusted provisioners, Wi-Fi networks, a computer-name scheme,
//! an AD domain join, local users, an Azure AD bulk token, provisioning commands and any other
//! setting by path. It converts both ways to WCD's `customizations.xml` (the answer file),
//! with WCD's own element and attribute names, and reads and writes TOML and JSON.
//!
//! Brief overview:
//! - [`Profile`]: the typed profile; [`Profile::from_toml`], [`Profile::to_answer_xml`],
//!   [`Profile::from_answer_xml`], [`Profile::resolve_assets`].
//! - [`check`] / [`check_with`]: every problem at once as a [`Report`] of [`Diagnostic`]s with
//!   field paths and stable [`Code`]s; time is passed in.
//! - [`Secret`]: passwords and tokens, masked in `Debug`, `Display` and default serialisation.
//! - [`cert`]: thumbprints, certificate dates, PKCS#12 opening (legacy 3DES/RC2 included).
//!
//! ```
//! use workplace::{check, Profile};
//! # fn main() -> Result<(), workplace::Error> {
//! let profile = Profile::from_toml(r#"
//!     [package]
//!     name = "Lab enrollment"
//!     [[enrollments]]
//!     upn = "enroll@example.com"
//!     auth_policy = "OnPremise"
//!     discovery_service_full_url = "https://enroll.example.com/EnrollmentServer/Discovery.svc"
//!     secret = "Lab-Pass1"
//! "#)?;
//! let report = check(&profile, std::time::SystemTime::UNIX_EPOCH);
//! assert!(!report.has_errors(), "{report}");
//! let xml = profile.to_answer_xml()?;
//! assert!(xml.contains(r#"<UPN UPN="enroll@example.com" Name="enroll@example.com">"#));
//! assert_eq!(Profile::from_answer_xml(xml.as_bytes())?, profile);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cert;
mod check;
mod diag;
mod error;
mod inspect;
mod json_pos;
mod mapping;
pub mod name;
mod profile;
mod secret;
mod setting;
mod toml_pos;
mod wlan;
mod xmlmap;

use std::path::Path;

pub use check::{
    check, check_with, upn_ok, version_ok, wep_key_ok, wpa2_key_ok, CheckOptions, DISCOVERY_PATH,
    MAX_TOKEN_DAYS,
};
pub use diag::{Code, Diagnostic, Report, Severity};
pub use error::{Error, Result};
pub use inspect::{Inspection, PackageLocation, TokenPreflight};
pub use profile::{
    Asset, AuthPolicy, AzureAdJoin, ClientCertificate, Dependency, DomainJoin, Eap, EapMethod,
    Enrollment, KeyLocation, LocalUser, PackageInfo, Profile, ProvisioningCommand, Timestamp,
    TrustedCertificate, TrustedProvisioner, Wifi, WifiSecurity,
};
pub use secret::{Secret, MASK};
pub use setting::{format_path, locate, parse_path, PathError, RawSetting, Segment};
pub use toml_pos::{locate_in_profile, locate_in_toml};
pub use wlan::{
    parse_wlan_profile_xml, uri_segment, wlan_profile_file_name, wlan_profile_xml,
    ParsedWlanProfile, WLAN_PROFILE_NAMESPACES,
};
pub use xmlmap::{PACKAGE_CONFIG_NS, SETTINGS_NS};

/// Hides the offending value in a serde error message ("invalid type: integer `12345678`,
/// expected a string" → "invalid type: integer `…`, expected a string"): the value may be a
/// password written with the wrong type. Field and variant names (after "unknown field",
/// "unknown variant", "missing field") stay, since they name the problem, not a secret.
/// Used for profile errors here and by `ppkg serve` for request bodies.
pub fn redact_values(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if !(lower.starts_with("invalid type")
        || lower.starts_with("invalid value")
        || lower.starts_with("invalid length"))
    {
        return message.to_owned();
    }
    let mut out = String::with_capacity(message.len());
    let mut in_tick = false;
    let mut redacted_once = false;
    for c in message.chars() {
        match c {
            '`' if !in_tick && !redacted_once => {
                in_tick = true;
                out.push_str("`…");
            }
            '`' if in_tick => {
                in_tick = false;
                redacted_once = true;
                out.push('`');
            }
            _ if in_tick => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether [`Profile::to_toml`] / [`Profile::to_json`] write secrets or the mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Write `********` in place of every secret.
    Mask,
    /// Write the real values (for a profile file the owner keeps).
    Reveal,
}

/// One file the package must carry, as the answer file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRef {
    /// Catalog setting path, without list keys (`Certificates/RootCertificates/RootCertificate/CertificatePath`).
    pub setting: &'static str,
    /// Field path with list keys, for messages.
    pub field: String,
    /// The path as written in the answer file.
    pub path: String,
    /// The bytes, when loaded into memory.
    pub data: Option<Vec<u8>>,
    /// The file on disk, when the asset is streamed from there ([`Asset::file`]).
    pub file: Option<std::path::PathBuf>,
}

impl Profile {
    /// Reads a TOML profile.
    ///
    /// # Errors
    /// [`Error::Toml`] with line and column and the offending key.
    pub fn from_toml(text: &str) -> Result<Profile> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    (Some(line), Some(col))
                }
                None => (None, None),
            };
            Error::Toml {
                message: redact_values(e.message()),
                line,
                column,
            }
        })
    }

    /// Writes the profile as TOML.
    ///
    /// # Errors
    /// [`Error::Serialize`] (not expected for profiles built through this crate).
    pub fn to_toml(&self, secrets: Secrets) -> Result<String> {
        let run = || toml::to_string_pretty(self).map_err(|e| Error::Serialize(e.to_string()));
        match secrets {
            Secrets::Mask => run(),
            Secrets::Reveal => Secret::reveal_in(run),
        }
    }

    /// Reads a JSON profile (same keys as TOML).
    ///
    /// # Errors
    /// [`Error::Json`] with line and column.
    pub fn from_json(text: &str) -> Result<Profile> {
        serde_json::from_str(text).map_err(|e| Error::Json {
            message: redact_values(&e.to_string()),
            line: e.line(),
            column: e.column(),
        })
    }

    /// Writes the profile as pretty JSON.
    ///
    /// # Errors
    /// [`Error::Serialize`] (not expected).
    pub fn to_json(&self, secrets: Secrets) -> Result<String> {
        let run =
            || serde_json::to_string_pretty(self).map_err(|e| Error::Serialize(e.to_string()));
        match secrets {
            Secrets::Mask => run(),
            Secrets::Reveal => Secret::reveal_in(run),
        }
    }

    /// The answer file (`customizations.xml`) as the `ppkg-format` XML document: WCD's element
    /// and attribute names, namespaces and layout. Secrets are written in clear, as WCD does.
    ///
    /// # Errors
    /// [`Error::AnswerFile`] for an untyped setting whose path does not parse;
    /// [`Error::Format`] for a multivariant fragment that is not XML.
    pub fn to_document(&self) -> Result<ppkg_format::xml::Document> {
        Ok(ppkg_format::xml::Document::new(xmlmap::to_root(self)?))
    }

    /// The answer file as text, in WCD's layout (BOM, CRLF, 2-space indentation).
    ///
    /// # Errors
    /// As [`Profile::to_document`].
    pub fn to_answer_xml(&self) -> Result<String> {
        let bytes = self
            .to_document()?
            .to_bytes(&ppkg_format::xml::WriteStyle::wcd());
        let text = String::from_utf8_lossy(&bytes);
        Ok(text.trim_start_matches('\u{feff}').to_owned())
    }

    /// Reads a profile from an answer-file document. Settings without a type stay in
    /// [`Profile::settings`]; multivariant parts in [`Profile::multivariant`].
    ///
    /// # Errors
    /// [`Error::AnswerFile`] when the root is not `WindowsCustomizations`, `PackageConfig` is
    /// missing or `Rank` is not a number.
    pub fn from_document(doc: &ppkg_format::xml::Document) -> Result<Profile> {
        xmlmap::from_root(&doc.root)
    }

    /// Reads a profile from answer-file bytes (UTF-8, with or without BOM).
    ///
    /// # Errors
    /// [`Error::Format`] with line and column for XML that is not well formed; otherwise as
    /// [`Profile::from_document`].
    pub fn from_answer_xml(bytes: &[u8]) -> Result<Profile> {
        Profile::from_document(&ppkg_format::xml::Document::parse(bytes)?)
    }

    /// The answer file as `ppkg-format`'s [`AnswerFile`](ppkg_format::answer::AnswerFile),
    /// ready for `csp_model::validate` and `csp_model::compile`.
    ///
    /// # Errors
    /// As [`Profile::to_document`].
    pub fn to_answer_file(&self) -> Result<ppkg_format::answer::AnswerFile> {
        Ok(ppkg_format::answer::AnswerFile::from_document(
            self.to_document()?,
        ))
    }

    /// Reads a profile from an [`AnswerFile`](ppkg_format::answer::AnswerFile).
    ///
    /// # Errors
    /// As [`Profile::from_document`].
    pub fn from_answer_file(answer: &ppkg_format::answer::AnswerFile) -> Result<Profile> {
        Profile::from_document(answer.document())
    }

    /// An asset resolver for `csp_model::compile` holding every loaded asset by file name
    /// (the last component of its path, as the compiler looks it up). Call
    /// [`Profile::resolve_assets`] first.
    pub fn asset_resolver(&self) -> csp_model::compile::MapResolver {
        let mut m = csp_model::compile::MapResolver::new();
        for a in self.assets() {
            let name = csp_model::compile::file_name_of(&a.path);
            match (a.data, a.file) {
                (Some(d), _) => m.insert(name, d),
                (None, Some(f)) => m.insert_file(name, f),
                (None, None) => {}
            }
        }
        m
    }

    /// Reads a profile file (`.json` as JSON, anything else as TOML) and loads its assets
    /// relative to the file's folder.
    ///
    /// # Errors
    /// [`Error::Asset`] when the file or an asset cannot be read; [`Error::Toml`] /
    /// [`Error::Json`] when it does not parse.
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Asset {
            field: "profile".into(),
            path: path.to_path_buf(),
            source,
        })?;
        let mut p = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Profile::from_json(&text)?
        } else {
            Profile::from_toml(&text)?
        };
        p.resolve_assets(path.parent().unwrap_or(Path::new(".")))?;
        Ok(p)
    }

    /// Every file the package must carry (certificates, PFX files, command files), with the
    /// setting that names it.
    pub fn assets(&self) -> Vec<AssetRef> {
        use mapping::{item_path, paths};
        let mut out = Vec::new();
        let mut push = |setting: &'static str, field: String, a: &Asset| {
            out.push(AssetRef {
                setting,
                field,
                path: a.path.clone(),
                data: a.data.clone(),
                file: a.file.clone(),
            });
        };
        for c in &self.client_certificates {
            push(
                "Certificates/ClientCertificates/ClientCertificate/CertificatePath",
                format!(
                    "{}/CertificatePath",
                    item_path(paths::CLIENT_CERT, "CertificateName", &c.name)
                ),
                &c.pfx,
            );
        }
        for (list, prefix, setting, leaf) in [
            (
                &self.root_certificates,
                paths::ROOT_CERT,
                "Certificates/RootCertificates/RootCertificate/CertificatePath",
                "CertificatePath",
            ),
            (
                &self.ca_certificates,
                paths::CA_CERT,
                "Certificates/CACertificates/CACerificate/CertificatePath",
                "CertificatePath",
            ),
            (
                &self.trusted_people_certificates,
                paths::PEOPLE_CERT,
                "Certificates/TrustedPeopleCertificates/Certificate/TrustedCertificate",
                "TrustedCertificate",
            ),
        ] {
            for c in list {
                push(
                    setting,
                    format!("{}/{leaf}", item_path(prefix, "CertificateName", &c.name)),
                    &c.certificate,
                );
            }
        }
        for t in &self.trusted_provisioners {
            push(
                "Certificates/TrustedProvisioners/Certificate/TrustedProvisioner",
                format!(
                    "{}/TrustedProvisioner",
                    item_path(paths::PROVISIONER, "CertificateHash", &t.hash)
                ),
                &t.certificate,
            );
        }
        for c in &self.commands {
            let base = item_path(paths::COMMAND, "Name", &c.name);
            if let Some(f) = &c.file {
                push(
                    "ProvisioningCommands/PrimaryContext/Command/CommandConfig/CommandFile",
                    format!("{base}/CommandFile"),
                    f,
                );
            }
            for d in &c.dependencies {
                push(
                    "ProvisioningCommands/PrimaryContext/Command/CommandConfig/DependencyPackages/Dependency",
                    format!(
                        "{base}/DependencyPackages/{}",
                        Segment::item("Dependency", "Name", &d.name)
                    ),
                    &d.file,
                );
            }
        }
        // WPA3 and 802.1X networks: the generated WLAN profile (skipped when it cannot be
        // generated; `check` reports why, and the compiler then finds no file for the reference).
        for w in &self.wifi {
            if w.security.is_wcd_typed() || matches!(w.security, WifiSecurity::Other(_)) {
                continue;
            }
            let root = w
                .eap
                .as_ref()
                .and_then(|e| e.client_certificate.as_deref())
                .and_then(|name| wlan::client_root_thumbprint(self, name));
            if let Ok(xml) = wlan::wlan_profile_xml(w, root.as_deref()) {
                let file = wlan::wlan_profile_file_name(&w.ssid);
                out.push(AssetRef {
                    setting: "ConnectivityProfiles/WLAN/Profiles/Profile",
                    field: item_path(paths::WLAN_PROFILE, "Name", &w.ssid),
                    path: file,
                    data: Some(xml.into_bytes()),
                    file: None,
                });
            }
        }
        out
    }

    fn assets_mut(&mut self) -> Vec<(String, &mut Asset)> {
        use mapping::{item_path, paths};
        let mut out: Vec<(String, &mut Asset)> = Vec::new();
        for c in &mut self.client_certificates {
            out.push((
                format!(
                    "{}/CertificatePath",
                    item_path(paths::CLIENT_CERT, "CertificateName", &c.name)
                ),
                &mut c.pfx,
            ));
        }
        for (list, prefix, leaf) in [
            (
                &mut self.root_certificates,
                paths::ROOT_CERT,
                "CertificatePath",
            ),
            (&mut self.ca_certificates, paths::CA_CERT, "CertificatePath"),
            (
                &mut self.trusted_people_certificates,
                paths::PEOPLE_CERT,
                "TrustedCertificate",
            ),
        ] {
            for c in list.iter_mut() {
                out.push((
                    format!("{}/{leaf}", item_path(prefix, "CertificateName", &c.name)),
                    &mut c.certificate,
                ));
            }
        }
        for t in &mut self.trusted_provisioners {
            out.push((
                format!(
                    "{}/TrustedProvisioner",
                    item_path(paths::PROVISIONER, "CertificateHash", &t.hash)
                ),
                &mut t.certificate,
            ));
        }
        for c in &mut self.commands {
            let base = item_path(paths::COMMAND, "Name", &c.name);
            if let Some(f) = c.file.as_mut() {
                out.push((format!("{base}/CommandFile"), f));
            }
            for d in &mut c.dependencies {
                out.push((
                    format!(
                        "{base}/DependencyPackages/{}",
                        Segment::item("Dependency", "Name", &d.name)
                    ),
                    &mut d.file,
                ));
            }
        }
        out
    }

    /// Loads assets not yet loaded from `lookup(field_path, reference)`, which gives the bytes
    /// of the file a field names (the payloads of a built package, say) or `None`; returns how
    /// many were loaded. Used to run the checks that need certificate bytes (expiry, PFX
    /// password) on a package's answer file.
    pub fn load_assets_with(
        &mut self,
        mut lookup: impl FnMut(&str, &str) -> Option<Vec<u8>>,
    ) -> usize {
        let mut n = 0;
        for (field, asset) in self.assets_mut() {
            if asset.data.is_some() || asset.file.is_some() {
                continue;
            }
            if let Some(bytes) = lookup(&field, &asset.path) {
                asset.data = Some(bytes);
                n += 1;
            }
        }
        n
    }

    /// Loads every asset not yet loaded, relative paths against `base_dir` (the profile's
    /// folder): certificates and PFX files are read into [`Asset::data`] (at most
    /// [`MAX_CERTIFICATE_FILE_BYTES`] each); provisioning-command files are only checked to be
    /// regular files and recorded in [`Asset::file`], to be streamed when the package is
    /// written. Windows-style separators (`\`) in relative paths are accepted.
    ///
    /// # Errors
    /// [`Error::Asset`] naming the field and the resolved path of the first file that cannot
    /// be read.
    pub fn resolve_assets(&mut self, base_dir: &Path) -> Result<()> {
        self.resolve_assets_impl(base_dir, false)
    }

    /// Like [`Profile::resolve_assets`], but every file must lie inside `base_dir`: for servers
    /// that build packages from profiles they did not write (an MDM console's "download
    /// enrollment package" button), so that a profile cannot pull `/etc/shadow` or a private key
    /// into a package. Absolute paths, drive letters and `..` components are refused, and the
    /// resolved file (symbolic links followed) must still be under the canonical `base_dir`.
    ///
    /// # Errors
    /// [`Error::Asset`] naming the field and path, with [`std::io::ErrorKind::PermissionDenied`]
    /// for a path outside `base_dir`, or the I/O error of a file that cannot be read.
    pub fn resolve_assets_within(&mut self, base_dir: &Path) -> Result<()> {
        self.resolve_assets_impl(base_dir, true)
    }

    fn resolve_assets_impl(&mut self, base_dir: &Path, confined: bool) -> Result<()> {
        let root = if confined {
            Some(
                std::fs::canonicalize(base_dir).map_err(|source| Error::Asset {
                    field: "(asset folder)".into(),
                    path: base_dir.to_path_buf(),
                    source,
                })?,
            )
        } else {
            None
        };
        for (field, asset) in self.assets_mut() {
            if asset.is_loaded() {
                continue;
            }
            let rel = asset.path.replace('\\', "/");
            let p = Path::new(&rel);
            let full = if p.is_absolute() {
                p.to_path_buf()
            } else {
                base_dir.join(p)
            };
            if let Some(root) = &root {
                let drive = rel.as_bytes().get(1) == Some(&b':');
                let escapes = p.is_absolute()
                    || drive
                    || p.components().any(|c| {
                        matches!(
                            c,
                            std::path::Component::ParentDir
                                | std::path::Component::RootDir
                                | std::path::Component::Prefix(_)
                        )
                    });
                let inside = !escapes
                    && std::fs::canonicalize(&full).is_ok_and(|real| real.starts_with(root));
                if escapes || (full.exists() && !inside) {
                    return Err(Error::Asset {
                        field,
                        path: full,
                        source: std::io::Error::new(
                            std::io::ErrorKind::PermissionDenied,
                            format!("outside the asset folder {}", root.display()),
                        ),
                    });
                }
            }
            // Command files may be large: they are checked here and streamed into the package
            // when it is written, never held in memory.
            if field.starts_with("ProvisioningCommands/") {
                match std::fs::metadata(&full) {
                    Ok(md) if md.is_file() => asset.file = Some(full),
                    Ok(_) => {
                        return Err(Error::Asset {
                            field,
                            path: full,
                            source: std::io::Error::new(
                                std::io::ErrorKind::InvalidInput,
                                "not a regular file",
                            ),
                        })
                    }
                    Err(source) => {
                        return Err(Error::Asset {
                            field,
                            path: full,
                            source,
                        })
                    }
                }
                continue;
            }
            // Certificates and PFX files are kilobytes; a huge file named as one is a mistake
            // (or an attack) and is refused before it is read.
            if let Ok(md) = std::fs::metadata(&full) {
                if md.len() > MAX_CERTIFICATE_FILE_BYTES {
                    return Err(Error::Asset {
                        field,
                        path: full,
                        source: std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!(
                                "{} bytes is too large for a certificate (limit {} bytes)",
                                md.len(),
                                MAX_CERTIFICATE_FILE_BYTES
                            ),
                        ),
                    });
                }
            }
            let data = std::fs::read(&full).map_err(|source| Error::Asset {
                field,
                path: full.clone(),
                source,
            })?;
            asset.data = Some(data);
        }
        Ok(())
    }

    /// Rewrites values that [`check`] reports as normalisable: trims service URLs, writes
    /// AuthPolicy with WCD's label (`onpremise` → `OnPremise`), and writes thumbprints as 40
    /// upper-case hex digits (enrollment Secret of Certificate enrollments, trusted
    /// provisioner hashes). Returns what was changed, as info diagnostics.
    pub fn normalize(&mut self) -> Vec<Diagnostic> {
        use mapping::{item_path, paths};
        let mut changes = Vec::new();
        for e in &mut self.enrollments {
            let base = item_path(paths::UPN, "UPN", &e.upn);
            for (leaf, url) in [
                ("DiscoveryServiceFullUrl", &mut e.discovery_service_full_url),
                (
                    "EnrollmentServiceFullUrl",
                    &mut e.enrollment_service_full_url,
                ),
                ("PolicyServiceFullUrl", &mut e.policy_service_full_url),
            ] {
                if let Some(u) = url.as_mut() {
                    if u.trim() != u {
                        *u = u.trim().to_owned();
                        changes.push(Diagnostic::field(
                            Code::UrlTrimmed,
                            format!("{base}/{leaf}"),
                            "trimmed",
                        ));
                    }
                }
            }
            if let AuthPolicy::Other(s) = &e.auth_policy {
                let fixed = match s.trim().to_ascii_lowercase().as_str() {
                    "onpremise" => Some(AuthPolicy::OnPremise),
                    "certificate" => Some(AuthPolicy::Certificate),
                    _ => None,
                };
                if let Some(f) = fixed {
                    changes.push(Diagnostic::field(
                        Code::AuthPolicyNormalized,
                        format!("{base}/AuthPolicy"),
                        format!("{s:?} written {:?}", f.label()),
                    ));
                    e.auth_policy = f;
                }
            }
            if e.auth_policy == AuthPolicy::Certificate {
                if let Some(s) = &e.secret {
                    if let Some(t) = cert::normalize_thumbprint(s.expose()) {
                        if t != s.expose() {
                            e.secret = Some(Secret::new(t));
                            changes.push(Diagnostic::field(
                                Code::ThumbprintNormalized,
                                format!("{base}/Secret"),
                                "thumbprint upper-cased",
                            ));
                        }
                    }
                }
            }
        }
        for t in &mut self.trusted_provisioners {
            if let Some(n) = cert::normalize_thumbprint(&t.hash) {
                if n != t.hash {
                    changes.push(Diagnostic::field(
                        Code::ThumbprintNormalized,
                        item_path(paths::PROVISIONER, "CertificateHash", &t.hash),
                        format!("written {n}"),
                    ));
                    t.hash = n;
                }
            }
        }
        changes
    }
}

/// The largest certificate or PFX file [`Profile::resolve_assets`] reads (1 MiB; real ones are
/// a few KiB even with a chain).
pub const MAX_CERTIFICATE_FILE_BYTES: u64 = 1 << 20;

#[cfg(test)]
mod redact_tests {
    use super::*;

    #[test]
    fn wrong_typed_secret_is_not_in_the_error() {
        let e = Profile::from_toml(
            "[package]\nname = \"x\"\n[[enrollments]]\nupn = \"a@example.com\"\nauth_policy = \"OnPremise\"\nsecret = 12345678\n",
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("12345678"), "{e}");
        assert!(e.contains("invalid type"), "{e}");
        let e = Profile::from_json(r#"{"package":{"name":"x"},"enrollments":[{"upn":"a@example.com","auth_policy":"OnPremise","secret":87654321}]}"#)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("87654321"), "{e}");
        assert_eq!(
            redact_values("unknown field `colour`"),
            "unknown field `colour`"
        );
    }
}
