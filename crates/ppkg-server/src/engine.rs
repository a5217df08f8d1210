//! What the handlers call to load templates, check, build and read packages.
//!
//! Every step goes through the same sequence the CLI uses (profile checks of `workplace` →
//! answer file → catalog validation of `csp-model` → compile → `ppkg-format` layout →
//! optional encryption and signing), in one place, so that the handlers never see the
//! individual crates. It is the seam to the `ppkg` facade crate: swapping this module's
//! bodies for facade calls changes nothing in the handlers.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use csp_model::{Catalog, Edition};
use ppkg_format::answer::AnswerFile;
use ppkg_format::crypt::{self, Password};
use ppkg_format::layout::Package;
use ppkg_format::wim::WimReader;
use serde::Serialize;
use workplace::{Profile, RawSetting, Secret, Secrets};

/// One finding, from any stage: where (file, line, column, setting path) and what.
///
/// `path` is the setting path in customizations.xml terms
/// (`Workplace/Enrollments/UPN[@UPN="a@example.com"]`, `PackageConfig/Version`); `line` and
/// `column` are 1-based and refer to `file` (a template's TOML file, or the request body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Diag {
    /// The file or input the position refers to.
    pub file: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// Stable code (`UpnSyntax`, `ValueOutOfRange`, …).
    pub code: String,
    /// Setting path, empty for a whole-input fault.
    pub path: String,
    /// What is wrong (never a secret value).
    pub message: String,
}

impl Diag {
    /// An error about an input as a whole, or about a field without a source position.
    pub fn error(file: &str, code: &str, path: &str, message: impl Into<String>) -> Diag {
        Diag {
            file: file.to_owned(),
            line: None,
            column: None,
            severity: "error".to_owned(),
            code: code.to_owned(),
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// Whether this is an error (as opposed to a warning or a note).
    pub fn is_error(&self) -> bool {
        self.severity == "error"
    }
}

impl std::fmt::Display for Diag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}:{}", self.column.unwrap_or(1))?;
        }
        write!(f, ": {} {}", self.severity, self.code)?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why an operation produced nothing.
#[derive(Debug)]
pub enum EngineError {
    /// The input is wrong; every diagnostic found (errors and warnings).
    Invalid(Vec<Diag>),
    /// Something on our side failed (I/O, randomness); the message holds no secret.
    Internal(String),
}

/// One template: a checked profile with its assets loaded.
#[derive(Debug)]
pub struct Template {
    /// The name requests use: the file name without extension.
    pub name: String,
    /// The profile file.
    pub file: PathBuf,
    /// The profile, assets loaded.
    pub profile: Profile,
    /// Warnings found when it was loaded.
    pub warnings: Vec<Diag>,
}

/// The templates served, by name. Read-only once loaded; a reload builds a new set.
#[derive(Debug, Default)]
pub struct TemplateSet {
    /// Templates by name.
    pub templates: BTreeMap<String, Arc<Template>>,
}

/// Reads a profile's text (TOML or JSON by `is_json`), with line:column in parse errors.
///
/// # Errors
/// One diagnostic naming `file`, the line and the column of the syntax or shape error.
pub fn parse_profile(text: &str, is_json: bool, file: &str) -> Result<Profile, Vec<Diag>> {
    let parsed = if is_json {
        Profile::from_json(text)
    } else {
        Profile::from_toml(text)
    };
    parsed.map_err(|e| {
        let (line, column, message) = match &e {
            workplace::Error::Toml {
                message,
                line,
                column,
            } => (
                line.and_then(|l| u32::try_from(l).ok()),
                column.and_then(|c| u32::try_from(c).ok()),
                message.clone(),
            ),
            workplace::Error::Json {
                message,
                line,
                column,
            } => (
                u32::try_from(*line).ok(),
                u32::try_from(*column).ok(),
                message.clone(),
            ),
            other => (None, None, other.to_string()),
        };
        vec![Diag {
            line,
            column,
            ..Diag::error(file, "ProfileSyntax", "", message)
        }]
    })
}

