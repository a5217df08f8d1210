//! Checks on a profile: every problem at once, as [`Diagnostic`]s with field paths.
//!
//! Time is an argument (`now`); nothing here reads a clock, so a test that injects `now`
//! gives the same answer every day.

use std::time::SystemTime;

use crate::cert::{normalize_thumbprint, open_pfx, read_certificate, CertError, CertInfo};
use crate::diag::{Code, Diagnostic, Report, Severity};
use crate::mapping::{item_path, paths};
use crate::name::{name_problems, NameScheme, MAX_CONSTANT_NAME, MAX_NAME};
use crate::profile::{
    Asset, AuthPolicy, KeyLocation, Profile, Timestamp, TrustedCertificate, WifiSecurity,
};
use crate::secret::Secret;

const DAY: i64 = 86_400;

/// Knobs for [`check_with`]. Defaults: no serial length, no fleet size, warn 30 days ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Longest serial number in the fleet, for the `%SERIAL%` worst case. `None`: unknown
    /// (a warning says how many characters are left). Default `None`.
    pub max_serial_len: Option<usize>,
    /// Devices the scheme must name, for the `%RAND:n%` collision check. Default `None`.
    pub fleet_size: Option<u64>,
    /// Certificates and tokens expiring within this many days get a warning. Default 30.
    pub expiry_warning_days: i64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_serial_len: None,
            fleet_size: None,
            expiry_warning_days: 30,
        }
    }
}

impl CheckOptions {
    /// Sets [`CheckOptions::max_serial_len`].
    pub fn max_serial_len(mut self, n: usize) -> Self {
        self.max_serial_len = Some(n);
        self
    }

    /// Sets [`CheckOptions::fleet_size`].
    pub fn fleet_size(mut self, n: u64) -> Self {
        self.fleet_size = Some(n);
        self
    }
}

/// Checks a profile at time `now` with default options. See [`check_with`].
pub fn check(profile: &Profile, now: SystemTime) -> Report {
    check_with(profile, now, &CheckOptions::default())
}

/// Checks a profile at time `now`: package config, enrollments, certificates (opening each
/// loaded PFX with its password), Wi-Fi, computer name, accounts, bulk token, commands and
/// untyped setting paths. Assets not yet loaded give [`Code::AssetNotLoaded`] and skip the
/// checks that need their bytes.
pub fn check_with(profile: &Profile, now: SystemTime, opts: &CheckOptions) -> Report {
    let now = Timestamp::from_system_time(now).0;
    let mut r = Report::default();
    check_package(profile, &mut r);
    let client_thumbs = check_client_certs(profile, now, opts, &mut r);
    check_enrollments(profile, client_thumbs.as_deref(), &mut r);
    for (prefix, leaf, list) in [
        (
            paths::ROOT_CERT,
            "CertificatePath",
            &profile.root_certificates,
        ),
        (paths::CA_CERT, "CertificatePath", &profile.ca_certificates),
        (
            paths::PEOPLE_CERT,
            "TrustedCertificate",
            &profile.trusted_people_certificates,
        ),
    ] {
        check_trusted(prefix, leaf, list, now, opts, &mut r);
    }
    check_provisioners(profile, now, opts, &mut r);
    check_wifi(profile, &mut r);
    check_computer_name(profile, opts, &mut r);
    check_accounts(profile, &mut r);
    check_azure(profile, now, opts, &mut r);
    check_commands(profile, &mut r);
    let catalog = csp_model::Catalog::builtin();
    for s in &profile.settings {
        match s.setting_path() {
            Err(e) => r.push(Diagnostic::field(
                Code::SettingPathInvalid,
                &s.path,
                e.to_string(),
            )),
            Ok(setting) => {
                if !catalog.contains(&format!("/{setting}")) {
                    r.push(
                        Diagnostic::field(
                            Code::UnknownSetting,
                            &s.path,
                            format!("/{setting} is not a setting of WCD's settings store"),
                        )
                        .with_hint("check the spelling and the parent elements"),
                    );
                }
            }
        }
    }
    r
}

fn secret_is_mask(path: &str, s: Option<&Secret>, r: &mut Report) -> bool {
    if s.is_some_and(Secret::is_mask) {
        r.push(
            Diagnostic::field(
                Code::SecretIsMask,
                path,
                "the value is the mask \"********\", not a real secret",
            )
            .with_hint("the profile was saved without secrets; set the real value"),
        );
        return true;
    }
    false
}

