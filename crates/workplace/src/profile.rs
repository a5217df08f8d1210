//! The typed bulk-enrollment profile.
//!
//! Field names follow WCD's settings store (`shared/reference/wcd-store/settings-*.jsonl`):
//! each struct says which setting path it maps to. Enumerations keep an `Other` variant so a
//! profile with a wrong value still reads, and [`crate::check`] can name the field.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::Secret;
use crate::setting::RawSetting;

/// A bulk-enrollment profile: the package's identity and its typed and untyped settings.
///
/// Serde shape (TOML shown; JSON has the same keys): `[package]`, `[[enrollments]]`,
/// `[[client_certificates]]`, `[[root_certificates]]`, `[[ca_certificates]]`,
/// `[[trusted_people_certificates]]`, `[[trusted_provisioners]]`, `[[wifi]]`,
/// `computer_name`, `[domain_join]`, `[[local_users]]`, `[azure_ad]`, `[[commands]]`,
/// `[[settings]]`. Unknown keys are rejected so a typo is not silently ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `PackageConfig`: name, version, ID, owner type, rank.
    pub package: PackageInfo,
    /// `Workplace/Enrollments/UPN` list (MDM enrollments).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enrollments: Vec<Enrollment>,
    /// `Certificates/ClientCertificates/ClientCertificate` list (PFX with private key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_certificates: Vec<ClientCertificate>,
    /// `Certificates/RootCertificates/RootCertificate` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub root_certificates: Vec<TrustedCertificate>,
    /// `Certificates/CACertificates/CACerificate` list (WCD's own spelling).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_certificates: Vec<TrustedCertificate>,
    /// `Certificates/TrustedPeopleCertificates/Certificate` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_people_certificates: Vec<TrustedCertificate>,
    /// `Certificates/TrustedProvisioners/Certificate` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_provisioners: Vec<TrustedProvisioner>,
    /// `ConnectivityProfiles/WLAN/WLANSetting/WLANConfig` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wifi: Vec<Wifi>,
    /// `Accounts/ComputerAccount/ComputerName`: a name or a scheme with `%SERIAL%` and
    /// `%RAND:n%` (Accounts CSP `Domain/ComputerName`). `None`: the device keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    /// `Accounts/ComputerAccount/{DomainName, Account, Password, AccountOU}`: AD domain join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_join: Option<DomainJoin>,
    /// `Accounts/Users/User` list (local accounts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_users: Vec<LocalUser>,
    /// `Accounts/Azure/{Authority, BPRT}`: Azure AD (Entra) join with a bulk token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_ad: Option<AzureAdJoin>,
    /// `ProvisioningCommands/PrimaryContext/Command/CommandConfig` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<ProvisioningCommand>,
    /// Every other setting under `Customizations/Common`, in document order, by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<RawSetting>,
    /// Parts of a multivariant answer file (`Customizations/Targets`,
    /// `Customizations/Variant`, …) kept as XML text, element by element, unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub multivariant: Vec<String>,
}

/// `PackageConfig` (schema `urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageInfo {
    /// `Name`.
    pub name: String,
    /// `Version`: `N.N` or `N.N.N.N` (WCD writes `1.0`; 4-part versions appear in IoT samples).
    #[serde(default = "default_version")]
    pub version: String,
    /// `ID`: the package GUID as written (`{…}` or bare). `None`: a new one is made at build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `OwnerType`: `OEM`, `ITAdmin`, `SystemIntegrator`, `MobileOperator`, `SiliconVendor`,
    /// `Microsoft` (ranks packages from different owners). Default `ITAdmin`.
    #[serde(default = "default_owner")]
    pub owner_type: String,
    /// `Rank`: 0–99 among packages of the same owner type. Default 0.
    #[serde(default)]
    pub rank: u32,
    /// `Notes`, when present (WCD writes an empty `<Notes></Notes>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl PackageInfo {
    /// The owner type as `ppkg-format`'s [`OwnerType`](ppkg_format::owner::OwnerType)
    /// (case-insensitive, as PackageConfig.xsd allows); `None` for an unknown name.
    pub fn owner(&self) -> Option<ppkg_format::owner::OwnerType> {
        self.owner_type.parse().ok()
    }
}

fn default_version() -> String {
    "1.0".to_owned()
}
fn default_owner() -> String {
    "ITAdmin".to_owned()
}

