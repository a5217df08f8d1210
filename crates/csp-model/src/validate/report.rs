//! The one diagnostic type of the workspace: [`Diagnostic`] with its stable [`Code`], the
//! [`Report`] that holds them, and the [`Logger`] seam.
//!
//! Every layer reports through this type: the catalog validation of this crate
//! ([`crate::validate::validate`]), the typed profile checks of the `workplace` crate, and the
//! reading of inputs and packages in the CLI. One fault gets one diagnostic: when two layers
//! find the same fault at the same setting, [`merge_layers`] keeps one of them.
//!
//! Codes are names (`UnknownSetting`, `CertificateExpired`), stable once released: a code is
//! never renamed or reused, new codes are appended. `docs/DIAGNOSTICS.md` lists every code with
//! its severity, layer and meaning; a test regenerates it from [`Code::ALL`] and fails when the
//! file differs, so the table cannot drift.
//!
//! Printed form ([`Diagnostic`]'s `Display`):
//! `file:line:col: severity[Code] setting-path: message`. A diagnostic inside a package names
//! the package member: `out.ppkg!/customizations.xml:9:9: …`. One without a position says why
//! (`reason`). `--json` output carries the same fields ([`Diagnostic`]'s `Serialize`).
//!
//! The checks follow x509-parser's `validate` feature (`Validator`, `Logger`/`VecLogger`): checks
//! push every finding into a logger and never stop at the first; `Err` is kept for input that
//! could not be read at all.

use std::fmt;

use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};

/// How bad a finding is. Ordered: `Info < Warning < Error`. Serialized in lower case.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing (a token's days left, a value that was normalised); the package is fine.
    Info,
    /// Likely a mistake or likely to fail on some devices; the package can still be built.
    Warning,
    /// WCD would refuse the package, or the device would fail to apply the setting; a build
    /// stops.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which layer of the workspace finds a [`Code`] (shown in `docs/DIAGNOSTICS.md`).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[non_exhaustive]
pub enum Layer {
    /// Reading an input: encoding, XML/TOML/JSON syntax, missing files (the CLI and
    /// `ppkg_format`).
    Input,
    /// The settings catalog and DDF validation of this crate ([`crate::validate`]).
    Catalog,
    /// The typed profile checks of the `workplace` crate (`workplace::check`).
    Profile,
    /// Checks on a built package: its WIM, catalog signature and compiled documents (the CLI).
    Package,
}

impl Layer {
    /// `input`, `catalog`, `profile` or `package`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Catalog => "catalog",
            Self::Profile => "profile",
            Self::Package => "package",
        }
    }
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $sev:ident in $($layer:ident)|+; )*) => {
        /// A stable diagnostic code. The printed form is the variant name (`UnknownSetting`);
        /// names are never renamed or reused, new codes are appended.
        #[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: its name, e.g. `UnknownSetting`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => stringify!($variant), )* }
            }

            /// The code's name (the same as [`Code::as_str`]).
            pub fn name(self) -> &'static str {
                self.as_str()
            }

            /// The severity this code normally carries.
            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// The layers that report this code.
            pub fn layers(self) -> &'static [Layer] {
                match self { $( Code::$variant => &[$(Layer::$layer),+], )* }
            }

            /// The meaning and source of the code (its documentation, one line).
            pub fn description(self) -> String {
                let lines: &[&str] = match self { $( Code::$variant => &[$($doc),*], )* };
                lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
            }

            /// The code with this name.
            pub fn from_name(name: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }
    };
}

