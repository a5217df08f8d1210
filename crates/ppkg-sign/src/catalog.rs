//! Writing and verifying the catalog: PKCS #7 SignedData over the certificate trust list.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{BmpString, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode, Tag, TagNumber, Tagged};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::ctl::{
    from_utf16le_nul, oid, utf16le_nul, CatNameValue, CertificateTrustList, DigestInfo,
    SpcAttributeTypeAndOptionalValue, SpcIndirectDataContent, TrustedSubject, NAME_VALUE_FLAGS,
};
use crate::error::{Error, Result};
use crate::signer::{public_key_of, PublicKey, Signer};

/// Catalog version written: 2 (SHA-256 members, `szOID_CATALOG_LIST_MEMBER2`), as `makecat`
/// writes for a CDF with `CatalogVersion=2` and `HashAlgorithms=SHA256` (`FORMAT.md` §6).
pub const CATALOG_VERSION: u8 = 2;

/// The hashes of a package, computed in one streaming pass.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct PackageDigest {
    /// SHA-256 of the whole file: the catalog v2 member identifier.
    pub sha256: [u8; 32],
    /// SHA-1 of the whole file: the legacy twin member that `makecat` v2 also writes.
    pub sha1: [u8; 20],
    /// File length in bytes.
    pub len: u64,
}

impl PackageDigest {
    /// Hash a package read to its end (64 KiB at a time; never held whole in memory).
    ///
    /// # Errors
    /// [`Error::Io`] for read errors.
    pub fn of_reader<R: Read>(mut reader: R) -> Result<Self> {
        let mut s256 = Sha256::new();
        let mut s1 = Sha1::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            s256.update(&buf[..n]);
            s1.update(&buf[..n]);
            len += n as u64;
        }
        Ok(Self {
            sha256: s256.finalize().into(),
            sha1: s1.finalize().into(),
            len,
        })
    }
}

/// What a catalog says, after its signature has been checked ([`inspect`]) and, for
/// [`verify`], its member matched against the package.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct CatalogInfo {
    /// 1 (`szOID_CATALOG_LIST_MEMBER`) or 2 (`szOID_CATALOG_LIST_MEMBER2`).
    pub catalog_version: u8,
    /// The trust list's `thisUpdate` (when the catalog was made).
    pub this_update: SystemTime,
    /// The signed `signingTime` attribute, when present.
    pub signing_time: Option<SystemTime>,
    /// The members (CTL entries), in file order.
    pub members: Vec<CatalogMember>,
    /// The signer certificate.
    pub signer: SignerSummary,
    /// Index in `members` of the entry that matched the package ([`verify`] only).
    pub matched: Option<usize>,
}

/// One catalog member (CTL entry).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct CatalogMember {
    /// The subject identifier: in version 2 catalogs the raw SHA-256 (or SHA-1) of the file.
    pub identifier: Vec<u8>,
    /// The `File` name/value attribute, when present.
    pub file_name: Option<String>,
    /// The SHA-256 in the member's `SpcIndirectData` attribute, when present.
    pub sha256: Option<[u8; 32]>,
}

/// The signer certificate of a catalog, for display.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct SignerSummary {
    /// Subject, RFC 4514 text.
    pub subject: String,
    /// Issuer, RFC 4514 text.
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// SHA-1 thumbprint of the certificate DER, upper-case hex (as Windows shows it; the
    /// TrustedProvisioners CSP is keyed by it).
    pub thumbprint: String,
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
}

/// The catalog's path for a package: `NAME.cat` beside `NAME.ppkg` (`FORMAT.md` §6).
pub fn catalog_path(package: &Path) -> PathBuf {
    package.with_extension("cat")
}

