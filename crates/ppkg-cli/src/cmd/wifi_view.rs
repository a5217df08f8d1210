//! The text form of the typed Wi-Fi networks `inspect` lists ([`ppkg::inspect::WifiView`]).

use std::io::Write;

use anyhow::Result;
use ppkg::inspect::WifiView;

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