/// `Workplace/Enrollments/UPN[@UPN]`: one MDM enrollment (Provisioning CSP
/// `Enrollments/<UPN>/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrollment {
    /// `UPN` attribute (the list key): the enrolling user principal name.
    pub upn: String,
    /// `AuthPolicy`: `OnPremise` (0) or `Certificate` (2).
    pub auth_policy: AuthPolicy,
    /// `DiscoveryServiceFullUrl`, e.g. `https://enroll.example.com/EnrollmentServer/Discovery.svc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_service_full_url: Option<String>,
    /// `EnrollmentServiceFullUrl` (CSP node `EnrollmentServiceFullURL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_service_full_url: Option<String>,
    /// `PolicyServiceFullUrl` (CSP node `PolicyServiceFullURL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_service_full_url: Option<String>,
    /// `Secret`: the password (OnPremise) or the client certificate's SHA-1 thumbprint
    /// (Certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
}

/// Enrollment `AuthPolicy` (store values: `0` = `OnPremise`, `2` = `Certificate`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthPolicy {
    /// `OnPremise`: user name and password (`Secret`).
    OnPremise,
    /// `Certificate`: a client certificate named by thumbprint (`Secret`).
    Certificate,
    /// Anything else, as written (reported by [`crate::check`]).
    Other(String),
}

impl AuthPolicy {
    /// WCD's label.
    pub fn label(&self) -> &str {
        match self {
            AuthPolicy::OnPremise => "OnPremise",
            AuthPolicy::Certificate => "Certificate",
            AuthPolicy::Other(s) => s,
        }
    }

    /// Parses a label exactly; other text becomes [`AuthPolicy::Other`].
    pub fn from_label(s: &str) -> Self {
        match s {
            "OnPremise" => AuthPolicy::OnPremise,
            "Certificate" => AuthPolicy::Certificate,
            other => AuthPolicy::Other(other.to_owned()),
        }
    }
}

/// `ClientCertificate[@CertificateName]`: a PFX installed with its private key
/// (ClientCertificateInstall CSP `PFXCertInstall/<name>/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCertificate {
    /// `CertificateName` attribute (the list key).
    pub name: String,
    /// The `Name` attribute when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `CertificatePath`: the PFX file (relative paths resolve against the profile's folder).
    pub pfx: Asset,
    /// `CertificatePassword`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// `KeyLocation`: `TPM only` (1, store default), `TPM with software fallback` (2),
    /// `Software only` (3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_location: Option<KeyLocation>,
    /// `ExportCertificate` ("Allow Export", CSP `PFXKeyExportable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_certificate: Option<bool>,
}

/// Client certificate `KeyLocation` (store values 1, 2, 3 with WCD's display labels).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyLocation {
    /// `TPM only` (1).
    TpmOnly,
    /// `TPM with software fallback` (2).
    TpmWithSoftwareFallback,
    /// `Software only` (3).
    SoftwareOnly,
    /// Anything else, as written (reported by [`crate::check`]).
    Other(String),
}

impl KeyLocation {
    /// WCD's display label, as written in customizations.xml.
    pub fn label(&self) -> &str {
        match self {
            KeyLocation::TpmOnly => "TPM only",
            KeyLocation::TpmWithSoftwareFallback => "TPM with software fallback",
            KeyLocation::SoftwareOnly => "Software only",
            KeyLocation::Other(s) => s,
        }
    }

    /// The CSP value (1, 2, 3), `None` for [`KeyLocation::Other`].
    pub fn value(&self) -> Option<u8> {
        match self {
            KeyLocation::TpmOnly => Some(1),
            KeyLocation::TpmWithSoftwareFallback => Some(2),
            KeyLocation::SoftwareOnly => Some(3),
            KeyLocation::Other(_) => None,
        }
    }

    /// Parses a label or the CSP number (`"3"`); other text becomes [`KeyLocation::Other`].
    pub fn from_label(s: &str) -> Self {
        match s {
            "TPM only" | "1" => KeyLocation::TpmOnly,
            "TPM with software fallback" | "2" => KeyLocation::TpmWithSoftwareFallback,
            "Software only" | "3" => KeyLocation::SoftwareOnly,
            other => KeyLocation::Other(other.to_owned()),
        }
    }
}

/// A file the package carries (certificate, PFX): its path as written, plus its bytes once
/// [`crate::Profile::resolve_assets`] has read them (or when given in code).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Asset {
    /// The path as written in the profile or answer file (relative to the profile's folder,
    /// or absolute; WCD writes the absolute path on the build machine).
    pub path: String,
    /// The file's bytes, when loaded. Not serialised.
    pub data: Option<Vec<u8>>,
    /// The file on disk that holds the asset, when it is streamed into the package instead of
    /// read into memory: [`crate::Profile::resolve_assets`] sets this for provisioning-command
    /// files (which can be hundreds of MiB) after checking that it is a readable regular file;
    /// certificates are read into [`Asset::data`] to be checked. Not serialised.
    pub file: Option<std::path::PathBuf>,
}

