//! What a profile does, in a few facts an operator asks first (field cases B13, B22, B31,
//! B32, B33, B37).

use std::time::SystemTime;

use crate::diag::{Code, Diagnostic};
use crate::profile::{EapMethod, KeyLocation, Profile, Timestamp, Wifi};
use crate::setting::{parse_path, RawSetting};

/// Facts about a profile for `inspect`-style output. Holds no secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// Whether applying the package renames the device (it sets `ComputerName`).
    pub renames_device: bool,
    /// The computer name or scheme, when set.
    pub computer_name: Option<String>,
    /// Whether the package carries a live credential (bulk token, enrollment or account
    /// password, PFX password, Wi-Fi key): whoever has the file can use it.
    pub contains_credential: bool,
    /// How to revoke the bulk token early (`delete the Entra account package_{GUID}`), when
    /// the account is known.
    pub revoke_hint: Option<String>,
    /// Field of the bulk token, `Accounts/Azure/BPRT`, when there is one.
    pub bulk_token_field: Option<&'static str>,
    /// Whole days until the bulk token expires (negative once expired); `None` without a
    /// token or without a known expiry (never 0 for "unknown").
    pub bulk_token_days_left: Option<i64>,
    /// Warnings that apply on some devices (TPM-only keys).
    pub warnings: Vec<Diagnostic>,
}

impl Profile {
    /// Summarises the profile at time `now`.
    pub fn inspect(&self, now: SystemTime) -> Inspection {
        let now = Timestamp::from_system_time(now).0;
        let mut warnings = Vec::new();
        for c in &self.client_certificates {
            if c.key_location
                .as_ref()
                .is_none_or(|k| *k == KeyLocation::TpmOnly)
            {
                warnings.push(Diagnostic::field(
                    Code::TpmImportMayFailOnDevicesWithoutTpm,
                    format!(
                        "{}/KeyLocation",
                        crate::mapping::item_path(
                            crate::mapping::paths::CLIENT_CERT,
                            "CertificateName",
                            &c.name
                        )
                    ),
                    "TPM only: the import fails on devices without a usable TPM",
                ));
            }
        }
        let az = self.azure_ad.as_ref();
        let contains_credential = az.is_some_and(|a| !a.bprt.is_blank())
            || self.enrollments.iter().any(|e| e.secret.is_some())
            || self
                .client_certificates
                .iter()
                .any(|c| c.password.is_some())
            || self.local_users.iter().any(|u| u.password.is_some())
            || self
                .domain_join
                .as_ref()
                .is_some_and(|d| d.password.is_some())
            || self.wifi.iter().any(|w| w.key.is_some());
        Inspection {
            renames_device: self.computer_name.is_some(),
            computer_name: self.computer_name.clone(),
            contains_credential,
            revoke_hint: az.and_then(|a| a.account.as_ref()).map(|acc| {
                format!(
                    "delete the Entra ID account {acc} to revoke the bulk token before it expires"
                )
            }),
            bulk_token_field: az.map(|_| "Accounts/Azure/BPRT"),
            bulk_token_days_left: az
                .and_then(|a| a.expires)
                .map(|e| (e.0 - now).div_euclid(86_400)),
            warnings,
        }
    }

    /// Turns WCD raw WLAN profiles (`ConnectivityProfiles/WLAN/Profiles/Profile` items, kept in
    /// [`Profile::settings`] when read from an answer file) back into typed [`Profile::wifi`]
    /// entries, reading each profile file through `read` (file name → bytes; a package's
    /// payload, or a file beside the answer file). Returns how many were typed.
    ///
    /// A profile is typed only when it reads as one of the typed forms
    /// ([`crate::parse_wlan_profile_xml`]) **and** writing those typed fields back gives the
    /// same XML text ([`crate::wlan_profile_xml`]), so nothing the file says is dropped; any
    /// other profile (one exported with `netsh wlan export profile`, say) stays an untyped
    /// setting. The EAP-TLS client certificate is the profile's client certificate whose root
    /// CA is the profile's `CAHashList` issuer hash, or, without one, the only client
    /// certificate of the profile. Certificates must be loaded ([`Profile::resolve_assets`])
    /// for the root CA to be found.
    pub fn type_wlan_profiles(&mut self, read: &dyn Fn(&str) -> Option<Vec<u8>>) -> usize {
        let settings = std::mem::take(&mut self.settings);
        let mut keep = Vec::with_capacity(settings.len());
        let mut typed: Vec<Wifi> = Vec::new();
        for s in settings {
            match self.wlan_from_raw(&s, read) {
                Some(w) if !self.wifi.iter().chain(&typed).any(|o| o.ssid == w.ssid) => {
                    typed.push(w);
                }
                _ => keep.push(s),
            }
        }
        self.settings = keep;
        let n = typed.len();
        self.wifi.extend(typed);
        n
    }

