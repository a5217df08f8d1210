//! What the handlers call to load templates, check, build and read packages: thin calls into
//! the `ppkg` facade, so that the server and the CLI run the same code.
//!
//! - A template is a [`ppkg::Bulk`], made once when the templates are loaded (assets read
//!   once, a [`ppkg::ResourceCache`] sized for it): every per-device package is
//!   [`Bulk::device_package`] of a [`Device`] whose values use the CLI's setting-path syntax
//!   (`Workplace/Enrollments/UPN[enroll@example.com]/Secret`).
//! - Diagnostics are [`ppkg::Diagnostic`]s (the workspace's one type), checks are
//!   [`Package::validate`], and `inspect` is [`ppkg::inspect`], the document
//!   `ppkg inspect --json` prints.
//! - A request never makes the server read its own files: settings that name a file (`*Path`,
//!   `*File`) are refused when they come from a request ([`refuse_file_settings`]), and a
//!   posted profile's assets come from the request only.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use csp_model::Edition;
use ppkg::format::path::{format_path, parse_path, Segment};
use ppkg::{Bulk, Code, Device, Diagnostic, Package, ResourceCache};
use workplace::{Profile, Secret};

/// Why an operation produced nothing.
#[derive(Debug)]
pub enum EngineError {
    /// The input is wrong; every diagnostic found (errors and warnings).
    Invalid(Vec<Diagnostic>),
    /// Something on our side failed (I/O, randomness); the message holds no secret.
    Internal(String),
}

/// A diagnostic about `file` (a template, `request body`, a bulk row) and the setting `path`
/// (empty: the input as a whole). A row's origin `devices.csv:3` is placed as the facade's
/// [`ppkg::Bulk`] places it: file `devices.csv`, line 3.
pub fn diag(file: &str, code: Code, path: &str, message: impl Into<String>) -> Diagnostic {
    let d = ppkg::Diagnostic::field(code, path, message);
    if let Some((f, line)) = file
        .rsplit_once(':')
        .and_then(|(f, l)| Some((f, l.parse::<u32>().ok().filter(|l| *l > 0)?)))
    {
        return d.in_file(f).at(Some(ppkg::LineCol::new(line, 1)));
    }
    d.in_file(file).unplaced_because(if path.is_empty() {
        "the finding is about the input as a whole"
    } else {
        "the value came in a request field, not from a file"
    })
}

/// The diagnostics of a facade error: the report of [`ppkg::Error::Invalid`], else one error
/// with the position a parse error carries.
pub fn error_diagnostics(e: ppkg::Error, file: &str) -> Vec<Diagnostic> {
    let e = match e {
        ppkg::Error::Invalid(r) => return r.into_diagnostics(),
        other => other,
    };
    let (code, pos) = match &e {
        ppkg::Error::Profile { source, .. } => match &**source {
            workplace::Error::Toml { line, column, .. } => (
                Code::ParseError,
                line.and_then(|l| u32::try_from(l).ok())
                    .map(|l| (l, column.and_then(|c| u32::try_from(c).ok()).unwrap_or(1))),
            ),
            workplace::Error::Json { line, column, .. } => (
                Code::ParseError,
                u32::try_from(*line)
                    .ok()
                    .map(|l| (l, u32::try_from(*column).unwrap_or(1))),
            ),
            workplace::Error::Asset { .. } => (Code::InputUnreadable, None),
            _ => (Code::ParseError, None),
        },
        ppkg::Error::AnswerFile { .. } => (Code::ParseError, None),
        ppkg::Error::Read { .. } => (Code::PackageDamaged, None),
        ppkg::Error::PasswordRequired { .. } => (Code::InputUnreadable, None),
        ppkg::Error::Io { .. } => (Code::InputUnreadable, None),
        _ => (Code::CompileFailed, None),
    };
    let message = match &e {
        ppkg::Error::Profile { source, .. } => match &**source {
            workplace::Error::Toml { message, .. } | workplace::Error::Json { message, .. } => {
                message.clone()
            }
            other => other.to_string(),
        },
        ppkg::Error::PasswordRequired { .. } => {
            "the package is encrypted: give its password (X-Package-Password header)".to_owned()
        }
        other => other.to_string(),
    };
    let d = diag(file, code, "", message);
    vec![match pos {
        Some((l, c)) => d.at(Some(ppkg::LineCol::new(l, c))),
        None => d,
    }]
}