codes! {
    // ---- Input ----------------------------------------------------------------------------
    /// The input is not well-formed XML, TOML or JSON, or its bytes contradict its declared
    /// encoding (field case B04: the position of the fault, never a generic failure).
    ParseError = Error in Input;
    /// The input file cannot be read (missing, a folder, too large); the `reason` field says
    /// why it has no position.
    InputUnreadable = Error in Input;
    /// The typed profile checks could not run on an answer file (it does not map to a
    /// profile); only the catalog checks ran.
    ProfileChecksSkipped = Warning in Input;
    /// The answer file or profile could not be turned into a package (a missing asset file, a
    /// value the compiler refuses).
    CompileFailed = Error in Input;

    // ---- Catalog (csp-model validate) -----------------------------------------------------
    /// The element or setting path is not a setting of the catalog at that place (field case
    /// B01; catalog from WCD's settings store).
    UnknownSetting = Error in Catalog | Profile;
    /// The setting exists, but under another parent (e.g. a top-level node nested wrongly).
    WrongParent = Error in Catalog;
    /// The setting exists, but not for the target edition (field case B02; WCD's store lists
    /// the editions of each setting).
    SettingNotInTarget = Error in Catalog;
    /// The value is not of the setting's type (bool, integer, base64, …).
    WrongType = Error in Catalog;
    /// The value is not one of the allowed enumeration labels/values.
    EnumNotAllowed = Error in Catalog;
    /// The number is outside the allowed range.
    OutOfRange = Error in Catalog;
    /// The text is longer than the setting's maximum length (field case B06).
    ValueTooLong = Error in Catalog | Profile;
    /// The text is shorter than the minimum length.
    TooShort = Error in Catalog;
    /// The text does not match the required pattern.
    PatternMismatch = Error in Catalog;
    /// A map or list item lacks its key attribute (e.g. `<User>` without `UserName`).
    MissingKey = Error in Catalog;
    /// Two items of one map or list share a key.
    DuplicateKey = Error in Catalog | Profile;
    /// An XML value (e.g. a WLAN profile) is empty, not well formed or uses an undeclared
    /// namespace prefix (field case B03).
    EmbeddedXmlInvalid = Error in Catalog;
    /// A container setting holds text (it should only hold child settings).
    UnexpectedText = Warning in Catalog;
    /// A value setting is present but empty.
    EmptyValue = Warning in Catalog;
    /// The same setting appears twice under one parent; WCD keeps only one.
    DuplicateSetting = Warning in Catalog;
    /// A constraint could not be checked (e.g. a pattern in a dialect this library cannot
    /// compile).
    Unchecked = Info in Catalog;
    /// The CSP node does not accept this operation (DDF `AccessType` lacks Add/Replace/Exec).
    AccessDenied = Error in Catalog;
    /// The OMA-URI names no node of the loaded DDF files.
    UnknownNode = Error in Catalog;
    /// The CSP node is deprecated (DDF `MSFT:Deprecated`).
    Deprecated = Warning in Catalog;
    /// An attribute that the setting does not define (only a map item's key attribute is
    /// expected).
    UnexpectedAttribute = Warning in Catalog;
    /// A setting marked required by the catalog is missing from an item that is present.
    MissingRequired = Error in Catalog;
    /// The answer file's structure is off (no `<Settings>`, no `<PackageConfig>`, …).
    Structure = Warning in Catalog;
    /// The setting is in the catalog but the compiler has no way to write it (no CSP path, no
    /// registry mapping, not a payload): `build` would refuse it, so `validate` does too.
    NoCompilerHandler = Error in Catalog;
    /// No SettingsGroup GUID is known for the setting's group (no sequence table entry, no real
    /// package, no generated GUID): `build` would refuse it.
    NoSettingsGroup = Error in Catalog;
    /// The setting's SettingsGroup GUID is generated by this crate (no sequence table or real
    /// package gives WCD's); the package works, but its RunTime.xml differs from WCD's there.
    GeneratedSettingsGroup = Info in Catalog;
    /// The setting is defined only by an older settings store (2019) for the target edition;
    /// the current store (22621) no longer lists it. Accepted as the older store defines it.
    OlderStoreOnly = Info in Catalog;
    /// A value, name, attribute or package field holds a character XML 1.0 cannot carry (C0
    /// controls other than TAB/CR/LF, NUL, U+FFFE, U+FFFF): no package could hold it.
    InvalidXmlChar = Error in Catalog;
    /// Multivariant settings (`Targets`, `Variant`/`Profile`): not compiled, because the layout
    /// WCD gives them in a package is not established from evidence; `build` refuses rather than
    /// leaving the variant settings out.
    MultivariantNotCompiled = Error in Catalog;

    // ---- Profile (workplace check) --------------------------------------------------------
    /// Package version is not `N.N` or `N.N.N.N` (WCD's PackageConfig schema, each part 0–65535).
    VersionFormat = Error in Profile;
    /// Rank outside 0–99 (WCD's PackageConfig: "Rank: 0 to 99").
    RankOutOfRange = Error in Profile;
    /// Package name empty.
    PackageNameMissing = Error in Profile;
    /// Package name starts or ends with white space: the PackageConfig reader trims it (the WIM
    /// image NAME would differ from the answer file's `Name`).
    PackageNameWhitespace = Error in Profile;
    /// PackageConfig `ID` is not a GUID (8-4-4-4-12 hex digits, braces optional).
    PackageIdInvalid = Error in Profile;
    /// OwnerType is not one of PackageConfig.xsd's six names (Microsoft, SiliconVendor, OEM,
    /// SystemIntegrator, MobileOperator, ITAdmin).
    OwnerTypeInvalid = Error in Profile;
    /// UPN is not `local@domain.tld` (RFC 822-style user principal name, no spaces).
    UpnSyntax = Error in Profile;
    /// A service URL is not `https://` (enrollment needs TLS: MS-MDE2 §3.1).
    UrlNotHttps = Error in Profile;
    /// A service URL does not parse as `https://host/path`.
    UrlInvalid = Error in Profile;
    /// A service URL has leading or trailing whitespace (it was trimmed).
    UrlTrimmed = Warning in Profile;
    /// Discovery URL path is not `/EnrollmentServer/Discovery.svc` (case-insensitive; field case B24).
    DiscoveryPathUnexpected = Warning in Profile;
    /// AuthPolicy is neither `OnPremise` nor `Certificate` (the store's only two labels).
    UnsupportedAuthPolicy = Error in Profile;
    /// AuthPolicy differed from WCD's label only by case; it is normalised.
    AuthPolicyNormalized = Warning in Profile;
    /// OnPremise enrollment without a Secret (its password).
    SecretRequired = Error in Profile;
    /// Certificate enrollment whose Secret is not a 40-hex-digit SHA-1 thumbprint.
    InvalidThumbprint = Error in Profile;
    /// A thumbprint was normalised (spaces/colons removed, upper case).
    ThumbprintNormalized = Info in Profile;
    /// Certificate enrollment's thumbprint matches no client certificate in the profile.
    ThumbprintNotInProfile = Error in Profile;
    /// A secret field holds the mask `********` (a profile saved without secrets).
    SecretIsMask = Error in Profile;
    /// The PFX bytes are not a readable PKCS#12 file.
    PfxUnreadable = Error in Profile;
    /// The PFX did not open with the given password (MAC check failed), or no password was given.
    PfxPasswordInvalid = Error in Profile;
    /// The PFX holds no private key with a certificate.
    PfxNoKey = Error in Profile;
    /// A certificate file is neither DER nor PEM X.509.
    CertificateUnreadable = Error in Profile;
    /// A certificate's NotAfter is in the past (CERT_E_EXPIRED on the device; field case B21).
    CertificateExpired = Error in Profile;
    /// A certificate expires within 30 days.
    CertificateExpiresSoon = Warning in Profile;
    /// A certificate's NotBefore is in the future.
    CertificateNotYetValid = Warning in Profile;
    /// An asset (PFX, certificate) was not loaded; call `Profile::resolve_assets`.
    AssetNotLoaded = Warning in Profile;
    /// The certificate file name/hash given as a key does not match the file's SHA-1.
    ThumbprintMismatch = Warning in Profile;
    /// ExportCertificate (PFXKeyExportable) with a TPM key location (ClientCertificateInstall CSP: exportable only with KeyLocation 3).
    ExportableRequiresSoftwareKey = Error in Profile;
    /// KeyLocation is not one of WCD's labels (1 TPM only, 2 TPM with software fallback, 3 Software only).
    InvalidKeyLocation = Error in Profile;
    /// A client certificate without KeyLocation (required by WCD's store; the compiled
    /// ClientCertificateInstall node needs it).
    KeyLocationMissing = Error in Profile;
    /// TPM-only key storage fails on devices without a TPM (field case B22).
    TpmImportMayFailOnDevicesWithoutTpm = Warning in Profile;
    /// SSID is not 1–32 bytes (IEEE 802.11 SSID length).
    SsidLength = Error in Profile;
    /// WPA2-Personal key is not 8–63 printable ASCII characters or 64 hex digits (IEEE 802.11i).
    InvalidPassphrase = Error in Profile;
    /// WEP key is not 5/13 ASCII characters or 10/26 hex digits.
    InvalidWepKey = Error in Profile;
    /// A security key is given for an Open network.
    KeyForOpenNetwork = Error in Profile;
    /// Security type is not `Open`, `WEP` or `WPA2-Personal` (WCD's WLANSetting labels).
    InvalidAuthentication = Error in Profile;
    /// SSID contains a space: the CSP path needs `%20` (field case B14).
    WlanNameHasSpace = Warning in Profile;
    /// Security key required (WEP, WPA2-Personal) but missing.
    SecurityKeyMissing = Error in Profile;
    /// Proxy is not `host:port`.
    ProxyInvalid = Error in Profile;
    /// Computer name longer than 15 characters in the worst case after macro expansion.
    ComputerNameTooLong = Error in Profile;
    /// Computer name length depends on the serial length; says how many characters are left.
    SerialLengthUnknown = Warning in Profile;
    /// Computer name Windows refuses: a NetBIOS-disallowed character (`\ / : * ? " < > |`),
    /// a control character, a leading period, or digits only (Microsoft KB 909264 "Naming
    /// conventions in Active Directory for computers, domains, sites, and OUs").
    ComputerNameChars = Error in Profile;
    /// Computer name NetBIOS accepts but a DNS host label does not (`_`, `.`, space, other
    /// punctuation, non-ASCII letters, a leading or trailing `-`): RFC 952, RFC 1123 §2.1,
    /// KB 909264 DNS host names. The device works, but its DNS name differs.
    NotDnsHostName = Warning in Profile;
    /// Unknown or malformed macro (`%RAND:0%`, `%RAND:x%`, `%FOO%`).
    BadMacro = Error in Profile;
    /// `%RAND:n%` gives a fleet a likely name collision (birthday bound > 0.5; field case B11).
    RandCollisionRisk = Warning in Profile;
    /// A constant name over 15 characters: Windows derives a different 15-character NetBIOS name.
    NetBiosNameWillDiffer = Warning in Profile;
    /// ComputerName with an AD domain join: the macro node is not applied on hybrid join (B10).
    ComputerNameIgnoredForHybrid = Warning in Profile;
    /// Domain join without a domain, account or password.
    DomainJoinIncomplete = Error in Profile;
    /// Local user without a password (the store marks `Password` required).
    UserPasswordMissing = Error in Profile;
    /// Local user name is empty, longer than 20 characters or has `" / \ [ ] : ; | = , + * ? < >`.
    UserNameInvalid = Error in Profile;
    /// Local user group is not `Standard Users` or `Administrators`.
    UserGroupInvalid = Error in Profile;
    /// Azure AD join with an empty BPRT.
    BulkTokenMissing = Error in Profile;
    /// The bulk token has expired.
    BulkTokenExpired = Error in Profile;
    /// The bulk token expires within 30 days.
    BulkTokenExpiresSoon = Warning in Profile;
    /// When the bulk token expires (shown for every token with a known expiry).
    BulkTokenExpiry = Info in Profile;
    /// Token lifetime over 180 days (Microsoft's documented maximum).
    TokenLifetimeTooLong = Error in Profile;
    /// A provisioning command without a command line.
    CommandLineMissing = Error in Profile;
    /// A setting path that is empty or malformed.
    SettingPathInvalid = Error in Profile;
    /// A trusted provisioner key that is not a 40-hex SHA-1 hash.
    TrustedProvisionerHash = Error in Profile;
    /// A bulk-token package placed in `Recovery\Customizations`: the token is not processed (B37).
    BprtNotProcessedFromRecoveryCustomizations = Warning in Profile;
    /// A package in a subfolder of removable media: OOBE does not find it (B37).
    NotFoundByOobe = Warning in Profile;

    /// A WPA2-Enterprise or WPA3-Enterprise network without `[wifi.eap]`.
    EapMissing = Error in Profile;
    /// `[wifi.eap]` or a key on a network whose security type does not use it.
    EapNotApplicable = Error in Profile;
    /// EAP method other than `EAP-TLS` or `PEAP-MSCHAPv2`, or an authMode outside the OneX
    /// schema's `machineOrUser`, `machine`, `user`, `guest`.
    EapMethodInvalid = Error in Profile;
    /// EAP-TLS without a client certificate, or naming one the profile does not have.
    EapClientCertificateMissing = Error in Profile;
    /// The EAP-TLS client certificate's root CA is not in the profile, so the profile cannot pin
    /// it (`CAHashList`): the device may pick another client-authentication certificate.
    EapClientCertificateNotPinned = Warning in Profile;
    /// An enterprise network with no trusted root CA for the RADIUS server's certificate.
    EapTrustedRootMissing = Error in Profile;
    /// A trusted root thumbprint that is not 40 hex digits (SHA-1).
    TrustedRootThumbprintInvalid = Error in Profile;
    /// A trusted root thumbprint that is none of the profile's root certificates: the device
    /// must already have that root.
    TrustedRootNotInProfile = Warning in Profile;
    /// An enterprise network without RADIUS server names, or a name containing `;`.
    EapServerNamesMissing = Error in Profile;

    // ---- Package (CLI: validate / inspect FILE.ppkg) --------------------------------------
    /// The package cannot be read: not a WIM, damaged blob (SHA-1 mismatch), bad XPRESS data,
    /// wrong password (FORMAT.md §1–§5).
    PackageDamaged = Error in Package;
    /// The package holds no `customizations.xml` (WCD always writes one; FORMAT.md §3).
    NoAnswerFile = Error in Package;
    /// The `.cat` beside the package does not sign it, or the package says it was signed
    /// (NOTES `SignPackage=True`) and no `.cat` is beside it.
    SignatureProblem = Warning in Package;
    /// A payload's SHA-256 differs from the hash in its DataAsset key (`0_<base64 SHA-256>\name`;
    /// FORMAT.md §4): the payload was changed after the package was built.
    PayloadHashMismatch = Warning in Package;
    /// A row of a `ppkg bulk` devices CSV cannot be applied to the profile (unknown column, no
    /// item to override).
    BulkRowInvalid = Error in Input;
    /// A setting that names a file (`*Path`, `*File`: a PFX, a certificate, a command file)
    /// given per request to `ppkg serve`: a request may not make the server read its own
    /// files; such files belong in a template, or are sent as inline `assets`.
    FileSettingRefused = Error in Input;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A line and column in a source document (both 1-based; column in characters).
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl LineCol {
    /// A position.
    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl From<crate::ddf::SourcePos> for LineCol {
    fn from(p: crate::ddf::SourcePos) -> Self {
        Self {
            line: p.line,
            column: p.column,
        }
    }
}

impl From<ppkg_format::xml::TextPos> for LineCol {
    fn from(p: ppkg_format::xml::TextPos) -> Self {
        Self {
            line: p.line,
            column: p.column,
        }
    }
}

/// One finding: code, severity, the setting path, where it is, and a message.
///
/// - `path`: the setting in customizations.xml terms, written with `/`
///   (`Workplace/Enrollments/UPN[@UPN="a@contoso.com"]/AuthPolicy`), or an OMA-URI; empty for a
///   finding about a whole file.
/// - `file`: the input file as the user named it; `member`: the member of a package the
///   position refers to (`customizations.xml`); `pos`: line:column in that file or member.
/// - `reason`: why there is no position, when there is none (a missing file, a finding about a
///   whole package).
///
/// Messages never contain the value of a secret setting (passwords, keys, tokens): checks on
/// such settings describe the value without it.
///
/// `Display`: `file[!/member]:line:col: severity[Code] path: message (hint: …)`; without a
/// position `file: severity[Code] path: message (no position: reason)`. `Serialize` (for
/// `--json`): `file`, `member`, `line`, `column`, `severity`, `code`, `path`, `message`,
/// `hint`, `reason`, with `null` for what is unknown.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity (normally `code.default_severity()`).
    pub severity: Severity,
    /// The setting path, e.g. `Workplace/Enrollments/UPN[@UPN="user@contoso.com"]/AuthPolicy`.
    pub path: String,
    /// Where in the source, when known.
    pub pos: Option<LineCol>,
    /// What is wrong.
    pub message: String,
    /// What to do about it, when there is a likely fix.
    pub hint: Option<String>,
    /// The input file, as the user named it.
    pub file: Option<String>,
    /// The package member `pos` refers to (`customizations.xml`), for a package input.
    pub member: Option<String>,
    /// Why the diagnostic has no position (set only when `pos` is `None`).
    pub reason: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(
        code: Code,
        path: impl Into<String>,
        pos: Option<LineCol>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: code.default_severity(),
            path: path.into(),
            pos,
            message: message.into(),
            hint: None,
            file: None,
            member: None,
            reason: None,
        }
    }

    /// A diagnostic about a field, placed later (by the caller that knows the source text).
    pub fn field(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, path, None, message)
    }

    /// The same diagnostic with another severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the file.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Sets the package member.
    pub fn in_member(mut self, member: impl Into<String>) -> Self {
        self.member = Some(member.into());
        self
    }

    /// Sets the position (clears any reason).
    pub fn at(mut self, pos: Option<LineCol>) -> Self {
        if pos.is_some() {
            self.reason = None;
        }
        self.pos = pos;
        self
    }

    /// Says why there is no position (ignored when there is one).
    pub fn unplaced_because(mut self, reason: impl Into<String>) -> Self {
        if self.pos.is_none() {
            self.reason = Some(reason.into());
        }
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Whether it has a position or says why not.
    pub fn is_placed_or_explained(&self) -> bool {
        self.pos.is_some() || self.reason.is_some()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote_place = false;
        if let Some(file) = &self.file {
            f.write_str(file)?;
            wrote_place = true;
        }
        if let Some(member) = &self.member {
            write!(f, "!/{}", member.trim_start_matches('/'))?;
            wrote_place = true;
        }
        if let Some(p) = self.pos {
            if wrote_place {
                f.write_str(":")?;
            }
            write!(f, "{p}")?;
            wrote_place = true;
        }
        if wrote_place {
            f.write_str(": ")?;
        }
        write!(f, "{}[{}]", self.severity, self.code)?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        if self.pos.is_none() {
            if let Some(r) = &self.reason {
                write!(f, " (no position: {r})")?;
            }
        }
        Ok(())
    }
}

