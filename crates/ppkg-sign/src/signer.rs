//! The signing identity: an RSA private key and its certificate (plus chain), from a PFX.

use std::fmt;
use std::time::SystemTime;

use der::{Decode, Encode};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer as _, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;

use crate::ctl::oid;
use crate::error::{Error, Result};

/// A signing identity: an RSA or ECDSA P-256 private key, the certificate that carries its
/// public key, and the rest of the chain (intermediate and root certificates, embedded in the
/// catalog so that Windows can build the chain to a TrustedProvisioners certificate).
///
/// `Debug` shows the subject and key kind only; the key is zeroed on drop (by the `rsa` and
/// `p256` crates).
pub struct Signer {
    key: PrivateKey,
    cert: Certificate,
    chain: Vec<Certificate>,
}

/// The private key kinds this crate signs with.
enum PrivateKey {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
}

/// A certificate's public key, of a kind this crate verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PublicKey {
    Rsa(RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Verify `signature` over `message`: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2) or
    /// ECDSA P-256 with SHA-256, DER `Ecdsa-Sig-Value` (RFC 5753 §2.1.1). `false` when it does
    /// not verify or is not of the key's kind.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Rsa(pk) => rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|sig| {
                rsa::pkcs1v15::VerifyingKey::<Sha256>::new(pk.clone())
                    .verify(message, &sig)
                    .is_ok()
            }),
            Self::P256(vk) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| vk.verify(message, &sig).is_ok()),
        }
    }
}