/// One template: a checked profile with its assets loaded, ready for per-device builds.
#[derive(Debug)]
pub struct Template {
    /// The name requests use: the file name without extension.
    pub name: String,
    /// The profile file.
    pub file: PathBuf,
    /// The per-device builder (the profile, its assets and its resource cache).
    pub bulk: Bulk,
    /// Warnings found when it was loaded.
    pub warnings: Vec<Diagnostic>,
}

impl Template {
    /// The profile, assets loaded.
    pub fn profile(&self) -> &Profile {
        // A Bulk is only ever made from a profile.
        self.bulk
            .template()
            .profile()
            .expect("a template is a profile")
    }
}

/// The templates served, by name. Read-only once loaded; a reload builds a new set.
#[derive(Debug, Default)]
pub struct TemplateSet {
    /// Templates by name.
    pub templates: BTreeMap<String, Arc<Template>>,
}

/// The [`ResourceCache`] bound for a template: twice its asset bytes plus 1 MiB (its
/// compressed files and the small per-device ones), at most 64 MiB.
pub fn cache_limit(asset_bytes: usize) -> usize {
    asset_bytes
        .saturating_mul(2)
        .saturating_add(1 << 20)
        .min(ResourceCache::DEFAULT_LIMIT)
}

/// Loads every `*.toml` and `*.json` profile of a folder (not recursive), or the one profile
/// `dir` names when it is a file, resolving asset paths inside that folder only, and checks
/// each one as a build would.
///
/// # Errors
/// Every diagnostic of every template when any has an error, or when the folder holds no
/// template at all: the server must not start (or reload) with a half-good set.
pub fn load_templates(dir: &Path, edition: Edition) -> Result<TemplateSet, Vec<Diagnostic>> {
    let shown = dir.display().to_string();
    if dir.is_file() {
        let folder = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        return load_files(vec![dir.to_path_buf()], folder, edition, &shown);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![diag(
            &shown,
            Code::InputUnreadable,
            "",
            format!("cannot read the templates folder: {e}"),
        )]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && ppkg::is_profile_path(p))
        .collect();
    files.sort();
    load_files(files, dir, edition, &shown)
}

fn load_files(
    files: Vec<PathBuf>,
    dir: &Path,
    edition: Edition,
    shown: &str,
) -> Result<TemplateSet, Vec<Diagnostic>> {
    let mut set = TemplateSet::default();
    let mut diags = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match load_template(&path, &file, dir, edition) {
            Ok(bulk) => {
                let found = bulk.template_report().into_diagnostics();
                if found.iter().any(Diagnostic::is_error) {
                    diags.extend(found);
                    continue;
                }
                if set.templates.contains_key(&name) {
                    diags.push(diag(
                        &file,
                        Code::InputUnreadable,
                        "",
                        format!("a second template named {name:?} (names come from file stems)"),
                    ));
                    continue;
                }
                set.templates.insert(
                    name.clone(),
                    Arc::new(Template {
                        name,
                        file: path,
                        bulk,
                        warnings: found,
                    }),
                );
            }
            Err(e) => diags.extend(error_diagnostics(e, &file)),
        }
    }
    if set.templates.is_empty() && diags.is_empty() {
        diags.push(diag(
            shown,
            Code::InputUnreadable,
            "",
            "the templates folder holds no .toml or .json profile",
        ));
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(set)
}

/// One template as a [`Bulk`], its assets read (inside `dir` only) and its cache sized.
fn load_template(path: &Path, file: &str, dir: &Path, edition: Edition) -> ppkg::Result<Bulk> {
    let pkg = Package::from_path(path)?
        .named(file)
        .assets_folder(dir)
        .edition(edition);
    let loaded = Bulk::new(pkg)?;
    let asset_bytes: usize = loaded
        .template()
        .profile()
        .map(|p| {
            p.assets()
                .iter()
                .map(|a| {
                    a.data.as_ref().map_or_else(
                        || {
                            a.file
                                .as_ref()
                                .and_then(|f| std::fs::metadata(f).ok())
                                .map_or(0, |m| usize::try_from(m.len()).unwrap_or(usize::MAX))
                        },
                        Vec::len,
                    )
                })
                .sum()
        })
        .unwrap_or(0);
    let cache = Arc::new(ResourceCache::with_limit(cache_limit(asset_bytes)));
    Bulk::new(loaded.template().clone().resource_cache(cache))
}

