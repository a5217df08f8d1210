//! HRESULT decoder for the codes that provisioning and MDM enrollment report, each classed as
//! [`RetryClass::Transient`], [`RetryClass::WaitsForLogon`] or [`RetryClass::LikelyPermanent`].
//!
//! The names and meanings come from Microsoft's documents (each table row names its
//! [`Source`]):
//! - `MDMRegistration.h` error values ("MDM Registration Error Values",
//!   <https://learn.microsoft.com/windows/win32/mdmreg/mdm-registration-constants>): the
//!   `MENROLL_E_*` (facility 0x18) and `MREGISTER_E_*` (facility 0x19) families;
//! - Configuration Manager's "How to monitor co-management", table "Enrollment errors"
//!   (<https://learn.microsoft.com/mem/configmgr/comanage/how-to-monitor>), which also says which
//!   errors are transient;
//! - Intune's "Troubleshooting Windows device enrollment errors"
//!   (<https://learn.microsoft.com/troubleshoot/mem/intune/device-enrollment/troubleshoot-windows-enrollment-errors>);
//! - `winerror.h` for Win32 codes carried in facility 7 (`0x8007xxxx`), certificate codes and the
//!   `HTTP_E_STATUS_*` codes of facility 0x19.
//!
//! The class is this crate's reading (the documents rarely say "retry"); every row carries the
//! reason in [`KnownCode::meaning`] and its [`Category`]. Codes not in the table are decoded by
//! facility (Win32, HTTP status, WinHTTP, MSXML) and otherwise returned as raw hex with
//! [`UNKNOWN_CODE_CLASS`]; decoding never fails and never panics.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The class given to a code this decoder does not know: [`RetryClass::Transient`].
///
/// Source: the provisioning engine itself retries every failure the same way (FORMAT.md §7,
/// "A CSP failure is retried 3 times in a row at once"), so an unknown code is not a reason to
/// stop early.
pub const UNKNOWN_CODE_CLASS: RetryClass = RetryClass::Transient;

/// Facility code of `FACILITY_WIN32` (`0x8007xxxx` carries a Win32 error code; `winerror.h`).
pub const FACILITY_WIN32: u16 = 7;
/// Facility of the MDM enrollment errors, `DEVICE_ENROLLER_FACILITY_CODE` = 24 (0x18),
/// `MDMRegistration.h`.
pub const FACILITY_DEVICE_ENROLLER: u16 = 0x18;
/// Facility 25 (0x19): `MDM_REGISTRATION_FACILITY_CODE` in `MDMRegistration.h` and
/// `FACILITY_HTTP` in `winerror.h`. Low words 1–14 are the legacy `MREGISTER_E_*` codes, 100–599
/// an HTTP status (`HTTP_E_STATUS_*`), 12000–12199 a WinHTTP error.
pub const FACILITY_HTTP: u16 = 0x19;

/// An HRESULT as the 32-bit pattern Windows logs, for example `0x80180014`.
///
/// Parse with [`str::parse`] from `0x80180014`, from exactly eight hex digits `80180014` (as
/// Windows dialogs print it), or from the unsigned decimal form `2149056532` (as Configuration
/// Manager prints it); a leading `-` takes the signed decimal form (`-2145910764`). Serialized (feature `serde`) as the string
/// `"0x80180014"`; deserializes from that string or from a number.
///
/// ```
/// use retry_sched::{HResult, RetryClass};
/// let hr: HResult = "0x80180014".parse()?;
/// let d = hr.decode();
/// assert_eq!(d.name, Some("MENROLL_E_DEVICENOTSUPPORTED"));
/// assert_eq!(d.class, RetryClass::LikelyPermanent);
/// # Ok::<(), retry_sched::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct HResult(pub u32);

impl HResult {
    /// `S_OK`.
    pub const S_OK: HResult = HResult(0);

    /// Whether the severity bit (bit 31) is set, i.e. the code reports a failure.
    pub const fn is_failure(self) -> bool {
        self.0 & 0x8000_0000 != 0
    }

    /// The facility: bits 16–26.
    pub const fn facility(self) -> u16 {
        ((self.0 >> 16) & 0x7ff) as u16
    }

    /// The low 16 bits (the code within the facility).
    pub const fn code(self) -> u16 {
        (self.0 & 0xffff) as u16
    }

    /// The Win32 error code when this is `HRESULT_FROM_WIN32` of one (`0x8007xxxx`).
    pub const fn win32(self) -> Option<u16> {
        if self.is_failure() && self.facility() == FACILITY_WIN32 {
            Some(self.code())
        } else {
            None
        }
    }

    /// The HTTP status when this is an `HTTP_E_STATUS_*` code (`0x8019xxxx`, low word 100–599).
    pub const fn http_status(self) -> Option<u16> {
        let c = self.code();
        if self.is_failure() && self.facility() == FACILITY_HTTP && c >= 100 && c <= 599 {
            Some(c)
        } else {
            None
        }
    }

    /// Names, meaning and retry class of this code. Never fails: unknown codes come back with
    /// `name: None`, a facility-based meaning and [`UNKNOWN_CODE_CLASS`].
    pub fn decode(self) -> Decoded {
        if let Some(k) = known(self) {
            return Decoded {
                code: self,
                name: Some(k.name),
                meaning: k.meaning.to_owned(),
                class: k.class,
                category: k.category,
                source: Some(k.source),
            };
        }
        decode_by_facility(self)
    }

