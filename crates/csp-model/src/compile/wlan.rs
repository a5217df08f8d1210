//! The WLAN profile that WCD builds from `WLANXmlSettings`.
//!
//! The store gives `/ConnectivityProfiles/WLAN/WLANSetting/WLANConfig/WLANXmlSettings/{AutoConnect,
//! HiddenNetwork, SecurityKey, SecurityType}` no CSP path and no registry value: WCD turns them
//! into one WLAN profile XML for `./Vendor/MSFT/WiFi/Profile/~SSID~/WlanXml` (the WiFi CSP's only
//! way to take a profile). No sample package shows WCD's exact text, so the profile follows
//! Microsoft's WLAN_profile schema v1 (`http://www.microsoft.com/networking/WLAN/profile/v1`), the
//! form the WiFi CSP documentation gives (inferred).

/// Settings of one `WLANXmlSettings` node.
#[derive(Clone, Debug, Default)]
pub(crate) struct WlanSettings {
    /// `SecurityType`: `Open`, `WEP` or `WPA2-Personal` (store values).
    pub(crate) security_type: Option<String>,
    /// `SecurityKey` (secret).
    pub(crate) security_key: Option<String>,
    /// `AutoConnect` (store default 1).
    pub(crate) auto_connect: Option<bool>,
    /// `HiddenNetwork` (store default 0).
    pub(crate) hidden: Option<bool>,
}

/// The profile XML for `ssid`, on one line (no reformatting can reach the key material).
///
/// # Errors
/// A message (never containing the key) when the security type is unknown or a key is missing.
pub(crate) fn profile_xml(ssid: &str, s: &WlanSettings) -> Result<String, String> {
    let security = s.security_type.as_deref().unwrap_or("Open");
    let (auth, encryption, key_type) = match security {
        "Open" => ("open", "none", None),
        "WEP" => ("open", "WEP", Some("networkKey")),
        "WPA2-Personal" => {
            let key = s.security_key.as_deref().unwrap_or_default();
            let raw = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
            (
                "WPA2PSK",
                "AES",
                Some(if raw { "networkKey" } else { "passPhrase" }),
            )
        }
        other => {
            return Err(format!(
                "SecurityType {other:?} is not Open, WEP or WPA2-Personal"
            ))
        }
    };
    let name = escape(ssid);
    let mut x = String::with_capacity(512);
    x.push_str("<?xml version=\"1.0\"?>");
    x.push_str("<WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\">");
    x.push_str(&format!("<name>{name}</name>"));
    x.push_str(&format!("<SSIDConfig><SSID><name>{name}</name></SSID>"));
    if s.hidden.unwrap_or(false) {
        x.push_str("<nonBroadcast>true</nonBroadcast>");
    }
    x.push_str("</SSIDConfig>");
    x.push_str("<connectionType>ESS</connectionType>");
    let mode = if s.auto_connect.unwrap_or(true) {
        "auto"
    } else {
        "manual"
    };
    x.push_str(&format!("<connectionMode>{mode}</connectionMode>"));
    x.push_str("<MSM><security><authEncryption>");
    x.push_str(&format!(
        "<authentication>{auth}</authentication><encryption>{encryption}</encryption>\
         <useOneX>false</useOneX></authEncryption>"
    ));
    if let Some(key_type) = key_type {
        let key = s
            .security_key
            .as_deref()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| format!("SecurityType {security} needs a SecurityKey"))?;
        x.push_str(&format!(
            "<sharedKey><keyType>{key_type}</keyType><protected>false</protected>\
             <keyMaterial>{}</keyMaterial></sharedKey>",
            escape(key)
        ));
    }
    x.push_str("</security></MSM></WLANProfile>");
    Ok(x)
}

/// XML text and attribute escaping (`& < > " '`), quick-xml's.
fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wpa2_profile_escapes_key_and_name() {
        let s = WlanSettings {
            security_type: Some("WPA2-Personal".into()),
            security_key: Some("Lab&Net<2024>".into()),
            auto_connect: Some(true),
            hidden: Some(true),
        };
        let x = profile_xml("Lab Net", &s).unwrap();
        assert!(
            x.contains("<keyMaterial>Lab&amp;Net&lt;2024&gt;</keyMaterial>"),
            "{x}"
        );
        assert!(x.contains("<name>Lab Net</name>"));
        assert!(x.contains("<nonBroadcast>true</nonBroadcast>"));
        assert!(x.contains("<authentication>WPA2PSK</authentication>"));
        assert!(x.contains("<keyType>passPhrase</keyType>"));
    }

    #[test]
    fn open_needs_no_key_and_wep_does() {
        let open = profile_xml("Guest", &WlanSettings::default()).unwrap();
        assert!(!open.contains("sharedKey"));
        assert!(open.contains("<connectionMode>auto</connectionMode>"));
        let wep = WlanSettings {
            security_type: Some("WEP".into()),
            ..WlanSettings::default()
        };
        let e = profile_xml("Old", &wep).unwrap_err();
        assert!(e.contains("needs a SecurityKey"));
        let bad = WlanSettings {
            security_type: Some("WPA3".into()),
            ..WlanSettings::default()
        };
        assert!(profile_xml("X", &bad).is_err());
    }
}