impl Asset {
    /// An asset named by path, not yet loaded.
    pub fn path(path: impl Into<String>) -> Self {
        Asset {
            path: path.into(),
            data: None,
            file: None,
        }
    }

    /// An asset given as bytes, with the file name the package should use.
    pub fn bytes(name: impl Into<String>, data: Vec<u8>) -> Self {
        Asset {
            path: name.into(),
            data: Some(data),
            file: None,
        }
    }

    /// Whether the asset's content is available: in memory or as a checked file on disk.
    pub fn is_loaded(&self) -> bool {
        self.data.is_some() || self.file.is_some()
    }
}

impl fmt::Debug for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Asset");
        s.field("path", &self.path);
        match (&self.data, &self.file) {
            (Some(d), _) => s.field("data", &format_args!("{} bytes", d.len())),
            (None, Some(f)) => s.field("file", f),
            (None, None) => s.field("data", &format_args!("not loaded")),
        };
        s.finish()
    }
}

impl Serialize for Asset {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.path)
    }
}

impl<'de> Deserialize<'de> for Asset {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Asset::path)
    }
}

/// A root, CA or trusted-people certificate (RootCATrustedCertificates CSP
/// `{Root|CA|TrustedPeople}/<thumbprint>/EncodedCertificate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedCertificate {
    /// `CertificateName` attribute (the list key).
    pub name: String,
    /// The `Name` attribute when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `CertificatePath` (root, CA) or `TrustedCertificate` (trusted people): a DER or PEM
    /// `.cer` file.
    pub certificate: Asset,
}

/// `TrustedProvisioners/Certificate[@CertificateHash]`: a certificate whose signed packages
/// apply without a prompt (Provisioning CSP `TrustedProvisioners/<hash>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedProvisioner {
    /// `CertificateHash` attribute: the SHA-1 thumbprint (40 hex digits).
    pub hash: String,
    /// The `Name` attribute when it differs from `hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `TrustedProvisioner`: the `.cer` file.
    pub certificate: Asset,
}

/// `WLANSetting/WLANConfig[@SSID]`: one Wi-Fi network (WiFi CSP `Profile/<SSID>/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wifi {
    /// `SSID` attribute (the list key), 1–32 bytes.
    pub ssid: String,
    /// `WLANXmlSettings/SecurityType`: `Open`, `WEP` or `WPA2-Personal`.
    pub security: WifiSecurity,
    /// `WLANXmlSettings/SecurityKey` (WEP key or WPA2 passphrase / 64-hex PSK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Secret>,
    /// `WLANXmlSettings/AutoConnect` ("Connect Automatically"; store default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_connect: Option<bool>,
    /// `WLANXmlSettings/HiddenNetwork` (store default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    /// `ProxyServerPort`: `host:port` (WCD-typed networks only: Open, WEP, WPA2-Personal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// 802.1X settings of a WPA2-Enterprise or WPA3-Enterprise network (`[wifi.eap]`); `None`
    /// for the other security types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eap: Option<Eap>,
}

/// Wi-Fi security: WCD's three `SecurityType` values, plus the types WCD has no typed
/// setting for, which are written as a WLAN profile XML through WCD's
/// `ConnectivityProfiles/WLAN/Profiles/Profile` (see [`crate::wlan_profile_xml`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WifiSecurity {
    /// `Open`: no key.
    Open,
    /// `WEP`: 5/13 ASCII or 10/26 hex key.
    Wep,
    /// `WPA2-Personal`: 8–63 character passphrase or 64-hex PSK.
    Wpa2Personal,
    /// `WPA3-Personal`: SAE with an 8–63 character password (WLAN profile `WPA3SAE`/`AES`).
    Wpa3Personal,
    /// `WPA2-Enterprise`: 802.1X (WLAN profile `WPA2`/`AES`, `useOneX`), needs [`Wifi::eap`].
    Wpa2Enterprise,
    /// `WPA3-Enterprise`: 802.1X (WLAN profile `WPA3ENT`/`AES`, `useOneX`), needs [`Wifi::eap`].
    Wpa3Enterprise,
    /// Anything else, as written (reported by [`crate::check`]).
    Other(String),
}

