//! [`Bulk`]: one package per device from a shared template profile.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ppkg_format::path::{parse_path, Segment};
use rayon::prelude::*;
use workplace::{
    Asset, AuthPolicy, ClientCertificate, DomainJoin, Enrollment, KeyLocation, LocalUser, Profile,
    Secret, Wifi, WifiSecurity,
};

use crate::error::{Error, Result};
use crate::package::{Input, Package};
use crate::report::{Code, Diagnostic, Report};
use ppkg_format::wim::ResourceCache;

/// One device: where it comes from (for diagnostics, `devices.csv:17`), its setting overrides
/// by path, its variables and its output name.
///
/// Values may use the bulk's declared variables as `{name}` (see [`Bulk::variables`]); a
/// `{word}` that is not declared is an error (a typo would otherwise reach the package as
/// text), and `{{` / `}}` write a literal brace.
///
/// `Debug` shows the origin, the output name and the setting paths and variable names, never
/// their values: a value may be a password, a PFX password or an Azure AD token.
#[derive(Clone, Default)]
pub struct Device {
    origin: String,
    name: Option<String>,
    settings: Vec<(String, String)>,
    vars: Vec<(String, String)>,
}

impl Device {
    /// A device; `origin` names it in diagnostics (`devices.csv:17`).
    pub fn new(origin: impl Into<String>) -> Self {
        Device {
            origin: origin.into(),
            ..Device::default()
        }
    }

    /// Sets a setting by path (see [`ppkg_format::path`]): an existing list item (by key) is
    /// overridden, a new key adds an item. An empty value keeps the template's.
    ///
    /// Typed settings that can be set per device: `Accounts/ComputerAccount/{ComputerName,
    /// DomainName, Account, AccountOU, Password}`, `Accounts/Users/User[UserName=…]/{Password,
    /// UserGroup}`, `Accounts/Azure/{Authority, BPRT}` (when the template has an Azure AD
    /// join), `Workplace/Enrollments/UPN[…]/{AuthPolicy, DiscoveryServiceFullUrl,
    /// EnrollmentServiceFullUrl, PolicyServiceFullUrl, Secret, UPN}` (`UPN` renames the item),
    /// `Certificates/ClientCertificates/ClientCertificate[CertificateName=…]/{CertificatePath,
    /// CertificatePassword, KeyLocation, ExportCertificate}`,
    /// `ConnectivityProfiles/WLAN/WLANSetting/WLANConfig[SSID=…]/{WLANXmlSettings/SecurityType,
    /// WLANXmlSettings/SecurityKey, WLANXmlSettings/AutoConnect, WLANXmlSettings/HiddenNetwork,
    /// ProxyServerPort, SSID}` (`SSID` renames the network) and `PackageConfig/{Name, Version,
    /// OwnerType, Rank}`. The rest of the
    /// typed areas (trusted certificates, 802.1X settings) are refused with an error: they are
    /// files and structures set in the profile. Any other setting path overrides or adds a raw
    /// setting. A path may start with `/Common/`, as `inspect` prints the settings for every
    /// device.
    #[must_use]
    pub fn set(mut self, path: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((path.into(), value.into()));
        self
    }

    /// Sets a variable (a CSV column that is not a setting), usable as `{name}` in values, the
    /// package name and the output name.
    #[must_use]
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// The output's name (file stem), overriding [`Bulk::file_name`].
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Where the device comes from.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// Values hidden: see [`Device`].
impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Hidden<'a>(&'a [(String, String)]);
        impl std::fmt::Debug for Hidden<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, _)| (k, format_args!("<hidden>"))))
                    .finish()
            }
        }
        f.debug_struct("Device")
            .field("origin", &self.origin)
            .field("name", &self.name)
            .field("settings", &Hidden(&self.settings))
            .field("vars", &Hidden(&self.vars))
            .finish()
    }
}