/// A GUID as PackageConfig's `ID` holds it: 8-4-4-4-12 hex digits, braces optional.
fn guid_ok(id: &str) -> bool {
    let t = id.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(t);
    let parts: Vec<&str> = t.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn check_package(p: &Profile, r: &mut Report) {
    if p.package.name.trim().is_empty() {
        r.push(Diagnostic::field(
            Code::PackageNameMissing,
            "PackageConfig/Name",
            "the package has no name",
        ));
    } else if p.package.name.trim() != p.package.name {
        r.push(
            Diagnostic::field(
                Code::PackageNameWhitespace,
                "PackageConfig/Name",
                "the package name starts or ends with white space, which the package's \
                 PackageConfig reader drops",
            )
            .with_hint("remove the leading and trailing spaces, tabs or line breaks"),
        );
    }
    if let Some(id) = &p.package.id {
        if !guid_ok(id) {
            r.push(
                Diagnostic::field(
                    Code::PackageIdInvalid,
                    "PackageConfig/ID",
                    format!("package ID {id:?} is not a GUID"),
                )
                .with_hint("for example {5b0f4c34-3d3c-4d2e-9b7a-6f1e2a0c9d11}, or leave it out"),
            );
        }
    }
    if let Err(e) = p
        .package
        .owner_type
        .parse::<ppkg_format::owner::OwnerType>()
    {
        r.push(Diagnostic::field(
            Code::OwnerTypeInvalid,
            "PackageConfig/OwnerType",
            e.to_string(),
        ));
    }
    if !version_ok(&p.package.version) {
        r.push(
            Diagnostic::field(
                Code::VersionFormat,
                "PackageConfig/Version",
                format!(
                    "version {:?} is not N.N or N.N.N.N (each part 0-65535)",
                    p.package.version
                ),
            )
            .with_hint("for example 1.0 or 1.0.0.0"),
        );
    }
    if p.package.rank > 99 {
        r.push(Diagnostic::field(
            Code::RankOutOfRange,
            "PackageConfig/Rank",
            format!("rank {} is outside 0-99", p.package.rank),
        ));
    }
}

/// Whether a package version is `N.N` or `N.N.N.N` with each part 0–65535 (the four-part
/// Windows version that WCD writes into the package metadata).
pub fn version_ok(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    (parts.len() == 2 || parts.len() == 4)
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok()
        })
}

/// Whether a UPN looks like `local@domain.tld`: one `@`, a non-empty local part without
/// spaces or control characters, and a domain of dot-separated labels of letters, digits and
/// `-` (not at a label's ends), with at least two labels.
pub fn upn_ok(upn: &str) -> bool {
    let Some((local, domain)) = upn.split_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// The usual discovery path (case-insensitive), MS-MDE2 §3.1 and field case B24.
pub const DISCOVERY_PATH: &str = "/EnrollmentServer/Discovery.svc";

fn check_url(path: &str, url: &str, discovery: bool, r: &mut Report) {
    let trimmed = url.trim();
    if trimmed != url {
        r.push(
            Diagnostic::field(
                Code::UrlTrimmed,
                path,
                "the URL has leading or trailing whitespace",
            )
            .with_hint("Profile::normalize trims it"),
        );
    }
    let lower = trimmed.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://") else {
        let code = if lower.starts_with("http://") {
            Code::UrlNotHttps
        } else {
            Code::UrlInvalid
        };
        r.push(
            Diagnostic::field(code, path, format!("{trimmed:?} is not an https:// URL"))
                .with_hint("enrollment services are reached over TLS: use https://"),
        );
        return;
    };
    let (host, path_part) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &trimmed["https://".len() + i..]),
        None => (rest, ""),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        r.push(Diagnostic::field(
            Code::UrlInvalid,
            path,
            format!("{trimmed:?} has no valid host"),
        ));
        return;
    }
    if discovery {
        let p = path_part.split(['?', '#']).next().unwrap_or("");
        if !p.eq_ignore_ascii_case(DISCOVERY_PATH) {
            let hint = if p
                .to_ascii_lowercase()
                .ends_with("/enrollmentserver/discovery")
            {
                format!("add .svc: https://{host}{DISCOVERY_PATH}")
            } else {
                format!("the usual discovery URL is https://{host}{DISCOVERY_PATH}")
            };
            r.push(
                Diagnostic::field(
                    Code::DiscoveryPathUnexpected,
                    path,
                    format!("discovery path {p:?} is not {DISCOVERY_PATH}"),
                )
                .with_hint(hint),
            );
        }
    }
}