/// Build a signed catalog (DER) for a package read from `package`, whose file name (without
/// folder; recorded in the member's `File` attribute) is `file_name`.
///
/// Layout (see [`crate::ctl`] for the trust list): a PKCS #7 `ContentInfo` of type signedData
/// (version 1) whose content is `szOID_CTL` holding the trust list directly under `[0]` (as
/// Authenticode does, not wrapped in an OCTET STRING); one logical member, written as
/// `makecat` v2 does as two entries sorted by identifier: the SHA-256 entry (with the
/// `CAT_MEMBERINFO2` marker, the `File` name and `SpcIndirectData` holding the SHA-256) and the
/// SHA-1 entry (marker only). The signer info uses issuer and serial number, SHA-256, signed
/// attributes contentType, signingTime, messageDigest, `SpcSpOpusInfo` (empty) and
/// `SpcStatementType` (individual), and an RSA PKCS #1 v1.5 or ECDSA P-256 signature; the
/// signer certificate and its chain are embedded. The messageDigest is the SHA-256 of the trust list's contents
/// octets (RFC 2315 §9.3: tag and length excluded).
///
/// `signing_time` is both the trust list's `thisUpdate` and the `signingTime` attribute; pass
/// a fixed time (e.g. from `SOURCE_DATE_EPOCH`) for reproducible catalogs. The list identifier
/// is derived from the hashes, so the same package, name, time and key give the same bytes.
///
/// # Errors
/// [`Error::CertificateNotValid`] when `signing_time` is outside the certificate's validity;
/// [`Error::Time`] for a time UTCTime cannot hold; [`Error::Io`] reading the package;
/// [`Error::Sign`] when the signature operation fails.
pub fn sign<R: Read>(
    package: R,
    file_name: &str,
    signer: &Signer,
    signing_time: SystemTime,
) -> Result<Vec<u8>> {
    signer.check_valid_at(signing_time)?;
    let digest = PackageDigest::of_reader(package)?;
    let utc = UtcTime::from_system_time(signing_time)
        .map_err(|_| Error::Time(format!("{signing_time:?}")))?;
    let ctl = build_ctl(&digest, file_name, utc)?;
    let ctl_any = Any::encode_from(&ctl).map_err(Error::der("certificate trust list"))?;
    let content_digest: [u8; 32] = Sha256::digest(ctl_any.value()).into();

    let signed_attrs = SetOfVec::try_from(vec![
        attribute(oid::CONTENT_TYPE, Any::encode_from(&oid::CTL))?,
        attribute(oid::SIGNING_TIME, Any::encode_from(&Time::UtcTime(utc)))?,
        attribute(
            oid::MESSAGE_DIGEST,
            Any::encode_from(&octets(&content_digest)?),
        )?,
        attribute(oid::SPC_SP_OPUS_INFO, Any::new(Tag::Sequence, Vec::new()))?,
        attribute(
            oid::SPC_STATEMENT_TYPE,
            Any::encode_from(&vec![oid::SPC_INDIVIDUAL_SP_KEY_PURPOSE]),
        )?,
    ])
    .map_err(Error::der("signed attributes"))?;
    // RFC 5652 §5.4: the signature covers the DER of the attributes with the SET OF tag.
    let to_sign = signed_attrs
        .to_der()
        .map_err(Error::der("signed attributes"))?;
    let signature = signer.sign(&to_sign)?;

    let cert = signer.certificate();
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: alg_with_null(oid::SHA256),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: match signer.signature_algorithm() {
            // Authenticode writes rsaEncryption with NULL parameters; ECDSA algorithms have none
            // (RFC 5758 §3.2).
            o if o == oid::RSA_ENCRYPTION => alg_with_null(o),
            o => AlgorithmIdentifierOwned {
                oid: o,
                parameters: None,
            },
        },
        signature: octets(&signature)?,
        unsigned_attrs: None,
    };
    let mut certs = vec![CertificateChoices::Certificate(cert.clone())];
    certs.extend(
        signer
            .chain()
            .iter()
            .cloned()
            .map(CertificateChoices::Certificate),
    );
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg_with_null(oid::SHA256)])
            .map_err(Error::der("digest algorithms"))?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::CTL,
            econtent: Some(ctl_any),
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(certs).map_err(Error::der("certificates"))?,
        )),
        crls: None,
        signer_infos: SignerInfos(
            SetOfVec::try_from(vec![signer_info]).map_err(Error::der("signer infos"))?,
        ),
    };
    let content_info = ContentInfo {
        content_type: oid::SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(Error::der("SignedData"))?,
    };
    content_info.to_der().map_err(Error::der("ContentInfo"))
}