/// One device's package, built in memory. `Debug` gives the length of `bytes`, not the bytes
/// (an unencrypted package holds the device's secrets).
#[derive(Clone)]
#[non_exhaustive]
pub struct BulkOutput {
    /// The device's origin (`devices.csv:17`).
    pub origin: String,
    /// File stem (without `.ppkg`).
    pub name: String,
    /// The package ID.
    pub package_id: uuid::Uuid,
    /// The package bytes.
    pub bytes: Vec<u8>,
    /// The device's warnings and notes (its errors make [`Bulk::build`] fail instead).
    pub report: Report,
}

impl std::fmt::Debug for BulkOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkOutput")
            .field("origin", &self.origin)
            .field("name", &self.name)
            .field("package_id", &self.package_id)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("report", &self.report)
            .finish()
    }
}

/// Builds one package per device from a template [`Package`] (a profile): every device gets
/// the template with its own settings (list items addressed by key, see [`Device::set`]), a
/// package ID derived from the template's ID and the device's name, and optionally its own
/// package name and client certificate, whose thumbprint becomes the Secret of a Certificate
/// enrollment.
///
/// ```
/// # fn main() -> Result<(), ppkg::Error> {
/// use ppkg::{Bulk, Device, Package};
/// # std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).unwrap();
/// let bulk = Bulk::new(Package::from_path("examples/bulk-enrollment.toml")?)?
///     .variables(["serial"])
///     .file_name("{serial}")
///     .package_name("Enrollment {serial}");
/// let device = Device::new("devices.csv:2")
///     .var("serial", "SN001")
///     .set("Accounts/ComputerAccount/ComputerName", "LAB-{serial}")
///     .set("Workplace/Enrollments/UPN[enroll@example.com]/Secret", "Device-Pass1");
/// let out = bulk.build(&device).map_err(ppkg::Error::Invalid)?;
/// assert_eq!(out.name, "SN001");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Bulk {
    template: Package,
    variables: BTreeSet<String>,
    file_name: String,
    package_name: Option<String>,
    files_folder: PathBuf,
}

impl Bulk {
    /// A bulk run on this template. The template's assets are read once here; its checks run
    /// per device (a Certificate enrollment's Secret, say, may come from each device's PFX), so
    /// a template fault is reported by every device.
    ///
    /// # Errors
    /// [`Error::Usage`] when the template is an answer file (bulk needs a profile);
    /// [`Error::Profile`] when its assets cannot be read.
    pub fn new(template: Package) -> Result<Self> {
        let Input::Profile { profile, toml } = &template.input else {
            return Err(Error::Usage(format!(
                "{}: bulk needs a profile (TOML or JSON), not an answer file",
                template.display
            )));
        };
        let base = template
            .assets_folder
            .clone()
            .or_else(|| template.base_dir.clone())
            .unwrap_or_else(|| PathBuf::from("."));
        let mut loaded = (**profile).clone();
        template.resolve_profile_assets(&mut loaded)?;
        let toml = toml.clone();
        let mut template = template;
        // Files every device shares are compressed once (byte-identical either way).
        if template.resource_cache.is_none() {
            template.resource_cache = Some(Arc::new(ResourceCache::new()));
        }
        // Devices start from the loaded profile: assets are read once.
        template.input = Input::Profile {
            profile: Box::new(loaded),
            toml,
        };
        Ok(Bulk {
            template,
            variables: BTreeSet::new(),
            file_name: "{name}".to_owned(),
            package_name: None,
            files_folder: base,
        })
    }

    /// The template's own diagnostics (profile checks and catalog validation), with TOML
    /// positions: worth showing once before the devices' reports.
    pub fn template_report(&self) -> Report {
        self.template.validate()
    }