fn check_enrollments(p: &Profile, client_thumbs: Option<&[String]>, r: &mut Report) {
    let mut seen: Vec<&str> = Vec::new();
    for e in &p.enrollments {
        let base = item_path(paths::UPN, "UPN", &e.upn);
        if seen.contains(&e.upn.as_str()) {
            r.push(Diagnostic::field(
                Code::DuplicateKey,
                &base,
                "a second enrollment with the same UPN",
            ));
        }
        seen.push(&e.upn);
        if !upn_ok(&e.upn) {
            r.push(
                Diagnostic::field(
                    Code::UpnSyntax,
                    &base,
                    format!("{:?} is not a user principal name (user@domain.tld)", e.upn),
                )
                .with_hint("for example enroll@example.com"),
            );
        }
        for (leaf, url, disc) in [
            (
                "DiscoveryServiceFullUrl",
                &e.discovery_service_full_url,
                true,
            ),
            (
                "EnrollmentServiceFullUrl",
                &e.enrollment_service_full_url,
                false,
            ),
            ("PolicyServiceFullUrl", &e.policy_service_full_url, false),
        ] {
            if let Some(u) = url {
                check_url(&format!("{base}/{leaf}"), u, disc, r);
            }
        }
        let auth_path = format!("{base}/AuthPolicy");
        let secret_path = format!("{base}/Secret");
        let policy = match &e.auth_policy {
            AuthPolicy::Other(s) => match AuthPolicy::from_label(&normalize_auth(s)) {
                AuthPolicy::Other(_) => {
                    r.push(
                        Diagnostic::field(
                            Code::UnsupportedAuthPolicy,
                            &auth_path,
                            format!("AuthPolicy {s:?} is not supported"),
                        )
                        .with_hint("use OnPremise or Certificate (WCD's only two values)"),
                    );
                    continue;
                }
                known => {
                    r.push(Diagnostic::field(
                        Code::AuthPolicyNormalized,
                        &auth_path,
                        format!("AuthPolicy {s:?} is written {:?}", known.label()),
                    ));
                    known
                }
            },
            known => known.clone(),
        };
        if secret_is_mask(&secret_path, e.secret.as_ref(), r) {
            continue;
        }
        match policy {
            AuthPolicy::OnPremise => {
                if e.secret.as_ref().is_none_or(Secret::is_blank) {
                    r.push(Diagnostic::field(
                        Code::SecretRequired,
                        &secret_path,
                        "OnPremise enrollment needs a Secret (the user's password)",
                    ));
                }
            }
            AuthPolicy::Certificate => {
                let raw = e.secret.as_ref().map(Secret::expose).unwrap_or("");
                match normalize_thumbprint(raw) {
                    None => r.push(
                        Diagnostic::field(
                            Code::InvalidThumbprint,
                            &secret_path,
                            "Certificate enrollment needs the client certificate's SHA-1 thumbprint (40 hex digits) as Secret",
                        ),
                    ),
                    Some(t) => {
                        if t != raw {
                            r.push(Diagnostic::field(
                                Code::ThumbprintNormalized,
                                &secret_path,
                                format!("thumbprint written as {t}"),
                            ));
                        }
                        match client_thumbs {
                            Some(list) if !list.contains(&t) => r.push(
                                Diagnostic::field(
                                    Code::ThumbprintNotInProfile,
                                    &secret_path,
                                    format!("no client certificate in the profile has thumbprint {t}"),
                                )
                                .with_hint("add the PFX under client_certificates, or fix the thumbprint"),
                            ),
                            _ => {}
                        }
                    }
                }
            }
            AuthPolicy::Other(_) => {}
        }
    }
}

fn normalize_auth(s: &str) -> String {
    match s.trim().to_ascii_lowercase().as_str() {
        "onpremise" | "0" => "OnPremise".into(),
        "certificate" | "2" => "Certificate".into(),
        _ => s.to_owned(),
    }
}

fn check_dates(
    path: &str,
    what: &str,
    c: &CertInfo,
    now: i64,
    opts: &CheckOptions,
    r: &mut Report,
) {
    let not_after = Timestamp(c.not_after);
    if c.not_after < now {
        r.push(
            Diagnostic::field(
                Code::CertificateExpired,
                path,
                format!("{what} ({}) expired on {not_after}", c.subject),
            )
            .with_hint("devices reject it with CERT_E_EXPIRED (0x800B0101); replace it"),
        );
    } else {
        let days = (c.not_after - now) / DAY;
        if c.not_after - now < opts.expiry_warning_days * DAY {
            r.push(Diagnostic::field(
                Code::CertificateExpiresSoon,
                path,
                format!(
                    "{what} ({}) expires in {days} days, on {not_after}",
                    c.subject
                ),
            ));
        }
    }
    if c.not_before > now {
        r.push(Diagnostic::field(
            Code::CertificateNotYetValid,
            path,
            format!(
                "{what} ({}) is valid only from {}",
                c.subject,
                Timestamp(c.not_before)
            ),
        ));
    }
}

fn asset_bytes<'a>(path: &str, a: &'a Asset, r: &mut Report) -> Option<&'a [u8]> {
    match &a.data {
        Some(d) => Some(d),
        None => {
            r.push(
                Diagnostic::field(
                    Code::AssetNotLoaded,
                    path,
                    format!("{:?} was not loaded, so it was not checked", a.path),
                )
                .with_hint("call Profile::resolve_assets with the profile's folder"),
            );
            None
        }
    }
}