impl Signer {
    /// Read a PFX (PKCS#12, `.pfx`/`.p12`), as exported by Windows or made with `openssl pkcs12
    /// -export`, using `p12-keystore` (PBES2/AES and legacy PBES1/3DES/RC2 encryption).
    ///
    /// The signer certificate is the one whose public key matches the private key, whatever its
    /// position; the other certificates are kept as the chain.
    ///
    /// # Errors
    /// [`Error::Pfx`] for a wrong password, a file that is not PKCS#12, or one without a private
    /// key; otherwise as [`Signer::from_pkcs8_der`].
    pub fn from_pfx(pfx: &[u8], password: &str) -> Result<Self> {
        let store = p12_keystore::KeyStore::from_pkcs12(pfx, password).map_err(|e| {
            Error::Pfx(format!(
                "cannot open ({e}); is the password right and is this a PKCS#12 file?"
            ))
        })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| Error::Pfx("no private key with a certificate in the file".into()))?;
        let certs: Vec<&[u8]> = chain.chain().iter().map(|c| c.as_der()).collect();
        Self::from_pkcs8_der(chain.key(), &certs)
    }

    /// A signer from a PKCS#8 DER private key (RFC 5208 `PrivateKeyInfo`: RSA or EC P-256) and
    /// DER certificates (the signer's and its chain, in any order).
    ///
    /// # Errors
    /// [`Error::UnsupportedKey`] for a key that is neither RSA nor P-256; [`Error::Der`] for a
    /// certificate that does not decode; [`Error::KeyMismatch`] when no certificate carries the
    /// key's public key.
    pub fn from_pkcs8_der(key_pkcs8: &[u8], certs_der: &[&[u8]]) -> Result<Self> {
        let key = match RsaPrivateKey::from_pkcs8_der(key_pkcs8) {
            Ok(k) => PrivateKey::Rsa(Box::new(k)),
            Err(rsa_err) => match p256::SecretKey::from_pkcs8_der(key_pkcs8) {
                Ok(k) => PrivateKey::P256(k.into()),
                Err(_) => {
                    return Err(Error::UnsupportedKey(format!(
                        "the private key is neither an RSA nor an EC P-256 PKCS#8 key \
                         ({rsa_err})"
                    )))
                }
            },
        };
        let public = match &key {
            PrivateKey::Rsa(k) => PublicKey::Rsa(RsaPublicKey::from(k.as_ref())),
            PrivateKey::P256(k) => PublicKey::P256(*k.verifying_key()),
        };
        let mut signer_cert = None;
        let mut chain = Vec::new();
        for der in certs_der {
            let cert = Certificate::from_der(der).map_err(Error::der("certificate in the PFX"))?;
            if signer_cert.as_ref() == Some(&cert) || chain.contains(&cert) {
                // A PFX may list a certificate twice; a SET OF in DER cannot hold duplicates.
                continue;
            }
            if signer_cert.is_none() && public_key_of(&cert).is_some_and(|pk| pk == public) {
                signer_cert = Some(cert);
            } else {
                chain.push(cert);
            }
        }
        let cert = signer_cert.ok_or(Error::KeyMismatch)?;
        Ok(Self { key, cert, chain })
    }

    /// The signer certificate's subject, RFC 4514 text (e.g. `CN=Contoso Provisioning`).
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// The signer certificate, DER.
    ///
    /// # Errors
    /// [`Error::Der`] if it cannot be re-encoded (it was decoded from DER, so it can).
    pub fn certificate_der(&self) -> Result<Vec<u8>> {
        self.cert.to_der().map_err(Error::der("signer certificate"))
    }

    /// The certificate's validity period (`notBefore`, `notAfter`).
    pub fn validity(&self) -> (SystemTime, SystemTime) {
        let v = &self.cert.tbs_certificate.validity;
        (v.not_before.to_system_time(), v.not_after.to_system_time())
    }

    /// Check that `at` lies within the certificate's validity.
    ///
    /// # Errors
    /// [`Error::CertificateNotValid`] otherwise: Windows refuses packages whose signing
    /// certificate has expired (`CERT_E_EXPIRED`, field case B21).
    pub fn check_valid_at(&self, at: SystemTime) -> Result<()> {
        let (from, to) = self.validity();
        if at < from || at > to {
            let v = &self.cert.tbs_certificate.validity;
            return Err(Error::CertificateNotValid {
                subject: self.subject(),
                not_before: v.not_before.to_string(),
                not_after: v.not_after.to_string(),
                at: der::DateTime::from_system_time(at)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|_| format!("{at:?}")),
            });
        }
        Ok(())
    }

    pub(crate) fn certificate(&self) -> &Certificate {
        &self.cert
    }

    pub(crate) fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The SignerInfo `signatureAlgorithm` OID for this key: rsaEncryption (what Authenticode
    /// writes for RSA) or ecdsa-with-SHA256 (RFC 5753 §2.1.1).
    pub(crate) fn signature_algorithm(&self) -> der::asn1::ObjectIdentifier {
        match self.key {
            PrivateKey::Rsa(_) => oid::RSA_ENCRYPTION,
            PrivateKey::P256(_) => oid::ECDSA_WITH_SHA256,
        }
    }

    /// Sign `message` with SHA-256: RSASSA-PKCS1-v1_5 (RFC 8017 §8.2, blinded with the OS
    /// RNG) or deterministic ECDSA (RFC 6979), DER-encoded.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        match &self.key {
            PrivateKey::Rsa(k) => {
                let key = SigningKey::<Sha256>::new(k.as_ref().clone());
                let mut rng = rsa::rand_core::OsRng;
                let sig = key
                    .try_sign_with_rng(&mut rng, message)
                    .map_err(|e| Error::Sign(e.to_string()))?;
                Ok(sig.to_vec())
            }
            PrivateKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k
                    .try_sign(message)
                    .map_err(|e| Error::Sign(e.to_string()))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.key {
            PrivateKey::Rsa(_) => "<RSA private key>",
            PrivateKey::P256(_) => "<EC P-256 private key>",
        };
        f.debug_struct("Signer")
            .field("subject", &self.subject())
            .field("key", &kind)
            .field("chain", &self.chain.len())
            .finish()
    }
}

/// The public key of a certificate, or `None` when it is neither RSA nor EC P-256.
pub(crate) fn public_key_of(cert: &Certificate) -> Option<PublicKey> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let der = spki.to_der().ok()?;
    match spki.algorithm.oid {
        o if o == oid::RSA_ENCRYPTION => RsaPublicKey::from_public_key_der(&der)
            .ok()
            .map(PublicKey::Rsa),
        o if o == oid::EC_PUBLIC_KEY => p256::PublicKey::from_public_key_der(&der)
            .ok()
            .map(|pk| PublicKey::P256(pk.into())),
        _ => None,
    }
}
