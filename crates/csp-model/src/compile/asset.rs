//! Asset files (Type 5 settings): how the compiler gets their bytes, and how it names and hashes
//! them.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::Digest as _;

/// Largest asset read whole into memory (certificates, PFX files, WLAN profiles): 16 MiB.
/// Payloads stored as DataAsset (command files, MSIs) are streamed for hashing and never read
/// whole.
pub const MAX_INLINE_ASSET: u64 = 16 * 1024 * 1024;

/// Gives the compiler the files that asset settings name.
///
/// An answer file names files as paths on the author's machine (`D:\Cortex_XDR.msi`, Acer
/// sample; `SmartDisplay.cer`, ms-iot sample); the resolver maps such a reference to a file name
/// and its content.
pub trait AssetResolver {
    /// Resolves `reference` (the element text, as written) of the setting at `setting_path`
    /// (catalog path, e.g. `/Certificates/RootCertificates/RootCertificate/CertificatePath`).
    ///
    /// # Errors
    /// Any I/O error; the compiler reports it with the setting path and reference.
    fn resolve(&self, setting_path: &str, reference: &str) -> std::io::Result<AssetFile>;
}

/// A resolved asset file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetFile {
    /// The file name stored in the package (`Cortex_XDR_9_0_0_16757_x64.msi`).
    pub file_name: String,
    /// Where the bytes are.
    pub content: AssetContent,
}

/// The bytes of an asset: in memory or in a file (streamed).
#[derive(Clone, PartialEq, Eq)]
pub enum AssetContent {
    /// In memory.
    Bytes(Vec<u8>),
    /// A file on disk.
    File(PathBuf),
}

impl fmt::Debug for AssetContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the bytes: an asset may be a PFX (private key).
        match self {
            AssetContent::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
            AssetContent::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

impl AssetContent {
    /// A reader over the content.
    ///
    /// # Errors
    /// Opening the file failed.
    pub fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(match self {
            AssetContent::Bytes(b) => Box::new(b.as_slice()),
            AssetContent::File(p) => Box::new(std::fs::File::open(p)?),
        })
    }

    /// SHA-256 and size, streaming.
    ///
    /// # Errors
    /// Reading failed.
    pub fn sha256(&self) -> std::io::Result<([u8; 32], u64)> {
        let mut r = self.open()?;
        let mut h = sha2::Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            size += n as u64;
        }
        Ok((h.finalize().into(), size))
    }

    /// The whole content, refusing more than [`MAX_INLINE_ASSET`] bytes.
    ///
    /// # Errors
    /// Reading failed, or the content is larger than the limit (`InvalidData`).
    pub fn read_limited(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open()?
            .take(MAX_INLINE_ASSET + 1)
            .read_to_end(&mut out)?;
        if out.len() as u64 > MAX_INLINE_ASSET {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than {MAX_INLINE_ASSET} bytes"),
            ));
        }
        Ok(out)
    }
}

/// The SHA-256 and size of a DataAsset payload (its key holds the hash), and the blob it was
/// written to when the digests came from a package writer's one read of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadDigest {
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// Size in bytes.
    pub size: u64,
    /// The blob a [`WimWriter`](ppkg_format::wim::WimWriter) wrote while hashing; the compiled
    /// asset's source then refers to it ([`ppkg_format::wim::Source::Written`]).
    pub written: Option<ppkg_format::wim::BlobDigest>,
}

/// Why [`PayloadDigests::digests`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PayloadError {
    /// Payload `index` could not be read.
    Read {
        /// Index in the slice given.
        index: usize,
        /// What failed.
        error: std::io::Error,
    },
    /// Anything else (writing the package, a payload that changed while it was read).
    Other(crate::Error),
}

/// Hashes DataAsset payloads for the compiler (their keys hold the SHA-256). Hashing is the
/// compiler's only read of a payload: [`StreamDigests`] streams each one;
/// a [`WimWriter`](ppkg_format::wim::WimWriter) writes each payload into the package as it
/// hashes it, so a build reads every payload byte once (issue #15).
pub trait PayloadDigests {
    /// The digests of `payloads`, in order.
    ///
    /// # Errors
    /// [`PayloadError`].
    fn digests(&mut self, payloads: &[&AssetContent]) -> Result<Vec<PayloadDigest>, PayloadError>;
}