/// Sign the package at `package_path` and write `NAME.cat` beside it ([`catalog_path`]),
/// atomically (a temporary file in the same folder, then a rename). Returns the catalog's path.
/// The package itself is not changed (`FORMAT.md` §6).
///
/// # Errors
/// As [`sign`]; [`Error::Io`] for file errors.
pub fn sign_file(
    package_path: &Path,
    signer: &Signer,
    signing_time: SystemTime,
) -> Result<PathBuf> {
    let name = package_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            Error::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{}: not a file path", package_path.display()),
            ))
        })?;
    let file = std::fs::File::open(package_path)?;
    let cat = sign(std::io::BufReader::new(file), &name, signer, signing_time)?;
    let out = catalog_path(package_path);
    let tmp = out.with_extension("cat.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&cat)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &out)?;
    Ok(out)
}

/// Read a catalog and check its signature, without a package: the structure, the content
/// digest (messageDigest against the trust list) and the signature against the embedded
/// signer certificate. It does **not** check that the certificate chains to a trusted root:
/// that is the device's decision (TrustedProvisioners).
///
/// # Errors
/// [`Error::Der`] / [`Error::Malformed`] for a catalog of the wrong shape (each names the
/// field), [`Error::ContentDigestMismatch`] when the trust list was changed,
/// [`Error::BadSignature`] when the signature does not verify, [`Error::UnsupportedKey`] for a
/// signer key that is neither RSA nor EC P-256.
pub fn inspect(cat: &[u8]) -> Result<CatalogInfo> {
    let ci = ContentInfo::from_der(cat).map_err(Error::der("catalog ContentInfo"))?;
    if ci.content_type != oid::SIGNED_DATA {
        return Err(Error::Malformed(format!(
            "ContentInfo type is {}, not signedData (1.2.840.113549.1.7.2)",
            ci.content_type
        )));
    }
    let sd: SignedData = ci.content.decode_as().map_err(Error::der("SignedData"))?;
    let eci = &sd.encap_content_info;
    if eci.econtent_type != oid::CTL {
        return Err(Error::Malformed(format!(
            "encapsulated content type is {}, not szOID_CTL (1.3.6.1.4.1.311.10.1)",
            eci.econtent_type
        )));
    }
    let content = eci
        .econtent
        .as_ref()
        .ok_or_else(|| Error::Malformed("SignedData has no encapsulated content".into()))?;
    // Authenticode puts the SEQUENCE directly under [0]; tolerate an OCTET STRING wrapper.
    let ctl_bytes: Vec<u8> = if content.tag() == Tag::OctetString {
        content.value().to_vec()
    } else {
        content.to_der().map_err(Error::der("trust list"))?
    };
    let ctl = CertificateTrustList::from_der(&ctl_bytes).map_err(Error::der("trust list"))?;
    let actual_digest: [u8; 32] = Sha256::digest(content.value()).into();

    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| Error::Malformed("no SignerInfo".into()))?;
    if si.digest_alg.oid != oid::SHA256 {
        return Err(Error::Malformed(format!(
            "SignerInfo digest algorithm {} is not SHA-256",
            si.digest_alg.oid
        )));
    }
    for (alg, name) in [
        (&si.digest_alg, "digest algorithm"),
        (&si.signature_algorithm, "signature algorithm"),
    ] {
        if alg.parameters.as_ref().is_some_and(|p| !p.is_null()) {
            return Err(Error::Malformed(format!(
                "SignerInfo {name} {} has parameters other than NULL",
                alg.oid
            )));
        }
    }
    if !sd
        .digest_algorithms
        .iter()
        .any(|a| a.oid == si.digest_alg.oid)
    {
        return Err(Error::Malformed(
            "SignedData digestAlgorithms does not list the signer's digest algorithm".into(),
        ));
    }
    let certs: Vec<&Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let cert = match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => certs
            .iter()
            .find(|c| {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            })
            .copied(),
        SignerIdentifier::SubjectKeyIdentifier(_) => None,
    }
    .ok_or_else(|| {
        Error::Malformed("the signer certificate is not embedded in the catalog".into())
    })?;
    let subject = cert.tbs_certificate.subject.to_string();

    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| Error::Malformed("SignerInfo has no signed attributes".into()))?;
    let content_type = single_attr(attrs, oid::CONTENT_TYPE, "contentType")?
        .decode_as::<ObjectIdentifier>()
        .map_err(Error::der("contentType attribute"))?;
    if content_type != oid::CTL {
        return Err(Error::Malformed(format!(
            "signed contentType {content_type} is not szOID_CTL"
        )));
    }
    let signed_digest = single_attr(attrs, oid::MESSAGE_DIGEST, "messageDigest")?
        .decode_as::<OctetString>()
        .map_err(Error::der("messageDigest attribute"))?;
    if signed_digest.as_bytes() != actual_digest {
        return Err(Error::ContentDigestMismatch {
            signed: hex(signed_digest.as_bytes()),
            actual: hex(&actual_digest),
        });
    }
    let signing_time = match attrs.iter().find(|a| a.oid == oid::SIGNING_TIME) {
        Some(a) => Some(
            a.values
                .iter()
                .next()
                .ok_or_else(|| Error::Malformed("empty signingTime attribute".into()))?
                .to_der()
                .and_then(|d| Time::from_der(&d))
                .map_err(Error::der("signingTime attribute"))?
                .to_system_time(),
        ),
        None => None,
    };

    // The signature: RSA PKCS #1 v1.5 or ECDSA P-256, with SHA-256, over the DER of the signed
    // attributes (RFC 5652 §5.4).
    let public = public_key_of(cert).ok_or_else(|| {
        Error::UnsupportedKey(format!(
            "the signer certificate '{subject}' has neither an RSA nor an EC P-256 key"
        ))
    })?;
    let sig_alg = si.signature_algorithm.oid;
    let alg_fits = match public {
        PublicKey::Rsa(_) => sig_alg == oid::RSA_ENCRYPTION || sig_alg == oid::SHA256_WITH_RSA,
        PublicKey::P256(_) => sig_alg == oid::ECDSA_WITH_SHA256,
    };
    if !alg_fits {
        return Err(Error::UnsupportedKey(format!(
            "signature algorithm {sig_alg} does not fit the signer certificate's key"
        )));
    }
    let signed_bytes = attrs.to_der().map_err(Error::der("signed attributes"))?;
    if !public.verify(&signed_bytes, si.signature.as_bytes()) {
        return Err(Error::BadSignature { subject });
    }

    let info = CatalogInfo {
        catalog_version: catalog_version(&ctl)?,
        this_update: ctl.this_update.to_system_time(),
        signing_time,
        members: members(&ctl)?,
        signer: summary(cert)?,
        matched: None,
    };
    Ok(info)
}

