//! Certificates and PFX files: thumbprints, validity dates, opening PKCS#12 with a password.
//!
//! Thumbprints are what Windows shows and what the RootCATrustedCertificates and Provisioning
//! CSPs use as keys: the SHA-1 of the certificate's DER encoding, as 40 upper-case hex digits
//! (the same value as `openssl x509 -fingerprint -sha1` without the colons).

use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::secret::Secret;

/// What this crate reads from one X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject distinguished name, as x509-parser renders it (`CN=Lab Root, O=Example`).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// NotBefore, seconds since the Unix epoch (UTC).
    pub not_before: i64,
    /// NotAfter, seconds since the Unix epoch (UTC).
    pub not_after: i64,
    /// SHA-1 of the DER encoding, 40 upper-case hex digits.
    pub thumbprint: String,
    /// Whether basicConstraints says CA.
    pub is_ca: bool,
}

/// Why a certificate or PFX could not be read. Never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Not DER or PEM X.509.
    #[error("not an X.509 certificate (DER or PEM): {0}")]
    Unreadable(String),
    /// Not a PKCS#12 file, truncated or damaged.
    #[error("not a readable PKCS#12 (PFX) file: {0}")]
    PfxUnreadable(String),
    /// The PKCS#12 integrity check failed with this password (wrong or empty password).
    #[error("the PFX password is wrong (PKCS#12 MAC check failed)")]
    PfxPassword,
    /// The PKCS#12 file opened but holds no private key with a certificate.
    #[error("the PFX holds no private key with a certificate")]
    PfxNoKey,
}

/// SHA-1 thumbprint of DER bytes: 40 upper-case hex digits.
pub fn thumbprint(der: &[u8]) -> String {
    let digest = Sha1::digest(der);
    let mut s = String::with_capacity(40);
    for b in digest {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// Normalises a thumbprint as people paste it (`ab:cd …`, spaces, lower case, a leading
/// invisible U+200E that the Windows certificate dialog copies) to 40 upper-case hex digits.
/// Returns `None` when what is left is not 40 hex digits.
pub fn normalize_thumbprint(s: &str) -> Option<String> {
    let cleaned: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | ':' | '\t' | '\u{200e}' | '\u{200f}' | '\u{feff}'))
        .collect();
    (cleaned.len() == 40 && cleaned.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| cleaned.to_ascii_uppercase())
}

/// DER bytes of a certificate given as DER or PEM (`-----BEGIN CERTIFICATE-----`).
///
/// # Errors
/// [`CertError::Unreadable`] when the bytes are neither.
pub fn certificate_der(bytes: &[u8]) -> Result<Vec<u8>, CertError> {
    if bytes.first() == Some(&0x30) {
        return Ok(bytes.to_vec());
    }
    let (_, pem) = x509_parser::pem::parse_x509_pem(bytes)
        .map_err(|e| CertError::Unreadable(format!("PEM: {e}")))?;
    if pem.label != "CERTIFICATE" {
        return Err(CertError::Unreadable(format!(
            "PEM label is {:?}, expected CERTIFICATE",
            pem.label
        )));
    }
    Ok(pem.contents)
}

/// Reads subject, dates and thumbprint from a DER or PEM certificate.
///
/// # Errors
/// [`CertError::Unreadable`] when the bytes are not an X.509 certificate.
pub fn read_certificate(bytes: &[u8]) -> Result<CertInfo, CertError> {
    let der = certificate_der(bytes)?;
    info_from_der(&der)
}

fn info_from_der(der: &[u8]) -> Result<CertInfo, CertError> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| CertError::Unreadable(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CertError::Unreadable(format!(
            "{} bytes after the certificate",
            rest.len()
        )));
    }
    let validity = cert.validity();
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        thumbprint: thumbprint(der),
        is_ca: cert.is_ca(),
    })
}

/// What opening a PFX gives: the key's own certificate, then the rest of its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfxInfo {
    /// The certificate that goes with the private key (what `Secret` must name for
    /// Certificate enrollment).
    pub certificate: CertInfo,
    /// Further certificates in the key's chain, as stored.
    pub chain: Vec<CertInfo>,
}

