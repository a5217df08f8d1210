//! [`Package`]: the parts of a package read back from a WIM.

use std::io::{Read, Seek};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{parse_index_file, ElementKind, IndexEntry};
use crate::answer::AnswerFile;
use crate::error::{Error, Result};
use crate::metadata::ImageInfo;
use crate::provxml::ProvDoc;
use crate::runtime::RunTime;
use crate::wim::{Entry, WimReader};
use crate::xml::MAX_DOCUMENT_BYTES;

/// An element listed in an index file `<Type>/<Type>.xml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementInfo {
    /// The type name as written (`Multivariant`).
    pub type_name: String,
    /// The known kind, if the name is one.
    pub kind: Option<ElementKind>,
    /// `Index` and `Metadata`.
    pub entry: IndexEntry,
}

/// A payload file found through `DataAsset/DataAsset.xml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// The DataAsset element's index (the folder under `DataAsset/`).
    pub element_index: u32,
    /// The element's `Metadata Key="Name"` (the setting name, `CommandFile`).
    pub setting_name: String,
    /// The asset key (`0_<base64 SHA-256>\<file>`), as used in the `.provxml`.
    pub key: String,
    /// The file name (after the key's `\`).
    pub file_name: String,
    /// The setting path with list indexes (`/ProvisioningCommands/PrimaryContext/Command/0/CommandFile`).
    pub setting_path: String,
    /// Path of the file in the image (`DataAsset/2/0_…=/Cortex.msi`), `None` when missing.
    pub wim_path: Option<String>,
    /// Size in bytes (0 when missing).
    pub size: u64,
    /// SHA-256 of the file's bytes, computed while streaming it (`None` when missing).
    pub sha256: Option<[u8; 32]>,
    /// Whether the key's base64 SHA-256 equals [`AssetInfo::sha256`].
    pub hash_matches_key: bool,
}

/// A package opened for reading: the element tree and documents of a WIM.
///
/// Works on any WIM: parts that are missing give `None` or an empty list, not an error, so that a
/// foreign or partial image can still be inspected. Parts that are present but malformed are
/// errors naming the part.
pub struct Package<R: Read + Seek> {
    wim: WimReader<R>,
}

impl<R: Read + Seek> Package<R> {
    /// Wrap a checked WIM reader.
    ///
    /// # Errors
    /// None today (the reader has already checked the container); kept fallible so that checks
    /// of the layout can be added without breaking callers.
    pub fn open(wim: WimReader<R>) -> Result<Self> {
        Ok(Self { wim })
    }

    /// The WIM reader.
    pub fn wim(&mut self) -> &mut WimReader<R> {
        &mut self.wim
    }

    /// Give back the WIM reader.
    pub fn into_inner(self) -> WimReader<R> {
        self.wim
    }

    /// The WIM XML `<IMAGE>` fields (name, version, package ID, altitude, notes, counts).
    pub fn image_info(&self) -> &ImageInfo {
        self.wim.image_info()
    }