impl Serialize for Diagnostic {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Diagnostic", 10)?;
        st.serialize_field("file", &self.file)?;
        st.serialize_field("member", &self.member)?;
        st.serialize_field("line", &self.pos.map(|p| p.line))?;
        st.serialize_field("column", &self.pos.map(|p| p.column))?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("hint", &self.hint)?;
        st.serialize_field("reason", &self.reason)?;
        st.end()
    }
}

/// The setting a path names, in one spelling for every layer: no leading `/`, list keys
/// `[@Key="v"]` and `[v]` both written `[v]`, compared case-insensitively.
pub fn setting_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path.trim_start_matches('/');
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find(']') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        // `[@Key="v"]`, `[Key=v]` and `[v]` name the same item.
        let keyed = inner
            .strip_prefix('@')
            .unwrap_or(inner)
            .split_once('=')
            .filter(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        let value = match keyed {
            Some((_, v)) => v.trim_matches('"').trim_matches('\''),
            None => inner,
        };
        out.push('[');
        out.push_str(value);
        out.push(']');
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.to_ascii_lowercase()
}

/// Merges the diagnostics of two layers that looked at the same settings so that one fault
/// gives one diagnostic. `primary` is the layer closest to what the user wrote (the typed
/// profile checks); `secondary` the catalog validation.
///
/// For each setting (compared with [`setting_key`]):
/// - a secondary diagnostic at the same setting as a primary one of equal or higher severity is
///   dropped (`UnsupportedAuthPolicy` wins over `EnumNotAllowed` on the same AuthPolicy);
/// - a primary diagnostic at the same setting as a more severe secondary one is dropped (a
///   case-normalisation warning gives way to the catalog's error);
/// - a secondary diagnostic under a setting the primary layer rejects with an error is dropped
///   (an unknown container makes every child unknown too);
/// - a secondary diagnostic on a container of a setting the primary layer reports at least as
///   severely is dropped (the catalog's unreadable `PackageConfig` when the profile already
///   said `PackageConfig/ID` is not a GUID);
/// - exact repeats (same code, path, position and message) are dropped.
pub fn merge_layers(primary: Vec<Diagnostic>, secondary: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let pkeys: Vec<String> = primary.iter().map(|d| setting_key(&d.path)).collect();
    let mut drop_primary = vec![false; primary.len()];
    let mut kept_secondary = Vec::new();
    for d in secondary {
        let key = setting_key(&d.path);
        if key.is_empty() {
            kept_secondary.push(d);
            continue;
        }
        let mut covered = false;
        for (i, p) in primary.iter().enumerate() {
            let pk = &pkeys[i];
            if pk.is_empty() {
                continue;
            }
            if *pk == key {
                if p.severity >= d.severity {
                    covered = true;
                } else {
                    drop_primary[i] = true;
                }
            } else if p.is_error() && key.starts_with(&format!("{pk}/")) {
                covered = true;
            } else if p.severity >= d.severity && pk.starts_with(&format!("{key}/")) {
                // The container-level finding restates a fault the primary layer placed on
                // one of its fields (`PackageConfig` unreadable because `PackageConfig/ID` is
                // not a GUID).
                covered = true;
            }
        }
        if !covered {
            kept_secondary.push(d);
        }
    }
    let mut out: Vec<Diagnostic> = primary
        .into_iter()
        .zip(drop_primary)
        .filter(|(_, dropped)| !dropped)
        .map(|(d, _)| d)
        .collect();
    out.extend(kept_secondary);
    dedup_exact(out)
}