    /// Shorthand for `self.decode().class`.
    pub fn class(self) -> RetryClass {
        known(self).map_or_else(|| decode_by_facility(self).class, |k| k.class)
    }
}

impl fmt::Display for HResult {
    /// `0x` and eight upper-case hex digits, as Windows logs print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08X}", self.0)
    }
}

impl FromStr for HResult {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let bad = || Error::InvalidHResult {
            input: s.to_owned(),
        };
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            return u32::from_str_radix(hex, 16).map(HResult).map_err(|_| bad());
        }
        if let Some(neg) = t.strip_prefix('-') {
            let v: i64 = neg.parse().map_err(|_| bad())?;
            let signed = i32::try_from(-v).map_err(|_| bad())?;
            return Ok(HResult(u32::from_ne_bytes(signed.to_ne_bytes())));
        }
        // Exactly eight hex digits is the form Windows dialogs print ("80180014"); a failure
        // code in decimal always has ten digits (Configuration Manager's "2149056532").
        if t.len() == 8 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return u32::from_str_radix(t, 16).map(HResult).map_err(|_| bad());
        }
        t.parse::<u32>().map(HResult).map_err(|_| bad())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for HResult {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for HResult {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HResult;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an HRESULT such as \"0x80180014\" or a 32-bit number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HResult, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<HResult, E> {
                u32::try_from(v)
                    .map(HResult)
                    .map_err(|_| E::custom(format!("HRESULT {v} does not fit in 32 bits")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<HResult, E> {
                i32::try_from(v)
                    .map(|s| HResult(u32::from_ne_bytes(s.to_ne_bytes())))
                    .map_err(|_| E::custom(format!("HRESULT {v} does not fit in 32 bits")))
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether trying again can help.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum RetryClass {
    /// A later attempt may succeed without anyone changing anything (network, server load,
    /// a race with a previous attempt).
    Transient,
    /// Needs an interactive user: succeeds once someone signs in (the engine's logon + idle
    /// re-apply covers it).
    WaitsForLogon,
    /// Retrying will not help until an administrator changes the package, the server or the
    /// tenant.
    LikelyPermanent,
}

impl fmt::Display for RetryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetryClass::Transient => "transient",
            RetryClass::WaitsForLogon => "waits for logon",
            RetryClass::LikelyPermanent => "likely permanent",
        })
    }
}

/// What kind of cause a code points to.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum Category {
    /// DNS, proxy, timeout, unreachable server.
    Network,
    /// The MDM or enrollment server failed or is busy.
    Server,
    /// The user or device could not be authenticated.
    Authentication,
    /// A tenant or device policy blocks enrollment (enrollment restrictions, MDM blocked).
    PolicyBlocked,
    /// A user or platform licence is missing or in a bad state.
    Licensing,
    /// A certificate is invalid, expired, missing, or its key could not be made.
    Certificate,
    /// The server, tenant or package is configured wrongly.
    Configuration,
    /// The device is in a state that conflicts (already enrolled, enrollment in progress).
    DeviceState,
    /// The platform, edition or version is not supported.
    Unsupported,
    /// An interactive user is needed.
    NeedsUser,
    /// A provisioning payload or a CSP applying it failed.
    Payload,
    /// The device ran short of a resource such as memory.
    Resource,
    /// Not known.
    Unknown,
}