/// Streams each payload through SHA-256, in parallel (what [`crate::compile`] uses).
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamDigests;

impl PayloadDigests for StreamDigests {
    fn digests(&mut self, payloads: &[&AssetContent]) -> Result<Vec<PayloadDigest>, PayloadError> {
        use rayon::prelude::*;
        payloads
            .par_iter()
            .enumerate()
            .map(|(index, c)| {
                let (sha256, size) = c
                    .sha256()
                    .map_err(|error| PayloadError::Read { index, error })?;
                Ok(PayloadDigest {
                    sha256,
                    size,
                    written: None,
                })
            })
            .collect()
    }
}

/// A package writer as the compiler's hasher: payloads are written into the WIM while they
/// are hashed ([`WimWriter::write_blobs`](ppkg_format::wim::WimWriter::write_blobs)).
impl<W: std::io::Write + std::io::Seek> PayloadDigests for ppkg_format::wim::WimWriter<W> {
    fn digests(&mut self, payloads: &[&AssetContent]) -> Result<Vec<PayloadDigest>, PayloadError> {
        use ppkg_format::wim::Source;
        let sources: Vec<Source> = payloads
            .iter()
            .map(|c| match c {
                AssetContent::Bytes(b) => Source::from(b.as_slice()),
                AssetContent::File(p) => Source::File(p.clone()),
            })
            .collect();
        let names: Vec<String> = payloads
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                AssetContent::File(p) => p.display().to_string(),
                AssetContent::Bytes(_) => format!("payload {i}"),
            })
            .collect();
        let pairs: Vec<(&str, &Source)> = names.iter().map(String::as_str).zip(&sources).collect();
        let written = self
            .write_blobs(&pairs)
            .map_err(|e| PayloadError::Other(crate::Error::Format(e)))?;
        Ok(written
            .into_iter()
            .map(|d| PayloadDigest {
                sha256: d.sha256,
                size: d.size,
                written: Some(d),
            })
            .collect())
    }
}

/// A shared package writer as the compiler's hasher (as [`WimWriter`](ppkg_format::wim::WimWriter)):
/// the caller also writes each compiled `.provxml` document into it as it is handed over
/// ([`crate::compile_streaming`]), which a `&mut` borrow held by the compiler would not allow.
/// The compiler never hashes while a document is being handed over, so the borrows do not
/// overlap.
impl<W: std::io::Write + std::io::Seek> PayloadDigests
    for &std::cell::RefCell<ppkg_format::wim::WimWriter<W>>
{
    fn digests(&mut self, payloads: &[&AssetContent]) -> Result<Vec<PayloadDigest>, PayloadError> {
        self.borrow_mut().digests(payloads)
    }
}

/// The last component of a file reference, splitting on `\` and `/` (Windows paths in answer
/// files): `D:\Cortex_XDR.msi` → `Cortex_XDR.msi`.
pub fn file_name_of(reference: &str) -> &str {
    reference
        .trim()
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or_default()
}

/// Resolves a reference by its file name in one folder (`dir/<file name of reference>`).
#[derive(Clone, Debug)]
pub struct DirResolver {
    dir: PathBuf,
}

impl DirResolver {
    /// A resolver looking in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

impl AssetResolver for DirResolver {
    fn resolve(&self, _setting_path: &str, reference: &str) -> std::io::Result<AssetFile> {
        let name = file_name_of(reference);
        if name.is_empty() || name == "." || name == ".." {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "no file name in the reference",
            ));
        }
        let path = self.dir.join(name);
        if !path.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} not found", Path::new(&path).display()),
            ));
        }
        Ok(AssetFile {
            file_name: name.to_owned(),
            content: AssetContent::File(path),
        })
    }
}