/// Loads every `*.toml` and `*.json` profile of a folder (not recursive), or the one profile
/// `dir` names when it is a file, resolving asset paths inside that folder only, and checks
/// each one as a build would.
///
/// # Errors
/// Every diagnostic of every template when any has an error, or when the folder holds no
/// template at all: the server must not start (or reload) with a half-good set.
pub fn load_templates(dir: &Path, edition: Edition) -> Result<TemplateSet, Vec<Diag>> {
    let shown = dir.display().to_string();
    if dir.is_file() {
        let folder = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        return load_files(vec![dir.to_path_buf()], folder, edition, &shown);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![Diag::error(
            &shown,
            "TemplatesUnreadable",
            "",
            format!("cannot read the templates folder: {e}"),
        )]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("json")
                })
        })
        .collect();
    files.sort();
    load_files(files, dir, edition, &shown)
}

fn load_files(
    files: Vec<PathBuf>,
    dir: &Path,
    edition: Edition,
    shown: &str,
) -> Result<TemplateSet, Vec<Diag>> {
    let mut set = TemplateSet::default();
    let mut diags = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diag::error(&file, "TemplateUnreadable", "", e.to_string()));
                continue;
            }
        };
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut profile = match parse_profile(&text, is_json, &file) {
            Ok(p) => p,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        if let Err(e) = profile.resolve_assets_within(dir) {
            diags.push(Diag::error(&file, "AssetUnreadable", "", e.to_string()));
            continue;
        }
        let found = check_profile(
            &profile,
            &file,
            (!is_json).then_some(text.as_str()),
            edition,
        );
        if found.iter().any(Diag::is_error) {
            diags.extend(found);
            continue;
        }
        if set.templates.contains_key(&name) {
            diags.push(Diag::error(
                &file,
                "DuplicateTemplate",
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
                profile,
                warnings: found,
            }),
        );
    }
    if set.templates.is_empty() && diags.is_empty() {
        diags.push(Diag::error(
            shown,
            "NoTemplates",
            "",
            "the templates folder holds no .toml or .json profile",
        ));
    }
    if diags.iter().any(Diag::is_error) {
        return Err(diags);
    }
    Ok(set)
}

/// The checks a build runs, without building: the profile rules of `workplace::check` (placed
/// at their TOML key when `toml` is the profile's text) and the catalog validation of the
/// generated answer file.
pub fn check_profile(
    profile: &Profile,
    file: &str,
    toml: Option<&str>,
    edition: Edition,
) -> Vec<Diag> {
    // The profile's assets are loaded already; the diagnostics are placed in the TOML text.
    let pkg = ppkg::Package::from_profile(profile.clone())
        .named(file)
        .edition(edition);
    pkg.validate()
        .diagnostics()
        .iter()
        .map(|d| {
            let mut d = from_facade(d);
            if d.line.is_none() && d.file == file {
                if let Some(pos) = toml.and_then(|t| workplace::locate_in_toml(t, &d.path)) {
                    d.line = Some(pos.line);
                    d.column = Some(pos.column);
                }
            }
            d
        })
        .collect()
}

/// A facade diagnostic as ours (same fields).
fn from_facade(d: &ppkg::Diagnostic) -> Diag {
    Diag {
        file: d.file.clone().unwrap_or_default(),
        line: d.pos.map(|p| p.line),
        column: d.pos.map(|p| p.column),
        severity: d.severity.as_str().to_owned(),
        code: d.code.to_string(),
        path: d.path.clone(),
        message: d.message.clone(),
    }
}