impl WifiSecurity {
    /// WCD's label, or this crate's label for the types beyond WCD (`WPA3-Personal`,
    /// `WPA2-Enterprise`, `WPA3-Enterprise`).
    pub fn label(&self) -> &str {
        match self {
            WifiSecurity::Open => "Open",
            WifiSecurity::Wep => "WEP",
            WifiSecurity::Wpa2Personal => "WPA2-Personal",
            WifiSecurity::Wpa3Personal => "WPA3-Personal",
            WifiSecurity::Wpa2Enterprise => "WPA2-Enterprise",
            WifiSecurity::Wpa3Enterprise => "WPA3-Enterprise",
            WifiSecurity::Other(s) => s,
        }
    }

    /// Parses a label exactly; other text becomes [`WifiSecurity::Other`].
    pub fn from_label(s: &str) -> Self {
        match s {
            "Open" => WifiSecurity::Open,
            "WEP" => WifiSecurity::Wep,
            "WPA2-Personal" => WifiSecurity::Wpa2Personal,
            "WPA3-Personal" => WifiSecurity::Wpa3Personal,
            "WPA2-Enterprise" => WifiSecurity::Wpa2Enterprise,
            "WPA3-Enterprise" => WifiSecurity::Wpa3Enterprise,
            other => WifiSecurity::Other(other.to_owned()),
        }
    }

    /// Whether WCD's typed `WLANXmlSettings` can carry it (Open, WEP, WPA2-Personal; the
    /// store's `SecurityType` values). The others go through a WLAN profile XML.
    pub fn is_wcd_typed(&self) -> bool {
        matches!(
            self,
            WifiSecurity::Open | WifiSecurity::Wep | WifiSecurity::Wpa2Personal
        )
    }

    /// Whether it is an 802.1X (enterprise) type that needs [`Wifi::eap`].
    pub fn is_enterprise(&self) -> bool {
        matches!(
            self,
            WifiSecurity::Wpa2Enterprise | WifiSecurity::Wpa3Enterprise
        )
    }
}

/// `[wifi.eap]`: 802.1X authentication of an enterprise network, written as the WLAN profile's
/// `OneX` element with an `EapHostConfig` (Microsoft's OneX, EapHostConfig, EapTls and MsPeap
/// schemas).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eap {
    /// `EAP-TLS` (EAP type 13, a client certificate) or `PEAP-MSCHAPv2` (EAP type 25 with
    /// inner type 26, user name and password).
    pub method: EapMethod,
    /// EAP-TLS: the `name` of the `[[client_certificates]]` entry the device authenticates
    /// with. The profile pins it by its root CA (`FilteringInfo/CAHashList`) when that root is in
    /// the PFX chain or the profile's root/CA certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
    /// SHA-1 thumbprints (40 hex digits) of the root CAs the RADIUS server's certificate must
    /// chain to (`ServerValidation/TrustedRootCA`, one element each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_root_thumbprints: Vec<String>,
    /// Names the RADIUS server's certificate must carry (`ServerValidation/ServerNames`,
    /// joined with `;`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_names: Vec<String>,
    /// OneX `authMode`: `machine`, `user`, `machineOrUser` or `guest`. Default: `machine` for
    /// EAP-TLS (WCD installs client certificates in the device store), `user` for
    /// PEAP-MSCHAPv2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mode: Option<String>,
}

/// The EAP method of an [`Eap`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EapMethod {
    /// `EAP-TLS`: certificate authentication (EAP type 13).
    EapTls,
    /// `PEAP-MSCHAPv2`: PEAP (type 25) with MS-CHAPv2 inside (type 26).
    PeapMschapv2,
    /// Anything else, as written (reported by [`crate::check`]).
    Other(String),
}

impl EapMethod {
    /// The label: `EAP-TLS` or `PEAP-MSCHAPv2`.
    pub fn label(&self) -> &str {
        match self {
            EapMethod::EapTls => "EAP-TLS",
            EapMethod::PeapMschapv2 => "PEAP-MSCHAPv2",
            EapMethod::Other(s) => s,
        }
    }

    /// Parses a label exactly; other text becomes [`EapMethod::Other`].
    pub fn from_label(s: &str) -> Self {
        match s {
            "EAP-TLS" => EapMethod::EapTls,
            "PEAP-MSCHAPv2" => EapMethod::PeapMschapv2,
            other => EapMethod::Other(other.to_owned()),
        }
    }

    /// The OneX `authMode` used when [`Eap::auth_mode`] is not given.
    pub fn default_auth_mode(&self) -> &'static str {
        match self {
            EapMethod::PeapMschapv2 => "user",
            _ => "machine",
        }
    }
}

