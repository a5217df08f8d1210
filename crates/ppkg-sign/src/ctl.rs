//! The ASN.1 of a Microsoft catalog's content: a certificate trust list (CTL) whose members are
//! file hashes.
//!
//! Sources (facts only): Microsoft's `wincrypt.h`/`mscat.h` OID names and the `CTL_INFO` /
//! `CTL_ENTRY` structures; Samba's `lib/mscat/mscat.asn` (an ASN.1 description of catalog
//! files); the public descriptions of `makecat` version 2 output in the .NET build tools
//! (`Microsoft.DotNet.Build.Tasks.FileCatalog`) and of Inf2Cat output, which agree:
//!
//! ```text
//! CertificateTrustList ::= SEQUENCE {
//!     version            INTEGER DEFAULT 0,          -- omitted by makecat
//!     subjectUsage       SEQUENCE OF OBJECT IDENTIFIER,   -- { szOID_CATALOG_LIST }
//!     listIdentifier     OCTET STRING OPTIONAL,      -- 16 bytes
//!     sequenceNumber     INTEGER OPTIONAL,
//!     thisUpdate         Time,                       -- UTCTime
//!     nextUpdate         Time OPTIONAL,
//!     subjectAlgorithm   AlgorithmIdentifier,        -- szOID_CATALOG_LIST_MEMBER2, NULL (v2)
//!     trustedSubjects    SEQUENCE OF TrustedSubject OPTIONAL,
//!     extensions         [0] EXPLICIT Extensions OPTIONAL }  -- catalog attributes
//! TrustedSubject ::= SEQUENCE {
//!     subjectIdentifier  OCTET STRING,               -- v2: the raw file hash
//!     attributes         SET OF Attribute OPTIONAL }
//! ```

use der::asn1::{BmpString, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::Extensions;
use x509_cert::time::Time;

/// OIDs, each from Microsoft's `wincrypt.h` / `mscat.h` / `wintrust.h` unless noted.
pub(crate) mod oid {
    use der::asn1::ObjectIdentifier as Oid;

    /// `szOID_CTL`: the content type of a catalog's SignedData.
    pub(crate) const CTL: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.10.1");
    /// `szOID_CATALOG_LIST`: the CTL subject usage that makes it a catalog.
    pub(crate) const CATALOG_LIST: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.12.1.1");
    /// `szOID_CATALOG_LIST_MEMBER`: subject algorithm of catalog version 1 (SHA-1 tags).
    pub(crate) const CATALOG_LIST_MEMBER: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.12.1.2");
    /// `szOID_CATALOG_LIST_MEMBER2`: subject algorithm of catalog version 2 (SHA-256).
    pub(crate) const CATALOG_LIST_MEMBER2: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.12.1.3");
    /// `CAT_NAMEVALUE_OBJID`: a name/value member or catalog attribute (e.g. `File`).
    pub(crate) const CAT_NAMEVALUE: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.12.2.1");
    /// `CAT_MEMBERINFO2_OBJID`: the member-info marker of version 2 catalogs.
    pub(crate) const CAT_MEMBERINFO2: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.12.2.3");
    /// `SPC_INDIRECT_DATA_OBJID`: the member's hash, as Authenticode indirect data.
    pub(crate) const SPC_INDIRECT_DATA: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.4");
    /// `SPC_CAB_DATA_OBJID`: the indirect-data type used for flat (non-PE) files.
    pub(crate) const SPC_CAB_DATA: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.25");
    /// `SPC_SP_OPUS_INFO_OBJID`: program name/URL signed attribute (empty here).
    pub(crate) const SPC_SP_OPUS_INFO: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.12");
    /// `SPC_STATEMENT_TYPE_OBJID`: the signer's statement type signed attribute.
    pub(crate) const SPC_STATEMENT_TYPE: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.11");
    /// `SPC_INDIVIDUAL_SP_KEY_PURPOSE_OBJID`: "individual" code signing statement.
    pub(crate) const SPC_INDIVIDUAL_SP_KEY_PURPOSE: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.21");
    /// PKCS #7 signedData (RFC 5652 §5.1).
    pub(crate) const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    /// PKCS #9 contentType attribute (RFC 5652 §11.1).
    pub(crate) const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    /// PKCS #9 messageDigest attribute (RFC 5652 §11.2).
    pub(crate) const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    /// PKCS #9 signingTime attribute (RFC 5652 §11.3).
    pub(crate) const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
    /// SHA-256 (RFC 5754 §2).
    pub(crate) const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    /// rsaEncryption (RFC 8017 A.1): the signature algorithm Authenticode writes in
    /// SignerInfo.
    pub(crate) const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    /// sha256WithRSAEncryption (RFC 8017 A.2.4), also accepted when reading.
    pub(crate) const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    /// id-ecPublicKey (RFC 5480 §2.1.1): an EC certificate key.
    pub(crate) const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    /// ecdsa-with-SHA256 (RFC 5758 §3.2): the SignerInfo signature algorithm for P-256 keys.
    pub(crate) const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
}

/// Flags of a member's `File` name/value attribute, as observed in makecat/Inf2Cat output
/// (`0x10010001`: `CRYPTCAT_ATTR_NAMEASCII | CRYPTCAT_ATTR_DATAASCII | CRYPTCAT_ATTR_AUTHENTICATED`
/// in `mscat.h` terms).
pub(crate) const NAME_VALUE_FLAGS: u32 = 0x1001_0001;

/// The catalog's certificate trust list (see the module docs).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct CertificateTrustList {
    pub(crate) version: Option<u32>,
    pub(crate) subject_usage: Vec<ObjectIdentifier>,
    pub(crate) list_identifier: Option<OctetString>,
    pub(crate) sequence_number: Option<Int>,
    pub(crate) this_update: Time,
    pub(crate) next_update: Option<Time>,
    pub(crate) subject_algorithm: AlgorithmIdentifierOwned,
    pub(crate) trusted_subjects: Option<Vec<TrustedSubject>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) extensions: Option<Extensions>,
}