/// Catalog validation of an answer file, leaving out errors the profile checks already gave
/// for the same setting (they carry a better position).
fn catalog_diags(answer: &AnswerFile, file: &str, edition: Edition, earlier: &[Diag]) -> Vec<Diag> {
    let report = csp_model::validate::validate(answer, Catalog::builtin(), edition);
    let earlier_errors: Vec<String> = earlier
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("/{}", d.path.trim_start_matches('/')))
        .collect();
    let config_reported = earlier
        .iter()
        .any(|d| d.is_error() && d.path.starts_with("PackageConfig"));
    report
        .diagnostics()
        .iter()
        .filter(|d| {
            let repeated = d.severity == csp_model::validate::Severity::Error
                && earlier_errors.iter().any(|p| p.starts_with(&d.path));
            !(repeated || (config_reported && d.path.starts_with("PackageConfig")))
        })
        .map(|d| Diag {
            file: file.to_owned(),
            line: d.pos.map(|p| p.line),
            column: d.pos.map(|p| p.column),
            severity: d.severity.to_string(),
            code: d.code.to_string(),
            path: d.path.clone(),
            message: d.message.clone(),
        })
        .collect()
}

/// Loads assets given inline (file name → bytes) into a profile: every asset path the profile
/// names must be one of the given names. The files live in a temporary folder only while the
/// profile reads them.
///
/// # Errors
/// A name with a path separator or `..`, or an asset the profile names that was not given.
pub fn attach_assets(
    profile: &mut Profile,
    assets: &BTreeMap<String, Vec<u8>>,
    file: &str,
) -> Result<(), Vec<Diag>> {
    let dir = tempfile::tempdir().map_err(|e| {
        vec![Diag::error(
            file,
            "Internal",
            "",
            format!("temporary folder: {e}"),
        )]
    })?;
    for (name, bytes) in assets {
        if name.is_empty() || name.contains(['/', '\\']) || name == ".." || name == "." {
            return Err(vec![Diag::error(
                file,
                "AssetName",
                &format!("assets/{name}"),
                "an asset name is a plain file name (no folders)",
            )]);
        }
        std::fs::write(dir.path().join(name), bytes).map_err(|e| {
            vec![Diag::error(
                file,
                "Internal",
                "",
                format!("temporary file: {e}"),
            )]
        })?;
    }
    profile.resolve_assets_within(dir.path()).map_err(|e| {
        vec![Diag::error(
            file,
            "AssetMissing",
            "",
            format!("{e} (send the file in \"assets\" under its file name)"),
        )]
    })
}

/// Per-device and per-request changes applied to a template's profile before building.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `Accounts/ComputerAccount/ComputerName`.
    pub computer_name: Option<String>,
    /// UPN of the first enrollment.
    pub upn: Option<String>,
    /// Secret of the first enrollment.
    pub enrollment_secret: Option<Secret>,
    /// SSID of the first Wi-Fi network.
    pub wifi_ssid: Option<String>,
    /// Key of the first Wi-Fi network.
    pub wifi_key: Option<Secret>,
    /// Raw settings by path below `Customizations/Common` (replacing one with the same path).
    pub settings: Vec<(String, String)>,
    /// `PackageConfig/Name`; `{var}` is replaced by the variable's value.
    pub package_name: Option<String>,
    /// `PackageConfig/Version`.
    pub package_version: Option<String>,
    /// `PackageConfig/OwnerType`.
    pub owner_type: Option<String>,
    /// `PackageConfig/Rank`.
    pub rank: Option<u32>,
    /// Variables (`serial`, …) usable as `{name}` in the package name.
    pub vars: BTreeMap<String, String>,
}