impl Category {
    /// The likely cause behind a code of this category, in one sentence (this crate's summary
    /// of the sources listed in the [module documentation](self); `ppkg explain` prints it).
    pub fn likely_cause(self) -> &'static str {
        match self {
            Category::Network => {
                "the device could not reach the server: no network yet, DNS, proxy or a timeout"
            }
            Category::Server => "the MDM or enrollment server failed or is overloaded",
            Category::Authentication => {
                "the user, the device or its credential was not accepted by the server"
            }
            Category::PolicyBlocked => {
                "a tenant or device policy refuses this enrollment (enrollment restrictions, MDM blocked, device limit)"
            }
            Category::Licensing => "a user licence or the Windows edition does not allow this enrollment",
            Category::Certificate => {
                "a certificate is missing, expired, not trusted, or its private key could not be made"
            }
            Category::Configuration => {
                "the package, the server or the tenant is configured wrongly (URL, discovery, Azure AD/MDM scope)"
            }
            Category::DeviceState => {
                "the device is in a conflicting state (already enrolled, another enrollment running)"
            }
            Category::Unsupported => "this platform, edition or Windows version does not support it",
            Category::NeedsUser => "the step needs an interactive user who has not signed in or answered",
            Category::Payload => "a setting of the package was refused by the CSP that applies it",
            Category::Resource => "the device ran short of a resource (memory, a service not started yet)",
            Category::Unknown => "not known: the code is not in the tables this decoder holds",
        }
    }

    /// What to check first for a code of this category, most useful first (this crate's
    /// checklist, drawn from Intune's and Configuration Manager's troubleshooting articles named in
    /// the [module documentation](self)).
    pub fn what_to_check(self) -> &'static [&'static str] {
        match self {
            Category::Network => &[
                "the device has a network connection when the package applies (a Wi-Fi profile in the same package applies first)",
                "DNS resolves the discovery and enrollment host names",
                "a proxy or firewall does not block the enrollment URLs",
            ],
            Category::Server => &[
                "the MDM service health and its logs at the time of the failure",
                "whether later retries succeed (the engine retries at +15 min, +1 h, +4 h and next start)",
            ],
            Category::Authentication => &[
                "the enrollment UPN and Secret (or the certificate for AuthPolicy=Certificate)",
                "AuthPolicy matches what the server accepts (OnPremise or Certificate)",
                "the user exists and may enroll in the tenant",
            ],
            Category::PolicyBlocked => &[
                "the tenant's enrollment restrictions (platform, personal devices, Windows MDM allowed)",
                "the user's device limit",
                "Group Policy or a management agent that blocks MDM enrollment",
            ],
            Category::Licensing => &[
                "the user has an MDM licence (Intune) assigned",
                "the Windows edition supports MDM enrollment (not Home)",
            ],
            Category::Certificate => &[
                "certificate validity dates and the device clock",
                "the root and CA certificates of the chain are in the package or on the device",
                "the PFX password and the key location (TPM on devices without a TPM)",
            ],
            Category::Configuration => &[
                "the discovery URL (…/EnrollmentServer/Discovery.svc) and the enrollment/policy URLs",
                "the tenant's MDM user scope and the UPN's domain (verified, routable)",
                "the package's settings with `ppkg validate`",
            ],
            Category::DeviceState => &[
                "existing work or school accounts and enrollments on the device (Settings > Accounts)",
                "whether another enrollment is still running",
            ],
            Category::Unsupported => &[
                "the Windows edition and build against the setting's or CSP's applicability",
            ],
            Category::NeedsUser => &[
                "whether a user signs in after the package applies (the engine re-applies after sign-in + idle)",
            ],
            Category::Payload => &[
                "the failing setting's value against its CSP (`ppkg csp show`, `ppkg settings show`)",
                "the provisioning event log (Microsoft-Windows-Provisioning-Diagnostics-Provider)",
            ],
            Category::Resource => &[
                "free memory and disk on the device; whether the failure goes away on retry",
            ],
            Category::Unknown => &[
                "the facility and code below; the provisioning and DeviceManagement-Enterprise-Diagnostics-Provider event logs",
            ],
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Category::Network => "network",
            Category::Server => "server",
            Category::Authentication => "authentication",
            Category::PolicyBlocked => "policy blocked",
            Category::Licensing => "licensing",
            Category::Certificate => "certificate",
            Category::Configuration => "configuration",
            Category::DeviceState => "device state",
            Category::Unsupported => "unsupported",
            Category::NeedsUser => "needs user",
            Category::Payload => "payload",
            Category::Resource => "resource",
            Category::Unknown => "unknown",
        })
    }
}

/// The `winerror.h` name of a facility code (`FACILITY_WIN32` for 7), for the facilities a
/// provisioning or enrollment log shows; facility 0x18 is named after `MDMRegistration.h`'s
/// `DEVICE_ENROLLER_FACILITY_CODE`. `None` for the others.
pub fn facility_name(facility: u16) -> Option<&'static str> {
    Some(match facility {
        0 => "FACILITY_NULL",
        1 => "FACILITY_RPC",
        2 => "FACILITY_DISPATCH",
        3 => "FACILITY_STORAGE",
        4 => "FACILITY_ITF",
        7 => "FACILITY_WIN32",
        8 => "FACILITY_WINDOWS",
        9 => "FACILITY_SECURITY",
        10 => "FACILITY_CONTROL",
        11 => "FACILITY_CERT",
        12 => "FACILITY_INTERNET",
        FACILITY_DEVICE_ENROLLER => "DEVICE_ENROLLER_FACILITY_CODE (MDM enrollment)",
        FACILITY_HTTP => "FACILITY_HTTP / MDM_REGISTRATION_FACILITY_CODE",
        _ => return None,
    })
}

/// Where a table row comes from.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
#[non_exhaustive]
pub enum Source {
    /// `MDMRegistration.h`, "MDM Registration Error Values".
    MdmRegistrationH,
    /// Configuration Manager, "How to monitor co-management", table "Enrollment errors".
    ConfigMgrCoManagement,
    /// Intune, "Troubleshooting Windows device enrollment errors".
    IntuneTroubleshooting,
    /// `winerror.h` (system error codes and their standard messages).
    WinError,
    /// The project's field cases (`shared/cases/field-cases.md`), case id in the meaning.
    FieldCase,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::MdmRegistrationH => "MDMRegistration.h (MDM Registration Error Values)",
            Source::ConfigMgrCoManagement => {
                "Configuration Manager, How to monitor co-management (Enrollment errors)"
            }
            Source::IntuneTroubleshooting => {
                "Intune, Troubleshooting Windows device enrollment errors"
            }
            Source::WinError => "winerror.h",
            Source::FieldCase => "field cases",
        })
    }
}

/// One row of the decoder table.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct KnownCode {
    /// The code.
    pub code: HResult,
    /// Its symbolic name (`MENROLL_E_DEVICENOTSUPPORTED`), or a short label where the document
    /// gives none.
    pub name: &'static str,
    /// What it means, in the document's words shortened, plus the reason for the class where it
    /// is not obvious.
    pub meaning: &'static str,
    /// Whether retrying can help.
    pub class: RetryClass,
    /// The kind of cause.
    pub category: Category,
    /// The document the row comes from.
    pub source: Source,
}

/// The decoded form of an [`HResult`].
#[derive(Clone, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Decoded {
    /// The code itself.
    pub code: HResult,
    /// Symbolic name, when known.
    pub name: Option<&'static str>,
    /// Meaning (for unknown codes, what the facility says: "Win32 error 1317", "HTTP status
    /// 400", or "unknown code 0x…").
    pub meaning: String,
    /// Whether retrying can help.
    pub class: RetryClass,
    /// The kind of cause.
    pub category: Category,
    /// The table row's source, or `None` when decoded by facility only.
    pub source: Option<Source>,
}