/// Whether a setting path names a file the server would read (`CertificatePath`,
/// `CommandFile`, …): its last element ends in `Path` or `File`, any case.
pub fn is_file_setting(path: &str) -> bool {
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let name = last
        .split('[')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    name.ends_with("path") || name.ends_with("file")
}

/// The refusal of a per-request setting that names a file.
fn file_setting_refused(file: &str, path: &str) -> Diagnostic {
    diag(
        file,
        Code::FileSettingRefused,
        path,
        "a request may not name a file of the server; put the file in a template, or send a \
         profile's files inline in \"assets\"",
    )
}

/// Every per-request setting of `settings` (path, value) that names a file, refused.
pub fn refuse_file_settings<'a>(
    file: &str,
    paths: impl IntoIterator<Item = &'a str>,
) -> Vec<Diagnostic> {
    paths
        .into_iter()
        .filter(|p| is_file_setting(p))
        .map(|p| file_setting_refused(file, p))
        .collect()
}

/// A profile posted in a request, made self-contained: its files come from `assets` (file
/// name → bytes) only, never from the server's disk. Returns the package (files not given are
/// empty) and a `FileSettingRefused` error for every asset not given and every raw setting
/// that names a file.
pub fn request_package(
    pkg: Package,
    assets: &BTreeMap<String, Vec<u8>>,
    file: &str,
) -> (Package, Vec<Diagnostic>) {
    let mut refused = Vec::new();
    if let Some(p) = pkg.profile() {
        refused.extend(refuse_file_settings(
            file,
            p.settings.iter().map(|s| s.path.as_str()),
        ));
    }
    let pkg = pkg.load_assets_with(|field, reference| match assets.get(reference) {
        Some(b) => Some(b.clone()),
        None => {
            refused.push(file_setting_refused(file, field));
            Some(Vec::new())
        }
    });
    (pkg, refused)
}

/// Per-device and per-request values, turned into a [`Device`] of the template.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `Accounts/ComputerAccount/ComputerName`.
    pub computer_name: Option<String>,
    /// UPN of the first enrollment (renames it).
    pub upn: Option<String>,
    /// Secret of the first enrollment.
    pub enrollment_secret: Option<Secret>,
    /// SSID of the first Wi-Fi network (renames it).
    pub wifi_ssid: Option<String>,
    /// Key of the first Wi-Fi network.
    pub wifi_key: Option<Secret>,
    /// Settings by path, in the CLI's path syntax (`Policies/Start/HideSleep`,
    /// `Workplace/Enrollments/UPN[enroll@example.com]/Secret`).
    pub settings: Vec<(String, String)>,
    /// `PackageConfig/Name`; `{var}` is replaced by the variable's value.
    pub package_name: Option<String>,
    /// `PackageConfig/Version`.
    pub package_version: Option<String>,
    /// `PackageConfig/OwnerType`.
    pub owner_type: Option<String>,
    /// `PackageConfig/Rank`.
    pub rank: Option<u32>,
    /// Variables (`serial`, …) usable as `{name}` in values and the package name.
    pub vars: BTreeMap<String, String>,
}

