//! What a package (or an answer file) holds, as one document: the `ppkg inspect --json` output,
//! which `ppkg serve`'s `POST /v1/inspect` returns too.
//!
//! [`package`] reads an opened package (metadata, the answer file's settings with their
//! line:column, the compiled `.provxml` parms grouped as `RunTime.xml` lists them, payloads,
//! typed Wi-Fi networks, multivariant targets and variants) and runs every check `validate`
//! runs on it ([`package_checks`]). [`answer_file`] does the same for a `customizations.xml`
//! (nothing compiled). Secret values (passwords, keys, tokens: [`is_secret_name`], and the
//! `<keyMaterial>` of an embedded WLAN profile) are shown as [`HIDDEN`] unless
//! [`Options::show_secrets`] is set.
//!
//! ```
//! # fn main() -> Result<(), ppkg::Error> {
//! # std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).unwrap();
//! let mut bytes = std::io::Cursor::new(Vec::new());
//! ppkg::Package::from_path("examples/bulk-enrollment.toml")?.write_to(&mut bytes)?;
//! let doc = ppkg::inspect::bytes(bytes.into_inner(), None, "enrollment.ppkg", &Default::default())?;
//! assert_eq!(doc.metadata.name, "Example bulk enrollment");
//! assert!(doc.settings.iter().all(|s| !s.path.ends_with("/Secret") || s.masked));
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};
use std::path::Path;
use std::time::SystemTime;

use csp_model::validate::{Code, Diagnostic, LineCol};
use csp_model::{Catalog as SettingsCatalog, Edition};
use ppkg_format::answer::AnswerFile;
use ppkg_format::crypt::{self, Password};
use ppkg_format::layout::Package as Opened;
use ppkg_format::owner::OwnerType;
use ppkg_format::wim::WimReader;
use ppkg_format::xml::{Element, Node};
use serde::Serialize;
use workplace::Profile;

pub use ppkg_format::provxml::is_secret_name;

use crate::error::{Error, Result};

/// The member of a package that holds its answer file.
pub const ANSWER_MEMBER: &str = "Multivariant/0/customizations.xml";

/// What a masked value is shown as: no length either (the length of a password narrows a
/// guess).
pub const HIDDEN: &str = "<hidden>";

/// How to inspect.
#[derive(Clone, Debug)]
pub struct Options {
    /// Show secret values instead of [`HIDDEN`] (`ppkg inspect --show-secrets`).
    pub show_secrets: bool,
    /// Edition the checks validate against.
    pub edition: Edition,
    /// The date certificate and token expiry checks use; `None`: now.
    pub now: Option<SystemTime>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            show_secrets: false,
            edition: Edition::Desktop,
            now: None,
        }
    }
}

/// Everything `inspect` reports (the `--json` document).
#[derive(Debug, Serialize)]
pub struct Inspection {
    /// The input, as the caller named it.
    pub file: String,
    /// Whether the package was encrypted.
    pub encrypted: bool,
    /// The catalog beside the package (`NAME.cat`), when there is one.
    pub catalog: Option<CatalogStatus>,
    /// Package metadata.
    pub metadata: Metadata,
    /// Settings of the answer file, in document order.
    pub settings: Vec<Setting>,
    /// Compiled parms, grouped as RunTime.xml lists them.
    pub compiled: Vec<Group>,
    /// Payload files.
    pub payloads: Vec<Payload>,
    /// Every check `validate` runs, placed in the package member they concern.
    pub diagnostics: Vec<Diagnostic>,
    /// Typed Wi-Fi networks (WCD's and generated WLAN profiles read back).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wifi: Vec<WifiView>,
    /// Multivariant targets (`Settings/Customizations/Targets`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetView>,
    /// Multivariant variants (`Variant` / `Profile`) and the settings each changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<VariantView>,
}