impl fmt::Display for Decoded {
    /// `0x80180014 MENROLL_E_DEVICENOTSUPPORTED: <meaning> [likely permanent]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(n) = self.name {
            write!(f, " {n}")?;
        }
        write!(f, ": {} [{}]", self.meaning, self.class)
    }
}

/// Every code the decoder knows by name, sorted by code.
pub fn known_codes() -> &'static [KnownCode] {
    TABLE
}

fn known(hr: HResult) -> Option<&'static KnownCode> {
    TABLE
        .binary_search_by_key(&hr.0, |k| k.code.0)
        .ok()
        .and_then(|i| TABLE.get(i))
}

fn decode_by_facility(hr: HResult) -> Decoded {
    let (meaning, class, category) = if !hr.is_failure() {
        (
            format!("success code {hr}"),
            RetryClass::Transient,
            Category::Unknown,
        )
    } else if let Some(w) = hr.win32() {
        match w {
            12000..=12199 => (
                format!("WinHTTP error {w}"),
                RetryClass::Transient,
                Category::Network,
            ),
            _ => (
                format!("Win32 error {w}"),
                UNKNOWN_CODE_CLASS,
                Category::Unknown,
            ),
        }
    } else if let Some(status) = hr.http_status() {
        let (class, category) = http_class(status);
        (format!("HTTP status {status}"), class, category)
    } else if hr.facility() == FACILITY_HTTP && (12000..=12199).contains(&hr.code()) {
        (
            format!("WinHTTP error {}", hr.code()),
            RetryClass::Transient,
            Category::Network,
        )
    } else if hr.facility() == FACILITY_DEVICE_ENROLLER {
        (
            format!(
                "MDM enrollment error {:#06x} (not in MDMRegistration.h)",
                hr.code()
            ),
            UNKNOWN_CODE_CLASS,
            Category::Unknown,
        )
    } else if (0xC00C_E000..=0xC00C_EFFF).contains(&hr.0) {
        (
            "MSXML parse error: a provisioning document or an XML value in it is malformed"
                .to_owned(),
            RetryClass::LikelyPermanent,
            Category::Payload,
        )
    } else {
        (
            format!("unknown code {hr}"),
            UNKNOWN_CODE_CLASS,
            Category::Unknown,
        )
    };
    Decoded {
        code: hr,
        name: None,
        meaning,
        class,
        category,
        source: None,
    }
}

/// Class of an HTTP status seen by the enrollment client: 408, 425, 429 and 5xx are the
/// statuses that RFC 9110 and RFC 6585 define as "try again later"; every other 4xx is a
/// request the server will keep refusing until something changes.
fn http_class(status: u16) -> (RetryClass, Category) {
    match status {
        408 | 425 | 429 | 500..=599 => (RetryClass::Transient, Category::Server),
        401 | 407 => (RetryClass::LikelyPermanent, Category::Authentication),
        403 => (RetryClass::LikelyPermanent, Category::PolicyBlocked),
        _ => (RetryClass::LikelyPermanent, Category::Configuration),
    }
}

macro_rules! row {
    ($code:expr, $name:expr, $class:ident, $cat:ident, $src:ident, $meaning:expr) => {
        KnownCode {
            code: HResult($code),
            name: $name,
            meaning: $meaning,
            class: RetryClass::$class,
            category: Category::$cat,
            source: Source::$src,
        }
    };
}

