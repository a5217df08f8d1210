//! Wi-Fi helpers: the WiFi CSP path segment for an SSID.

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

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_space_and_non_ascii() {
        assert_eq!(super::uri_segment("Lab Net"), "Lab%20Net");
        assert_eq!(super::uri_segment("Café/1"), "Caf%C3%A9%2F1");
    }
}