/// Returns the thumbprints of the client certificates, or `None` when some PFX could not be
/// read (so a missing match cannot be told from an unread file).
fn check_client_certs(
    p: &Profile,
    now: i64,
    opts: &CheckOptions,
    r: &mut Report,
) -> Option<Vec<String>> {
    let mut thumbs = Some(Vec::new());
    for c in &p.client_certificates {
        let base = item_path(paths::CLIENT_CERT, "CertificateName", &c.name);
        let path_field = format!("{base}/CertificatePath");
        let pw_field = format!("{base}/CertificatePassword");
        match &c.key_location {
            Some(KeyLocation::Other(s)) => r.push(
                Diagnostic::field(
                    Code::InvalidKeyLocation,
                    format!("{base}/KeyLocation"),
                    format!("KeyLocation {s:?} is not one of the store's values"),
                )
                .with_hint("TPM only (1), TPM with software fallback (2) or Software only (3)"),
            ),
            None => r.push(
                Diagnostic::field(
                    Code::KeyLocationMissing,
                    format!("{base}/KeyLocation"),
                    "the client certificate has no KeyLocation, which WCD's store requires",
                )
                .with_hint("TPM with software fallback suits most fleets"),
            ),
            Some(loc) => {
                let loc = loc.clone();
                if c.export_certificate == Some(true) && loc != KeyLocation::SoftwareOnly {
                    r.push(
                        Diagnostic::field(
                            Code::ExportableRequiresSoftwareKey,
                            format!("{base}/ExportCertificate"),
                            format!(
                                "an exportable key (PFXKeyExportable) needs KeyLocation Software only, not {:?}",
                                loc.label()
                            ),
                        )
                        .with_hint("ClientCertificateInstall CSP: PFXKeyExportable applies only with KeyLocation 3"),
                    );
                }
                if loc == KeyLocation::TpmOnly {
                    r.push(
                        Diagnostic::field(
                            Code::TpmImportMayFailOnDevicesWithoutTpm,
                            format!("{base}/KeyLocation"),
                            "TPM only: the import fails on devices without a usable TPM",
                        )
                        .with_hint("use TPM with software fallback unless every device has a TPM"),
                    );
                }
            }
        }
        if secret_is_mask(&pw_field, c.password.as_ref(), r) {
            thumbs = None;
            continue;
        }
        let Some(bytes) = asset_bytes(&path_field, &c.pfx, r) else {
            thumbs = None;
            continue;
        };
        match open_pfx(bytes, c.password.as_ref()) {
            Ok(info) => {
                check_dates(
                    &path_field,
                    "client certificate",
                    &info.certificate,
                    now,
                    opts,
                    r,
                );
                if let Some(t) = thumbs.as_mut() {
                    t.push(info.certificate.thumbprint.clone());
                }
            }
            Err(CertError::PfxPassword) => {
                thumbs = None;
                let what = match &c.password {
                    None => "no password was given and the PFX needs one",
                    Some(s) if s.expose().is_empty() => {
                        "the password is empty and the PFX needs one"
                    }
                    Some(_) => "the PFX does not open with this password",
                };
                r.push(Diagnostic::field(Code::PfxPasswordInvalid, &pw_field, what));
            }
            Err(CertError::PfxNoKey) => {
                thumbs = None;
                r.push(Diagnostic::field(
                    Code::PfxNoKey,
                    &path_field,
                    "the PFX holds no private key with its certificate",
                ));
            }
            Err(e) => {
                thumbs = None;
                r.push(Diagnostic::field(
                    Code::PfxUnreadable,
                    &path_field,
                    e.to_string(),
                ));
            }
        }
    }
    thumbs
}

fn check_cert_asset(
    path: &str,
    what: &str,
    a: &Asset,
    now: i64,
    opts: &CheckOptions,
    r: &mut Report,
) -> Option<CertInfo> {
    let bytes = asset_bytes(path, a, r)?;
    match read_certificate(bytes) {
        Ok(info) => {
            check_dates(path, what, &info, now, opts, r);
            Some(info)
        }
        Err(e) => {
            r.push(Diagnostic::field(
                Code::CertificateUnreadable,
                path,
                e.to_string(),
            ));
            None
        }
    }
}

fn check_trusted(
    prefix: &str,
    leaf: &str,
    list: &[TrustedCertificate],
    now: i64,
    opts: &CheckOptions,
    r: &mut Report,
) {
    for c in list {
        let base = item_path(prefix, "CertificateName", &c.name);
        let field = format!("{base}/{leaf}");
        if let Some(info) = check_cert_asset(&field, "certificate", &c.certificate, now, opts, r) {
            // A name that is a thumbprint (as in ms-iot's Appx.Certs sample) must be this one.
            if let Some(t) = normalize_thumbprint(&c.name) {
                if t != info.thumbprint {
                    r.push(Diagnostic::field(
                        Code::ThumbprintMismatch,
                        &base,
                        format!(
                            "the name is thumbprint {t} but the file's is {}",
                            info.thumbprint
                        ),
                    ));
                }
            }
        }
    }
}

fn check_provisioners(p: &Profile, now: i64, opts: &CheckOptions, r: &mut Report) {
    for t in &p.trusted_provisioners {
        let base = item_path(paths::PROVISIONER, "CertificateHash", &t.hash);
        let norm = normalize_thumbprint(&t.hash);
        if norm.is_none() {
            r.push(Diagnostic::field(
                Code::TrustedProvisionerHash,
                &base,
                "CertificateHash is not a SHA-1 thumbprint (40 hex digits)",
            ));
        }
        let field = format!("{base}/TrustedProvisioner");
        if let Some(info) = check_cert_asset(&field, "certificate", &t.certificate, now, opts, r) {
            if norm.as_ref().is_some_and(|n| *n != info.thumbprint) {
                r.push(Diagnostic::field(
                    Code::ThumbprintMismatch,
                    &base,
                    format!(
                        "CertificateHash does not match the file's thumbprint {}",
                        info.thumbprint
                    ),
                ));
            }
        }
    }
}