/// Replaces `{name}` by variables' values.
pub fn expand_vars(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

impl Overrides {
    /// Applies the changes to a profile.
    ///
    /// # Errors
    /// An override of a list the profile does not have (no enrollment, no Wi-Fi network),
    /// named by its setting path.
    pub fn apply(&self, p: &mut Profile, file: &str) -> Result<(), Vec<Diag>> {
        let missing = |path: &str, what: &str| {
            vec![Diag::error(
                file,
                "NothingToOverride",
                path,
                format!("the template has no {what} to override"),
            )]
        };
        if let Some(v) = &self.computer_name {
            p.computer_name = Some(v.clone());
        }
        if self.upn.is_some() || self.enrollment_secret.is_some() {
            let e = p
                .enrollments
                .first_mut()
                .ok_or_else(|| missing("Workplace/Enrollments/UPN", "enrollment"))?;
            if let Some(v) = &self.upn {
                e.upn = v.clone();
            }
            if let Some(v) = &self.enrollment_secret {
                e.secret = Some(v.clone());
            }
        }
        if self.wifi_ssid.is_some() || self.wifi_key.is_some() {
            let w = p.wifi.first_mut().ok_or_else(|| {
                missing(
                    "ConnectivityProfiles/WLAN/WLANSetting/WLANConfig",
                    "Wi-Fi network",
                )
            })?;
            if let Some(v) = &self.wifi_ssid {
                w.ssid = v.clone();
            }
            if let Some(v) = &self.wifi_key {
                w.key = Some(v.clone());
            }
        }
        for (path, value) in &self.settings {
            let path = path.trim_start_matches('/');
            match p.settings.iter_mut().find(|s| s.path == path) {
                Some(s) => s.value = value.clone(),
                None => p.settings.push(RawSetting::new(path, value.clone())),
            }
        }
        if let Some(n) = &self.package_name {
            p.package.name = expand_vars(n, &self.vars);
        }
        if let Some(v) = &self.package_version {
            p.package.version = v.clone();
        }
        if let Some(v) = &self.owner_type {
            p.package.owner_type = v.clone();
        }
        if let Some(v) = self.rank {
            p.package.rank = v;
        }
        Ok(())
    }
}

/// How to build.
#[derive(Clone)]
pub struct BuildOptions {
    /// Edition validated against and written in the NOTES field.
    pub edition: Edition,
    /// Package ID; a random one when `None` and the profile has none.
    pub package_id: Option<uuid::Uuid>,
    /// Encrypt with a generated password.
    pub encrypt: bool,
    /// Sign with this PFX (a catalog is produced beside the package).
    pub signer: Option<Arc<SigningPfx>>,
}

/// The signing certificate: a PFX and its password, read from files at start (checked there
/// with [`SigningPfx::check`]). `Debug` shows neither.
pub struct SigningPfx {
    /// The PKCS#12 bytes.
    pub pfx: Vec<u8>,
    /// Its password.
    pub password: Secret,
}

impl std::fmt::Debug for SigningPfx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningPfx({} bytes)", self.pfx.len())
    }
}

