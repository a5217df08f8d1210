//! The typed Wi-Fi networks of a package for `inspect`: WCD's typed `WLANSetting` networks and
//! the WLAN profiles this tool writes through `ConnectivityProfiles/WLAN/Profiles/Profile`
//! (WPA3-Personal, WPA2/WPA3-Enterprise), read back from the package's payloads with
//! [`workplace::Profile::type_wlan_profiles`]. Profiles that are not in a typed form are not
//! listed here (they stay in the settings and payload lists).

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use ppkg_format::answer::AnswerFile;
use serde::Serialize;
use workplace::Profile;

use crate::cmd::mask;
use crate::io::PackageFile;

/// One typed network.
#[derive(Debug, Serialize)]
pub(crate) struct WifiView {
    ssid: String,
    security: String,
    /// Where it comes from: `WLANSetting` (WCD typed) or the profile file name.
    source: String,
    auto_connect: Option<bool>,
    hidden: Option<bool>,
    /// Masked unless `--show-secrets`.
    key: Option<String>,
    eap: Option<EapView>,
}

#[derive(Debug, Serialize)]
struct EapView {
    method: String,
    client_certificate: Option<String>,
    trusted_root_thumbprints: Vec<String>,
    server_names: Vec<String>,
    auth_mode: String,
}

/// The typed networks of `answer`, reading generated WLAN profiles from the package.
pub(crate) fn typed_wifi(
    pkg: &mut ppkg_format::layout::Package<PackageFile>,
    answer: Option<&AnswerFile>,
    show: bool,
) -> Result<Vec<WifiView>> {
    let Some(answer) = answer else {
        return Ok(Vec::new());
    };
    let Ok(mut profile) = Profile::from_answer_file(answer) else {
        return Ok(Vec::new());
    };
    let wcd_typed = profile.wifi.len();
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for a in pkg.assets()? {
        if !a
            .setting_path
            .starts_with("/ConnectivityProfiles/WLAN/Profiles")
        {
            continue;
        }
        if let Some(p) = &a.wim_path {
            if let Some(bytes) = pkg.read_part(p)? {
                files.insert(a.file_name.clone(), bytes);
            }
        }
    }
    attach_compiled_certificates(pkg, &mut profile)?;
    profile.type_wlan_profiles(&|name: &str| files.get(name).cloned());
    Ok(profile
        .wifi
        .iter()
        .enumerate()
        .map(|(i, w)| WifiView {
            ssid: w.ssid.clone(),
            security: w.security.label().to_owned(),
            source: if i < wcd_typed {
                "WLANSetting".to_owned()
            } else {
                workplace::wlan_profile_file_name(&w.ssid)
            },
            auto_connect: w.auto_connect,
            hidden: w.hidden,
            key: w.key.as_ref().map(|k| mask(k.expose(), true, show)),
            eap: w.eap.as_ref().map(|e| EapView {
                method: e.method.label().to_owned(),
                client_certificate: e.client_certificate.clone(),
                trusted_root_thumbprints: e.trusted_root_thumbprints.clone(),
                server_names: e.server_names.clone(),
                auth_mode: e
                    .auth_mode
                    .clone()
                    .unwrap_or_else(|| e.method.default_auth_mode().to_owned()),
            }),
        })
        .collect())
}

/// Gives the profile's client certificates their PFX bytes and adds the compiled root and CA
/// certificates, from the package's compiled `.provxml` (`ClientCertificateInstall/
/// PFXCertInstall/<name>/PFXCertBlob`, `RootCATrustedCertificates/{Root,CA}/<hash>/
/// EncodedCertificate`, both base64), so that an EAP-TLS profile's root-CA pin can be matched
/// to its client certificate.
fn attach_compiled_certificates(
    pkg: &mut ppkg_format::layout::Package<PackageFile>,
    profile: &mut Profile,
) -> Result<()> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for (_, doc) in pkg.provxml()? {
        for (path, parm) in doc.parms() {
            let Some(value) = parm.value.as_deref() else {
                continue;
            };
            match (path.as_slice(), parm.name.as_str()) {
                ([.., "ClientCertificateInstall", "PFXCertInstall", name], "PFXCertBlob") => {
                    if let (Some(c), Ok(bytes)) = (
                        profile
                            .client_certificates
                            .iter_mut()
                            .find(|c| c.name == *name),
                        b64.decode(value.trim()),
                    ) {
                        c.pfx.data = Some(bytes);
                    }
                }
                ([.., "RootCATrustedCertificates", "Root" | "CA", hash], "EncodedCertificate") => {
                    if let Ok(bytes) = b64.decode(value.trim()) {
                        profile.ca_certificates.push(workplace::TrustedCertificate {
                            name: (*hash).to_owned(),
                            label: None,
                            certificate: workplace::Asset::bytes(*hash, bytes),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The text block (nothing when there is no network).
pub(crate) fn print(out: &mut impl Write, wifi: &[WifiView]) -> Result<()> {
    if wifi.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nWi-Fi ({})", wifi.len())?;
    for w in wifi {
        writeln!(out, "  {}  {}  ({})", w.ssid, w.security, w.source)?;
        if let Some(k) = &w.key {
            writeln!(out, "    key: {k}")?;
        }
        if let Some(e) = &w.eap {
            writeln!(out, "    EAP: {} (authMode {})", e.method, e.auth_mode)?;
            if let Some(c) = &e.client_certificate {
                writeln!(out, "    client certificate: {c}")?;
            }
            for t in &e.trusted_root_thumbprints {
                writeln!(out, "    trusted root: {t}")?;
            }
            writeln!(out, "    server names: {}", e.server_names.join(", "))?;
        }
    }
    Ok(())
}