/// Verify one of our catalogs against a package: everything [`inspect`] checks, then that the
/// package's SHA-256 (read from `package` in one streaming pass) is a member, and that the
/// member's `SpcIndirectData` hash, when present, is the same.
///
/// # Errors
/// As [`inspect`]; [`Error::PackageMismatch`] when the package is not a member (changed
/// package, or another package's catalog); [`Error::Io`] reading the package.
pub fn verify<R: Read>(cat: &[u8], package: R) -> Result<CatalogInfo> {
    let mut info = inspect(cat)?;
    let digest = PackageDigest::of_reader(package)?;
    let found = info
        .members
        .iter()
        .position(|m| m.identifier == digest.sha256 && m.sha256.is_none_or(|h| h == digest.sha256));
    match found {
        Some(i) => {
            info.matched = Some(i);
            Ok(info)
        }
        None => Err(Error::PackageMismatch {
            actual: hex(&digest.sha256),
            members: info
                .members
                .iter()
                .filter(|m| m.identifier.len() == 32)
                .map(|m| hex(&m.identifier))
                .collect(),
        }),
    }
}

/// Check the catalog beside a package ([`catalog_path`]: `NAME.cat` next to `NAME.ppkg`), as
/// `ppkg inspect` reports it: `Ok(None)` when there is no catalog, `Ok(Some(info))` when it
/// verifies and the package is its member.
///
/// # Errors
/// As [`verify`] (a catalog that does not match is an error, not `None`); [`Error::Io`] when a
/// file cannot be read.
pub fn verify_beside(package_path: &Path) -> Result<Option<CatalogInfo>> {
    let cat_path = catalog_path(package_path);
    let cat = match std::fs::read(&cat_path) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let package = std::fs::File::open(package_path)?;
    verify(&cat, std::io::BufReader::new(package)).map(Some)
}