/// Resolves references by file name from a map of in-memory bytes or files on disk (a
/// profile's assets, tests, generated content).
#[derive(Clone, Debug, Default)]
pub struct MapResolver {
    files: HashMap<String, AssetContent>,
}

impl MapResolver {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file by name (the last component of the references that name it).
    pub fn insert(&mut self, file_name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files
            .insert(file_name.into(), AssetContent::Bytes(bytes.into()));
    }

    /// Adds a file by name whose content stays on disk at `path` and is streamed when the
    /// package is written (large command files).
    pub fn insert_file(&mut self, file_name: impl Into<String>, path: impl Into<PathBuf>) {
        self.files
            .insert(file_name.into(), AssetContent::File(path.into()));
    }
}

impl AssetResolver for MapResolver {
    fn resolve(&self, _setting_path: &str, reference: &str) -> std::io::Result<AssetFile> {
        let name = file_name_of(reference);
        let content = self.files.get(name).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{name} not in the map"),
            )
        })?;
        Ok(AssetFile {
            file_name: name.to_owned(),
            content: content.clone(),
        })
    }
}

/// A resolver that resolves nothing (answer files without assets).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAssets;

impl AssetResolver for NoAssets {
    fn resolve(&self, _setting_path: &str, _reference: &str) -> std::io::Result<AssetFile> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no asset resolver given",
        ))
    }
}

/// The DataAsset key of a payload: `<i>_<base64 SHA-256>\<file>` (FORMAT.md §3; Acer sample
/// `0_E59k3Wvw1OrB63LOQp31n8N9yPXB6QFhlvlr0TK2b0A=\Cortex_XDR_9_0_0_16757_x64.msi`), standard
/// base64 with padding.
pub fn data_asset_key(index: usize, sha256: &[u8; 32], file_name: &str) -> String {
    format!(
        "{index}_{}\\{file_name}",
        base64::engine::general_purpose::STANDARD.encode(sha256)
    )
}

/// A certificate's DER bytes from a `.cer` file that is DER or PEM (`-----BEGIN CERTIFICATE-----`).
pub(crate) fn certificate_der(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(bytes).ok();
    match text.and_then(|t| t.find("-----BEGIN CERTIFICATE-----").map(|i| (t, i))) {
        None => {
            if bytes.first() == Some(&0x30) {
                Ok(bytes.to_vec())
            } else {
                Err("not a DER or PEM certificate".to_owned())
            }
        }
        Some((t, i)) => {
            let body = &t[i + "-----BEGIN CERTIFICATE-----".len()..];
            let end = body
                .find("-----END CERTIFICATE-----")
                .ok_or("PEM certificate without END line")?;
            let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("PEM certificate: {e}"))
        }
    }
}

/// Upper-case hex SHA-1 thumbprint of DER bytes (the `@CertificateHash@` of the store's
/// RootCATrustedCertificates paths; Windows shows thumbprints in this form).
pub(crate) fn thumbprint(der: &[u8]) -> String {
    use sha1::Digest as _;
    let digest = sha1::Sha1::digest(der);
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

/// Standard base64 with padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_keys() {
        assert_eq!(file_name_of(r"D:\dir\a.msi"), "a.msi");
        assert_eq!(file_name_of("b/c.cer"), "c.cer");
        assert_eq!(file_name_of("plain.ppkg"), "plain.ppkg");
        let key = data_asset_key(1, &[0u8; 32], "x.msi");
        assert_eq!(key, "1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\x.msi");
    }

    #[test]
    fn pem_and_der_certificates() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        assert_eq!(certificate_der(&der).unwrap(), der);
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64(&der)
        );
        assert_eq!(certificate_der(pem.as_bytes()).unwrap(), der);
        assert!(certificate_der(b"hello").is_err());
        assert_eq!(
            thumbprint(b"abc"),
            "A9993E364706816ABA3E25717850C26C9CD0D89D"
        );
    }

    #[test]
    fn debug_hides_bytes() {
        let c = AssetContent::Bytes(b"secret-pfx".to_vec());
        assert_eq!(format!("{c:?}"), "Bytes(<10 bytes>)");
    }
}