/// Removes exact repeats (same code, severity, path, file, position and message), keeping the
/// first of each.
pub fn dedup_exact(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = std::collections::HashSet::new();
    diagnostics
        .into_iter()
        .filter(|d| {
            seen.insert((
                d.code,
                d.severity,
                d.path.clone(),
                d.file.clone(),
                d.pos,
                d.message.clone(),
            ))
        })
        .collect()
}

/// Receives diagnostics as checks find them (x509-parser's `Logger`).
pub trait Logger {
    /// Records one diagnostic.
    fn log(&mut self, diagnostic: Diagnostic);
}

impl Logger for Vec<Diagnostic> {
    fn log(&mut self, diagnostic: Diagnostic) {
        self.push(diagnostic);
    }
}

/// A [`Logger`] that hands each diagnostic to a closure (for streaming output).
#[derive(Debug)]
pub struct CallbackLogger<F: FnMut(Diagnostic)>(pub F);

impl<F: FnMut(Diagnostic)> Logger for CallbackLogger<F> {
    fn log(&mut self, diagnostic: Diagnostic) {
        (self.0)(diagnostic);
    }
}

/// A list of diagnostics. [`Report::new`] sorts them by position (unknown positions last), then
/// code, then path; [`Report::push`] appends (the profile checks keep field order).
///
/// `Display` prints one diagnostic per line (see [`Diagnostic`]'s `Display`).
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize)]
pub struct Report {
    /// The diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// A report of these diagnostics (sorted on construction).
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by(|a, b| {
            let key = |d: &Diagnostic| (d.pos.is_none(), d.pos);
            key(a)
                .cmp(&key(b))
                .then(a.code.cmp(&b.code))
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.message.cmp(&b.message))
        });
        Self { diagnostics }
    }

    /// Adds one diagnostic at the end.
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// All diagnostics.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Whether there is no error (warnings and infos allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        !self.is_valid()
    }

    /// Whether there is no diagnostic at all.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// The number of diagnostics.
    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    /// The diagnostics with this code.
    pub fn with_code(&self, code: Code) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics.iter().filter(move |d| d.code == code)
    }

    /// Whether a diagnostic with this code is present.
    pub fn has(&self, code: Code) -> bool {
        self.with_code(code).next().is_some()
    }

    /// Consumes the report, giving its diagnostics.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
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