/// The trust list for one package (see [`sign`]).
fn build_ctl(
    digest: &PackageDigest,
    file_name: &str,
    utc: UtcTime,
) -> Result<CertificateTrustList> {
    let marker = attribute(
        oid::CAT_MEMBERINFO2,
        // `[2]` IMPLICIT, empty: the bytes `82 00` makecat writes.
        Any::new(
            Tag::ContextSpecific {
                constructed: false,
                number: TagNumber::N2,
            },
            Vec::new(),
        ),
    )?;
    let name_value = CatNameValue {
        name: BmpString::from_utf8("File").map_err(Error::der("File attribute"))?,
        flags: NAME_VALUE_FLAGS,
        value: octets(&utf16le_nul(file_name))?,
    };
    let indirect = SpcIndirectDataContent {
        data: SpcAttributeTypeAndOptionalValue {
            kind: oid::SPC_CAB_DATA,
            // SpcLink file [2] EXPLICIT { unicode [0] IMPLICIT "" }: `a2 02 80 00`.
            value: Some(Any::from_der(&[0xa2, 0x02, 0x80, 0x00]).map_err(Error::der("SpcLink"))?),
        },
        message_digest: DigestInfo {
            digest_algorithm: alg_with_null(oid::SHA256),
            digest: octets(&digest.sha256)?,
        },
    };
    let sha256_entry = TrustedSubject {
        subject_identifier: octets(&digest.sha256)?,
        attributes: Some(
            SetOfVec::try_from(vec![
                marker.clone(),
                attribute(oid::CAT_NAMEVALUE, Any::encode_from(&name_value))?,
                attribute(oid::SPC_INDIRECT_DATA, Any::encode_from(&indirect))?,
            ])
            .map_err(Error::der("member attributes"))?,
        ),
    };
    let sha1_entry = TrustedSubject {
        subject_identifier: octets(&digest.sha1)?,
        attributes: Some(
            SetOfVec::try_from(vec![marker]).map_err(Error::der("member attributes"))?,
        ),
    };
    // makecat sorts entries by identifier bytes.
    let mut entries = vec![sha256_entry, sha1_entry];
    entries.sort_by(|a, b| {
        a.subject_identifier
            .as_bytes()
            .cmp(b.subject_identifier.as_bytes())
    });
    // A deterministic list identifier: the first 16 bytes of SHA-256 over the identifiers.
    let mut h = Sha256::new();
    for e in &entries {
        h.update(e.subject_identifier.as_bytes());
    }
    let list_id: [u8; 32] = h.finalize().into();
    Ok(CertificateTrustList {
        version: None,
        subject_usage: vec![oid::CATALOG_LIST],
        list_identifier: Some(octets(&list_id[..16])?),
        sequence_number: None,
        this_update: Time::UtcTime(utc),
        next_update: None,
        subject_algorithm: alg_with_null(oid::CATALOG_LIST_MEMBER2),
        trusted_subjects: Some(entries),
        extensions: None,
    })
}

