//! The one error type of `ppkg-sign`.

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error signing a package or reading a catalog. Grouped by what the caller can do: fix the
/// PFX or its password, pick another certificate, or treat the catalog/package as not matching.
///
/// Messages never contain the PFX password or key material: only names, sizes, hashes of public
/// data and positions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PFX (PKCS#12) file could not be read: wrong password, not a PKCS#12 file, or no
    /// private key with a certificate in it. The text says which.
    #[error("PFX: {0}")]
    Pfx(String),
    /// The private key or signer certificate is of a kind this crate does not handle (RSA and
    /// EC P-256 are; RSA is `New-SelfSignedCertificate`'s default).
    #[error("unsupported signing key: {0}")]
    UnsupportedKey(String),
    /// No certificate in the PFX carries the public key of its private key.
    #[error("no certificate in the PFX matches its private key")]
    KeyMismatch,
    /// The signing time lies outside the certificate's validity; Windows then refuses the
    /// package (`CERT_E_EXPIRED`, field case B21).
    #[error(
        "the signing certificate '{subject}' is not valid at the signing time {at}: valid from \
         {not_before} to {not_after}"
    )]
    CertificateNotValid {
        /// The certificate's subject (RFC 4514).
        subject: String,
        /// Start of validity (UTC, RFC 3339-like text from the certificate).
        not_before: String,
        /// End of validity.
        not_after: String,
        /// The signing time.
        at: String,
    },
    /// DER that could not be decoded or encoded; `context` names the structure, and the source
    /// gives the DER byte position when known.
    #[error("{context}: {source}")]
    Der {
        /// Which structure (e.g. "catalog ContentInfo", "signer certificate").
        context: &'static str,
        /// The `der` crate's error (carries "at DER byte N").
        #[source]
        source: der::Error,
    },
    /// The catalog decodes but is not of the expected shape; the text names the field.
    #[error("malformed catalog: {0}")]
    Malformed(String),
    /// The signer's signature over the signed attributes does not verify with the public key of
    /// the embedded signer certificate.
    #[error("catalog signature does not verify against the signer certificate '{subject}'")]
    BadSignature {
        /// The signer certificate's subject.
        subject: String,
    },
    /// The SHA-256 of the catalog's content (the trust list) differs from the signed
    /// `messageDigest` attribute: the trust list was changed after signing.
    #[error("catalog content was changed after signing: messageDigest {signed}, content {actual}")]
    ContentDigestMismatch {
        /// The signed digest (hex).
        signed: String,
        /// The digest of the content found (hex).
        actual: String,
    },
    /// The package's SHA-256 is not a member of the catalog: the package was changed, or the
    /// catalog belongs to another package.
    #[error("package does not match the catalog: its SHA-256 {actual} is not among the members [{}]", members.join(", "))]
    PackageMismatch {
        /// The package's SHA-256 (hex).
        actual: String,
        /// The SHA-256 member identifiers in the catalog (hex).
        members: Vec<String>,
    },
    /// A time that UTCTime cannot hold (before 1950 or after 2049).
    #[error("time {0} cannot be written as an ASN.1 UTCTime (years 1950-2049)")]
    Time(String),
    /// The RSA signature operation failed.
    #[error("signing failed: {0}")]
    Sign(String),
    /// Reading the package or writing the catalog failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A [`Error::Der`] with its context.
    pub(crate) fn der(context: &'static str) -> impl FnOnce(der::Error) -> Self {
        move |source| Self::Der { context, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_formats() {
        let errors = [
            Error::Pfx("wrong password".into()),
            Error::UnsupportedKey("EC".into()),
            Error::KeyMismatch,
            Error::CertificateNotValid {
                subject: "CN=x".into(),
                not_before: "a".into(),
                not_after: "b".into(),
                at: "c".into(),
            },
            Error::Der {
                context: "x",
                source: der::Error::from(der::ErrorKind::Failed),
            },
            Error::Malformed("m".into()),
            Error::BadSignature {
                subject: "CN=x".into(),
            },
            Error::ContentDigestMismatch {
                signed: "aa".into(),
                actual: "bb".into(),
            },
            Error::PackageMismatch {
                actual: "aa".into(),
                members: vec!["bb".into(), "cc".into()],
            },
            Error::Time("t".into()),
            Error::Sign("s".into()),
            Error::Io(std::io::Error::other("disk")),
        ];
        for e in errors {
            assert!(!e.to_string().is_empty());
        }
    }
}