    fn wlan_from_raw(
        &self,
        s: &RawSetting,
        read: &dyn Fn(&str) -> Option<Vec<u8>>,
    ) -> Option<Wifi> {
        let segs = parse_path(&s.path).ok()?;
        let names: Vec<&str> = segs.iter().map(|g| g.name.as_str()).collect();
        if names
            != crate::mapping::paths::WLAN_PROFILE
                .split('/')
                .collect::<Vec<_>>()
            || segs[..segs.len() - 1].iter().any(|g| !g.attrs.is_empty())
        {
            return None;
        }
        let name_attr = match segs.last()?.attrs.as_slice() {
            [] => None,
            [(k, v)] if k == "Name" => Some(v.as_str()),
            _ => return None,
        };
        let bytes = read(csp_model::compile::file_name_of(&s.value))?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let parsed = crate::wlan::parse_wlan_profile_xml(text).ok()?;
        let mut wifi = parsed.wifi;
        if name_attr.is_some_and(|n| n != wifi.ssid)
            || s.value != crate::wlan::wlan_profile_file_name(&wifi.ssid)
        {
            return None;
        }
        let mut root = None;
        if let Some(eap) = wifi.eap.as_mut() {
            if eap.method == EapMethod::EapTls {
                let found = if parsed.client_roots.is_empty() {
                    match self.client_certificates.as_slice() {
                        [only] => Some(only.name.clone()),
                        _ => None,
                    }
                } else {
                    self.client_certificates
                        .iter()
                        .find(|c| {
                            crate::wlan::client_root_thumbprint(self, &c.name)
                                .is_some_and(|t| parsed.client_roots.contains(&t))
                        })
                        .map(|c| c.name.clone())
                };
                eap.client_certificate = found;
                root = parsed.client_roots.first().cloned();
            }
        }
        let again = crate::wlan::wlan_profile_xml(&wifi, root.as_deref()).ok()?;
        (again == text).then_some(wifi)
    }

    /// Advice on where the package file is placed (field case B37): the bulk token is only
    /// handled in the OOBE flow, which reads packages from the root of removable media; a
    /// package in `C:\Recovery\Customizations` is applied only on a generalized image and
    /// does not handle the token; one in a subfolder of the media is not found at OOBE.
    pub fn placement_advice(&self, location: PackageLocation) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        match location {
            PackageLocation::RecoveryCustomizations if self.azure_ad.is_some() => {
                out.push(Diagnostic::field(
                    Code::BprtNotProcessedFromRecoveryCustomizations,
                    "Accounts/Azure/BPRT",
                    "a package with a bulk token is not processed from Recovery\\Customizations",
                ).with_hint("put the package at the root of the USB media for OOBE"));
            }
            PackageLocation::RemovableMediaSubfolder => {
                out.push(
                    Diagnostic::field(
                        Code::NotFoundByOobe,
                        "package",
                        "OOBE looks for packages only at the root of removable media",
                    )
                    .with_hint("move the .ppkg to the media's root folder"),
                );
            }
            _ => {}
        }
        out
    }
}

/// Where a package file sits when the device starts (field case B37).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PackageLocation {
    /// `C:\Recovery\Customizations` in the image.
    RecoveryCustomizations,
    /// The root folder of a USB drive or other removable media.
    RemovableMediaRoot,
    /// A subfolder of removable media.
    RemovableMediaSubfolder,
    /// Applied by hand (double-click, `Install-ProvisioningPackage`).
    Manual,
}

/// The tenant prerequisites for the account that requests a bulk token in WCD (field case
/// B33; Microsoft's bulk-enrollment documentation). Filled in by the operator; the library
/// calls no network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TokenPreflight {
    /// The account is in the MDM user scope (Intune automatic enrollment).
    pub requester_in_mdm_scope: bool,
    /// The account may join devices to Entra ID.
    pub requester_can_join_devices: bool,
    /// The account is federated (not supported for requesting bulk tokens).
    pub federated: bool,
}

impl TokenPreflight {
    /// A preflight from the three answers.
    pub fn new(in_mdm_scope: bool, can_join_devices: bool, federated: bool) -> Self {
        TokenPreflight {
            requester_in_mdm_scope: in_mdm_scope,
            requester_can_join_devices: can_join_devices,
            federated,
        }
    }

    /// The checklist: each prerequisite with whether it is met.
    pub fn checklist(&self) -> Vec<(&'static str, bool)> {
        vec![
            (
                "the requesting account is in the MDM user scope",
                self.requester_in_mdm_scope,
            ),
            (
                "the requesting account may join devices to Entra ID",
                self.requester_can_join_devices,
            ),
            ("the requesting account is not federated", !self.federated),
        ]
    }

    /// The prerequisites that are not met.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checklist()
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(n, _)| n)
            .collect()
    }
}