impl<'a> IntoIterator for &'a Report {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.diagnostics.iter()
    }
}

/// The code table of `docs/DIAGNOSTICS.md` (Markdown), generated from [`Code::ALL`].
pub fn code_table_markdown() -> String {
    let mut s =
        String::from("| Code | Severity | Layer | Meaning and source |\n|---|---|---|---|\n");
    for c in Code::ALL {
        let layers: Vec<&str> = c.layers().iter().map(|l| l.as_str()).collect();
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.as_str(),
            c.default_severity(),
            layers.join(", "),
            c.description().replace('|', "\\|")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_names() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c:?} twice");
            assert_eq!(format!("{c:?}"), c.as_str());
            assert_eq!(Code::from_name(c.as_str()), Some(*c));
            assert!(!c.description().is_empty(), "{c:?} undocumented");
        }
    }

    #[test]
    fn display_reads_file_line_col_severity_code_path_message() {
        let d = Diagnostic::new(
            Code::EnumNotAllowed,
            "Workplace/Enrollments/UPN[@UPN=\"a@b.c\"]/AuthPolicy",
            Some(LineCol::new(9, 9)),
            "not a label",
        )
        .in_file("p.xml");
        assert_eq!(
            d.to_string(),
            "p.xml:9:9: error[EnumNotAllowed] Workplace/Enrollments/UPN[@UPN=\"a@b.c\"]/AuthPolicy: not a label"
        );
        let d = d.in_member("customizations.xml");
        assert!(d
            .to_string()
            .starts_with("p.xml!/customizations.xml:9:9: error[EnumNotAllowed] "));
        let u = Diagnostic::field(Code::InputUnreadable, "", "cannot open")
            .in_file("x.toml")
            .unplaced_because("the file does not exist");
        assert_eq!(
            u.to_string(),
            "x.toml: error[InputUnreadable]: cannot open (no position: the file does not exist)"
        );
        let j = serde_json::to_value(&u).expect("json");
        assert_eq!(j["line"], serde_json::Value::Null);
        assert_eq!(j["reason"], "the file does not exist");
        assert_eq!(j["code"], "InputUnreadable");
        assert_eq!(j["severity"], "error");
    }

    #[test]
    fn setting_keys_agree_across_spellings() {
        assert_eq!(
            setting_key("/Workplace/Enrollments/UPN[a@b.c]/AuthPolicy"),
            setting_key("Workplace/Enrollments/UPN[@UPN=\"a@b.c\"]/AuthPolicy")
        );
        assert_eq!(
            setting_key("Certificates/ClientCertificates/ClientCertificate[CertificateName=Dev]"),
            setting_key(
                "Certificates/ClientCertificates/ClientCertificate[@CertificateName=\"Dev\"]"
            )
        );
    }

    #[test]
    fn merge_keeps_one_diagnostic_per_fault() {
        let p = Diagnostic::field(
            Code::UnsupportedAuthPolicy,
            "Workplace/Enrollments/UPN[@UPN=\"a@b.c\"]/AuthPolicy",
            "Kerberos",
        );
        let s = Diagnostic::field(
            Code::EnumNotAllowed,
            "/Workplace/Enrollments/UPN[a@b.c]/AuthPolicy",
            "Kerberos",
        );
        let other = Diagnostic::field(Code::WrongType, "/HotSpot/Enabled", "x");
        let merged = merge_layers(vec![p.clone()], vec![s.clone(), other.clone()]);
        assert_eq!(merged, vec![p.clone(), other]);
        // A warning gives way to a more severe finding of the other layer.
        let w = Diagnostic::field(Code::AuthPolicyNormalized, &p.path, "case");
        assert_eq!(merge_layers(vec![w], vec![s.clone()]), vec![s.clone()]);
        // Under a rejected container, children are not reported again.
        let unknown = Diagnostic::field(Code::UnknownSetting, "Foo", "unknown");
        let child = Diagnostic::field(Code::UnknownSetting, "/Foo/Bar", "unknown");
        assert_eq!(
            merge_layers(vec![unknown.clone()], vec![child]),
            vec![unknown]
        );
    }
}