fn catalog_version(ctl: &CertificateTrustList) -> Result<u8> {
    if !ctl.subject_usage.contains(&oid::CATALOG_LIST) {
        return Err(Error::Malformed(
            "trust list subjectUsage lacks szOID_CATALOG_LIST: not a catalog".into(),
        ));
    }
    match ctl.subject_algorithm.oid {
        o if o == oid::CATALOG_LIST_MEMBER2 => Ok(2),
        o if o == oid::CATALOG_LIST_MEMBER => Ok(1),
        o => Err(Error::Malformed(format!(
            "trust list subjectAlgorithm {o} is not a catalog member type"
        ))),
    }
}

fn members(ctl: &CertificateTrustList) -> Result<Vec<CatalogMember>> {
    let mut out = Vec::new();
    for (i, ts) in ctl.trusted_subjects.iter().flatten().enumerate() {
        let mut member = CatalogMember {
            identifier: ts.subject_identifier.as_bytes().to_vec(),
            file_name: None,
            sha256: None,
        };
        for attr in ts.attributes.iter().flat_map(|s| s.iter()) {
            let Some(value) = attr.values.iter().next() else {
                continue;
            };
            if attr.oid == oid::CAT_NAMEVALUE {
                let nv: CatNameValue = value
                    .decode_as()
                    .map_err(|e| Error::Malformed(format!("member {i}: name/value: {e}")))?;
                if nv.name.to_string() == "File" {
                    member.file_name = Some(from_utf16le_nul(nv.value.as_bytes()));
                }
            } else if attr.oid == oid::SPC_INDIRECT_DATA {
                let spc: SpcIndirectDataContent = value
                    .decode_as()
                    .map_err(|e| Error::Malformed(format!("member {i}: SpcIndirectData: {e}")))?;
                if spc.message_digest.digest_algorithm.oid == oid::SHA256 {
                    member.sha256 = spc.message_digest.digest.as_bytes().try_into().ok();
                }
            }
        }
        out.push(member);
    }
    Ok(out)
}

fn summary(cert: &Certificate) -> Result<SignerSummary> {
    let der = cert.to_der().map_err(Error::der("signer certificate"))?;
    let tbs = &cert.tbs_certificate;
    Ok(SignerSummary {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: hex(tbs.serial_number.as_bytes()),
        thumbprint: hex(&Sha1::digest(&der)),
        not_before: tbs.validity.not_before.to_system_time(),
        not_after: tbs.validity.not_after.to_system_time(),
        certificate_der: der,
    })
}

/// The single value of the signed attribute `oid`.
fn single_attr<'a>(
    attrs: &'a SetOfVec<Attribute>,
    oid: ObjectIdentifier,
    name: &str,
) -> Result<&'a Any> {
    let attr = attrs
        .iter()
        .find(|a| a.oid == oid)
        .ok_or_else(|| Error::Malformed(format!("signed attribute {name} is missing")))?;
    if attr.values.len() != 1 {
        return Err(Error::Malformed(format!(
            "signed attribute {name} has {} values, not 1",
            attr.values.len()
        )));
    }
    attr.values
        .iter()
        .next()
        .ok_or_else(|| Error::Malformed(format!("signed attribute {name} is empty")))
}

fn attribute(oid: ObjectIdentifier, value: der::Result<Any>) -> Result<Attribute> {
    let value = value.map_err(Error::der("attribute value"))?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(Error::der("attribute value"))?,
    })
}

fn alg_with_null(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::null()),
    }
}

fn octets(bytes: &[u8]) -> Result<OctetString> {
    OctetString::new(bytes).map_err(Error::der("OCTET STRING"))
}

/// Upper-case hex, as Windows shows hashes and thumbprints.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