/// The table, sorted by code (checked by a unit test).
static TABLE: &[KnownCode] = &[
    row!(0x8000_FFFF, "E_UNEXPECTED", LikelyPermanent, Configuration, ConfigMgrCoManagement,
        "MDM enrollment has not been configured yet in Azure AD, or the enrollment URL is not the expected one"),
    row!(0x8007_0002, "ERROR_FILE_NOT_FOUND", LikelyPermanent, Payload, WinError,
        "The system cannot find the file specified (a payload the package names is missing)"),
    row!(0x8007_0005, "E_ACCESSDENIED", LikelyPermanent, Configuration, WinError,
        "Access is denied"),
    row!(0x8007_000E, "E_OUTOFMEMORY", Transient, Resource, WinError,
        "Not enough memory resources are available to complete this operation"),
    row!(0x8007_0015, "ERROR_NOT_READY", Transient, Resource, WinError,
        "The device is not ready"),
    row!(0x8007_0032, "ERROR_NOT_SUPPORTED", LikelyPermanent, Unsupported, ConfigMgrCoManagement,
        "The request is not supported; MDM auto-enrollment is only supported on Windows 10 1709 (RS3) and later"),
    row!(0x8007_0057, "E_INVALIDARG", LikelyPermanent, Payload, WinError,
        "The parameter is incorrect (a setting value the CSP rejects)"),
    row!(0x8007_00B7, "ERROR_ALREADY_EXISTS", Transient, DeviceState, FieldCase,
        "Cannot create a file when that file already exists; seen in OOBE when a retry collides with what a partly finished attempt left (field case B35); the same package applied later succeeds"),
    row!(0x8007_045B, "ERROR_SHUTDOWN_IN_PROGRESS", Transient, Resource, WinError,
        "A system shutdown is in progress"),
    row!(0x8007_0490, "ERROR_NOT_FOUND", Transient, Unknown, ConfigMgrCoManagement,
        "Element not found; should be transient"),
    row!(0x8007_0525, "ERROR_NO_SUCH_USER", WaitsForLogon, NeedsUser, FieldCase,
        "The specified account does not exist (Win32 1317); the enrollment API needs an interactive user and succeeds shortly after someone signs in (field case B30)"),
    row!(0x8007_05B4, "ERROR_TIMEOUT", Transient, Network, WinError,
        "This operation returned because the timeout period expired"),
    row!(0x8007_065D, "E_DATATYPE_MISMATCH", LikelyPermanent, Payload, MdmRegistrationH,
        "The datatype does not match the expected datatype"),
    row!(0x8007_06BA, "RPC_S_SERVER_UNAVAILABLE", Transient, Resource, WinError,
        "The RPC server is unavailable (a service the engine needs has not started yet)"),
    row!(0x8007_0774, "ERROR_NO_SUCH_DOMAIN", Transient, Network, IntuneTroubleshooting,
        "The domain controller cannot be found or reached (connectivity)"),
    row!(0x8007_2EE2, "ERROR_WINHTTP_TIMEOUT", Transient, Network, WinError,
        "The WinHTTP request timed out"),
    row!(0x8007_2EE7, "ERROR_WINHTTP_NAME_NOT_RESOLVED", Transient, Network, WinError,
        "The server name could not be resolved (DNS)"),
    row!(0x8007_2EFD, "ERROR_WINHTTP_CANNOT_CONNECT", Transient, Network, WinError,
        "A connection with the server could not be established"),
    row!(0x8007_2F8F, "ERROR_WINHTTP_SECURE_FAILURE", LikelyPermanent, Certificate, WinError,
        "The server's TLS certificate is invalid or not trusted"),
    row!(0x8009_0016, "NTE_BAD_KEYSET", LikelyPermanent, Certificate, WinError,
        "Keyset does not exist (a key could not be opened, for example a TPM-backed key)"),
    row!(0x800B_0101, "CERT_E_EXPIRED", LikelyPermanent, Certificate, WinError,
        "A required certificate is not within its validity period (field case B21)"),
    row!(0x800B_0109, "CERT_E_UNTRUSTEDROOT", LikelyPermanent, Certificate, WinError,
        "A certificate chain terminated in a root certificate that is not trusted"),
    row!(0x8018_0001, "MENROLL_E_DEVICE_MESSAGE_FORMAT_ERROR", LikelyPermanent, Configuration, MdmRegistrationH,
        "Invalid schema, message format error from the server"),
    row!(0x8018_0002, "MENROLL_E_DEVICE_AUTHENTICATION_ERROR", LikelyPermanent, Authentication, MdmRegistrationH,
        "The server failed to authenticate the user (ConfigMgr: there is no Azure AD token for the user)"),
    row!(0x8018_0003, "MENROLL_E_DEVICE_AUTHORIZATION_ERROR", LikelyPermanent, PolicyBlocked, MdmRegistrationH,
        "The user is not authorized to enroll"),
    row!(0x8018_0004, "MENROLL_E_DEVICE_CERTIFCATEREQUEST_ERROR", Transient, Certificate, MdmRegistrationH,
        "The user has no permission for the certificate template or the certificate authority is unreachable"),
    row!(0x8018_0005, "MENROLL_E_DEVICE_CONFIGMGRSERVER_ERROR", Transient, Server, MdmRegistrationH,
        "Failure at the management server, such as a database access error; ConfigMgr: should be transient"),
    row!(0x8018_0006, "MENROLL_E_DEVICE_INTERNALSERVICE_ERROR", Transient, Server, MdmRegistrationH,
        "There was an unhandled exception on the server"),
    row!(0x8018_0007, "MENROLL_E_DEVICE_INVALIDSECURITY_ERROR", LikelyPermanent, Authentication, MdmRegistrationH,
        "The server rejected the request's security token (the header gives the same text as INTERNALSERVICE_ERROR)"),
    row!(0x8018_0008, "MENROLL_E_DEVICE_UNKNOWN_ERROR", Transient, Server, MdmRegistrationH,
        "Unknown server error"),
    row!(0x8018_0009, "MENROLL_E_ENROLLMENT_IN_PROGRESS", Transient, DeviceState, MdmRegistrationH,
        "Another enrollment operation is currently underway"),
    row!(0x8018_000A, "MENROLL_E_DEVICE_ALREADY_ENROLLED", LikelyPermanent, DeviceState, MdmRegistrationH,
        "The device is already enrolled (Intune: another user enrolled or joined it; remove that work account first)"),
    row!(0x8018_000B, "MENROLL_E_DEVICE_NOT_ENROLLED", LikelyPermanent, DeviceState, MdmRegistrationH,
        "The device is not enrolled"),
    row!(0x8018_000D, "MENROLL_E_DISCOVERY_SEC_CERT_DATE_INVALID", LikelyPermanent, Certificate, MdmRegistrationH,
        "During discovery the security certificate's date was invalid"),
    row!(0x8018_000E, "MENROLL_E_PASSWORD_NEEDED", LikelyPermanent, Authentication, MdmRegistrationH,
        "A password is needed, but was not supplied"),
    row!(0x8018_000F, "MENROLL_E_WAB_ERROR", LikelyPermanent, Authentication, MdmRegistrationH,
        "An error occurred during WAB (web authentication broker) enrollment"),
    row!(0x8018_0010, "MENROLL_E_CONNECTIVITY", Transient, Network, MdmRegistrationH,
        "A network error occurred, such as DNS or a network timeout"),
    row!(0x8018_0012, "MENROLL_E_INVALIDSSLCERT", LikelyPermanent, Certificate, MdmRegistrationH,
        "The SSL certificate was not valid"),
    row!(0x8018_0013, "MENROLL_E_DEVICECAPREACHED", LikelyPermanent, PolicyBlocked, MdmRegistrationH,
        "The user has already enrolled too many devices; delete or unenroll old ones"),
    row!(0x8018_0014, "MENROLL_E_DEVICENOTSUPPORTED", LikelyPermanent, PolicyBlocked, MdmRegistrationH,
        "A specific platform or version is not supported; Intune: Windows MDM enrollment is disabled by the tenant's enrollment restrictions (field case B28)"),
    row!(0x8018_0015, "MENROLL_E_NOTSUPPORTED", LikelyPermanent, Unsupported, MdmRegistrationH,
        "Mobile device management is generally not supported for this device"),
    row!(0x8018_0016, "MENROLL_E_NOTELIGIBLETORENEW", LikelyPermanent, DeviceState, MdmRegistrationH,
        "The device is attempting to renew but the server rejected the request; check the device's clock or re-enroll"),
    row!(0x8018_0017, "MENROLL_E_INMAINTENANCE", Transient, Server, MdmRegistrationH,
        "The account is in maintenance; retry later"),
    row!(0x8018_0018, "MENROLL_E_USERLICENSE", LikelyPermanent, Licensing, MdmRegistrationH,
        "The user's licence is in a bad state blocking enrollment; the user needs the admin"),
    row!(0x8018_0019, "MENROLL_E_ENROLLMENTDATAINVALID", LikelyPermanent, Configuration, MdmRegistrationH,
        "The server rejected the enrollment data; the server may not be configured correctly"),
    row!(0x8018_001A, "MENROLL_E_INSECUREREDIRECT", LikelyPermanent, Configuration, MdmRegistrationH,
        "The server requested HTTP rather than HTTPS, which is not accepted"),
    row!(0x8018_001B, "MENROLL_E_PLATFORM_WRONG_STATE", LikelyPermanent, DeviceState, MdmRegistrationH,
        "An invalid operation, such as enrolling the same device twice or unenrolling an unknown device"),
    row!(0x8018_001C, "MENROLL_E_PLATFORM_LICENSE_ERROR", LikelyPermanent, Licensing, MdmRegistrationH,
        "The installed edition of Windows does not support this enrollment type"),
    row!(0x8018_001D, "MENROLL_E_PLATFORM_UNKNOWN_ERROR", Transient, Unknown, MdmRegistrationH,
        "An unknown error occurred on the client"),
    row!(0x8018_001E, "MENROLL_E_PROV_CSP_CERTSTORE", LikelyPermanent, Payload, MdmRegistrationH,
        "Provisioning failed in the certificate store CSP"),
    row!(0x8018_001F, "MENROLL_E_PROV_CSP_W7", LikelyPermanent, Payload, MdmRegistrationH,
        "Provisioning failed in a W7/DMAcc CSP"),
    row!(0x8018_0020, "MENROLL_E_PROV_CSP_DMCLIENT", LikelyPermanent, Payload, MdmRegistrationH,
        "Provisioning failed in the DMClient CSP"),
    row!(0x8018_0021, "MENROLL_E_PROV_CSP_PFW", LikelyPermanent, Payload, MdmRegistrationH,
        "Provisioning failed in a Passport for Work CSP"),
    row!(0x8018_0022, "MENROLL_E_PROV_CSP_MISC", LikelyPermanent, Payload, MdmRegistrationH,
        "Provisioning failed in another CSP; Intune: seen when the device runs Windows Home edition"),
    row!(0x8018_0023, "MENROLL_E_PROV_UNKNOWN", LikelyPermanent, Payload, MdmRegistrationH,
        "Provisioning failed, but a specific CSP is not indicated"),
    row!(0x8018_0024, "MENROLL_E_PROV_SSLCERTNOTFOUND", LikelyPermanent, Certificate, MdmRegistrationH,
        "The public certificate to bind with its private key was not found (perhaps the payload targets the wrong store)"),
    row!(0x8018_0025, "MENROLL_E_PROV_CSP_APPMGMT", LikelyPermanent, Payload, MdmRegistrationH,
        "Provisioning failed in the EnterpriseAppManagement CSP"),
    row!(0x8018_0026, "MENROLL_E_DEVICE_MANAGEMENT_BLOCKED", LikelyPermanent, PolicyBlocked, MdmRegistrationH,
        "MDM was blocked, possibly by Group Policy or SetManagedExternally; Intune: also when the Intune PC agent is installed"),
    row!(0x8018_0027, "MENROLL_E_CERTPOLICY_PRIVATEKEYCREATION_FAILED", LikelyPermanent, Certificate, MdmRegistrationH,
        "Failed to create the private key; in the field also the end of an enrollment whose AuthPolicy does not match the credential the server accepts (field case B27)"),
    row!(0x8018_0028, "MENROLL_E_CERTAUTH_FAILED_TO_FIND_CERT", LikelyPermanent, Certificate, MdmRegistrationH,
        "Certificate authentication was requested, but no certificate to use was found"),
    row!(0x8018_0029, "MENROLL_E_EMPTY_MESSAGE", Transient, Server, MdmRegistrationH,
        "The server responded with HTTP 200, but the message was empty"),
    row!(0x8018_002A, "MENROLL_E_USER_CANCELED", WaitsForLogon, NeedsUser, ConfigMgrCoManagement,
        "The user canceled the operation (did not answer the multi-factor sign-in prompt); transient, the prompt returns on a later try"),
    row!(0x8018_002B, "MENROLL_E_MDM_NOT_CONFIGURED", Transient, Configuration, ConfigMgrCoManagement,
        "Automatic enrollment was tried before the Azure AD configuration was fully applied; should be transient; if it persists, Intune: the UPN has an unverified or non-routable domain (.local) or the MDM user scope is None"),
    row!(0x8018_0030, "MENROLL_E_USER_CANCELLED", WaitsForLogon, NeedsUser, MdmRegistrationH,
        "The user canceled the operation"),
    row!(0x8018_0031, "MENROLL_E_MDM_NOT_CONFIGURED", Transient, Configuration, MdmRegistrationH,
        "Mobile Device Management (MDM) is not configured (the header's value of this name; the field reports 0x8018002B)"),
    row!(0x8019_0001, "MREGISTER_E_DEVICE_MESSAGE_FORMAT_ERROR", LikelyPermanent, Configuration, MdmRegistrationH,
        "Invalid schema, message format error from the server (Windows 8.1 registration)"),
    row!(0x8019_0002, "MREGISTER_E_DEVICE_AUTHENTICATION_ERROR", LikelyPermanent, Authentication, MdmRegistrationH,
        "The server failed to authenticate the user (Windows 8.1 registration)"),
    row!(0x8019_0003, "MREGISTER_E_DEVICE_AUTHORIZATION_ERROR", LikelyPermanent, PolicyBlocked, MdmRegistrationH,
        "The user is not authorized to enroll (Windows 8.1 registration)"),
    row!(0x8019_0004, "MREGISTER_E_DEVICE_CERTIFCATEREQUEST_ERROR", Transient, Certificate, MdmRegistrationH,
        "No permission for the certificate template or the CA is unreachable (Windows 8.1 registration)"),
    row!(0x8019_0005, "MREGISTER_E_DEVICE_CONFIGMGRSERVER_ERROR", Transient, Server, MdmRegistrationH,
        "Failure at the management server (Windows 8.1 registration)"),
    row!(0x8019_0006, "MREGISTER_E_DEVICE_INTERNALSERVICE_ERROR", Transient, Server, MdmRegistrationH,
        "Unhandled exception on the server (Windows 8.1 registration)"),
    row!(0x8019_0007, "MREGISTER_E_DEVICE_INVALIDSECURITY_ERROR", LikelyPermanent, Authentication, MdmRegistrationH,
        "Invalid security (Windows 8.1 registration)"),
    row!(0x8019_0008, "MREGISTER_E_DEVICE_UNKNOWN_ERROR", Transient, Server, MdmRegistrationH,
        "Unknown server error (Windows 8.1 registration)"),
    row!(0x8019_0009, "MREGISTER_E_REGISTRATION_IN_PROGRESS", Transient, DeviceState, MdmRegistrationH,
        "Another enrollment operation is currently underway (Windows 8.1 registration)"),
    row!(0x8019_000A, "MREGISTER_E_DEVICE_ALREADY_REGISTERED", LikelyPermanent, DeviceState, MdmRegistrationH,
        "No longer used; Windows 8.1: the device is already enrolled"),
    row!(0x8019_000B, "MREGISTER_E_DEVICE_NOT_REGISTERED", LikelyPermanent, DeviceState, MdmRegistrationH,
        "No longer used; Windows 8.1: the device is not enrolled"),
    row!(0x8019_000C, "MREGISTER_E_DISCOVERY_REDIRECTED", LikelyPermanent, Configuration, MdmRegistrationH,
        "No longer used; Windows 8.1: redirection is needed"),
    row!(0x8019_000D, "MREGISTER_E_DEVICE_NOT_AD_REGISTERED_ERROR", LikelyPermanent, Configuration, MdmRegistrationH,
        "No longer used; Windows 8.1: the device is not registered with Active Directory"),
    row!(0x8019_000E, "MREGISTER_E_DISCOVERY_FAILED", LikelyPermanent, Configuration, MdmRegistrationH,
        "No longer used; Windows 8.1: discovery failed, redirection is needed"),
    row!(0x8019_0190, "HTTP_E_STATUS_BAD_REQUEST", LikelyPermanent, Configuration, WinError,
        "HTTP status 400 (bad request) from the discovery or enrollment server; field case B26 saw it on a third of devices with no cause found"),
    row!(0x8019_0191, "HTTP_E_STATUS_DENIED", LikelyPermanent, Authentication, WinError,
        "HTTP status 401 (access denied)"),
    row!(0x8019_0193, "HTTP_E_STATUS_FORBIDDEN", LikelyPermanent, PolicyBlocked, WinError,
        "HTTP status 403 (forbidden)"),
    row!(0x8019_0194, "HTTP_E_STATUS_NOT_FOUND", LikelyPermanent, Configuration, WinError,
        "HTTP status 404 (not found): check the discovery URL (it ends in /EnrollmentServer/Discovery.svc)"),
    row!(0x8019_0198, "HTTP_E_STATUS_REQUEST_TIMEOUT", Transient, Server, WinError,
        "HTTP status 408 (request timeout)"),
    row!(0x8019_01AD, "HTTP status 429", Transient, Server, ConfigMgrCoManagement,
        "HTTP status 429 (too many requests); ConfigMgr lists it as a generic HTTP issue"),
    row!(0x8019_01F4, "HTTP_E_STATUS_SERVER_ERROR", Transient, Server, WinError,
        "HTTP status 500 (internal server error)"),
    row!(0x8019_01F6, "HTTP_E_STATUS_BAD_GATEWAY", Transient, Server, WinError,
        "HTTP status 502 (bad gateway)"),
    row!(0x8019_01F7, "HTTP_E_STATUS_SERVICE_UNAVAIL", Transient, Server, WinError,
        "HTTP status 503 (service unavailable)"),
    row!(0x8019_01F8, "HTTP_E_STATUS_GATEWAY_TIMEOUT", Transient, Server, WinError,
        "HTTP status 504 (gateway timeout)"),
    row!(0x8019_2EE2, "WinHTTP 12002", Transient, Network, ConfigMgrCoManagement,
        "Internet timeout: the client cannot reach the cloud; should be transient"),
    row!(0x8019_2EE7, "WinHTTP 12007", Transient, Network, ConfigMgrCoManagement,
        "WinHTTP name not resolved: the client cannot resolve the service's name; check DNS"),
    row!(0x82AA_0008, "out of memory", Transient, Resource, ConfigMgrCoManagement,
        "Not enough memory resources are available to process this command; should resolve itself on retry"),
    row!(0x8600_0000, "CFGMGR_E_INVALIDNODEOPTIONS", LikelyPermanent, Payload, WinError,
        "The node options provided are invalid"),
    row!(0x8600_0001, "CFGMGR_E_INVALIDDATATYPE", LikelyPermanent, Payload, WinError,
        "The data type is invalid"),
    row!(0x8600_0002, "CFGMGR_E_NODENOTFOUND", LikelyPermanent, Payload, WinError,
        "The specified node does not exist (a CSP path the device does not have)"),
    row!(0xCAA1_0001, "need user sign-in", WaitsForLogon, NeedsUser, ConfigMgrCoManagement,
        "Need user sign-in; transient, happens when the user signs out before the enrollment task runs"),
    row!(0xCAA2_0003, "ADAL authorization grant failed", LikelyPermanent, Authentication, ConfigMgrCoManagement,
        "ADAL authorization grant failed for this assertion; check the Azure AD configuration"),
    row!(0xCAA7_0004, "server or proxy not found", Transient, Network, ConfigMgrCoManagement,
        "The server or proxy was not found; transient when the client cannot reach the cloud"),
    row!(0xCAA9_0014, "ADAL security token request failed", LikelyPermanent, Authentication, ConfigMgrCoManagement,
        "ADAL security token request failed; check the Azure AD configuration"),
    row!(0xCAA9_001F, "ADAL WIA only in federated flow", LikelyPermanent, Configuration, ConfigMgrCoManagement,
        "ADAL integrated Windows authentication is only supported in a federated flow"),
    row!(0xCAA9_004D, "ADAL user realm response unknown", LikelyPermanent, Authentication, ConfigMgrCoManagement,
        "ADAL user realm account response unknown; check the Azure AD configuration"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in TABLE.windows(2) {
            assert!(w[0].code < w[1].code, "{} then {}", w[0].code, w[1].code);
        }
        for k in TABLE {
            assert!(k.code.is_failure(), "{} is not a failure code", k.code);
            assert!(!k.meaning.is_empty() && !k.name.is_empty());
        }
    }

    #[test]
    fn parse_forms() {
        let want = HResult(0x8018_0014);
        assert_eq!("0x80180014".parse::<HResult>().unwrap(), want);
        assert_eq!("0X80180014".parse::<HResult>().unwrap(), want);
        assert_eq!("80180014".parse::<HResult>().unwrap(), want);
        assert_eq!("8018002b".parse::<HResult>().unwrap(), HResult(0x8018_002B));
        assert_eq!("2149056532".parse::<HResult>().unwrap(), want);
        assert_eq!("-2145910764".parse::<HResult>().unwrap(), want);
        assert_eq!("0".parse::<HResult>().unwrap(), HResult::S_OK);
        for bad in ["", "0x", "zz", "0x1234567890", "-99999999999", "4294967296"] {
            let e = bad.parse::<HResult>().unwrap_err();
            assert!(e.to_string().contains("HRESULT"), "{e}");
        }
    }

    #[test]
    fn every_category_has_a_cause_and_checks() {
        for k in TABLE {
            assert!(!k.category.likely_cause().is_empty());
            assert!(!k.category.what_to_check().is_empty(), "{}", k.name);
        }
        let unknown = HResult(0x8765_4321).decode();
        assert_eq!(unknown.category, Category::Unknown);
        assert!(!Category::Unknown.what_to_check().is_empty());
        assert_eq!(facility_name(7), Some("FACILITY_WIN32"));
        assert_eq!(facility_name(0x765), None);
        assert_eq!(Category::PolicyBlocked.to_string(), "policy blocked");
    }

    #[test]
    fn facilities() {
        let hr = HResult(0x8007_0525);
        assert_eq!(hr.win32(), Some(1317));
        assert_eq!(hr.http_status(), None);
        assert_eq!(HResult(0x8019_0194).http_status(), Some(404));
        assert_eq!(HResult(0x8019_0001).http_status(), None);
        assert!(!HResult(0x0018_0011).is_failure());
    }
}