macro_rules! label_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.label())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a label string or a number")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$t, E> {
                        Ok(<$t>::from_label(v))
                    }
                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$t, E> {
                        Ok(<$t>::from_label(&v.to_string()))
                    }
                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$t, E> {
                        Ok(<$t>::from_label(&v.to_string()))
                    }
                }
                deserializer.deserialize_any(V)
            }
        }
    };
}
label_serde!(AuthPolicy);
label_serde!(KeyLocation);
label_serde!(WifiSecurity);
label_serde!(EapMethod);

/// AD domain join: `Accounts/ComputerAccount/{DomainName, Account, Password, AccountOU}`
/// (Accounts CSP `Domain/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainJoin {
    /// `DomainName`, e.g. `corp.example.com`.
    pub domain: String,
    /// `Account`: the account allowed to join (`corp\joiner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `Password` of that account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// `AccountOU`: the OU for the computer object (`OU=Lab,DC=corp,DC=example,DC=com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou: Option<String>,
}

/// `Accounts/Users/User[@UserName]`: a local account (Accounts CSP `Users/<name>/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalUser {
    /// `UserName` attribute (the list key).
    pub name: String,
    /// `Password` (required by the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// `UserGroup`: `Standard Users` (1) or `Administrators` (2), as WCD labels them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// `Accounts/Azure`: Azure AD join with a bulk primary refresh token (AADJ CSP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureAdJoin {
    /// `Authority`: the tenant authority URL WCD wrote when it fetched the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// `BPRT`: the bulk token. The package is a live credential until it expires.
    pub bprt: Secret,
    /// When the token was issued (RFC 3339 or `YYYY-MM-DD`; profile only, not in the answer
    /// file). With `expires`, checked against the 180-day maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<Timestamp>,
    /// When the token expires (RFC 3339 or `YYYY-MM-DD`; profile only: WCD shows it but does
    /// not write it to customizations.xml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    /// The `package_{GUID}` account WCD created for the token, when known (deleting it in
    /// Entra revokes the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// A point in time, seconds since the Unix epoch (UTC). Serialised as RFC 3339
/// (`2026-12-31T00:00:00Z`); `YYYY-MM-DD` also reads (midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From a `SystemTime` (times before 1970 give negative seconds).
    pub fn from_system_time(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX)),
        }
    }

    /// Parses RFC 3339 or `YYYY-MM-DD`.
    ///
    /// # Errors
    /// A message naming what did not parse.
    pub fn parse(s: &str) -> Result<Self, String> {
        use time::format_description::well_known::Rfc3339;
        if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
            return Ok(Timestamp(t.unix_timestamp()));
        }
        let bad = || format!("{s:?} is not an RFC 3339 time or a YYYY-MM-DD date");
        let mut parts = s.splitn(3, '-');
        let mut next = || parts.next().and_then(|p| p.parse::<i32>().ok());
        let (Some(y), Some(m), Some(d)) = (next(), next(), next()) else {
            return Err(bad());
        };
        let month = u8::try_from(m)
            .ok()
            .and_then(|m| time::Month::try_from(m).ok())
            .ok_or_else(bad)?;
        let day = u8::try_from(d).map_err(|_| bad())?;
        time::Date::from_calendar_date(y, month, day)
            .map(|d| Timestamp(d.midnight().assume_utc().unix_timestamp()))
            .map_err(|_| bad())
    }

    /// RFC 3339 text (`2026-12-31T00:00:00Z`).
    pub fn to_rfc3339(self) -> String {
        use time::format_description::well_known::Rfc3339;
        time::OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| format!("@{}", self.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `ProvisioningCommands/PrimaryContext/Command/CommandConfig[@Name]`: a command run at
/// provisioning time (ProvisioningCommands CSP `PrimaryContext/$(__PackageID)/<n>/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningCommand {
    /// `Name` attribute (the list key).
    pub name: String,
    /// `CommandFile`: the file to carry and run (path as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Asset>,
    /// `CommandLine` (required by the store).
    pub command_line: String,
    /// `ContinueInstall` ("Continue Install on failure", store default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_install: Option<bool>,
    /// `RestartRequired` (store default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_required: Option<bool>,
    /// `ReturnCodeRestart` (store default 3010).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_code_restart: Option<i64>,
    /// `ReturnCodeSuccess` (store default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_code_success: Option<i64>,
    /// `DependencyPackages/Dependency[@Name]`: further files the command uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

/// `DependencyPackages/Dependency[@Name]`: a file carried for a provisioning command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// `Name` attribute (the list key).
    pub name: String,
    /// The file.
    pub file: Asset,
}