impl SigningPfx {
    /// Opens the PFX once to check it.
    ///
    /// # Errors
    /// The PFX does not open with the password or holds no key.
    pub fn check(&self) -> Result<(), String> {
        ppkg_sign::Signer::from_pfx(&self.pfx, self.password.expose())
            .map(|_| ())
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
    pub password: Option<Password>,
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

/// Checks, compiles and writes a profile into a package in memory.
///
/// # Errors
/// [`EngineError::Invalid`] with every diagnostic when a check fails (nothing is built);
/// [`EngineError::Internal`] for failures on our side.
pub fn build(profile: &Profile, file: &str, opts: &BuildOptions) -> Result<Built, EngineError> {
    let mut profile = profile.clone();
    if opts.package_id.is_none() && profile.package.id.is_none() {
        profile.package.id = Some(format!("{{{}}}", uuid::Uuid::new_v4()));
    }
    let name = profile.package.name.clone();
    let mut pkg = ppkg::Package::from_profile(profile)
        .named(file)
        .edition(opts.edition)
        .file_name(file_name(&name));
    if let Some(id) = opts.package_id {
        pkg = pkg.package_id(id);
    }
    if opts.encrypt {
        pkg = pkg.encrypt(ppkg::Encryption::Generate);
    }
    if let Some(s) = &opts.signer {
        pkg = pkg
            .sign_with_pfx(&s.pfx, s.password.expose())
            .map_err(|e| EngineError::Internal(format!("signing PFX: {e}")))?;
    }
    let mut out = Cursor::new(Vec::new());
    let written = pkg.write_to(&mut out).map_err(|e| match e {
        ppkg::Error::Invalid(r) => {
            EngineError::Invalid(r.diagnostics().iter().map(from_facade).collect())
        }
        ppkg::Error::Profile { .. } | ppkg::Error::Compile { .. } => {
            EngineError::Invalid(vec![Diag::error(file, "Build", "", e.to_string())])
        }
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

/// Validates an answer file (XML bytes): catalog validation plus the profile checks when it
/// maps to a profile.
pub fn validate_answer(bytes: &[u8], file: &str, edition: Edition) -> Vec<Diag> {
    let answer = match AnswerFile::parse(bytes) {
        Ok(a) => a,
        Err(e) => return vec![Diag::error(file, "AnswerFileSyntax", "", e.to_string())],
    };
    let mut diags = Vec::new();
    if let Ok(profile) = Profile::from_answer_file(&answer) {
        diags.extend(
            workplace::check(&profile, SystemTime::now())
                .diagnostics
                .iter()
                .filter(|d| d.code != workplace::Code::AssetNotLoaded)
                .map(|d| {
                    let pos = workplace::locate(&answer, &d.path);
                    Diag {
                        file: file.to_owned(),
                        line: pos.map(|p| p.line),
                        column: pos.map(|p| p.column),
                        severity: format!("{:?}", d.severity).to_ascii_lowercase(),
                        code: d.code.to_string(),
                        path: d.path.clone(),
                        message: d.message.clone(),
                    }
                }),
        );
    }
    let earlier = diags.clone();
    diags.extend(catalog_diags(&answer, file, edition, &earlier));
    diags
}

/// A package read from memory.
type Opened = Package<Cursor<Vec<u8>>>;

/// Opens package bytes (decrypting them first when they are encrypted).
fn open(bytes: Vec<u8>, password: Option<&str>, file: &str) -> Result<(Opened, bool), EngineError> {
    let invalid =
        |code: &str, m: String| EngineError::Invalid(vec![Diag::error(file, code, "", m)]);
    let encrypted = bytes.len() > 8 && crypt::is_encrypted(&bytes[..8]);
    let plain = if encrypted {
        let Some(pw) = password else {
            return Err(invalid(
                "PasswordRequired",
                "the package is encrypted: give its password (X-Package-Password header)".into(),
            ));
        };
        let pw = Password::new(pw).map_err(|e| invalid("PasswordSyntax", e.to_string()))?;
        let mut out = Vec::with_capacity(bytes.len());
        crypt::decrypt(Cursor::new(bytes), &mut out, &pw)
            .map_err(|e| invalid("Decrypt", format!("cannot decrypt (wrong password?): {e}")))?;
        out
    } else {
        bytes
    };
    let wim = WimReader::new(Cursor::new(plain))
        .map_err(|e| invalid("NotAPackage", format!("not a readable package: {e}")))?;
    let pkg = Package::open(wim)
        .map_err(|e| invalid("NotAPackage", format!("cannot read the package: {e}")))?;
    Ok((pkg, encrypted))
}

/// Validates a package: readable, its answer file valid, payloads matching their keys.
pub fn validate_package(
    bytes: Vec<u8>,
    password: Option<&str>,
    file: &str,
    edition: Edition,
) -> Vec<Diag> {
    let mut pkg = match open(bytes, password, file) {
        Ok((p, _)) => p,
        Err(EngineError::Invalid(d)) => return d,
        Err(EngineError::Internal(m)) => return vec![Diag::error(file, "Internal", "", m)],
    };
    let answer = match pkg.answer_file() {
        Ok(Some(a)) => a,
        Ok(None) => {
            return vec![Diag::error(
                file,
                "NoAnswerFile",
                "",
                "the package has no customizations.xml",
            )]
        }
        Err(e) => return vec![Diag::error(file, "NotAPackage", "", e.to_string())],
    };
    let mut diags = validate_answer(
        &answer.to_bytes(),
        &format!("{file} (customizations.xml)"),
        edition,
    );
    match pkg.assets() {
        Ok(assets) => {
            for a in assets.iter().filter(|a| !a.hash_matches_key) {
                diags.push(Diag::error(
                    file,
                    "PayloadHash",
                    &a.setting_path,
                    format!(
                        "payload {} does not match the SHA-256 in its key",
                        a.file_name
                    ),
                ));
            }
        }
        Err(e) => diags.push(Diag::error(file, "NotAPackage", "", e.to_string())),
    }
    diags
}

/// What `POST /v1/inspect` returns: the package's metadata, its settings as a profile (secrets
/// masked), its elements and payloads.
///
/// # Errors
/// [`EngineError::Invalid`] for unreadable, damaged or encrypted-without-password input.
pub fn inspect(
    bytes: Vec<u8>,
    password: Option<&str>,
    file: &str,
) -> Result<serde_json::Value, EngineError> {
    let (mut pkg, encrypted) = open(bytes, password, file)?;
    let invalid = |e: &dyn std::fmt::Display| {
        EngineError::Invalid(vec![Diag::error(file, "NotAPackage", "", e.to_string())])
    };
    let info = pkg.image_info().clone();
    let answer = pkg.answer_file().map_err(|e| invalid(&e))?;
    let (settings, profile) = match &answer {
        Some(a) => {
            let settings: Vec<serde_json::Value> = settings_of(a);
            let profile = Profile::from_answer_file(a)
                .ok()
                .and_then(|p| p.to_json(Secrets::Mask).ok())
                .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok());
            (settings, profile)
        }
        None => (Vec::new(), None),
    };
    let elements: Vec<serde_json::Value> = pkg
        .elements()
        .map_err(|e| invalid(&e))?
        .iter()
        .map(|e| serde_json::json!({ "type": e.type_name, "index": format!("{:?}", e.entry) }))
        .collect();
    let payloads: Vec<serde_json::Value> = pkg
        .assets()
        .map_err(|e| invalid(&e))?
        .iter()
        .map(|a| {
            serde_json::json!({
                "setting_path": a.setting_path,
                "file_name": a.file_name,
                "size": a.size,
                "hash_matches_key": a.hash_matches_key,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "file": file,
        "encrypted": encrypted,
        "metadata": {
            "name": info.name,
            "version": info.version,
            "package_id": info.package_id,
            "altitude": info.altitude,
            "notes": info.notes,
            "files": info.file_count,
            "folders": info.dir_count,
            "total_bytes": info.total_bytes,
        },
        "settings": settings,
        "profile": profile,
        "elements": elements,
        "payloads": payloads,
    }))
}

/// Every leaf setting of an answer file's `Customizations/Common` as `{path, value}`, secrets
/// masked (by the name of their leaf: passwords, keys, secrets, tokens).
fn settings_of(answer: &AnswerFile) -> Vec<serde_json::Value> {
    use ppkg_format::xml::{Element, Node};
    fn walk(e: &Element, prefix: &str, out: &mut Vec<serde_json::Value>) {
        let key = e
            .attrs
            .iter()
            .find(|a| !a.name.contains(':') && a.name != "xmlns")
            .map(|a| format!("[{}]", a.value))
            .unwrap_or_default();
        let path = if prefix.is_empty() {
            format!("{}{key}", e.name)
        } else {
            format!("{prefix}/{}{key}", e.name)
        };
        let children: Vec<&Element> = e
            .children
            .iter()
            .filter_map(|n| match n {
                Node::Element(c) => Some(c),
                _ => None,
            })
            .collect();
        if children.is_empty() {
            let text = e.text();
            let lower = e.name.to_ascii_lowercase();
            let secret = ["password", "secret", "key", "token", "bprt"]
                .iter()
                .any(|s| lower.contains(s))
                && !lower.contains("keylocation");
            let value = if secret && !text.is_empty() {
                format!("<hidden, {} chars>", text.chars().count())
            } else {
                text
            };
            out.push(serde_json::json!({ "path": path, "value": value }));
        } else {
            for c in children {
                walk(c, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Some(common) = answer.common() {
        for n in &common.children {
            if let Node::Element(e) = n {
                walk(e, "", &mut out);
            }
        }
    }
    out
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

/// Reads a whole input for the handlers' tests and tools.
pub fn read_all<R: Read + Seek>(mut r: R) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}