/// Opens a PKCS#12 file with its password and reads the key's certificate.
///
/// Reads PBES2 (PBKDF2 + AES-256-CBC, OpenSSL 3's default) and the legacy PKCS#12 PBE schemes
/// that Windows' certificate export and `openssl pkcs12 -export -legacy` write
/// (pbeWithSHAAnd3-KeyTripleDES-CBC for keys, pbeWithSHAAnd40BitRC2-CBC for certificates),
/// through the `p12-keystore` crate. `None` and `Some("")` are both tried as the empty
/// password; whether Windows accepts an empty one is for the caller to judge.
///
/// # Errors
/// [`CertError::PfxPassword`] when the MAC check fails, [`CertError::PfxUnreadable`] for
/// damaged or truncated input, [`CertError::PfxNoKey`] when there is no key entry.
pub fn open_pfx(bytes: &[u8], password: Option<&Secret>) -> Result<PfxInfo, CertError> {
    check_pfx_iterations(bytes)?;
    let pw = password.map(Secret::expose).unwrap_or("");
    let store = p12_keystore::KeyStore::from_pkcs12(bytes, pw).map_err(|e| match e {
        p12_keystore::error::Error::MacError(_) => CertError::PfxPassword,
        // A wrong password on a file without MAC shows up as bad padding after decryption.
        p12_keystore::error::Error::UnpadError => CertError::PfxPassword,
        other => CertError::PfxUnreadable(other.to_string()),
    })?;
    let (_, chain) = store.private_key_chain().ok_or(CertError::PfxNoKey)?;
    let mut certs = chain.chain().iter();
    let first = certs.next().ok_or(CertError::PfxNoKey)?;
    let certificate = info_from_der(first.as_der())?;
    let chain = certs
        .map(|c| info_from_der(c.as_der()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PfxInfo { certificate, chain })
}

/// Largest key-derivation or MAC iteration count [`open_pfx`] accepts: 1,000,000. Windows
/// exports PFX files with 2000 and OpenSSL 3 with 2048 (PKCS#12, RFC 7292 §4 and appendix C);
/// `p12-keystore` has no limit, so a PFX claiming 2^62 iterations would run for centuries.
pub const MAX_PFX_ITERATIONS: u64 = 1_000_000;

/// Refuses a PFX whose MacData or PBE parameters (RFC 7292 `pkcs-12PbeParams`, RFC 8018
/// `PBKDF2-params`: a SEQUENCE whose INTEGER follows an OCTET STRING salt) ask for more than
/// [`MAX_PFX_ITERATIONS`]. Walks the DER, also inside OCTET STRINGs that hold DER (the
/// authenticated safe and its SafeContents); anything it cannot parse is left to p12-keystore.
fn check_pfx_iterations(bytes: &[u8]) -> Result<(), CertError> {
    fn tlvs(mut buf: &[u8]) -> Option<Vec<(u8, &[u8])>> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let tag = buf[0];
            let first = *buf.get(1)?;
            let (len, head) = if first < 0x80 {
                (usize::from(first), 2)
            } else {
                let n = usize::from(first & 0x7f);
                if n == 0 || n > 8 {
                    return None;
                }
                let mut len = 0usize;
                for &b in buf.get(2..2 + n)? {
                    len = len.checked_mul(256)?.checked_add(usize::from(b))?;
                }
                (len, 2 + n)
            };
            let content = buf.get(head..head.checked_add(len)?)?;
            out.push((tag, content));
            buf = &buf[head + len..];
        }
        Some(out)
    }
    fn walk(buf: &[u8], depth: u32) -> Result<(), CertError> {
        if depth > 24 {
            return Ok(());
        }
        let Some(items) = tlvs(buf) else {
            return Ok(());
        };
        let mut prev_tag = 0u8;
        for &(tag, content) in &items {
            if tag == 0x02 && prev_tag == 0x04 {
                let digits = content.iter().skip_while(|&&b| b == 0).count();
                let value = content.iter().fold(0u64, |v, &b| {
                    v.saturating_mul(256).saturating_add(u64::from(b))
                });
                if digits > 8 || value > MAX_PFX_ITERATIONS {
                    return Err(CertError::PfxUnreadable(format!(
                        "iteration count {} exceeds the limit of {MAX_PFX_ITERATIONS}",
                        if digits > 8 {
                            "over 2^64".to_string()
                        } else {
                            value.to_string()
                        }
                    )));
                }
            }
            if tag & 0x20 != 0 || (tag == 0x04 && content.first() == Some(&0x30)) {
                walk(content, depth + 1)?;
            }
            prev_tag = tag;
        }
        Ok(())
    }
    walk(bytes, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_thumbprints() {
        let t = "ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01";
        assert_eq!(
            normalize_thumbprint(t).as_deref(),
            Some("ABCDEF0123456789ABCDEF0123456789ABCDEF01")
        );
        assert_eq!(
            normalize_thumbprint(
                "\u{200e}AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"
            )
            .as_deref(),
            Some("ABCDEF0123456789ABCDEF0123456789ABCDEF01")
        );
        assert_eq!(normalize_thumbprint("Lab-Pass1"), None);
        assert_eq!(normalize_thumbprint(&"G".repeat(40)), None);
        assert_eq!(normalize_thumbprint(&"A".repeat(41)), None);
    }

    #[test]
    fn sha1_of_empty_input() {
        // FIPS 180-1 test vector: SHA-1("") = da39a3ee…
        assert_eq!(thumbprint(b""), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
    }

    #[test]
    fn garbage_is_unreadable() {
        assert!(matches!(
            read_certificate(b"hello"),
            Err(CertError::Unreadable(_))
        ));
        assert!(matches!(
            read_certificate(&[0x30, 0x03, 1]),
            Err(CertError::Unreadable(_))
        ));
        assert!(matches!(
            open_pfx(b"\x30\x02\x01", None),
            Err(CertError::PfxUnreadable(_))
        ));
    }
}
