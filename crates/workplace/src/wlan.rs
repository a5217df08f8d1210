//! Wi-Fi helpers: the WiFi CSP path segment for an SSID, and the WLAN profile XML (write and
//! read back) for the security types WCD has no typed settings for.

use crate::profile::{Eap, EapMethod, Wifi, WifiSecurity};

/// Percent-encodes an SSID for use as one OMA-URI path segment (`Lab Net` → `Lab%20Net`):
/// everything but ASCII letters, digits and `-._~` (RFC 3986 unreserved) is written as `%XX`
/// per UTF-8 byte. Field case B14: the WiFi CSP needs a space as `%20`.
pub fn uri_segment(ssid: &str) -> String {
    let mut out = String::with_capacity(ssid.len());
    for b in ssid.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The namespaces of a generated WLAN profile, as Microsoft's schemas define them: WLAN_profile
/// v1, OneX v1, EapHostConfig, EapCommon, BaseEapConnectionPropertiesV1,
/// EapTlsConnectionProperties V1–V3, MsPeapConnectionProperties V1–V2 and
/// MsChapV2ConnectionPropertiesV1 (Native Wifi "WLAN_profile Schema", "OneX Schema"; EAPHost
/// "EAP-TLS Connection Properties", "PEAP MS-CHAPv2 Connection Properties"; MS-GPWL §6.8).
pub const WLAN_PROFILE_NAMESPACES: &[&str] = &[
    WLAN_NS,
    ONEX_NS,
    EAP_HOST_CONFIG_NS,
    EAP_COMMON_NS,
    BASE_EAP_NS,
    EAP_TLS_NS,
    EAP_TLS_V2_NS,
    EAP_TLS_V3_NS,
    MS_PEAP_NS,
    MS_PEAP_V2_NS,
    MS_CHAPV2_NS,
];

const WLAN_NS: &str = "http://www.microsoft.com/networking/WLAN/profile/v1";
const ONEX_NS: &str = "http://www.microsoft.com/networking/OneX/v1";
const EAP_HOST_CONFIG_NS: &str = "http://www.microsoft.com/provisioning/EapHostConfig";
const EAP_COMMON_NS: &str = "http://www.microsoft.com/provisioning/EapCommon";
const BASE_EAP_NS: &str = "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1";
const EAP_TLS_NS: &str = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1";
const EAP_TLS_V2_NS: &str = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2";
const EAP_TLS_V3_NS: &str = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV3";
const MS_PEAP_NS: &str = "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1";
const MS_PEAP_V2_NS: &str = "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2";
const MS_CHAPV2_NS: &str = "http://www.microsoft.com/provisioning/MsChapV2ConnectionPropertiesV1";

/// EAP type numbers (IANA "Method Types": 13 EAP-TLS, 25 PEAP, 26 MS-CHAPv2).
const EAP_TYPE_TLS: u8 = 13;
const EAP_TYPE_PEAP: u8 = 25;
const EAP_TYPE_MSCHAPV2: u8 = 26;

/// OneX `authMode` values (OneX schema, element `authMode`).
pub(crate) const AUTH_MODES: &[&str] = &["machineOrUser", "machine", "user", "guest"];

/// Whether `c` may appear in an XML 1.0 document (XML 1.0 §2.2 `Char`: tab, LF, CR,
/// U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// The file name the package carries a generated WLAN profile under: `wlan-<SSID>.xml` with
/// every character but ASCII letters, digits, `-` and `_` written as `_`, plus the first 8 hex
/// digits of the SSID's SHA-1 when anything was replaced (so `Lab Net` and `Lab_Net` differ).
pub fn wlan_profile_file_name(ssid: &str) -> String {
    let clean: String = ssid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == ssid && !ssid.is_empty() {
        format!("wlan-{clean}.xml")
    } else {
        use sha1::{Digest, Sha1};
        let h = Sha1::digest(ssid.as_bytes());
        format!(
            "wlan-{clean}-{:02x}{:02x}{:02x}{:02x}.xml",
            h[0], h[1], h[2], h[3]
        )
    }
}

/// Hex bytes separated by spaces, lower case (`27 ac 93 …`), as Windows writes `TrustedRootCA`.
fn spaced_hex(thumbprint: &str) -> String {
    let t = thumbprint.to_ascii_lowercase();
    let mut out = String::with_capacity(60);
    for (i, c) in t.chars().enumerate() {
        if i > 0 && i % 2 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The WLAN profile XML for a network WCD has no typed settings for (WPA3-Personal,
/// WPA2-Enterprise, WPA3-Enterprise), on one line.
///
/// Shape (Native Wifi "WLAN_profile Schema" v1): `name`, `SSIDConfig/SSID/{hex,name}` (plus
/// `nonBroadcast` for hidden networks), `connectionType` ESS, `connectionMode` auto/manual,
/// `MSM/security/authEncryption` (`WPA3SAE`/`AES` without 802.1X; `WPA2` or `WPA3ENT` with
/// `AES` and `useOneX` true), then a `sharedKey` passphrase (WPA3-Personal) or a `OneX` element
/// (OneX schema: `authMode`, `EAPConfig/EapHostConfig`). EAP-TLS: `CredentialsSource/
/// CertificateStore/SimpleCertSelection`, `ServerValidation`, `DifferentUsername`,
/// `PerformServerValidation`, `AcceptServerName` and, when `client_root` is given,
/// `TLSExtensions/FilteringInfo/CAHashList` with that root's thumbprint (EapTls V1–V3 schemas).
/// PEAP-MSCHAPv2: `ServerValidation`, `FastReconnect`, `InnerEapOptional`, the inner
/// MS-CHAPv2 `Eap` (`UseWinLogonCredentials` false), `EnableQuarantineChecks`,
/// `RequireCryptoBinding`, `PeapExtensions` (MsPeap V1–V2, MsChapV2 V1 schemas).
///
/// # Errors
/// A message (never containing the key) for a WCD-typed security type, a missing key or EAP
/// block, an unknown EAP method or authMode, a thumbprint that is not 40 hex digits, or a
/// character XML cannot carry.
pub fn wlan_profile_xml(w: &Wifi, client_root: Option<&str>) -> Result<String, String> {
    let illegal = |what: &str, s: &str| -> Result<(), String> {
        match s.chars().find(|c| !is_xml_char(*c)) {
            Some(c) => Err(format!(
                "{what} has the character U+{:04X}, which XML cannot carry",
                u32::from(c)
            )),
            None => Ok(()),
        }
    };
    illegal("the SSID", &w.ssid)?;
    let (auth, one_x) = match &w.security {
        WifiSecurity::Wpa3Personal => ("WPA3SAE", false),
        WifiSecurity::Wpa2Enterprise => ("WPA2", true),
        WifiSecurity::Wpa3Enterprise => ("WPA3ENT", true),
        other => {
            return Err(format!(
                "security type {:?} is written through WCD's WLANXmlSettings, not a WLAN profile",
                other.label()
            ))
        }
    };
    let name = escape(&w.ssid);
    let hex: String = w.ssid.bytes().map(|b| format!("{b:02X}")).collect();
    let mut x = String::with_capacity(2048);
    x.push_str("<?xml version=\"1.0\"?>");
    x.push_str(&format!("<WLANProfile xmlns=\"{WLAN_NS}\">"));
    x.push_str(&format!("<name>{name}</name>"));
    x.push_str(&format!(
        "<SSIDConfig><SSID><hex>{hex}</hex><name>{name}</name></SSID>"
    ));
    if w.hidden.unwrap_or(false) {
        x.push_str("<nonBroadcast>true</nonBroadcast>");
    }
    x.push_str("</SSIDConfig><connectionType>ESS</connectionType>");
    let mode = if w.auto_connect.unwrap_or(true) {
        "auto"
    } else {
        "manual"
    };
    x.push_str(&format!("<connectionMode>{mode}</connectionMode>"));
    x.push_str(&format!(
        "<MSM><security><authEncryption><authentication>{auth}</authentication>\
         <encryption>AES</encryption><useOneX>{one_x}</useOneX></authEncryption>"
    ));
    if !one_x {
        let key = w
            .key
            .as_ref()
            .map(crate::Secret::expose)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| format!("{} needs a key", w.security.label()))?;
        illegal("the key", key)?;
        x.push_str(&format!(
            "<sharedKey><keyType>passPhrase</keyType><protected>false</protected>\
             <keyMaterial>{}</keyMaterial></sharedKey>",
            escape(key)
        ));
    } else {
        let eap = w
            .eap
            .as_ref()
            .ok_or_else(|| format!("{} needs an [wifi.eap] block", w.security.label()))?;
        let mode = eap
            .auth_mode
            .as_deref()
            .unwrap_or(eap.method.default_auth_mode());
        if !AUTH_MODES.contains(&mode) {
            return Err(format!(
                "authMode {mode:?} is not one of {}",
                AUTH_MODES.join(", ")
            ));
        }
        let mut roots = Vec::new();
        for t in &eap.trusted_root_thumbprints {
            roots
                .push(crate::cert::normalize_thumbprint(t).ok_or_else(|| {
                    format!("trusted root thumbprint {t:?} is not 40 hex digits")
                })?);
        }
        for n in &eap.server_names {
            illegal("a server name", n)?;
            if n.contains(';') {
                return Err(format!(
                    "server name {n:?} contains `;`, the list separator"
                ));
            }
        }
        let mut validation = String::from(
            "<ServerValidation><DisableUserPromptForServerValidation>true\
             </DisableUserPromptForServerValidation>",
        );
        validation.push_str(&format!(
            "<ServerNames>{}</ServerNames>",
            escape(&eap.server_names.join(";"))
        ));
        for r in &roots {
            validation.push_str(&format!("<TrustedRootCA>{}</TrustedRootCA>", spaced_hex(r)));
        }
        validation.push_str("</ServerValidation>");
        let (outer, eap_type) = match &eap.method {
            EapMethod::EapTls => {
                let mut t = format!("<EapType xmlns=\"{EAP_TLS_NS}\">");
                t.push_str(
                    "<CredentialsSource><CertificateStore><SimpleCertSelection>true\
                     </SimpleCertSelection></CertificateStore></CredentialsSource>",
                );
                t.push_str(&validation);
                t.push_str("<DifferentUsername>false</DifferentUsername>");
                t.push_str(&format!(
                    "<PerformServerValidation xmlns=\"{EAP_TLS_V2_NS}\">true</PerformServerValidation>\
                     <AcceptServerName xmlns=\"{EAP_TLS_V2_NS}\">true</AcceptServerName>"
                ));
                if let Some(root) = client_root {
                    let root = crate::cert::normalize_thumbprint(root).ok_or_else(|| {
                        format!("client root thumbprint {root:?} is not 40 hex digits")
                    })?;
                    t.push_str(&format!(
                        "<TLSExtensions xmlns=\"{EAP_TLS_V2_NS}\"><FilteringInfo xmlns=\"{EAP_TLS_V3_NS}\">\
                         <CAHashList Enabled=\"true\"><IssuerHash>{}</IssuerHash></CAHashList>\
                         </FilteringInfo></TLSExtensions>",
                        root.to_ascii_lowercase()
                    ));
                }
                t.push_str("</EapType>");
                (EAP_TYPE_TLS, t)
            }
            EapMethod::PeapMschapv2 => {
                let mut t = format!("<EapType xmlns=\"{MS_PEAP_NS}\">");
                t.push_str(&validation);
                t.push_str(
                    "<FastReconnect>true</FastReconnect><InnerEapOptional>false</InnerEapOptional>",
                );
                t.push_str(&format!(
                    "<Eap xmlns=\"{BASE_EAP_NS}\"><Type>{EAP_TYPE_MSCHAPV2}</Type>\
                     <EapType xmlns=\"{MS_CHAPV2_NS}\"><UseWinLogonCredentials>false</UseWinLogonCredentials>\
                     </EapType></Eap>"
                ));
                t.push_str(
                    "<EnableQuarantineChecks>false</EnableQuarantineChecks>\
                     <RequireCryptoBinding>false</RequireCryptoBinding>",
                );
                t.push_str(&format!(
                    "<PeapExtensions><PerformServerValidation xmlns=\"{MS_PEAP_V2_NS}\">true\
                     </PerformServerValidation><AcceptServerName xmlns=\"{MS_PEAP_V2_NS}\">true\
                     </AcceptServerName></PeapExtensions>"
                ));
                t.push_str("</EapType>");
                (EAP_TYPE_PEAP, t)
            }
            EapMethod::Other(m) => {
                return Err(format!("EAP method {m:?} is not EAP-TLS or PEAP-MSCHAPv2"))
            }
        };
        x.push_str(&format!(
            "<OneX xmlns=\"{ONEX_NS}\"><authMode>{mode}</authMode><EAPConfig>\
             <EapHostConfig xmlns=\"{EAP_HOST_CONFIG_NS}\"><EapMethod>\
             <Type xmlns=\"{EAP_COMMON_NS}\">{outer}</Type>\
             <VendorId xmlns=\"{EAP_COMMON_NS}\">0</VendorId>\
             <VendorType xmlns=\"{EAP_COMMON_NS}\">0</VendorType>\
             <AuthorId xmlns=\"{EAP_COMMON_NS}\">0</AuthorId></EapMethod>\
             <Config xmlns=\"{EAP_HOST_CONFIG_NS}\"><Eap xmlns=\"{BASE_EAP_NS}\">\
             <Type>{outer}</Type>{eap_type}</Eap></Config></EapHostConfig></EAPConfig></OneX>"
        ));
    }
    x.push_str("</security></MSM></WLANProfile>");
    Ok(x)
}

/// What [`parse_wlan_profile_xml`] reads back from a WLAN profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedWlanProfile {
    /// The typed network; [`Eap::client_certificate`] is `None` (the XML names the client
    /// certificate only through its root CA, [`ParsedWlanProfile::client_roots`]).
    pub wifi: Wifi,
    /// `FilteringInfo/CAHashList/IssuerHash` thumbprints (40 upper-case hex digits).
    pub client_roots: Vec<String>,
}

/// Reads a WLAN profile into the typed fields [`wlan_profile_xml`] writes. Elements are matched
/// by local name, so profiles that use prefixes (`eapTls:EapType`) read as well.
///
/// # Errors
/// A message when the XML does not parse, the root is not `WLANProfile`, or the profile uses a
/// security or EAP setup outside what the typed fields describe (WPA3-Personal SAE,
/// WPA2/WPA3-Enterprise with EAP-TLS or PEAP-MSCHAPv2).
pub fn parse_wlan_profile_xml(xml: &str) -> Result<ParsedWlanProfile, String> {
    use ppkg_format::xml::{Document, Element};
    let doc = Document::parse_str(xml).map_err(|e| e.to_string())?;
    let root = &doc.root;
    if root.local_name() != "WLANProfile" {
        return Err(format!(
            "the root element is {:?}, not WLANProfile",
            root.name
        ));
    }
    fn at<'a>(e: &'a Element, path: &[&str]) -> Option<&'a Element> {
        let mut cur = e;
        for p in path {
            cur = cur.child(p)?;
        }
        Some(cur)
    }
    let text = |e: &Element, path: &[&str]| at(e, path).map(|x| x.text().trim().to_owned());
    let ssid = text(root, &["SSIDConfig", "SSID", "name"])
        .or_else(|| text(root, &["name"]))
        .ok_or("the profile has no SSID name")?;
    let hidden = text(root, &["SSIDConfig", "nonBroadcast"]).map(|v| v == "true");
    let auto = text(root, &["connectionMode"]).map(|v| v == "auto");
    let security = at(root, &["MSM", "security"]).ok_or("the profile has no MSM/security")?;
    let auth = text(security, &["authEncryption", "authentication"]).unwrap_or_default();
    let enc = text(security, &["authEncryption", "encryption"]).unwrap_or_default();
    let sec = match (auth.as_str(), enc.as_str()) {
        ("WPA3SAE", "AES") => WifiSecurity::Wpa3Personal,
        ("WPA2", "AES") => WifiSecurity::Wpa2Enterprise,
        ("WPA3ENT", "AES") => WifiSecurity::Wpa3Enterprise,
        (a, e) => return Err(format!("authentication {a}/{e} has no typed form")),
    };
    let mut wifi = Wifi {
        ssid,
        security: sec.clone(),
        key: None,
        // Defaults read back as `None` (auto connect, broadcast SSID), as a profile that did
        // not set them writes the same XML.
        auto_connect: auto.filter(|a| !a),
        hidden: hidden.filter(|h| *h),
        proxy: None,
        eap: None,
    };
    let mut client_roots = Vec::new();
    if sec == WifiSecurity::Wpa3Personal {
        wifi.key = text(security, &["sharedKey", "keyMaterial"]).map(crate::Secret::new);
    } else {
        let one_x = security
            .child("OneX")
            .ok_or("802.1X without a OneX element")?;
        let mode = text(one_x, &["authMode"]).unwrap_or_else(|| "machineOrUser".to_owned());
        let config = at(one_x, &["EAPConfig", "EapHostConfig", "Config", "Eap"])
            .ok_or("OneX without EAPConfig/EapHostConfig/Config/Eap")?;
        let outer = text(config, &["Type"]).unwrap_or_default();
        let eap_type = config.child("EapType").ok_or("Eap without EapType")?;
        let method = match outer.as_str() {
            "13" => EapMethod::EapTls,
            "25" => {
                let inner = text(eap_type, &["Eap", "Type"]).unwrap_or_default();
                if inner != "26" {
                    return Err(format!(
                        "PEAP with inner EAP type {inner} has no typed form"
                    ));
                }
                EapMethod::PeapMschapv2
            }
            t => return Err(format!("EAP type {t} has no typed form")),
        };
        let validation = eap_type.child("ServerValidation");
        let server_names = validation
            .and_then(|v| v.child("ServerNames"))
            .map(|n| {
                n.text()
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut roots = Vec::new();
        if let Some(v) = validation {
            for r in v.elements_named("TrustedRootCA") {
                roots.push(
                    crate::cert::normalize_thumbprint(&r.text()).ok_or_else(|| {
                        format!("TrustedRootCA {:?} is not a thumbprint", r.text())
                    })?,
                );
            }
        }
        if let Some(list) = at(eap_type, &["TLSExtensions", "FilteringInfo", "CAHashList"]) {
            if list.attr("Enabled") == Some("true") {
                for h in list.elements_named("IssuerHash") {
                    client_roots.push(
                        crate::cert::normalize_thumbprint(&h.text()).ok_or_else(|| {
                            format!("IssuerHash {:?} is not a thumbprint", h.text())
                        })?,
                    );
                }
            }
        }
        let auth_mode = (mode != method.default_auth_mode()).then_some(mode);
        wifi.eap = Some(Eap {
            method,
            client_certificate: None,
            trusted_root_thumbprints: roots,
            server_names,
            auth_mode,
        });
    }
    Ok(ParsedWlanProfile { wifi, client_roots })
}

/// The thumbprint of the root CA at the top of client certificate `name`'s chain, found in the
/// PFX's own chain or the profile's root and CA certificates (subject = issuer, walked up to
/// a self-signed certificate, at most 8 steps); `None` when the PFX is not loaded, does not
/// open, or the root is not in the profile.
pub(crate) fn client_root_thumbprint(p: &crate::Profile, name: &str) -> Option<String> {
    let c = p.client_certificates.iter().find(|c| c.name == name)?;
    let pfx = crate::cert::open_pfx(c.pfx.data.as_deref()?, c.password.as_ref()).ok()?;
    let mut pool = pfx.chain.clone();
    for t in p.root_certificates.iter().chain(&p.ca_certificates) {
        if let Some(info) = t
            .certificate
            .data
            .as_deref()
            .and_then(|d| crate::cert::read_certificate(d).ok())
        {
            pool.push(info);
        }
    }
    let own = pfx.certificate.thumbprint.clone();
    let mut cur = pfx.certificate;
    for _ in 0..8 {
        if cur.subject == cur.issuer {
            // A self-signed client certificate is not a CA that issues it.
            return (cur.thumbprint != own).then_some(cur.thumbprint);
        }
        cur = pool.iter().find(|i| i.subject == cur.issuer)?.clone();
    }
    None
}

/// XML text and attribute escaping (`& < > " '`), quick-xml's.
fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_space_and_non_ascii() {
        assert_eq!(super::uri_segment("Lab Net"), "Lab%20Net");
        assert_eq!(super::uri_segment("Café/1"), "Caf%C3%A9%2F1");
    }
}