/// Whether a WPA2-Personal key is valid: 8–63 printable ASCII characters (a passphrase) or
/// 64 hex digits (a raw PSK), IEEE 802.11i-2004 annex H.4.
pub fn wpa2_key_ok(key: &str) -> bool {
    let n = key.len();
    ((8..=63).contains(&n) && key.bytes().all(|b| (0x20..=0x7e).contains(&b)))
        || (n == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether a WEP key is valid: 5 or 13 ASCII characters, or 10 or 26 hex digits (40/104-bit).
pub fn wep_key_ok(key: &str) -> bool {
    match key.len() {
        5 | 13 => key.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        10 | 26 => key.bytes().all(|b| b.is_ascii_hexdigit()),
        _ => false,
    }
}

/// The `[wifi.eap]` checks of an enterprise network (`base` is its field path).
fn check_eap(p: &Profile, w: &crate::profile::Wifi, base: &str, r: &mut Report) {
    use crate::profile::EapMethod;
    let field = format!("{base}/eap");
    let Some(eap) = &w.eap else {
        r.push(
            Diagnostic::field(
                Code::EapMissing,
                &field,
                format!(
                    "{} needs [wifi.eap] (method, server names, trusted roots)",
                    w.security.label()
                ),
            )
            .with_hint("method = \"EAP-TLS\" or \"PEAP-MSCHAPv2\""),
        );
        return;
    };
    if let EapMethod::Other(m) = &eap.method {
        r.push(
            Diagnostic::field(
                Code::EapMethodInvalid,
                format!("{field}/method"),
                format!("EAP method {m:?} is not supported"),
            )
            .with_hint("EAP-TLS or PEAP-MSCHAPv2"),
        );
    }
    if let Some(mode) = &eap.auth_mode {
        if !crate::wlan::AUTH_MODES.contains(&mode.as_str()) {
            r.push(Diagnostic::field(
                Code::EapMethodInvalid,
                format!("{field}/auth_mode"),
                format!(
                    "authMode {mode:?} is not one of {}",
                    crate::wlan::AUTH_MODES.join(", ")
                ),
            ));
        }
    }
    if eap.method == EapMethod::EapTls {
        match &eap.client_certificate {
            None => r.push(Diagnostic::field(
                Code::EapClientCertificateMissing,
                format!("{field}/client_certificate"),
                "EAP-TLS needs client_certificate: the name of one of the profile's [[client_certificates]]",
            )),
            Some(name) if !p.client_certificates.iter().any(|c| &c.name == name) => {
                r.push(Diagnostic::field(
                    Code::EapClientCertificateMissing,
                    format!("{field}/client_certificate"),
                    format!("the profile has no client certificate named {name:?}"),
                ))
            }
            Some(name) => {
                let loaded = p
                    .client_certificates
                    .iter()
                    .any(|c| &c.name == name && c.pfx.data.is_some());
                if loaded && crate::wlan::client_root_thumbprint(p, name).is_none() {
                    r.push(
                        Diagnostic::field(
                            Code::EapClientCertificateNotPinned,
                            format!("{field}/client_certificate"),
                            format!(
                                "the root CA of client certificate {name:?} is neither in its PFX nor among the profile's root/CA certificates: the device may authenticate with another client certificate"
                            ),
                        )
                        .with_hint("add the issuing root to [[root_certificates]]"),
                    );
                }
            }
        }
    } else if eap.client_certificate.is_some() {
        r.push(Diagnostic::field(
            Code::EapNotApplicable,
            format!("{field}/client_certificate"),
            "a client certificate is only used by EAP-TLS",
        ));
    }
    if eap.trusted_root_thumbprints.is_empty() {
        r.push(Diagnostic::field(
            Code::EapTrustedRootMissing,
            format!("{field}/trusted_root_thumbprints"),
            "no trusted root CA: the device cannot check the RADIUS server's certificate",
        ));
    }
    let roots: Vec<String> = p
        .root_certificates
        .iter()
        .filter_map(|c| c.certificate.data.as_deref())
        .filter_map(|d| read_certificate(d).ok())
        .map(|i| i.thumbprint)
        .collect();
    let roots_loaded = p
        .root_certificates
        .iter()
        .all(|c| c.certificate.data.is_some());
    for (i, t) in eap.trusted_root_thumbprints.iter().enumerate() {
        let f = format!("{field}/trusted_root_thumbprints");
        match normalize_thumbprint(t) {
            None => r.push(Diagnostic::field(
                Code::TrustedRootThumbprintInvalid,
                f,
                format!("entry {} ({t:?}) is not a SHA-1 thumbprint (40 hex digits)", i + 1),
            )),
            Some(n) if roots_loaded && !roots.contains(&n) => r.push(
                Diagnostic::field(
                    Code::TrustedRootNotInProfile,
                    f,
                    format!("{n} is none of the profile's root certificates: the device must already trust it"),
                )
                .with_hint("add the RADIUS server's root CA to [[root_certificates]]"),
            ),
            Some(_) => {}
        }
    }
    if eap.server_names.iter().all(|n| n.trim().is_empty()) {
        r.push(Diagnostic::field(
            Code::EapServerNamesMissing,
            format!("{field}/server_names"),
            "no RADIUS server name: the device would accept any server certificate from a trusted root",
        ));
    }
    for n in &eap.server_names {
        if n.contains(';') {
            r.push(Diagnostic::field(
                Code::EapServerNamesMissing,
                format!("{field}/server_names"),
                format!("server name {n:?} contains `;`, the profile's list separator"),
            ));
        }
        if let Some(c) = n.chars().find(|c| !crate::wlan::is_xml_char(*c)) {
            r.push(Diagnostic::field(
                Code::InvalidXmlChar,
                format!("{field}/server_names"),
                format!(
                    "the character U+{:04X} cannot be written in XML",
                    u32::from(c)
                ),
            ));
        }
    }
}

fn check_wifi(p: &Profile, r: &mut Report) {
    let mut seen: Vec<&str> = Vec::new();
    for w in &p.wifi {
        let base = item_path(paths::WLAN, "SSID", &w.ssid);
        if seen.contains(&w.ssid.as_str()) {
            r.push(Diagnostic::field(
                Code::DuplicateKey,
                &base,
                "a second network with the same SSID",
            ));
        }
        seen.push(&w.ssid);
        if w.ssid.is_empty() || w.ssid.len() > 32 {
            r.push(Diagnostic::field(
                Code::SsidLength,
                &base,
                format!(
                    "the SSID is {} bytes; it must be 1-32 bytes (UTF-8)",
                    w.ssid.len()
                ),
            ));
        }
        if w.ssid.contains(' ') && w.security.is_wcd_typed() {
            r.push(
                Diagnostic::field(
                    Code::WlanNameHasSpace,
                    &base,
                    "the SSID has a space: the WiFi CSP path needs it as %20",
                )
                .with_hint(format!(
                    "./Vendor/MSFT/WiFi/Profile/{}/WlanXml",
                    crate::wlan::uri_segment(&w.ssid)
                )),
            );
        }
        let key_field = format!("{base}/WLANXmlSettings/SecurityKey");
        if secret_is_mask(&key_field, w.key.as_ref(), r) {
            continue;
        }
        let key = w.key.as_ref().map(Secret::expose);
        match &w.security {
            WifiSecurity::Open => {
                if key.is_some_and(|k| !k.is_empty()) {
                    r.push(Diagnostic::field(
                        Code::KeyForOpenNetwork,
                        &key_field,
                        "an Open network takes no security key",
                    ));
                }
            }
            WifiSecurity::Wep => match key {
                None | Some("") => r.push(Diagnostic::field(
                    Code::SecurityKeyMissing,
                    &key_field,
                    "WEP needs a key",
                )),
                Some(k) if !wep_key_ok(k) => r.push(Diagnostic::field(
                    Code::InvalidWepKey,
                    &key_field,
                    format!("a WEP key of {} characters: use 5 or 13 ASCII characters, or 10 or 26 hex digits", k.len()),
                )),
                Some(_) => {}
            },
            WifiSecurity::Wpa2Personal => match key {
                None | Some("") => r.push(Diagnostic::field(
                    Code::SecurityKeyMissing,
                    &key_field,
                    "WPA2-Personal needs a key",
                )),
                Some(k) if !wpa2_key_ok(k) => r.push(Diagnostic::field(
                    Code::InvalidPassphrase,
                    &key_field,
                    format!(
                        "a WPA2 key of {} characters: use 8-63 printable ASCII characters or 64 hex digits",
                        k.chars().count()
                    ),
                )),
                Some(_) => {}
            },
            WifiSecurity::Wpa3Personal => match key {
                None | Some("") => r.push(Diagnostic::field(
                    Code::SecurityKeyMissing,
                    &key_field,
                    "WPA3-Personal needs a password",
                )),
                // SAE takes a password, not a raw 256-bit PSK (IEEE 802.11-2020 §12.4).
                Some(k) if !wpa2_key_ok(k) || k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    r.push(Diagnostic::field(
                        Code::InvalidPassphrase,
                        &key_field,
                        format!(
                            "a WPA3-Personal password of {} characters: use 8-63 printable ASCII characters (SAE takes no 64-hex PSK)",
                            k.chars().count()
                        ),
                    ))
                }
                Some(_) => {}
            },
            WifiSecurity::Wpa2Enterprise | WifiSecurity::Wpa3Enterprise => {
                if key.is_some_and(|k| !k.is_empty()) {
                    r.push(Diagnostic::field(
                        Code::EapNotApplicable,
                        &key_field,
                        "an 802.1X network takes no shared key; the credential comes from [wifi.eap]",
                    ));
                }
                check_eap(p, w, &base, r);
            }
            WifiSecurity::Other(s) => r.push(
                Diagnostic::field(
                    Code::InvalidAuthentication,
                    format!("{base}/WLANXmlSettings/SecurityType"),
                    format!("security type {s:?} is not one of WCD's values"),
                )
                .with_hint("Open, WEP, WPA2-Personal, or WPA3-Personal, WPA2-Enterprise, WPA3-Enterprise (written as a WLAN profile)"),
            ),
        }
        if w.eap.is_some() && !w.security.is_enterprise() {
            r.push(Diagnostic::field(
                Code::EapNotApplicable,
                format!("{base}/eap"),
                format!(
                    "[wifi.eap] is for WPA2-Enterprise and WPA3-Enterprise, not {}",
                    w.security.label()
                ),
            ));
        }
        let bad_char = |s: &str| s.chars().find(|c| !crate::wlan::is_xml_char(*c));
        for (field, value) in [
            (base.clone(), Some(w.ssid.as_str())),
            (key_field.clone(), key),
        ] {
            if let Some(c) = value.and_then(bad_char) {
                r.push(Diagnostic::field(
                    Code::InvalidXmlChar,
                    field,
                    format!(
                        "the character U+{:04X} cannot be written in XML",
                        u32::from(c)
                    ),
                ));
            }
        }
        if w.proxy.is_some() && !w.security.is_wcd_typed() {
            r.push(Diagnostic::field(
                Code::ProxyInvalid,
                format!("{base}/ProxyServerPort"),
                format!(
                    "a proxy can only be set on WCD's typed networks (Open, WEP, WPA2-Personal), not {}",
                    w.security.label()
                ),
            ));
        }
        if let Some(proxy) = &w.proxy {
            let ok = proxy.rsplit_once(':').is_some_and(|(h, port)| {
                !h.is_empty()
                    && !h.contains(char::is_whitespace)
                    && port.parse::<u16>().is_ok_and(|n| n > 0)
            });
            if !ok {
                r.push(Diagnostic::field(
                    Code::ProxyInvalid,
                    format!("{base}/ProxyServerPort"),
                    format!("{proxy:?} is not host:port"),
                ));
            }
        }
    }
}

fn check_computer_name(p: &Profile, opts: &CheckOptions, r: &mut Report) {
    let Some(name) = &p.computer_name else {
        return;
    };
    let path = "Accounts/ComputerAccount/ComputerName";
    if p.domain_join.is_some() {
        r.push(Diagnostic::field(
            Code::ComputerNameIgnoredForHybrid,
            path,
            "ComputerName together with an AD domain join: the name node does not apply to hybrid-joined devices",
        ));
    }
    let scheme = match NameScheme::parse(name) {
        Ok(s) => s,
        Err(e) => {
            r.push(Diagnostic::field(Code::BadMacro, path, e.to_string()));
            return;
        }
    };
    let literals: String = scheme
        .parts
        .iter()
        .filter_map(|p| match p {
            crate::name::NamePart::Literal(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    let is_literal =
        |p: Option<&crate::name::NamePart>| matches!(p, Some(crate::name::NamePart::Literal(_)));
    let digits_only =
        !name.is_empty() && !scheme.has_serial() && literals.bytes().all(|b| b.is_ascii_digit());
    for problem in name_problems(
        &literals,
        is_literal(scheme.parts.first()),
        is_literal(scheme.parts.last()),
        digits_only,
    ) {
        let d = if problem.is_error() {
            Diagnostic::field(Code::ComputerNameChars, path, problem.message())
        } else {
            Diagnostic::field(Code::NotDnsHostName, path, problem.message())
        };
        r.push(d);
    }
    if name.is_empty() {
        r.push(Diagnostic::field(
            Code::ComputerNameChars,
            path,
            "the name is empty",
        ));
        return;
    }
    if !scheme.has_macros() {
        let n = name.chars().count();
        if n > MAX_CONSTANT_NAME {
            r.push(Diagnostic::field(
                Code::ComputerNameTooLong,
                path,
                format!("a constant name of {n} characters; the limit is {MAX_CONSTANT_NAME}"),
            ));
        } else if n > MAX_NAME {
            r.push(Diagnostic::field(
                Code::NetBiosNameWillDiffer,
                path,
                format!("a name of {n} characters: Windows derives a different {MAX_NAME}-character NetBIOS name"),
            ));
        }
        return;
    }
    let fixed = scheme.fixed_len();
    if scheme.has_serial() {
        match opts.max_serial_len {
            Some(serial) => {
                let worst = scheme.worst_case(serial);
                if worst > MAX_NAME {
                    let example = scheme.expand(&"S".repeat(serial), "0");
                    r.push(
                        Diagnostic::field(
                            Code::ComputerNameTooLong,
                            path,
                            format!("worst case {worst} characters with {serial}-character serials; the limit is {MAX_NAME}"),
                        )
                        .with_hint(format!(
                            "Windows cuts the serial from the left, giving names like {} that may collide",
                            example.device
                        )),
                    );
                }
            }
            None => {
                if fixed >= MAX_NAME {
                    r.push(Diagnostic::field(
                        Code::ComputerNameTooLong,
                        path,
                        format!("{fixed} characters before the serial; the limit is {MAX_NAME}"),
                    ));
                } else {
                    r.push(Diagnostic::field(
                        Code::SerialLengthUnknown,
                        path,
                        format!(
                            "{} characters are left for the serial; longer serials are cut from the left",
                            MAX_NAME - fixed
                        ),
                    ).with_hint("check the fleet's longest serial number against this"));
                }
            }
        }
    } else if fixed > MAX_NAME {
        r.push(Diagnostic::field(
            Code::ComputerNameTooLong,
            path,
            format!("the name is {fixed} characters after expansion; the limit is {MAX_NAME}"),
        ));
    }
    if let Some(fleet) = opts.fleet_size {
        if scheme.rand_digits() > 0 && !scheme.has_serial() {
            let prob = scheme.collision_probability(fleet);
            if prob > 0.5 {
                r.push(
                    Diagnostic::field(
                        Code::RandCollisionRisk,
                        path,
                        format!(
                            "{} random digits for {fleet} devices: a duplicate name is likely (p = {prob:.2})",
                            scheme.rand_digits()
                        ),
                    )
                    .with_hint("use more random digits or %SERIAL%"),
                );
            }
        }
    }
}

fn check_accounts(p: &Profile, r: &mut Report) {
    if let Some(dj) = &p.domain_join {
        let base = paths::COMPUTER;
        if dj.domain.trim().is_empty() {
            r.push(Diagnostic::field(
                Code::DomainJoinIncomplete,
                format!("{base}/DomainName"),
                "the domain name is empty",
            ));
        }
        if dj.account.as_deref().is_none_or(|a| a.trim().is_empty()) {
            r.push(Diagnostic::field(
                Code::DomainJoinIncomplete,
                format!("{base}/Account"),
                "a domain join needs the joining account",
            ));
        }
        let pw_path = format!("{base}/Password");
        if !secret_is_mask(&pw_path, dj.password.as_ref(), r)
            && dj.password.as_ref().is_none_or(Secret::is_blank)
        {
            r.push(Diagnostic::field(
                Code::DomainJoinIncomplete,
                pw_path,
                "a domain join needs the account's password",
            ));
        }
    }
    for u in &p.local_users {
        let base = item_path(paths::USER, "UserName", &u.name);
        const BAD: &[char] = &[
            '"', '/', '\\', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>',
        ];
        if u.name.trim().is_empty() || u.name.chars().count() > 20 || u.name.contains(BAD) {
            r.push(Diagnostic::field(
                Code::UserNameInvalid,
                &base,
                "a local user name is 1-20 characters without \" / \\ [ ] : ; | = , + * ? < >",
            ));
        }
        let pw = format!("{base}/Password");
        if !secret_is_mask(&pw, u.password.as_ref(), r)
            && u.password.as_ref().is_none_or(|s| s.expose().is_empty())
        {
            r.push(Diagnostic::field(
                Code::UserPasswordMissing,
                pw,
                "a local user needs a password",
            ));
        }
        if let Some(g) = &u.group {
            if g != "Standard Users" && g != "Administrators" {
                r.push(Diagnostic::field(
                    Code::UserGroupInvalid,
                    format!("{base}/UserGroup"),
                    format!("{g:?} is not Standard Users or Administrators"),
                ));
            }
        }
    }
}

/// Microsoft's documented maximum bulk-token lifetime, in days.
pub const MAX_TOKEN_DAYS: i64 = 180;

fn check_azure(p: &Profile, now: i64, opts: &CheckOptions, r: &mut Report) {
    let Some(az) = &p.azure_ad else { return };
    let field = "Accounts/Azure/BPRT";
    if secret_is_mask(field, Some(&az.bprt), r) {
        return;
    }
    if az.bprt.is_blank() {
        r.push(
            Diagnostic::field(
                Code::BulkTokenMissing,
                field,
                "Azure AD join without a bulk token",
            )
            .with_hint("get a bulk token (WCD: Set up device > Get bulk token) and set BPRT"),
        );
    }
    if let (Some(i), Some(e)) = (az.issued, az.expires) {
        let days = (e.0 - i.0) / DAY;
        if e.0 - i.0 > MAX_TOKEN_DAYS * DAY {
            r.push(Diagnostic::field(
                Code::TokenLifetimeTooLong,
                field,
                format!("the token lives {days} days; the maximum is {MAX_TOKEN_DAYS}"),
            ));
        }
    }
    if let Some(e) = az.expires {
        let left = (e.0 - now).div_euclid(DAY);
        if e.0 <= now {
            r.push(
                Diagnostic::field(
                    Code::BulkTokenExpired,
                    field,
                    format!("the bulk token expired on {e}"),
                )
                .with_hint("get a new bulk token and rebuild the package"),
            );
        } else if e.0 - now < opts.expiry_warning_days * DAY {
            r.push(Diagnostic::field(
                Code::BulkTokenExpiresSoon,
                field,
                format!("the bulk token expires in {left} days, on {e}"),
            ));
        }
        let mut d = Diagnostic::field(
            Code::BulkTokenExpiry,
            field,
            format!("the bulk token expires on {e} ({left} days left)"),
        );
        d.severity = Severity::Info;
        r.push(d);
    }
}

fn check_commands(p: &Profile, r: &mut Report) {
    for c in &p.commands {
        let base = item_path(paths::COMMAND, "Name", &c.name);
        if c.command_line.trim().is_empty() {
            r.push(Diagnostic::field(
                Code::CommandLineMissing,
                format!("{base}/CommandLine"),
                "the command has no command line",
            ));
        }
    }
}