/// Replaces `{name}` by variables' values.
pub fn expand_vars(text: &str, vars: &BTreeMap<String, String>) -> String {
    if !text.contains('{') {
        return text.to_owned();
    }
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn enrollment_path(upn: &str, field: &str) -> String {
    format_path(&[
        Segment::plain("Workplace"),
        Segment::plain("Enrollments"),
        Segment::item("UPN", "UPN", upn),
        Segment::plain(field),
    ])
}

fn wifi_path(ssid: &str, field: &[&str]) -> String {
    let mut segs = vec![
        Segment::plain("ConnectivityProfiles"),
        Segment::plain("WLAN"),
        Segment::plain("WLANSetting"),
        Segment::item("WLANConfig", "SSID", ssid),
    ];
    segs.extend(field.iter().map(|f| Segment::plain(f)));
    format_path(&segs)
}

impl Overrides {
    /// The device: every value as a setting path of `base` (the template's profile), settings
    /// that name a file refused.
    ///
    /// # Errors
    /// A setting that names a file, a path that does not parse, or a value for a list the
    /// template does not have (no enrollment, no Wi-Fi network), named by its setting path.
    pub fn device(&self, base: &Profile, origin: &str) -> Result<Device, Vec<Diagnostic>> {
        let refused = refuse_file_settings(origin, self.settings.iter().map(|(p, _)| p.as_str()));
        if !refused.is_empty() {
            return Err(refused);
        }
        let missing = |path: &str, what: &str| {
            vec![diag(
                origin,
                Code::BulkRowInvalid,
                path,
                format!("the template has no {what} to set"),
            )]
        };
        let x = |v: &str| expand_vars(v, &self.vars);
        let mut d = Device::new(origin).name("device");
        if let Some(v) = &self.computer_name {
            d = d.set("Accounts/ComputerAccount/ComputerName", x(v));
        }
        if self.upn.is_some() || self.enrollment_secret.is_some() {
            let upn = &base
                .enrollments
                .first()
                .ok_or_else(|| missing("Workplace/Enrollments/UPN", "enrollment"))?
                .upn;
            if let Some(v) = &self.enrollment_secret {
                d = d.set(enrollment_path(upn, "Secret"), v.expose());
            }
            if let Some(v) = &self.upn {
                d = d.set(enrollment_path(upn, "UPN"), x(v));
            }
        }
        if self.wifi_ssid.is_some() || self.wifi_key.is_some() {
            let ssid = &base
                .wifi
                .first()
                .ok_or_else(|| {
                    missing(
                        "ConnectivityProfiles/WLAN/WLANSetting/WLANConfig",
                        "Wi-Fi network",
                    )
                })?
                .ssid;
            if let Some(v) = &self.wifi_key {
                d = d.set(
                    wifi_path(ssid, &["WLANXmlSettings", "SecurityKey"]),
                    v.expose(),
                );
            }
            if let Some(v) = &self.wifi_ssid {
                d = d.set(wifi_path(ssid, &["SSID"]), x(v));
            }
        }
        for (path, value) in &self.settings {
            if let Err(e) = parse_path(path) {
                return Err(vec![diag(
                    origin,
                    Code::SettingPathInvalid,
                    path,
                    e.to_string(),
                )]);
            }
            d = d.set(path.clone(), x(value));
        }
        if let Some(n) = &self.package_name {
            d = d.set("PackageConfig/Name", x(n));
        }
        if let Some(v) = &self.package_version {
            d = d.set("PackageConfig/Version", v.clone());
        }
        if let Some(v) = &self.owner_type {
            d = d.set("PackageConfig/OwnerType", v.clone());
        }
        if let Some(v) = self.rank {
            d = d.set("PackageConfig/Rank", v.to_string());
        }
        Ok(d)
    }
}

/// How to build.
#[derive(Clone)]
pub struct BuildOptions {
    /// Package ID; a random one when `None`.
    pub package_id: Option<uuid::Uuid>,
    /// Encrypt with a generated password.
    pub encrypt: bool,
    /// Sign with this PFX (a catalog is produced beside the package).
    pub signer: Option<Arc<SigningPfx>>,
}

/// The signing certificate, opened once at start from the PFX and its password (read from
/// files); every signed package uses the opened key. `Debug` shows the subject only.
#[derive(Debug)]
pub struct SigningPfx {
    signer: Arc<ppkg_sign::Signer>,
}

impl SigningPfx {
    /// Opens the PFX.
    ///
    /// # Errors
    /// The PFX does not open with the password or holds no key.
    pub fn open(pfx: &[u8], password: &Secret) -> Result<SigningPfx, String> {
        ppkg_sign::Signer::from_pfx(pfx, password.expose())
            .map(|s| SigningPfx {
                signer: Arc::new(s),
            })
            .map_err(|e| e.to_string())
    }
}

/// A built package.
pub struct Built {
    /// The `.ppkg` bytes (encrypted when asked).
    pub bytes: Vec<u8>,
    /// The catalog (`.cat`) when signed.
    pub catalog: Option<Vec<u8>>,
    /// The package ID, braced (`{…}`).
    pub package_id: String,
    /// The package name (`PackageConfig/Name`).
    pub name: String,
    /// The generated encryption password. Reaches the caller once; never logged.
    pub password: Option<ppkg::Password>,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built")
            .field("bytes", &self.bytes.len())
            .field("package_id", &self.package_id)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Builds one device's package from a template's [`Bulk`] in memory: the device's values
/// applied, checked, compiled and written (checks run once, inside the write).
///
/// # Errors
/// [`EngineError::Invalid`] with every diagnostic when a check fails (nothing is built);
/// [`EngineError::Internal`] for failures on our side.
pub fn build(bulk: &Bulk, device: &Device, opts: &BuildOptions) -> Result<Built, EngineError> {
    let pkg = bulk
        .device_package(device)
        .map_err(|r| EngineError::Invalid(r.into_diagnostics()))?;
    let name = pkg
        .profile()
        .map(|p| p.package.name.clone())
        .unwrap_or_default();
    let mut pkg = pkg
        .package_id(opts.package_id.unwrap_or_else(uuid::Uuid::new_v4))
        .file_name(file_name(&name));
    if opts.encrypt {
        pkg = pkg.encrypt(ppkg::Encryption::Generate);
    }
    if let Some(s) = &opts.signer {
        pkg = pkg.sign_shared(Arc::clone(&s.signer));
    }
    let mut out = Cursor::new(Vec::new());
    let file = device.origin().to_owned();
    let written = pkg.write_to(&mut out).map_err(|e| match e {
        e @ (ppkg::Error::Invalid(_)
        | ppkg::Error::Profile { .. }
        | ppkg::Error::Compile { .. }
        | ppkg::Error::Usage(_)) => EngineError::Invalid(error_diagnostics(e, &file)),
        other => EngineError::Internal(other.to_string()),
    })?;
    Ok(Built {
        bytes: out.into_inner(),
        catalog: written.catalog,
        package_id: format!("{{{}}}", written.package_id),
        name,
        password: written.password,
    })
}

/// A safe file name for a package: `NAME.ppkg` with characters outside `[A-Za-z0-9._-]`
/// replaced by `_` (never empty).
pub fn file_name(package_name: &str) -> String {
    let mut s: String = package_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.truncate(100);
    if s.is_empty() || s.chars().all(|c| c == '.') {
        s = "package".to_owned();
    }
    format!("{s}.ppkg")
}

/// Validates a package held in memory: readable and undamaged (every file's SHA-1 and XPRESS
/// data), its answer file checked with every check `build` runs
/// ([`ppkg::inspect::package_checks`]).
pub fn validate_package(
    bytes: Vec<u8>,
    password: Option<&str>,
    file: &str,
    edition: Edition,
) -> Vec<Diagnostic> {
    let (mut pkg, _) = match ppkg::inspect::open_bytes(bytes, password, file) {
        Ok(p) => p,
        Err(e) => return error_diagnostics(e, file),
    };
    if let Err(e) = pkg.wim().verify_all() {
        return vec![diag(
            file,
            Code::PackageDamaged,
            "",
            format!("damaged package: {e}"),
        )];
    }
    match pkg.answer_file() {
        Ok(Some(answer)) => ppkg::inspect::package_checks(
            &mut pkg,
            &answer,
            file,
            ppkg::inspect::ANSWER_MEMBER,
            edition,
            SystemTime::now(),
        ),
        Ok(None) => vec![diag(
            file,
            Code::NoAnswerFile,
            "",
            "the package holds no customizations.xml",
        )],
        Err(e) => vec![diag(file, Code::ParseError, "", e.to_string())],
    }
}

/// The `ppkg inspect --json` document of a package (secrets masked).
///
/// # Errors
/// [`EngineError::Invalid`] for unreadable, damaged or encrypted-without-password input.
pub fn inspect(
    bytes: Vec<u8>,
    password: Option<&str>,
    file: &str,
    edition: Edition,
) -> Result<serde_json::Value, EngineError> {
    let opts = ppkg::inspect::Options {
        edition,
        now: Some(SystemTime::now()),
        ..Default::default()
    };
    let doc = ppkg::inspect::bytes(bytes, password, file, &opts)
        .map_err(|e| EngineError::Invalid(error_diagnostics(e, file)))?;
    serde_json::to_value(&doc).map_err(|e| EngineError::Internal(e.to_string()))
}

/// Reads a PFX's certificate thumbprint and subject (for the page's certificate flow).
///
/// # Errors
/// The PFX does not open with this password, or holds no key with a certificate.
pub fn pfx_thumbprint(bytes: &[u8], password: &str) -> Result<(String, String), String> {
    let info = workplace::cert::open_pfx(bytes, Some(&Secret::new(password)))
        .map_err(|e| e.to_string())?;
    Ok((info.certificate.thumbprint, info.certificate.subject))
}