/// One CTL entry: a file hash and its attributes.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TrustedSubject {
    pub(crate) subject_identifier: OctetString,
    pub(crate) attributes: Option<SetOfVec<Attribute>>,
}

/// `CAT_NAMEVALUE` (Samba `mscat.asn`: `CatalogNameValue`): a UTF-16 name, flags, and the
/// value as UTF-16LE bytes with a terminating NUL.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct CatNameValue {
    pub(crate) name: BmpString,
    pub(crate) flags: u32,
    pub(crate) value: OctetString,
}

/// Authenticode `SpcIndirectDataContent` (Microsoft "Windows Authenticode Portable Executable
/// Signature Format"): what is hashed and the hash.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SpcIndirectDataContent {
    pub(crate) data: SpcAttributeTypeAndOptionalValue,
    pub(crate) message_digest: DigestInfo,
}

/// Authenticode `SpcAttributeTypeAndOptionalValue`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SpcAttributeTypeAndOptionalValue {
    pub(crate) kind: ObjectIdentifier,
    pub(crate) value: Option<Any>,
}

/// PKCS #1 `DigestInfo` (RFC 8017 §9.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct DigestInfo {
    pub(crate) digest_algorithm: AlgorithmIdentifierOwned,
    pub(crate) digest: OctetString,
}

/// UTF-16LE bytes of `s` followed by a NUL character, as catalog name/value values are stored.
pub(crate) fn utf16le_nul(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain(std::iter::once(0))
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// The text of UTF-16LE bytes with an optional terminating NUL (lossy for unpaired surrogates).
pub(crate) fn from_utf16le_nul(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_round_trip() {
        let b = utf16le_nul("start_pins.ppkg");
        assert_eq!(&b[..4], &[b's', 0, b't', 0]);
        assert_eq!(&b[b.len() - 2..], &[0, 0]);
        assert_eq!(from_utf16le_nul(&b), "start_pins.ppkg");
        assert_eq!(from_utf16le_nul(&utf16le_nul("Ünïcødé")), "Ünïcødé");
    }
}