    /// Declares variables: names a [`Device`] may set with [`Device::var`] and values may use as
    /// `{name}`. `name` (the device's output name) is always declared.
    #[must_use]
    pub fn variables<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.variables.extend(names.into_iter().map(Into::into));
        self
    }

    /// Whether `name` is a declared variable.
    pub fn has_variable(&self, name: &str) -> bool {
        name == "name" || self.variables.contains(name)
    }

    /// The output name (file stem) template, e.g. `{serial}`. Default `{name}` (the device's
    /// [`Device::name`]).
    #[must_use]
    pub fn file_name(mut self, template: impl Into<String>) -> Self {
        self.file_name = template.into();
        self
    }

    /// The package name (`PackageConfig/Name`) template, e.g. `Enrollment {serial}`. Default:
    /// the template's name.
    #[must_use]
    pub fn package_name(mut self, template: impl Into<String>) -> Self {
        self.package_name = Some(template.into());
        self
    }

    /// Per-device files (a PFX per device) named by relative paths resolve against this folder
    /// (the CSV's). Default: the template's folder.
    #[must_use]
    pub fn files_folder(mut self, dir: impl Into<PathBuf>) -> Self {
        self.files_folder = dir.into();
        self
    }

    /// The output name template ([`Bulk::file_name`]).
    pub fn file_name_template(&self) -> &str {
        &self.file_name
    }

    /// The template.
    pub fn template(&self) -> &Package {
        &self.template
    }

    /// The device's output name: [`Device::name`], else [`Bulk::file_name`] with variables.
    ///
    /// # Errors
    /// A diagnostic for an unknown variable or a name that is not a safe file name.
    pub fn output_name(&self, device: &Device) -> std::result::Result<String, Report> {
        let raw = match &device.name {
            Some(n) => n.clone(),
            None => self
                .expand(device, &self.file_name)
                .map_err(|m| self.fail(device, "", m))?,
        };
        safe_file_stem(&raw).ok_or_else(|| {
            self.fail(
                device,
                "",
                format!("output name {raw:?} is empty or not a safe file name"),
            )
        })
    }

    /// The device's package alone: the template with the device's settings applied. Writing
    /// it gives the same bytes as [`Bulk::build`].
    ///
    /// # Errors
    /// A report naming the device's origin for a bad path, an unknown variable, a per-device
    /// file that cannot be read or a PFX that does not open.
    pub fn device_package(&self, device: &Device) -> std::result::Result<Package, Report> {
        for (k, _) in &device.vars {
            if !self.has_variable(k) {
                return Err(self.fail(
                    device,
                    "",
                    format!("unknown variable {k:?}: declare it first (ppkg bulk --var {k})"),
                ));
            }
        }
        let Input::Profile { profile, .. } = &self.template.input else {
            return Err(self.fail(device, "", "the template is not a profile".into()));
        };
        let mut p = (**profile).clone();
        let mut touched = Touched::default();
        for (path, value) in &device.settings {
            if value.is_empty() {
                continue;
            }
            let value = self
                .expand(device, value)
                .map_err(|m| self.fail(device, path, m))?;
            self.apply(&mut p, path, &value, &mut touched)
                .map_err(|m| self.fail(device, path, m))?;
        }
        if let Some(t) = &self.package_name {
            p.package.name = self
                .expand(device, t)
                .map_err(|m| self.fail(device, "PackageConfig/Name", m))?;
        }
        derive_secrets(&mut p, &touched).map_err(|(path, m)| self.fail(device, &path, m))?;
        let name = self.output_name(device)?;
        let id = derive_id(&p, profile, &name);
        let t = &self.template;
        Ok(Package {
            input: Input::Profile {
                profile: Box::new(p),
                toml: None,
            },
            display: device.origin.clone(),
            base_dir: t.base_dir.clone(),
            assets_folder: t.assets_folder.clone(),
            edition: t.edition,
            package_id: Some(id),
            compression: t.compression,
            write_options: t.write_options.clone(),
            encryption: t.encryption.clone(),
            signer: t.signer.clone(),
            file_name: t.file_name.clone(),
            now: t.now,
            resource_cache: t.resource_cache.clone(),
        })
    }

    /// Builds one device's package in memory.
    ///
    /// # Errors
    /// A report of every problem, each naming the device's origin.
    pub fn build(&self, device: &Device) -> std::result::Result<BulkOutput, Report> {
        let pkg = self.device_package(device)?;
        let name = self.output_name(device)?;
        let mut buf = Cursor::new(Vec::new());
        match pkg.write_to(&mut buf) {
            Ok(w) => Ok(BulkOutput {
                origin: device.origin.clone(),
                name,
                package_id: w.package_id,
                bytes: buf.into_inner(),
                report: w.report,
            }),
            Err(Error::Invalid(r)) => Err(r),
            Err(e) => Err(self.fail(device, "", e.to_string())),
        }
    }

    /// Builds every device, in parallel (rayon's pool), results in device order. Names must be
    /// distinct (case-insensitively, as on Windows): a repeated name is an error of the later
    /// device.
    ///
    /// Every package is held in memory at once; for many devices or a template with large
    /// payloads use [`Bulk::build_each`], which holds a window of them.
    pub fn build_all(&self, devices: &[Device]) -> Vec<std::result::Result<BulkOutput, Report>> {
        self.build_all_with(devices, || {})
    }

    /// [`Bulk::build_all`], calling `done` after each device (for a progress bar).
    pub fn build_all_with(
        &self,
        devices: &[Device],
        done: impl Fn() + Sync,
    ) -> Vec<std::result::Result<BulkOutput, Report>> {
        devices
            .par_iter()
            .zip(self.repeated_names(devices))
            .map(|(d, repeated)| {
                let r = self.build_unless_repeated(d, repeated);
                done();
                r
            })
            .collect()
    }

    /// The device's package, or the error of its name repeating an earlier device's.
    fn build_unless_repeated(
        &self,
        device: &Device,
        repeated: Option<Report>,
    ) -> std::result::Result<BulkOutput, Report> {
        match repeated {
            Some(report) => Err(report),
            None => self.build(device),
        }
    }

    /// Builds every device like [`Bulk::build_all`] (same bytes, same errors, names distinct
    /// across all of `devices`), `window` devices at a time in parallel, and hands each result
    /// to `sink` in device order, so that at most `window` packages are in memory (a template
    /// carrying a 100 MB installer, 10,000 devices). Stops at the first `Err` of `sink` and
    /// returns it.
    ///
    /// # Errors
    /// Only what `sink` returns; a device's own fault is an `Err(Report)` handed to `sink`.
    pub fn build_each<E>(
        &self,
        devices: &[Device],
        window: usize,
        mut sink: impl FnMut(std::result::Result<BulkOutput, Report>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut repeated = self.repeated_names(devices);
        let window = window.max(1);
        for (part, repeated) in devices.chunks(window).zip(repeated.chunks_mut(window)) {
            let built: Vec<_> = part
                .par_iter()
                .zip(repeated.par_iter_mut())
                .map(|(d, repeated)| self.build_unless_repeated(d, repeated.take()))
                .collect();
            for r in built {
                sink(r)?;
            }
        }
        Ok(())
    }

    /// Checks every device as [`Bulk::build`] would (settings, variables, per-device files,
    /// the package's validation, distinct names) without compiling or writing a package: in
    /// parallel, results in device order, memory independent of package sizes. Used before
    /// [`Bulk::build_each`] when nothing may be sent unless every row is good (`ppkg serve`'s
    /// streamed zip).
    pub fn check_all(&self, devices: &[Device]) -> Vec<std::result::Result<(), Report>> {
        let repeated = self.repeated_names(devices);
        devices
            .par_iter()
            .zip(repeated)
            .map(|(d, repeated)| {
                if let Some(report) = repeated {
                    return Err(report);
                }
                let report = self.device_package(d)?.validate();
                if report.has_errors() {
                    Err(report)
                } else {
                    Ok(())
                }
            })
            .collect()
    }

    /// For each device, the error of an output name already taken by an earlier device
    /// (compared case-insensitively, as Windows does); `None` otherwise.
    fn repeated_names(&self, devices: &[Device]) -> Vec<Option<Report>> {
        let mut seen = std::collections::HashMap::new();
        devices
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let name = self.output_name(d).ok()?;
                let first = *seen.entry(name.to_lowercase()).or_insert(i);
                (first != i).then(|| {
                    let msg = format!(
                        "output name {name:?} is also the name of {}",
                        devices[first].origin
                    );
                    self.fail(d, "", msg)
                })
            })
            .collect()
    }

    fn fail(&self, device: &Device, path: &str, message: String) -> Report {
        Report::new(vec![crate::package::place(
            Diagnostic::field(Code::BulkRowInvalid, path, message),
            &device.origin,
            None,
            "the device was given in code, not read from a file",
        )])
    }

    /// Replaces `{var}` by the device's value for every declared variable (and `{name}`);
    /// `{{` and `}}` are literal braces; an undeclared `{word}` is an error; other braces (a
    /// GUID's) stay as they are.
    fn expand(&self, device: &Device, text: &str) -> std::result::Result<String, String> {
        if !text.contains(['{', '}']) {
            return Ok(text.to_owned());
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest = text;
        while let Some(i) = rest.find(['{', '}']) {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            // `{{` and `}}` are a literal brace.
            if tail.starts_with("{{") || tail.starts_with("}}") {
                out.push_str(&tail[..1]);
                rest = &tail[2..];
                continue;
            }
            let placeholder = tail
                .strip_prefix('{')
                .and_then(|t| t.find('}').map(|j| &t[..j]))
                .filter(|v| self.has_variable(v) || is_identifier(v));
            let Some(v) = placeholder else {
                // A lone brace that names nothing (`{5b0f4c34-…}`, `a}b`) is text.
                out.push_str(&tail[..1]);
                rest = &tail[1..];
                continue;
            };
            if !self.has_variable(v) {
                return Err(format!(
                    "{{{v}}} is not a declared variable (declared: {}); write {{{{{v}}}}} for \
                     the text {{{v}}}",
                    std::iter::once("name")
                        .chain(self.variables.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let value = if v == "name" {
                device.name.as_deref()
            } else {
                device
                    .vars
                    .iter()
                    .find(|(k, _)| k == v)
                    .map(|(_, x)| x.as_str())
            };
            let Some(value) = value else {
                return Err(format!("{{{v}}} is used but the device has no {v}"));
            };
            out.push_str(value);
            rest = &tail[v.len() + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Applies one setting to a profile.
    fn apply(
        &self,
        p: &mut Profile,
        path: &str,
        value: &str,
        touched: &mut Touched,
    ) -> std::result::Result<(), String> {
        let mut segs = parse_path(path).map_err(|e| e.to_string())?;
        // `inspect` prints the settings for every device under `/Common/…` (the answer file's
        // Settings/Customizations/Common): a path copied from there means the same setting.
        if segs.len() > 1 && segs[0].name == "Common" && segs[0].key().is_none() {
            segs.remove(0);
        }
        let names: Vec<&str> = segs.iter().map(|s| s.name.as_str()).collect();
        let key = |i: usize| -> std::result::Result<&str, String> {
            segs[i].key().ok_or_else(|| {
                format!(
                    "{} is a list: name the item by its key, as {}[KEY]",
                    segs[i].name, segs[i].name
                )
            })
        };
        match names.as_slice() {
            ["Accounts", "ComputerAccount", "ComputerName"] => {
                p.computer_name = Some(value.to_owned());
            }
            ["PackageConfig", field] => match *field {
                "Name" => p.package.name = value.to_owned(),
                "Version" => p.package.version = value.to_owned(),
                "OwnerType" => p.package.owner_type = value.to_owned(),
                "Rank" => {
                    p.package.rank = value
                        .parse()
                        .map_err(|_| format!("Rank {value:?} is not a number 0-99"))?
                }
                other => return Err(format!("PackageConfig/{other} cannot be set per device")),
            },
            ["Workplace", "Enrollments", "UPN", field] => {
                let upn = key(2)?;
                let e = find_or_push(
                    &mut p.enrollments,
                    |e| e.upn == upn,
                    || Enrollment {
                        upn: upn.to_owned(),
                        auth_policy: AuthPolicy::OnPremise,
                        discovery_service_full_url: None,
                        enrollment_service_full_url: None,
                        policy_service_full_url: None,
                        secret: None,
                    },
                );
                match field.to_ascii_lowercase().as_str() {
                    "authpolicy" => e.auth_policy = AuthPolicy::from_label(value),
                    "discoveryservicefullurl" => {
                        e.discovery_service_full_url = Some(value.to_owned())
                    }
                    "enrollmentservicefullurl" => {
                        e.enrollment_service_full_url = Some(value.to_owned())
                    }
                    "policyservicefullurl" => e.policy_service_full_url = Some(value.to_owned()),
                    // Renames the item (a per-device UPN on a template's enrollment).
                    "upn" => e.upn = value.to_owned(),
                    "secret" => {
                        e.secret = Some(Secret::new(value));
                        touched.secrets.insert(upn.to_owned());
                    }
                    other => return Err(format!("UPN has no setting {other:?}")),
                }
            }
            ["Certificates", "ClientCertificates", "ClientCertificate", field] => {
                let name = key(2)?;
                let c = find_or_push(
                    &mut p.client_certificates,
                    |c| c.name == name,
                    || ClientCertificate {
                        name: name.to_owned(),
                        label: None,
                        pfx: Asset::path(""),
                        password: None,
                        key_location: None,
                        export_certificate: None,
                    },
                );
                touched.client_certs.insert(name.to_owned());
                match *field {
                    "CertificatePath" => c.pfx = self.load_file(value)?,
                    "CertificatePassword" => c.password = Some(Secret::new(value)),
                    "KeyLocation" => c.key_location = Some(KeyLocation::from_label(value)),
                    "ExportCertificate" => {
                        c.export_certificate = Some(parse_bool(value).ok_or_else(|| {
                            format!("ExportCertificate {value:?}: expected True or False")
                        })?)
                    }
                    other => return Err(format!("ClientCertificate has no setting {other:?}")),
                }
            }
            ["ConnectivityProfiles", "WLAN", "WLANSetting", "WLANConfig", rest @ ..] => {
                let ssid = key(3)?;
                // A new network: its SecurityType must come from the device too (the empty
                // type is reported by the profile checks, naming this path).
                let w = find_or_push(
                    &mut p.wifi,
                    |w| w.ssid == ssid,
                    || Wifi {
                        ssid: ssid.to_owned(),
                        security: WifiSecurity::from_label(""),
                        key: None,
                        auto_connect: None,
                        hidden: None,
                        proxy: None,
                        eap: None,
                    },
                );
                let flag = |v: &str, what: &str| {
                    parse_bool(v).ok_or_else(|| format!("{what} {v:?}: expected True or False"))
                };
                match rest {
                    ["WLANXmlSettings", "SecurityKey"] => w.key = Some(Secret::new(value)),
                    ["WLANXmlSettings", "SecurityType"] => {
                        w.security = WifiSecurity::from_label(value)
                    }
                    ["WLANXmlSettings", "AutoConnect"] => {
                        w.auto_connect = Some(flag(value, "AutoConnect")?)
                    }
                    ["WLANXmlSettings", "HiddenNetwork"] => {
                        w.hidden = Some(flag(value, "HiddenNetwork")?)
                    }
                    ["ProxyServerPort"] => w.proxy = Some(value.to_owned()),
                    // Renames the network (a per-device SSID on a template's network).
                    ["SSID"] => w.ssid = value.to_owned(),
                    _ => {
                        return Err(format!(
                            "{} is not a setting of a WLANConfig item (SecurityType, \
                             SecurityKey, AutoConnect, HiddenNetwork, ProxyServerPort); EAP \
                             settings are set in the profile",
                            ppkg_format::path::format_path(&segs)
                        ))
                    }
                }
            }
            ["Accounts", "ComputerAccount", field] => {
                let dj = p.domain_join.get_or_insert_with(|| DomainJoin {
                    domain: String::new(),
                    account: None,
                    password: None,
                    ou: None,
                });
                match *field {
                    "DomainName" => dj.domain = value.to_owned(),
                    "Account" => dj.account = Some(value.to_owned()),
                    "AccountOU" => dj.ou = Some(value.to_owned()),
                    "Password" => dj.password = Some(Secret::new(value)),
                    other => return Err(format!("ComputerAccount has no setting {other:?}")),
                }
            }
            ["Accounts", "Users", "User", field] => {
                let name = key(2)?;
                let u = find_or_push(
                    &mut p.local_users,
                    |u| u.name == name,
                    || LocalUser {
                        name: name.to_owned(),
                        password: None,
                        group: None,
                    },
                );
                match *field {
                    "Password" => u.password = Some(Secret::new(value)),
                    "UserGroup" => u.group = Some(value.to_owned()),
                    other => return Err(format!("User has no setting {other:?}")),
                }
            }
            ["Accounts", "Azure", field] => {
                let az = p.azure_ad.as_mut().ok_or_else(|| {
                    "the template has no Azure AD join ([azure_ad]): its bulk token comes from \
                     the profile"
                        .to_owned()
                })?;
                match *field {
                    "Authority" => az.authority = Some(value.to_owned()),
                    "BPRT" => az.bprt = Secret::new(value),
                    other => return Err(format!("Azure has no setting {other:?}")),
                }
            }
            [first, ..]
                if matches!(
                    *first,
                    "Workplace" | "Certificates" | "ConnectivityProfiles" | "Accounts"
                ) && typed_area(&names) =>
            {
                return Err(
                    "this setting of the typed profile (trusted certificates, 802.1X \
                     settings, provisioning files) cannot be set per device; set it in the profile"
                        .to_owned(),
                )
            }
            _ => {
                // Any other setting: override the profile's raw setting with the same path,
                // else add one.
                let canonical = ppkg_format::path::format_path(&segs);
                let found = p.settings.iter_mut().find(|s| {
                    parse_path(&s.path)
                        .map(|x| ppkg_format::path::format_path(&x) == canonical)
                        .unwrap_or(false)
                });
                match found {
                    Some(s) => s.value = value.to_owned(),
                    None => p
                        .settings
                        .push(workplace::RawSetting::new(canonical, value.to_owned())),
                }
            }
        }
        Ok(())
    }

    /// Reads a per-device file (a PFX) relative to [`Bulk::files_folder`]. When the template
    /// confines its assets to a folder ([`Package::assets_folder`], `--asset-dir`), a
    /// per-device file must be a relative path that stays inside the files folder too.
    fn load_file(&self, value: &str) -> std::result::Result<Asset, String> {
        let path = Path::new(value);
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.files_folder.join(path)
        };
        if self.template.assets_folder.is_some() {
            let inside = !path.is_absolute()
                && path
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
                && match (full.canonicalize(), self.files_folder.canonicalize()) {
                    (Ok(f), Ok(dir)) => f.starts_with(dir),
                    _ => true, // a missing file is reported by the read below
                };
            if !inside {
                return Err(format!(
                    "{value}: a per-device file must be a relative path inside {} when the \
                     assets are confined to a folder (--asset-dir)",
                    self.files_folder.display()
                ));
            }
        }
        let data = crate::package::read_input(&full).map_err(|e| e.to_string())?;
        let mut a = Asset::bytes(value, data);
        a.file = None;
        Ok(a)
    }
}

/// The item of `list` that `is` picks, else a new one from `make`, appended: a device's path
/// that names an existing list item by key overrides it, a new key adds one.
fn find_or_push<T>(list: &mut Vec<T>, is: impl Fn(&T) -> bool, make: impl FnOnce() -> T) -> &mut T {
    match list.iter().position(is) {
        Some(i) => &mut list[i],
        None => {
            list.push(make());
            let last = list.len() - 1;
            &mut list[last]
        }
    }
}

/// What a device changed, for the derived Secret.
#[derive(Default)]
struct Touched {
    /// UPNs whose Secret the device set.
    secrets: BTreeSet<String>,
    /// Client certificates the device set or added.
    client_certs: BTreeSet<String>,
}

/// Whether a path lies in a part of `customizations.xml` the typed profile owns.
fn typed_area(names: &[&str]) -> bool {
    matches!(
        names,
        ["Workplace", "Enrollments", ..]
            | ["Certificates", ..]
            | ["ConnectivityProfiles", "WLAN", ..]
            | ["Accounts", "ComputerAccount", ..]
            | ["Accounts", "Users", ..]
            | ["Accounts", "Azure", ..]
    )
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// A Certificate enrollment whose Secret the device did not set gets the thumbprint of the
/// client certificate the device gave (Provisioning CSP: for AuthPolicy Certificate, Secret is
/// the SHA-1 thumbprint of the client certificate to authenticate with; Microsoft Learn,
/// "Provisioning CSP", `Enrollments/UPN/Secret`).
fn derive_secrets(p: &mut Profile, touched: &Touched) -> std::result::Result<(), (String, String)> {
    if touched.client_certs.is_empty() {
        return Ok(());
    }
    let certs: Vec<&ClientCertificate> = p
        .client_certificates
        .iter()
        .filter(|c| touched.client_certs.contains(&c.name))
        .collect();
    let mut thumb = None;
    for e in &p.enrollments {
        if e.auth_policy != AuthPolicy::Certificate || touched.secrets.contains(&e.upn) {
            continue;
        }
        let path = ppkg_format::path::format_path(&[
            Segment::plain("Workplace"),
            Segment::plain("Enrollments"),
            Segment::item("UPN", "UPN", &e.upn),
            Segment::plain("Secret"),
        ]);
        let [c] = certs.as_slice() else {
            return Err((
                path,
                format!(
                    "the device gives {} client certificates; set the Secret to the thumbprint of the one to enroll with",
                    certs.len()
                ),
            ));
        };
        let Some(data) = &c.pfx.data else {
            return Err((
                path,
                format!("client certificate {:?} has no PFX file", c.name),
            ));
        };
        let info = workplace::cert::open_pfx(data, c.password.as_ref()).map_err(|err| {
            (
                path.clone(),
                format!("client certificate {:?}: {err}", c.name),
            )
        })?;
        thumb = Some(info.certificate.thumbprint);
        break;
    }
    if let Some(t) = thumb {
        for e in &mut p.enrollments {
            if e.auth_policy == AuthPolicy::Certificate && !touched.secrets.contains(&e.upn) {
                e.secret = Some(Secret::new(t.clone()));
            }
        }
    }
    Ok(())
}

/// A distinct, reproducible package ID per device: SHA-1 of the template's ID (or name) and
/// the device's output name, as a version-5-shaped UUID.
/// What looks like a variable name: an ASCII letter or `_`, then letters, digits or `_` (a
/// GUID's `{a1b2c3d4-…}` does not).
fn is_identifier(v: &str) -> bool {
    let mut c = v.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn derive_id(_p: &Profile, template: &Profile, name: &str) -> uuid::Uuid {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(
        template
            .package
            .id
            .as_deref()
            .unwrap_or(&template.package.name)
            .as_bytes(),
    );
    h.update([0]);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_sha1_bytes(b).into_uuid()
}

/// A name usable as a file stem on every OS: letters and digits (any script), `-`, `_`, `.`; at
/// most 100 bytes; not `.`, `..`, a trailing dot, or a Windows reserved device name (`CON`,
/// `NUL`, `COM1`, `LPT1`, … also with an extension, as `nul.txt`), so that a zip of the
/// packages unpacks on Windows.
pub fn safe_file_stem(name: &str) -> Option<String> {
    const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = RESERVED.contains(&stem.as_str())
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.ends_with('.')
        && !reserved
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| name.to_owned())
}
