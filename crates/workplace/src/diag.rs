//! Diagnostics: what [`crate::check`] reports about a profile.

use std::fmt;

use serde::Serialize;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    /// Worth knowing (a token's days left, a value that was normalised); never blocks a build.
    Info,
    /// Likely to go wrong on some devices; the package can still be built.
    Warning,
    /// The package would fail to apply or would do something else than asked; a build must stop.
    Error,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $name:ident = $sev:ident, )*) => {
        /// Stable diagnostic codes. The string form ([`Code::as_str`]) is the variant name and
        /// never changes once released; new codes may be added.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $name, )*
        }

        impl Code {
            /// The stable name, e.g. `"CertificateExpired"`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$name => stringify!($name), )* }
            }

            /// The severity this code is reported with.
            pub fn severity(self) -> Severity {
                match self { $( Code::$name => Severity::$sev, )* }
            }

            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[ $( Code::$name, )* ];
        }
    };
}

codes! {
    /// Package version is not `N.N` or `N.N.N.N` (WCD's PackageConfig schema, each part 0–65535).
    VersionFormat = Error,
    /// Rank outside 0–99 (WCD's PackageConfig: "Rank: 0 to 99").
    RankOutOfRange = Error,
    /// Package name empty.
    PackageNameMissing = Error,
    /// PackageConfig `ID` is not a GUID (8-4-4-4-12 hex digits, braces optional).
    PackageIdInvalid = Error,
    /// OwnerType is not one of PackageConfig.xsd's six names (Microsoft, SiliconVendor, OEM,
    /// SystemIntegrator, MobileOperator, ITAdmin).
    OwnerTypeInvalid = Error,
    /// UPN is not `local@domain.tld` (RFC 822-style user principal name, no spaces).
    UpnSyntax = Error,
    /// Two enrollments with the same UPN (the UPN is the list key).
    DuplicateKey = Error,
    /// A service URL is not `https://` (enrollment needs TLS: MS-MDE2 §3.1).
    UrlNotHttps = Error,
    /// A service URL does not parse as `https://host/path`.
    UrlInvalid = Error,
    /// A service URL has leading or trailing whitespace (it was trimmed).
    UrlTrimmed = Warning,
    /// Discovery URL path is not `/EnrollmentServer/Discovery.svc` (case-insensitive; field case B24).
    DiscoveryPathUnexpected = Warning,
    /// AuthPolicy is neither `OnPremise` nor `Certificate` (the store's only two labels).
    UnsupportedAuthPolicy = Error,
    /// AuthPolicy differed from WCD's label only by case; it is normalised.
    AuthPolicyNormalized = Warning,
    /// OnPremise enrollment without a Secret (its password).
    SecretRequired = Error,
    /// Certificate enrollment whose Secret is not a 40-hex-digit SHA-1 thumbprint.
    InvalidThumbprint = Error,
    /// A thumbprint was normalised (spaces/colons removed, upper case).
    ThumbprintNormalized = Info,
    /// Certificate enrollment's thumbprint matches no client certificate in the profile.
    ThumbprintNotInProfile = Error,
    /// A secret field holds the mask `********` (a profile saved without secrets).
    SecretIsMask = Error,
    /// The PFX bytes are not a readable PKCS#12 file.
    PfxUnreadable = Error,
    /// The PFX did not open with the given password (MAC check failed), or no password was given.
    PfxPasswordInvalid = Error,
    /// The PFX holds no private key with a certificate.
    PfxNoKey = Error,
    /// A certificate file is neither DER nor PEM X.509.
    CertificateUnreadable = Error,
    /// A certificate's NotAfter is in the past (CERT_E_EXPIRED on the device; field case B21).
    CertificateExpired = Error,
    /// A certificate expires within 30 days.
    CertificateExpiresSoon = Warning,
    /// A certificate's NotBefore is in the future.
    CertificateNotYetValid = Warning,
    /// An asset (PFX, certificate) was not loaded; call `Profile::resolve_assets`.
    AssetNotLoaded = Warning,
    /// The certificate file name/hash given as a key does not match the file's SHA-1.
    ThumbprintMismatch = Warning,
    /// ExportCertificate (PFXKeyExportable) with a TPM key location (ClientCertificateInstall CSP: exportable only with KeyLocation 3).
    ExportableRequiresSoftwareKey = Error,
    /// KeyLocation is not one of WCD's labels (1 TPM only, 2 TPM with software fallback, 3 Software only).
    InvalidKeyLocation = Error,
    /// A client certificate without KeyLocation (required by WCD's store; the compiled
    /// ClientCertificateInstall node needs it).
    KeyLocationMissing = Error,
    /// TPM-only key storage fails on devices without a TPM (field case B22).
    TpmImportMayFailOnDevicesWithoutTpm = Warning,
    /// SSID is not 1–32 bytes (IEEE 802.11 SSID length).
    SsidLength = Error,
    /// WPA2-Personal key is not 8–63 printable ASCII characters or 64 hex digits (IEEE 802.11i).
    InvalidPassphrase = Error,
    /// WEP key is not 5/13 ASCII characters or 10/26 hex digits.
    InvalidWepKey = Error,
    /// A security key is given for an Open network.
    KeyForOpenNetwork = Error,
    /// Security type is not `Open`, `WEP` or `WPA2-Personal` (WCD's WLANSetting labels).
    InvalidAuthentication = Error,
    /// SSID contains a space: the CSP path needs `%20` (field case B14).
    WlanNameHasSpace = Warning,
    /// Security key required (WEP, WPA2-Personal) but missing.
    SecurityKeyMissing = Error,
    /// Proxy is not `host:port`.
    ProxyInvalid = Error,
    /// Computer name longer than 15 characters in the worst case after macro expansion.
    ComputerNameTooLong = Error,
    /// Computer name length depends on the serial length; says how many characters are left.
    SerialLengthUnknown = Warning,
    /// Computer name has characters other than A–Z, a–z, 0–9 and `-`, or is all digits.
    ComputerNameChars = Error,
    /// Unknown or malformed macro (`%RAND:0%`, `%RAND:x%`, `%FOO%`).
    BadMacro = Error,
    /// `%RAND:n%` gives a fleet a likely name collision (birthday bound > 0.5; field case B11).
    RandCollisionRisk = Warning,
    /// A constant name over 15 characters: Windows derives a different 15-character NetBIOS name.
    NetBiosNameWillDiffer = Warning,
    /// ComputerName with an AD domain join: the macro node is not applied on hybrid join (B10).
    ComputerNameIgnoredForHybrid = Warning,
    /// Domain join without a domain, account or password.
    DomainJoinIncomplete = Error,
    /// Local user without a password (the store marks `Password` required).
    UserPasswordMissing = Error,
    /// Local user name is empty, longer than 20 characters or has `" / \ [ ] : ; | = , + * ? < >`.
    UserNameInvalid = Error,
    /// Local user group is not `Standard Users` or `Administrators`.
    UserGroupInvalid = Error,
    /// Azure AD join with an empty BPRT.
    BulkTokenMissing = Error,
    /// The bulk token has expired.
    BulkTokenExpired = Error,
    /// The bulk token expires within 30 days.
    BulkTokenExpiresSoon = Warning,
    /// When the bulk token expires (shown for every token with a known expiry).
    BulkTokenExpiry = Info,
    /// Token lifetime over 180 days (Microsoft's documented maximum).
    TokenLifetimeTooLong = Error,
    /// A provisioning command without a command line.
    CommandLineMissing = Error,
    /// A value is longer than its known limit.
    ValueTooLong = Error,
    /// A setting path that is empty or malformed.
    SettingPathInvalid = Error,
    /// An untyped setting whose path (list keys removed) is not in the settings catalog of any
    /// edition (`csp_model::Catalog::builtin`, from WCD's store).
    UnknownSetting = Error,
    /// A trusted provisioner key that is not a 40-hex SHA-1 hash.
    TrustedProvisionerHash = Error,
    /// A bulk-token package placed in `Recovery\Customizations`: the token is not processed (B37).
    BprtNotProcessedFromRecoveryCustomizations = Warning,
    /// A package in a subfolder of removable media: OOBE does not find it (B37).
    NotFoundByOobe = Warning,
    /// A WPA2-Enterprise or WPA3-Enterprise network without `[wifi.eap]`.
    EapMissing = Error,
    /// `[wifi.eap]` or a key on a network whose security type does not use it.
    EapNotApplicable = Error,
    /// EAP method other than `EAP-TLS` or `PEAP-MSCHAPv2`, or an authMode outside the OneX
    /// schema's `machineOrUser`, `machine`, `user`, `guest`.
    EapMethodInvalid = Error,
    /// EAP-TLS without a client certificate, or naming one the profile does not have.
    EapClientCertificateMissing = Error,
    /// The EAP-TLS client certificate's root CA is not in the profile, so the profile cannot pin
    /// it (`CAHashList`): the device may pick another client-authentication certificate.
    EapClientCertificateNotPinned = Warning,
    /// An enterprise network with no trusted root CA for the RADIUS server's certificate.
    EapTrustedRootMissing = Error,
    /// A trusted root thumbprint that is not 40 hex digits (SHA-1).
    TrustedRootThumbprintInvalid = Error,
    /// A trusted root thumbprint that is none of the profile's root certificates: the device
    /// must already have that root.
    TrustedRootNotInProfile = Warning,
    /// An enterprise network without RADIUS server names, or a name containing `;`.
    EapServerNamesMissing = Error,
    /// A character XML 1.0 cannot carry (control characters other than tab, CR, LF; U+FFFE,
    /// U+FFFF) in a value written into XML.
    XmlIllegalCharacter = Error,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error, warning or info (normally `code.severity()`).
    pub severity: Severity,
    /// Field path in customizations.xml terms, with `/` between elements and list keys as
    /// in the one syntax of [`ppkg_format::path`], e.g.
    /// `Workplace/Enrollments/UPN[a@example.com]/Secret`,
    /// `Certificates/ClientCertificates/ClientCertificate[CertificateName=Dev]/CertificatePath`;
    /// `PackageConfig/Version` for package fields.
    pub path: String,
    /// What is wrong, in one sentence. Never contains a secret.
    pub message: String,
    /// What to do about it, when there is a likely fix.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's own severity.
    pub fn new(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            path: path.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        write!(f, "{sev}[{}] {}: {}", self.code, self.path, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// Every diagnostic [`crate::check`] found, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The diagnostics with this code.
    pub fn with_code(&self, code: Code) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(move |d| d.code == code)
    }

    /// Whether a diagnostic with this code is present.
    pub fn has(&self, code: Code) -> bool {
        self.with_code(code).next().is_some()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_formats_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()));
            let d = Diagnostic::new(*c, "A/B", "m").with_hint("h");
            let s = d.to_string();
            assert!(s.contains(c.as_str()) && s.contains("A/B"), "{s}");
        }
    }
}