    /// Read a file of the image, at most [`MAX_DOCUMENT_BYTES`]; `None` when absent.
    ///
    /// # Errors
    /// As [`WimReader::read_to_vec`], with the part name.
    pub fn read_part(&mut self, path: &str) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.wim.find(path).filter(|e| !e.is_dir).cloned() else {
            return Ok(None);
        };
        self.wim
            .read_to_vec(&entry, MAX_DOCUMENT_BYTES as u64)
            .map(Some)
            .map_err(|e| e.in_part(entry.path.clone()))
    }

    /// Every element listed in the index files present (`<Type>/<Type>.xml` for each known
    /// type), in the order of [`ElementKind::ALL`].
    ///
    /// # Errors
    /// A malformed index file ([`crate::ErrorKind::Xml`] with its name).
    pub fn elements(&mut self) -> Result<Vec<ElementInfo>> {
        let mut out = Vec::new();
        for kind in ElementKind::ALL {
            let path = kind.index_file_path();
            if let Some(bytes) = self.read_part(&path)? {
                let (type_name, entries) =
                    parse_index_file(&bytes).map_err(|e| e.in_part(path.clone()))?;
                out.extend(entries.into_iter().map(|entry| ElementInfo {
                    type_name: type_name.clone(),
                    kind: ElementKind::from_name(&type_name),
                    entry,
                }));
            }
        }
        Ok(out)
    }

    /// The Multivariant element's folder: `Multivariant/<index>` from `Multivariant.xml`, else
    /// `Multivariant/0`.
    fn multivariant_dir(&mut self) -> Result<String> {
        let path = ElementKind::Multivariant.index_file_path();
        let index = match self.read_part(&path)? {
            Some(b) => parse_index_file(&b)
                .map_err(|e| e.in_part(path.clone()))?
                .1
                .first()
                .map_or(0, |e| e.index),
            None => 0,
        };
        Ok(format!("Multivariant/{index}"))
    }

    /// The source answer file, `Multivariant/<i>/customizations.xml`.
    ///
    /// # Errors
    /// As [`AnswerFile::parse`], with the part name.
    pub fn answer_file(&mut self) -> Result<Option<AnswerFile>> {
        let path = format!("{}/customizations.xml", self.multivariant_dir()?);
        match self.read_part(&path)? {
            Some(b) => AnswerFile::parse(&b).map(Some).map_err(|e| e.in_part(path)),
            None => Ok(None),
        }
    }

    /// `CommonSettings/<i>/AnswerFile.xml` as bytes.
    ///
    /// # Errors
    /// Read errors, with the part name.
    pub fn common_settings_xml(&mut self) -> Result<Option<Vec<u8>>> {
        let path = ElementKind::CommonSettings.index_file_path();
        let index = match self.read_part(&path)? {
            Some(b) => parse_index_file(&b)
                .map_err(|e| e.in_part(path.clone()))?
                .1
                .first()
                .map_or(1, |e| e.index),
            None => 1,
        };
        self.read_part(&format!("CommonSettings/{index}/AnswerFile.xml"))
    }

    /// `Multivariant/<i>/Prov/RunTime.xml`.
    ///
    /// # Errors
    /// As [`RunTime::parse`], with the part name.
    pub fn runtime(&mut self) -> Result<Option<RunTime>> {
        let path = format!("{}/Prov/RunTime.xml", self.multivariant_dir()?);
        match self.read_part(&path)? {
            Some(b) => RunTime::parse(&b).map(Some).map_err(|e| e.in_part(path)),
            None => Ok(None),
        }
    }

    /// The compiled documents: (file name, document). First those `RunTime.xml` lists, in its
    /// order (listed files that are missing are skipped); then any other `.provxml` in
    /// `Prov/RunTime/`, ordered by their numeric prefix.
    ///
    /// # Errors
    /// As [`ProvDoc::parse`], with the part name.
    pub fn provxml(&mut self) -> Result<Vec<(String, ProvDoc)>> {
        let dir = format!("{}/Prov/RunTime/", self.multivariant_dir()?);
        let mut names: Vec<String> = self
            .runtime()?
            .map(|r| {
                r.sets
                    .iter()
                    .filter_map(|s| s.file_name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut extra: Vec<String> = self
            .wim
            .entries()
            .iter()
            .filter(|e| !e.is_dir)
            .filter_map(|e| {
                let rest = strip_prefix_ci(&e.path, &dir)?;
                (!rest.contains('/') && !names.iter().any(|n| n.eq_ignore_ascii_case(rest)))
                    .then(|| rest.to_owned())
            })
            .collect();
        extra.sort_by_key(|n| {
            let num = n.split("__").next().and_then(|p| p.parse::<u64>().ok());
            (num.unwrap_or(u64::MAX), n.clone())
        });
        names.extend(extra);
        let mut out = Vec::new();
        for name in names {
            let path = format!("{dir}{name}");
            if let Some(b) = self.read_part(&path)? {
                let doc = ProvDoc::parse(&b).map_err(|e| e.in_part(path))?;
                out.push((name, doc));
            }
        }
        Ok(out)
    }

    /// The payload files listed in `DataAsset/DataAsset.xml`, with size and SHA-256 (each file
    /// is streamed once; its SHA-1 is checked by the WIM reader on the way).
    ///
    /// # Errors
    /// A malformed `DataAsset.xml`; read errors of a payload (hash mismatch, …) with its path.
    pub fn assets(&mut self) -> Result<Vec<AssetInfo>> {
        let path = ElementKind::DataAsset.index_file_path();
        let Some(bytes) = self.read_part(&path)? else {
            return Ok(Vec::new());
        };
        let (_, entries) = parse_index_file(&bytes).map_err(|e| e.in_part(path.clone()))?;
        let mut out = Vec::new();
        for entry in entries {
            let setting_name = entry
                .metadata
                .iter()
                .find(|(k, _)| k == "Name")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            for (key, value) in entry.metadata.iter().filter(|(k, _)| k != "Name") {
                let file_name = key.rsplit('\\').next().unwrap_or(key).to_owned();
                let wim_path = format!("DataAsset/{}/{}", entry.index, super::asset_folder(key));
                let found: Option<Entry> = self.wim.find(&wim_path).filter(|e| !e.is_dir).cloned();
                let (size, sha256) = match &found {
                    Some(e) => (e.size, Some(self.sha256_of(e)?)),
                    None => (0, None),
                };
                let key_b64 = key
                    .split_once('_')
                    .and_then(|(_, rest)| rest.split('\\').next())
                    .unwrap_or_default();
                let hash_matches_key = sha256.is_some_and(|h| {
                    base64::engine::general_purpose::STANDARD.encode(h) == key_b64
                });
                out.push(AssetInfo {
                    element_index: entry.index,
                    setting_name: setting_name.clone(),
                    key: key.clone(),
                    file_name,
                    setting_path: value.clone(),
                    wim_path: found.map(|e| e.path),
                    size,
                    sha256,
                    hash_matches_key,
                });
            }
        }
        Ok(out)
    }

    fn sha256_of(&mut self, e: &Entry) -> Result<[u8; 32]> {
        let mut r = self.wim.open(e)?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = r
                .read(&mut buf)
                .map_err(|err| Error::from(err).in_part(e.path.clone()))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(h.finalize().into())
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}