/// A multivariant `<Target>`: it matches when all conditions of one of its states hold.
#[derive(Debug, Serialize)]
pub struct TargetView {
    /// Its `Id`.
    pub id: String,
    /// Each `<TargetState>`'s conditions (`Name`, `Value` as written: `Pattern:…`, `Range:…`).
    pub states: Vec<Vec<(String, String)>>,
    /// 1-based line in the answer file.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// A multivariant `<Variant>` or `<Profile>`: the targets it applies to and its settings.
#[derive(Debug, Serialize)]
pub struct VariantView {
    /// `Name` (the `Profile` form) or `#<n>` in document order.
    pub name: String,
    /// The target IDs it applies to.
    pub targets: Vec<String>,
    /// Setting paths (with map keys) and values, as in [`Inspection::settings`].
    pub settings: Vec<Setting>,
    /// 1-based line in the answer file.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Whether `NAME.cat` beside the package signs it.
#[derive(Debug, Serialize)]
pub struct CatalogStatus {
    /// The catalog file.
    pub path: String,
    /// The catalog's signature verifies and the package's SHA-256 is one of its members.
    pub matches: bool,
    /// Signer subject (when the catalog could be read).
    pub signer: Option<String>,
    /// Signer certificate SHA-1 thumbprint (what TrustedProvisioners must hold).
    pub signer_thumbprint: Option<String>,
    /// Why it does not match.
    pub problem: Option<String>,
}

/// The package's metadata (WIM XML data and `PackageConfig`).
#[derive(Debug, Serialize)]
pub struct Metadata {
    /// `PackageConfig/Name`.
    pub name: String,
    /// `PackageConfig/Version`.
    pub version: String,
    /// The package ID, braced.
    pub package_id: Option<String>,
    /// `OwnerType`, from the altitude or the answer file.
    pub owner_type: Option<String>,
    /// The altitude the owner type maps to.
    pub altitude: Option<u32>,
    /// `Rank`.
    pub rank: Option<u8>,
    /// The WIM's NOTES field.
    pub notes: String,
    /// Files in the package (the true count; WCD's FILECOUNT is files + folders − 4).
    pub files: u64,
    /// Folders in the package.
    pub folders: u64,
    /// Total uncompressed bytes.
    pub total_bytes: u64,
}

/// One setting of the answer file.
#[derive(Debug, Serialize)]
pub struct Setting {
    /// `/Workplace/Enrollments/UPN[enroll@example.com]/AuthPolicy` (the path syntax of
    /// [`ppkg_format::path`], usable as a bulk column).
    pub path: String,
    /// The value, or [`HIDDEN`].
    pub value: String,
    /// Whether `value` is masked.
    pub masked: bool,
    /// 1-based line in the answer file.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One compiled `.provxml` file.
#[derive(Debug, Serialize)]
pub struct Group {
    /// Its path in the package.
    pub file: String,
    /// Its SettingsGroup GUID (from RunTime.xml).
    pub settings_group: String,
    /// Its parms.
    pub parms: Vec<CompiledParm>,
}

/// One compiled parm.
#[derive(Debug, Serialize)]
pub struct CompiledParm {
    /// The CSP path (`Provisioning/Enrollments/enroll@example.com/AuthPolicy`).
    pub csp_path: String,
    /// The value, masked in whole or (an embedded WLAN profile's key) in part.
    pub value: String,
    /// Whether `value` is masked, in whole or in part.
    pub masked: bool,
    /// The parm's datatype.
    pub datatype: Option<String>,
    /// The setting that wrote it.
    pub settings_path: Option<String>,
}

/// One payload file.
#[derive(Debug, Serialize)]
pub struct Payload {
    /// The setting that names it.
    pub setting_path: String,
    /// Its file name.
    pub file_name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 (hex).
    pub sha256: Option<String>,
    /// Whether the SHA-256 matches the hash in its DataAsset key.
    pub hash_matches_key: bool,
}

/// One typed Wi-Fi network.
#[derive(Debug, Serialize)]
pub struct WifiView {
    /// The SSID.
    pub ssid: String,
    /// Its security type label.
    pub security: String,
    /// Where it comes from: `WLANSetting` (WCD typed) or the profile file name.
    pub source: String,
    /// Whether it connects automatically.
    pub auto_connect: Option<bool>,
    /// Whether the network is hidden.
    pub hidden: Option<bool>,
    /// The key, masked unless [`Options::show_secrets`].
    pub key: Option<String>,
    /// 802.1X settings.
    pub eap: Option<EapView>,
}

/// The 802.1X settings of a network.
#[derive(Debug, Serialize)]
pub struct EapView {
    /// `EAP-TLS` or `PEAP-MSCHAPv2`.
    pub method: String,
    /// The client certificate's name.
    pub client_certificate: Option<String>,
    /// Trusted root CA thumbprints.
    pub trusted_root_thumbprints: Vec<String>,
    /// RADIUS server names.
    pub server_names: Vec<String>,
    /// The OneX authMode.
    pub auth_mode: String,
}

/// `value`, or [`HIDDEN`] when it is a secret and `show` is not set; an empty value stays
/// empty ("no password" is worth seeing).
pub fn mask(value: &str, secret: bool, show: bool) -> String {
    if is_masked(value, secret, show) {
        HIDDEN.to_owned()
    } else {
        value.to_owned()
    }
}

/// Whether [`mask`] hides this value.
pub fn is_masked(value: &str, secret: bool, show: bool) -> bool {
    secret && !show && !value.is_empty()
}

/// Hides the `<keyMaterial>` of an embedded WLAN profile (WiFi CSP `WlanXml`) unless `show`.
pub fn mask_embedded(value: &str, show: bool) -> String {
    const OPEN: &str = "<keyMaterial>";
    const CLOSE: &str = "</keyMaterial>";
    if show {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find(OPEN) {
        let start = i + OPEN.len();
        let Some(len) = rest[start..].find(CLOSE) else {
            break;
        };
        out.push_str(&rest[..start]);
        // The text content is replaced, escaped, so that the XML stays well-formed and reads
        // `<hidden>` once parsed; the markup is kept.
        if rest[start..start + len].is_empty() {
            out.push_str(&rest[start..start + len]);
        } else {
            out.push_str("&lt;hidden&gt;");
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn read_error<'a>(
    file: &'a str,
    what: &'static str,
) -> impl FnOnce(ppkg_format::Error) -> Error + 'a {
    move |source| Error::Read {
        file: file.to_owned(),
        what,
        source: Box::new(source),
    }
}

/// Opens package bytes held in memory, decrypting an encrypted package first (which needs
/// `password`). Returns the package and whether it was encrypted.
///
/// # Errors
/// [`Error::PasswordRequired`] for an encrypted package without a password; [`Error::Read`]
/// for a wrong password or bytes that are not a package.
pub fn open_bytes(
    bytes: Vec<u8>,
    password: Option<&str>,
    file: &str,
) -> Result<(Opened<Cursor<Vec<u8>>>, bool)> {
    let encrypted = bytes.len() > 8 && crypt::is_encrypted(&bytes[..8]);
    let plain = if encrypted {
        let Some(pw) = password else {
            return Err(Error::PasswordRequired {
                file: file.to_owned(),
            });
        };
        let pw = Password::new(pw).map_err(read_error(file, "password"))?;
        let mut out = Vec::with_capacity(bytes.len());
        crypt::decrypt(Cursor::new(bytes), &mut out, &pw)
            .map_err(read_error(file, "cannot decrypt (wrong password?)"))?;
        out
    } else {
        bytes
    };
    let wim = WimReader::new(Cursor::new(plain)).map_err(read_error(file, "not a package"))?;
    let pkg = Opened::open(wim).map_err(read_error(file, "not a package"))?;
    Ok((pkg, encrypted))
}

/// [`open_bytes`] and [`package`]: the document of a package held in memory (no catalog).
///
/// # Errors
/// As [`open_bytes`] and [`package`].
pub fn bytes(
    bytes: Vec<u8>,
    password: Option<&str>,
    file: &str,
    opts: &Options,
) -> Result<Inspection> {
    let (mut pkg, encrypted) = open_bytes(bytes, password, file)?;
    package(&mut pkg, file, encrypted, None, opts)
}

/// The document of an opened package. Every file's SHA-1 and XPRESS data are checked first: a
/// damaged package is an error, not a report that looks fine. `catalog` is the state of the
/// `.cat` beside it ([`catalog_beside`]), when the package is a file.
///
/// # Errors
/// [`Error::Read`] for a damaged package or unreadable parts.
pub fn package<R: Read + Seek + Send>(
    pkg: &mut Opened<R>,
    file: &str,
    encrypted: bool,
    catalog: Option<CatalogStatus>,
    opts: &Options,
) -> Result<Inspection> {
    let show = opts.show_secrets;
    let err = |what| read_error(file, what);
    pkg.wim().verify_all().map_err(err("damaged package"))?;
    let info = pkg.image_info().clone();
    // The true count: WCD's FILECOUNT is files + folders − 4 (ppkg_format::wim::FileCount).
    let file_count = pkg.wim().entries().iter().filter(|e| !e.is_dir).count() as u64;
    let answer = pkg.answer_file().map_err(err("answer file"))?;
    let config = answer.as_ref().and_then(|a| a.package_config().ok());
    let owner = info.altitude.and_then(OwnerType::from_altitude);
    let metadata = Metadata {
        name: info.name.clone(),
        version: info.version.clone(),
        package_id: info.package_id.clone(),
        owner_type: owner
            .map(|o| o.to_string())
            .or_else(|| config.as_ref().map(|c| c.owner_type.to_string())),
        altitude: info.altitude,
        rank: config.as_ref().map(|c| c.rank),
        notes: info.notes.clone(),
        files: file_count,
        folders: info.dir_count,
        total_bytes: info.total_bytes,
    };
    let mut settings = Vec::new();
    let (targets, variants) = answer
        .as_ref()
        .map(|a| multivariant(a, show))
        .unwrap_or_default();
    if let Some(a) = &answer {
        if let Some(common) = a.common() {
            collect_settings(common, "", &mut settings, show);
        }
        for v in a.variants() {
            if let Some(s) = v.settings {
                let prefix = format!("[variant {}]", v.name.as_deref().unwrap_or("?"));
                for c in s.elements() {
                    collect_settings(c, &prefix, &mut settings, show);
                }
            }
        }
    }
    let compiled = compiled_groups(pkg, show).map_err(err("compiled settings"))?;
    let wifi = typed_wifi(pkg, answer.as_ref(), show).map_err(err("Wi-Fi profiles"))?;
    let asset_infos = pkg.assets().map_err(err("payloads"))?;
    let payloads = asset_infos
        .iter()
        .cloned()
        .map(|a| Payload {
            setting_path: a.setting_path,
            file_name: a.file_name,
            size: a.size,
            sha256: a.sha256.as_ref().map(|h| hex(h)),
            hash_matches_key: a.hash_matches_key,
        })
        .collect::<Vec<_>>();
    let mut diagnostics = Vec::new();
    for (p, a) in payloads.iter().zip(&asset_infos) {
        if !p.hash_matches_key {
            diagnostics.push(
                Diagnostic::field(
                    Code::PayloadHashMismatch,
                    p.setting_path.clone(),
                    format!(
                        "payload {}: its SHA-256 does not match the hash in its DataAsset key",
                        p.file_name
                    ),
                )
                .in_file(file)
                .in_member(a.wim_path.clone().unwrap_or_default())
                .unplaced_because("the finding is about a whole payload file"),
            );
        }
    }
    if let Some(a) = &answer {
        diagnostics.extend(package_checks(
            pkg,
            a,
            file,
            ANSWER_MEMBER,
            opts.edition,
            opts.now.unwrap_or_else(SystemTime::now),
        ));
    }
    if let Some(c) = &catalog {
        if !c.matches {
            diagnostics.push(
                Diagnostic::field(
                    Code::SignatureProblem,
                    "",
                    format!(
                        "catalog {} does not match this package: {}",
                        c.path,
                        c.problem.as_deref().unwrap_or("?")
                    ),
                )
                .in_file(file)
                .unplaced_because("the finding is about the .cat file beside the package"),
            );
        }
    }
    Ok(Inspection {
        file: file.to_owned(),
        encrypted,
        catalog,
        metadata,
        settings,
        compiled,
        payloads,
        diagnostics,
        wifi,
        targets,
        variants,
    })
}

/// The document of an answer file: its PackageConfig, settings, targets and variants, and the
/// catalog validation (nothing is compiled).
///
/// # Errors
/// [`Error::AnswerFile`] when it does not parse.
pub fn answer_file(bytes: &[u8], file: &str, opts: &Options) -> Result<Inspection> {
    let show = opts.show_secrets;
    let a = AnswerFile::parse(bytes).map_err(|e| Error::AnswerFile {
        file: file.to_owned(),
        source: Box::new(e),
    })?;
    let config = a.package_config().ok();
    let mut settings = Vec::new();
    if let Some(common) = a.common().filter(|c| c.has_elements()) {
        collect_settings(common, "", &mut settings, show);
    }
    let (targets, variants) = multivariant(&a, show);
    for v in &variants {
        for s in &v.settings {
            settings.push(Setting {
                path: format!("[variant {}]{}", v.name, s.path),
                value: s.value.clone(),
                masked: s.masked,
                line: s.line,
                column: s.column,
            });
        }
    }
    Ok(Inspection {
        file: file.to_owned(),
        encrypted: false,
        catalog: None,
        metadata: Metadata {
            name: config.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            version: config
                .as_ref()
                .map(|c| c.version.clone())
                .unwrap_or_default(),
            package_id: config.as_ref().and_then(|c| c.id_braced()),
            owner_type: config.as_ref().map(|c| c.owner_type.to_string()),
            altitude: config.as_ref().map(|c| c.owner_type.altitude()),
            rank: config.as_ref().map(|c| c.rank),
            notes: String::new(),
            files: 0,
            folders: 0,
            total_bytes: 0,
        },
        settings,
        compiled: Vec::new(),
        payloads: Vec::new(),
        diagnostics: csp_model::validate::validate(&a, SettingsCatalog::builtin(), opts.edition)
            .into_diagnostics()
            .into_iter()
            .map(|d| d.in_file(file))
            .collect(),
        wifi: Vec::new(),
        targets,
        variants,
    })
}

/// Whether `NAME.cat` beside the package file at `path` signs it (`None`: no catalog).
pub fn catalog_beside(path: &Path) -> Option<CatalogStatus> {
    let cat = ppkg_sign::catalog_path(path);
    if !cat.is_file() {
        return None;
    }
    let display = cat.display().to_string();
    Some(match ppkg_sign::verify_beside(path) {
        Ok(Some(info)) => CatalogStatus {
            path: display,
            matches: true,
            signer: Some(info.signer.subject),
            signer_thumbprint: Some(info.signer.thumbprint),
            problem: None,
        },
        Ok(None) => return None,
        Err(e) => CatalogStatus {
            path: display,
            matches: false,
            signer: None,
            signer_thumbprint: None,
            problem: Some(e.to_string()),
        },
    })
}

/// The targets and variants of an answer file.
fn multivariant(a: &AnswerFile, show: bool) -> (Vec<TargetView>, Vec<VariantView>) {
    let targets = a
        .targets()
        .unwrap_or_default()
        .into_iter()
        .map(|t| TargetView {
            id: t.id,
            states: t
                .states
                .into_iter()
                .map(|s| s.into_iter().map(|c| (c.name, c.value)).collect())
                .collect(),
            line: t.pos.line,
            column: t.pos.column,
        })
        .collect();
    let variants = a
        .variants()
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let mut settings = Vec::new();
            if let Some(s) = v.settings {
                for c in s.elements() {
                    collect_settings(c, "", &mut settings, show);
                }
            }
            VariantView {
                name: v.name.clone().unwrap_or_else(|| format!("#{}", i + 1)),
                targets: v.target_refs.clone(),
                settings,
                line: v.element.pos.line,
                column: v.element.pos.column,
            }
        })
        .collect();
    (targets, variants)
}

fn compiled_groups<R: Read + Seek>(
    pkg: &mut Opened<R>,
    show: bool,
) -> ppkg_format::Result<Vec<Group>> {
    let runtime = pkg.runtime()?;
    let docs = pkg.provxml()?;
    let mut groups = Vec::new();
    for (file, doc) in &docs {
        let settings_group = runtime
            .as_ref()
            .and_then(|r| r.sets.iter().find(|s| s.file_name() == Some(file.as_str())))
            .map(|s| s.settings_group.clone())
            .unwrap_or_default();
        let parms = doc
            .parms()
            .into_iter()
            .map(|(path, parm)| {
                let mut csp = path.join("/");
                if !csp.is_empty() {
                    csp.push('/');
                }
                csp.push_str(&parm.name);
                let secret = is_secret_name(&parm.name)
                    || parm.settings_path.as_deref().is_some_and(is_secret_name);
                let raw = parm.value.as_deref().unwrap_or_default();
                let value = mask_embedded(&mask(raw, secret, show), show);
                CompiledParm {
                    csp_path: csp,
                    masked: value != raw,
                    value,
                    datatype: parm.datatype.clone(),
                    settings_path: parm.settings_path.clone(),
                }
            })
            .collect();
        groups.push(Group {
            file: file.clone(),
            settings_group,
            parms,
        });
    }
    Ok(groups)
}

/// Walks a settings subtree: every element with text and no child elements is a setting;
/// list items are written with their key attribute in the one path syntax of
/// [`ppkg_format::path`] (`UPN[enroll@example.com]`, `ClientCertificate[CertificateName=Dev]`),
/// so a path shown here can be pasted into a bulk column or a profile's `[[settings]]`. WCD's
/// redundant `Name` attribute is left out when the item has another key.
pub fn collect_settings(el: &Element, prefix: &str, out: &mut Vec<Setting>, show: bool) {
    let attrs: Vec<_> = el
        .attrs
        .iter()
        .filter(|a| !a.name.starts_with("xmlns"))
        .collect();
    let key = attrs
        .iter()
        .find(|a| a.name != "Name")
        .or_else(|| attrs.first());
    let seg = ppkg_format::path::Segment {
        name: el.local_name().to_owned(),
        attrs: key
            .map(|a| vec![(a.name.clone(), a.value.clone())])
            .unwrap_or_default(),
    };
    let path = format!("{prefix}/{seg}");
    let has_children = el.children.iter().any(|n| matches!(n, Node::Element(_)));
    if has_children {
        for c in el.elements() {
            collect_settings(c, &path, out, show);
        }
    } else {
        let secret = is_secret_name(el.local_name());
        let text = el.text();
        out.push(Setting {
            masked: is_masked(&text, secret, show),
            value: mask(&text, secret, show),
            path,
            line: el.pos.line,
            column: el.pos.column,
        });
    }
}

/// The typed networks of `answer` (WCD's typed `WLANSetting` networks and the WLAN profiles
/// this tool writes through `ConnectivityProfiles/WLAN/Profiles/Profile`, read back from the
/// package's payloads with [`workplace::Profile::type_wlan_profiles`]). Profiles that are not
/// in a typed form are not listed (they stay in the settings and payload lists).
fn typed_wifi<R: Read + Seek>(
    pkg: &mut Opened<R>,
    answer: Option<&AnswerFile>,
    show: bool,
) -> ppkg_format::Result<Vec<WifiView>> {
    let Some(answer) = answer else {
        return Ok(Vec::new());
    };
    let Ok(mut profile) = Profile::from_answer_file(answer) else {
        return Ok(Vec::new());
    };
    let wcd_typed = profile.wifi.len();
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for a in pkg.assets()? {
        if !a
            .setting_path
            .starts_with("/ConnectivityProfiles/WLAN/Profiles")
        {
            continue;
        }
        if let Some(p) = &a.wim_path {
            if let Some(bytes) = pkg.read_part(p)? {
                files.insert(a.file_name.clone(), bytes);
            }
        }
    }
    attach_compiled_certificates(pkg, &mut profile)?;
    profile.type_wlan_profiles(&|name: &str| files.get(name).cloned());
    Ok(profile
        .wifi
        .iter()
        .enumerate()
        .map(|(i, w)| WifiView {
            ssid: w.ssid.clone(),
            security: w.security.label().to_owned(),
            source: if i < wcd_typed {
                "WLANSetting".to_owned()
            } else {
                workplace::wlan_profile_file_name(&w.ssid)
            },
            auto_connect: w.auto_connect,
            hidden: w.hidden,
            key: w.key.as_ref().map(|k| mask(k.expose(), true, show)),
            eap: w.eap.as_ref().map(|e| EapView {
                method: e.method.label().to_owned(),
                client_certificate: e.client_certificate.clone(),
                trusted_root_thumbprints: e.trusted_root_thumbprints.clone(),
                server_names: e.server_names.clone(),
                auth_mode: e
                    .auth_mode
                    .clone()
                    .unwrap_or_else(|| e.method.default_auth_mode().to_owned()),
            }),
        })
        .collect())
}

/// Gives the profile's client certificates their PFX bytes and adds the compiled root and CA
/// certificates, from the package's compiled `.provxml` (`ClientCertificateInstall/
/// PFXCertInstall/<name>/PFXCertBlob`, `RootCATrustedCertificates/{Root,CA}/<hash>/
/// EncodedCertificate`, both base64), so that an EAP-TLS profile's root-CA pin can be matched
/// to its client certificate.
fn attach_compiled_certificates<R: Read + Seek>(
    pkg: &mut Opened<R>,
    profile: &mut Profile,
) -> ppkg_format::Result<()> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for (_, doc) in pkg.provxml()? {
        for (path, parm) in doc.parms() {
            let Some(value) = parm.value.as_deref() else {
                continue;
            };
            match (path.as_slice(), parm.name.as_str()) {
                ([.., "ClientCertificateInstall", "PFXCertInstall", name], "PFXCertBlob") => {
                    if let (Some(c), Ok(bytes)) = (
                        profile
                            .client_certificates
                            .iter_mut()
                            .find(|c| c.name == *name),
                        b64.decode(value.trim()),
                    ) {
                        c.pfx.data = Some(bytes);
                    }
                }
                ([.., "RootCATrustedCertificates", "Root" | "CA", hash], "EncodedCertificate") => {
                    if let Ok(bytes) = b64.decode(value.trim()) {
                        profile.ca_certificates.push(workplace::TrustedCertificate {
                            name: (*hash).to_owned(),
                            label: None,
                            certificate: workplace::Asset::bytes(*hash, bytes),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Every check `build` runs, on a package's answer file: the catalog validation and the typed
/// profile checks (at the date `now`), with certificate payloads loaded from the package, placed
/// in `member` of `file`, one diagnostic per fault (the layers merged by
/// [`csp_model::validate::merge_layers`]).
pub fn package_checks<R: Read + Seek>(
    pkg: &mut Opened<R>,
    answer: &AnswerFile,
    file: &str,
    member: &str,
    edition: Edition,
    now: SystemTime,
) -> Vec<Diagnostic> {
    let place = |d: Diagnostic, pos: Option<LineCol>| {
        d.in_file(file)
            .in_member(member)
            .at(pos)
            .unplaced_because("the answer file does not write this setting")
    };
    let report = csp_model::validate::validate(answer, SettingsCatalog::builtin(), edition);
    let catalog: Vec<Diagnostic> = report
        .into_diagnostics()
        .into_iter()
        .map(|d| {
            let pos = d.pos;
            place(d, pos)
        })
        .collect();
    let profile_diags: Vec<Diagnostic> = match Profile::from_answer_file(answer) {
        Ok(mut profile) => {
            load_package_assets(pkg, &mut profile);
            crate::package::profile_checks_in(&profile, answer, now)
                .map(|(d, pos)| place(d, pos))
                .collect()
        }
        Err(e) => vec![place(
            Diagnostic::field(
                Code::ProfileChecksSkipped,
                "",
                format!("the typed profile checks did not run: {e}"),
            ),
            answer
                .common()
                .map(|c| c.pos)
                .filter(|p| p.is_known())
                .map(Into::into),
        )],
    };
    csp_model::validate::merge_layers(profile_diags, catalog)
}

/// Loads the certificate files a profile names from the built package, so that expiry and PFX
/// checks run on a package as they did at build time: certificates compiled inline (the
/// base64 `EncodedCertificate` / `PFXCertBlob` parm whose `SettingsPath` is the field and whose
/// `.provxml` is named after the item, `1__Certificates_RootCertificates_<name>.provxml`), else
/// payload files matched by file name.
fn load_package_assets<R: Read + Seek>(pkg: &mut Opened<R>, profile: &mut Profile) {
    use base64::Engine as _;
    // (document name, SettingsPath, decoded bytes) of every inline base64 parm.
    let mut inline = Vec::new();
    if let Ok(docs) = pkg.provxml() {
        for (name, doc) in &docs {
            for (_, parm) in doc.parms() {
                let (Some(sp), Some(v)) = (&parm.settings_path, &parm.value) else {
                    continue;
                };
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(v.trim()) {
                    inline.push((name.clone(), sp.clone(), bytes));
                }
            }
        }
    }
    let mut payloads = HashMap::new();
    if let Ok(assets) = pkg.assets() {
        for a in assets {
            if let Some(wim_path) = &a.wim_path {
                if let Ok(Some(b)) = pkg.read_part(wim_path) {
                    payloads.insert(a.file_name.to_ascii_lowercase(), b);
                }
            }
        }
    }
    profile.load_assets_with(|field, reference| {
        let (bare, key) = strip_keys(field);
        let found = inline.iter().find(|(name, sp, _)| {
            *sp == bare
                && key.as_deref().is_none_or(|k| {
                    let stem = name.rsplit('/').next().unwrap_or(name);
                    stem.strip_suffix(".provxml")
                        .is_some_and(|s| s.ends_with(&format!("_{k}")))
                })
        });
        if let Some((_, _, b)) = found {
            return Some(b.clone());
        }
        let name = reference.rsplit(['/', '\\']).next().unwrap_or(reference);
        payloads.get(&name.to_ascii_lowercase()).cloned()
    });
}

/// `A/B[@K="v"]/C` → (`A/B/C`, the first key's value `v`).
fn strip_keys(path: &str) -> (String, Option<String>) {
    let mut bare = String::new();
    let mut key = None;
    let mut rest = path;
    while let Some(open) = rest.find('[') {
        bare.push_str(&rest[..open]);
        let Some(close) = rest[open..].find(']') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        if key.is_none() {
            key = inner
                .split_once('=')
                .map(|(_, v)| v.trim_matches('"').to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    bare.push_str(rest);
    (bare, key)
}
