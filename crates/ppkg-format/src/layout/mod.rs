//! The package layout: the elements inside a `.ppkg` image, their index files, the DataAsset
//! naming, and the package builder ([`write_package`]) and reader ([`Package`]).
//!
//! The tree (FORMAT.md §3, seen in both real packages):
//!
//! ```text
//! Multivariant/Multivariant.xml          <Elements Type="Multivariant"><Element Index="0">
//! Multivariant/0/customizations.xml      the whole answer file
//! Multivariant/0/MasterDatastore.xml     constant
//! Multivariant/0/Prov/RunTime.xml        one ConfigurationSet per .provxml
//! Multivariant/0/Prov/RunTime/<n>__<Group_Path>.provxml
//! CommonSettings/CommonSettings.xml      <Elements Type="CommonSettings"><Element Index="1">
//! CommonSettings/1/AnswerFile.xml        the <Settings> part of the answer file
//! DataAsset/DataAsset.xml                only with payload files (Element Index="2", …)
//! DataAsset/2/<i>_<base64 SHA-256>/<file>
//! ```
//!
//! Elements are numbered by one counter across element types in the order they are created
//! (Multivariant 0, CommonSettings 1, then one DataAsset element per asset setting name).
//! The index files are UTF-8 **without** BOM, CRLF, written by [`index_file_xml`].

mod read;

use std::io::{Read, Seek, Write};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::answer::{AnswerFile, PackageConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::metadata::ImageInfo;
use crate::provxml::ProvDoc;
use crate::runtime::{master_datastore_xml, RunTime};
use crate::wim::{write_wim, ImageTree, Source, WimWriter, WriteOptions, WriteStats};
use crate::xml::{Declaration, Document, Element, Node, WriteStyle};

pub use read::{AssetInfo, ElementInfo, Package};

/// Name and version written in the `NOTES` field's `VERSION=` (WCD writes its own build there).
pub const TOOL_VERSION: &str = concat!("ppkg-format/", env!("CARGO_PKG_VERSION"));

/// The element types WCD knows (strings in WCD's binaries; FORMAT.md §3). Only
/// [`ElementKind::Multivariant`], [`ElementKind::CommonSettings`] and [`ElementKind::DataAsset`]
/// are seen in real packages and written by this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ElementKind {
    /// `Application`.
    Application,
    /// `DataAsset`: payload files referenced by asset settings.
    DataAsset,
    /// `Multivariant`: the answer file and the compiled documents.
    Multivariant,
    /// `ICB`.
    Icb,
    /// `Driver`.
    Driver,
    /// `LangPack`.
    LangPack,
    /// `Registry`.
    Registry,
    /// `Certificate`.
    Certificate,
    /// `CommonSettings`: `AnswerFile.xml`.
    CommonSettings,
    /// `FeaturesOnDemand`.
    FeaturesOnDemand,
    /// `OSUpdates`.
    OsUpdates,
}

impl ElementKind {
    /// Every kind.
    pub const ALL: [ElementKind; 11] = [
        ElementKind::Application,
        ElementKind::DataAsset,
        ElementKind::Multivariant,
        ElementKind::Icb,
        ElementKind::Driver,
        ElementKind::LangPack,
        ElementKind::Registry,
        ElementKind::Certificate,
        ElementKind::CommonSettings,
        ElementKind::FeaturesOnDemand,
        ElementKind::OsUpdates,
    ];

    /// The type name as written in the tree and in `<Elements Type=…>`.
    pub fn as_str(self) -> &'static str {
        match self {
            ElementKind::Application => "Application",
            ElementKind::DataAsset => "DataAsset",
            ElementKind::Multivariant => "Multivariant",
            ElementKind::Icb => "ICB",
            ElementKind::Driver => "Driver",
            ElementKind::LangPack => "LangPack",
            ElementKind::Registry => "Registry",
            ElementKind::Certificate => "Certificate",
            ElementKind::CommonSettings => "CommonSettings",
            ElementKind::FeaturesOnDemand => "FeaturesOnDemand",
            ElementKind::OsUpdates => "OSUpdates",
        }
    }

    /// The kind with this type name (exact case first, then ignoring case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .or_else(|| {
                Self::ALL
                    .into_iter()
                    .find(|k| k.as_str().eq_ignore_ascii_case(name))
            })
    }

    /// Path of this kind's index file: `<Type>/<Type>.xml`.
    pub fn index_file_path(self) -> String {
        format!("{0}/{0}.xml", self.as_str())
    }
}

/// One `<Element Index=…>` of an index file, with its `<Metadata Key= Value=/>` pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexEntry {
    /// `Index`: the element's folder name under `<Type>/`.
    pub index: u32,
    /// `Metadata` pairs in order.
    pub metadata: Vec<(String, String)>,
}

/// An index file `<Type>/<Type>.xml` as WCD writes it: `<?xml version="1.0"
/// encoding="UTF-8"?>`, no BOM, CRLF, 2 spaces; an element without metadata is written with an
/// empty line (`<Element Index="0">` CRLF two spaces `</Element>`), as in both samples.
pub fn index_file_xml(kind: ElementKind, entries: &[IndexEntry]) -> Vec<u8> {
    let mut root = Element::new("Elements").with_attr("Type", kind.as_str());
    for e in entries {
        let mut el = Element::new("Element").with_attr("Index", e.index.to_string());
        if e.metadata.is_empty() {
            el.children.push(Node::Text("\n  ".into()));
        }
        for (k, v) in &e.metadata {
            el.push(
                Element::new("Metadata")
                    .with_attr("Key", k.clone())
                    .with_attr("Value", v.clone()),
            );
        }
        root.push(el);
    }
    let mut doc = Document::new(root);
    doc.bom = false;
    doc.declaration = Some(Declaration::new("UTF-8"));
    doc.to_bytes(&WriteStyle::wcd_index())
}

/// Parse an index file.
///
/// # Errors
/// As [`Document::parse`]; [`ErrorKind::Xml`] (with line:column) when the root is not
/// `Elements` or an `Index` is not a number.
pub fn parse_index_file(bytes: &[u8]) -> Result<(String, Vec<IndexEntry>)> {
    let doc = Document::parse(bytes)?;
    let xml_err = |e: &Element, m: String| {
        Error::new(ErrorKind::Xml {
            message: m,
            line: e.pos.line,
            column: e.pos.column,
        })
        .at(e.pos.offset)
    };
    if doc.root.name != "Elements" {
        return Err(xml_err(
            &doc.root,
            format!("root element is <{}>, expected <Elements>", doc.root.name),
        ));
    }
    let kind = doc.root.attr("Type").unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for e in doc.root.elements_named("Element") {
        let idx = e.attr("Index").unwrap_or_default();
        let index = idx
            .trim()
            .parse::<u32>()
            .map_err(|_| xml_err(e, format!("<Element Index=\"{idx}\"> is not a number")))?;
        let metadata = e
            .elements_named("Metadata")
            .map(|m| {
                (
                    m.attr("Key").unwrap_or_default().to_owned(),
                    m.attr("Value").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        out.push(IndexEntry { index, metadata });
    }
    Ok((kind, out))
}

/// A payload file of an asset setting (a provisioning command's file, a certificate, …).
#[derive(Clone, Debug)]
pub struct DataAsset {
    /// The setting's name, written as `Metadata Key="Name"` (`CommandFile`). Assets with the
    /// same name share one DataAsset element.
    pub setting_name: String,
    /// The setting path with list indexes, written as the file's `Metadata Value`
    /// (`/ProvisioningCommands/PrimaryContext/Command/0/CommandFile`).
    pub setting_path: String,
    /// The file name inside the package (`Cortex_XDR_9_0_0_16757_x64.msi`): a plain name, no
    /// folders.
    pub file_name: String,
    /// The bytes.
    pub source: Source,
}

impl DataAsset {
    /// The asset key WCD writes for the `i`-th file of a DataAsset element:
    /// `<i>_<base64 SHA-256 of the content>\<file name>`
    /// (`0_E59k3Wvw1OrB63LOQp31n8N9yPXB6QFhlvlr0TK2b0A=\Cortex_XDR_9_0_0_16757_x64.msi`). The
    /// compiled `.provxml` uses it as the `parm name`. That the hash is of the file content is
    /// inferred (it is not a hash of the path or name; the Acer payloads are not in the samples).
    ///
    /// # Errors
    /// I/O errors reading a [`Source::File`] (with its path).
    pub fn key(&self, i: usize) -> Result<String> {
        Ok(asset_key(i, &sha256_source(&self.source)?, &self.file_name))
    }
}

/// `<i>_<base64 sha256>\<file name>` (standard base64 with padding).
pub fn asset_key(i: usize, sha256: &[u8; 32], file_name: &str) -> String {
    format!(
        "{i}_{}\\{file_name}",
        base64::engine::general_purpose::STANDARD.encode(sha256)
    )
}

/// The path below `DataAsset/<index>/` of the payload with this asset key: `\\` and `/` are
/// folder separators and empty components are dropped
/// (`0_ab//cd=\\x.msi` → `0_ab/cd=/x.msi`).
///
/// Standard base64 (the hash in the key) may hold `/`, and `//` in about 1 % of payloads. WCD
/// joins the key to its folder with Windows path functions, which take `/` as a separator and
/// collapse repeated separators, and the device resolves the key the same way; so `/` nests a
/// folder and `//` is one separator [inferred: no real sample holds a hash with `/`]. The
/// writer and the reader both use this function, so a package always reads back.
pub fn asset_folder(key: &str) -> String {
    key.split(['\\', '/'])
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// SHA-256 of a source's bytes, streaming a [`Source::File`] (a [`Source::Written`] blob
/// carries its SHA-256 from the writer's one read).
///
/// # Errors
/// I/O errors opening or reading the file, with its path.
pub fn sha256_source(source: &Source) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    match source {
        // Hashed when the writer wrote it: nothing to read.
        Source::Written(d) => return Ok(d.sha256),
        Source::Bytes(b) => h.update(b),
        Source::File(p) => {
            let mut f = std::fs::File::open(p)
                .map_err(|e| Error::from(e).in_part(p.display().to_string()))?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = f
                    .read(&mut buf)
                    .map_err(|e| Error::from(e).in_part(p.display().to_string()))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
        }
    }
    Ok(h.finalize().into())
}

/// Everything a package holds, ready to be laid out.
#[derive(Clone, Debug)]
pub struct PackageParts {
    /// The answer file (`Multivariant/0/customizations.xml`, and `CommonSettings/1/AnswerFile.xml`
    /// from its `<Settings>`). Shared: a caller that keeps the answer file (a package builder
    /// reused for many builds) lends it without copying it (issue #15: the tree of a
    /// 2,000-command answer file is about 4 MB). `AnswerFile` converts with `.into()`;
    /// change it in place with [`Arc::make_mut`](std::sync::Arc::make_mut).
    pub answer_file: std::sync::Arc<AnswerFile>,
    /// `Multivariant/0/Prov/RunTime.xml`.
    pub runtime: RunTime,
    /// The compiled documents: (file name in `Prov/RunTime/`, document), in RunTime order.
    pub provxml: Vec<(String, ProvDoc)>,
    /// Payload files.
    pub assets: Vec<DataAsset>,
}

/// Options of [`build_tree_with`] and [`write_package_with`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LayoutOptions {
    /// `TargetSkus=` of the `NOTES` field: WCD writes the project's target editions
    /// (`Desktop` for start_pins, `WindowsCommon,Desktop` for the Acer package). Default
    /// `"Desktop"`.
    pub target_skus: String,
    /// Bytes of `CommonSettings/1/AnswerFile.xml` to use instead of
    /// [`AnswerFile::common_settings_xml`] (the compiler passes the catalog-aware
    /// [`AnswerFile::common_settings_xml_with`] output). Default `None`.
    pub common_settings_xml: Option<Vec<u8>>,
    /// `EncryptPackage=` of the `NOTES` field: set when the written WIM will be encrypted
    /// (`crate::crypt`) so the metadata says so, as WCD's does. Default `false`.
    pub encrypt_package: bool,
    /// `SignPackage=` of the `NOTES` field: set when a catalog will be written beside the
    /// package. Default `false`.
    pub sign_package: bool,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        Self {
            target_skus: "Desktop".into(),
            common_settings_xml: None,
            encrypt_package: false,
            sign_package: false,
        }
    }
}

/// The image tree of FORMAT.md §3 for these parts, with [`LayoutOptions::default`].
///
/// # Errors
/// As [`build_tree_with`].
pub fn build_tree(parts: &PackageParts) -> Result<ImageTree> {
    build_tree_with(parts, &LayoutOptions::default())
}

/// The image tree of FORMAT.md §3: Multivariant element 0, CommonSettings element 1, then one
/// DataAsset element per distinct [`DataAsset::setting_name`] (in order of first use), with
/// their index files. Files are added in WCD's order (see [`ImageTree`]).
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for a `.provxml` or asset file name with a path separator or an
/// invalid Windows name, a `.provxml` listed in the RunTime but not given (or given twice), or an
/// asset file that cannot be read (hashing).
pub fn build_tree_with(parts: &PackageParts, opts: &LayoutOptions) -> Result<ImageTree> {
    build_tree_from(
        parts,
        parts
            .provxml
            .iter()
            .map(|(n, d)| (n.clone(), Source::from(d.to_bytes()))),
        opts,
    )
}

/// [`build_tree_with`] with the `.provxml` documents given serialized, one at a time (`parts`'
/// own list is not used): [`write_package_into`] drops each document as soon as it is
/// serialized (issue #15: a package of 2,000 command files holds 12,000 documents, whose trees
/// were a third of the build's peak memory).
fn build_tree_from(
    parts: &PackageParts,
    provxml: impl Iterator<Item = (String, Source)>,
    opts: &LayoutOptions,
) -> Result<ImageTree> {
    let mut tree = ImageTree::new();
    // Element 0: Multivariant.
    tree.add_file(
        &ElementKind::Multivariant.index_file_path(),
        index_file_xml(ElementKind::Multivariant, &[IndexEntry::default()]),
    )?;
    tree.add_file(
        "Multivariant/0/customizations.xml",
        xml_member(
            "Multivariant/0/customizations.xml",
            parts.answer_file.to_bytes(),
        )?,
    )?;
    tree.add_file("Multivariant/0/MasterDatastore.xml", master_datastore_xml())?;
    tree.add_file(
        "Multivariant/0/Prov/RunTime.xml",
        xml_member("Multivariant/0/Prov/RunTime.xml", parts.runtime.to_bytes())?,
    )?;
    let mut seen = std::collections::HashSet::new();
    let mut any = false;
    for (name, doc) in provxml {
        any = true;
        let name = &name;
        check_plain_name(name, "provxml file name")?;
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(Error::invalid_input(format!(
                "provxml '{name}' is given twice"
            )));
        }
        let member = format!("Multivariant/0/Prov/RunTime/{name}");
        match &doc {
            Source::Bytes(b) => check_xml_member(&member, b)?,
            // Checked by the caller before it was written (`check_provxml`).
            Source::Written(_) => {}
            Source::File(_) => {
                return Err(Error::invalid_input(format!(
                    "provxml '{name}': give its bytes or its written blob, not a file"
                )))
            }
        }
        tree.add_file(&member, doc)?;
    }
    for set in &parts.runtime.sets {
        if let Some(f) = set.file_name() {
            if !seen.contains(&f.to_ascii_lowercase()) {
                return Err(Error::invalid_input(format!(
                    "RunTime.xml lists '{f}' but no such provxml is given"
                )));
            }
        }
    }
    if !any {
        tree.add_dir("Multivariant/0/Prov/RunTime")?;
    }
    // Element 1: CommonSettings.
    tree.add_file(
        &ElementKind::CommonSettings.index_file_path(),
        index_file_xml(
            ElementKind::CommonSettings,
            &[IndexEntry {
                index: 1,
                metadata: Vec::new(),
            }],
        ),
    )?;
    let common = match &opts.common_settings_xml {
        Some(b) => b.clone(),
        None => parts.answer_file.common_settings_xml(),
    };
    tree.add_file(
        "CommonSettings/1/AnswerFile.xml",
        xml_member("CommonSettings/1/AnswerFile.xml", common)?,
    )?;
    // Elements 2…: DataAsset, one per setting name.
    if !parts.assets.is_empty() {
        let mut groups: Vec<(&str, Vec<&DataAsset>)> = Vec::new();
        for a in &parts.assets {
            check_plain_name(&a.file_name, "asset file name")?;
            match groups.iter_mut().find(|(n, _)| *n == a.setting_name) {
                Some((_, v)) => v.push(a),
                None => groups.push((&a.setting_name, vec![a])),
            }
        }
        let mut entries = Vec::new();
        for (gi, (name, assets)) in groups.iter().enumerate() {
            let index =
                2 + u32::try_from(gi).map_err(|_| Error::invalid_input("too many asset groups"))?;
            let mut metadata = vec![("Name".to_owned(), (*name).to_owned())];
            for (i, a) in assets.iter().enumerate() {
                let key = a.key(i)?;
                let folder = asset_folder(&key);
                tree.add_file(&format!("DataAsset/{index}/{folder}"), a.source.clone())?;
                metadata.push((key, a.setting_path.clone()));
            }
            entries.push(IndexEntry { index, metadata });
        }
        let index_path = ElementKind::DataAsset.index_file_path();
        let bytes = xml_member(
            &index_path,
            index_file_xml(ElementKind::DataAsset, &entries),
        )?;
        tree.add_file(&index_path, bytes)?;
    }
    Ok(tree)
}

fn check_plain_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(Error::invalid_input(format!(
            "{what} '{name}' must be a plain file name"
        )));
    }
    // The name also goes into XML (RunTime.xml, DataAsset.xml): refuse what XML cannot carry,
    // and the controls Windows file names cannot hold.
    if let Some((_, n, c)) = name
        .chars()
        .enumerate()
        .find(|(_, c)| !crate::xml::is_xml_char(*c) || u32::from(*c) < 0x20)
        .map(|(n, c)| (0, n, c))
    {
        return Err(Error::invalid_input(format!(
            "{what} {:?} holds {} at character {}: not allowed in a file name",
            name.escape_debug().to_string(),
            crate::xml::char_name(c),
            n + 1
        )));
    }
    Ok(())
}

/// The bytes of an XML package member, refused when they hold a character XML 1.0 cannot carry
/// (`crate::xml::check_xml_text`): a package Windows cannot parse is never written (issue #11).
/// UTF-8 (with or without BOM) and UTF-16LE (BOM `FF FE`) members are checked.
fn xml_member(member: &str, bytes: Vec<u8>) -> Result<Vec<u8>> {
    check_xml_member(member, &bytes)?;
    Ok(bytes)
}

/// The check of [`xml_member`], on borrowed bytes.
fn check_xml_member(member: &str, bytes: &[u8]) -> Result<()> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let text = crate::metadata::decode_utf16le(&bytes[2..])?;
        crate::xml::check_xml_text(&text, member)?;
    } else {
        // `from_utf8` first: valid text (every member this crate writes) is checked in place,
        // faster than the lossy decoder's chunk walk.
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        crate::xml::check_xml_text(text.trim_start_matches('\u{feff}'), member)?;
    }
    Ok(())
}

/// Checks a serialized `.provxml` document before it is written into a package as a blob of
/// its own ([`WimWriter::write_blobs`], then [`write_serialized_into`] with
/// [`Source::Written`]): its file name must be a plain name XML can carry, and its text must
/// hold only characters XML 1.0 can carry (a package Windows cannot parse is never written).
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for the name; [`ErrorKind::Xml`] with the position for the text.
pub fn check_provxml(name: &str, bytes: &[u8]) -> Result<()> {
    check_plain_name(name, "provxml file name")?;
    check_xml_member(&format!("Multivariant/0/Prov/RunTime/{name}"), bytes)
}

/// The WIM `<IMAGE>` fields for a package, as WCD fills them: `NAME` = package name, empty
/// `DESCRIPTION` and `AUTHOR`, `VERSION`, `ALTITUDE` = owner type, `RESETCLEAR` 0, `PACKAGEID`
/// braced lower-case, and `NOTES` in WCD's layout with this crate as the tool:
/// `VERSION=ppkg-format/<v>;Source=Classic;;TargetSkus=<skus>;EncryptPackage=False;SignPackage=False;PackageID=<id>;`
/// (source: both samples' WIM XML). Counts and times are left 0 ([`write_wim`] fills them).
pub fn image_info(config: &PackageConfig, target_skus: &str) -> ImageInfo {
    image_info_flags(config, target_skus, false, false)
}

/// [`image_info`] with the `EncryptPackage=` and `SignPackage=` flags of `NOTES` set as given
/// (WCD writes `True`/`False`).
fn image_info_flags(
    config: &PackageConfig,
    target_skus: &str,
    encrypt: bool,
    sign: bool,
) -> ImageInfo {
    let flag = |b: bool| if b { "True" } else { "False" };
    let (encrypt, sign) = (flag(encrypt), flag(sign));
    let id = config
        .id
        .map(|u| u.hyphenated().to_string())
        .unwrap_or_default();
    ImageInfo {
        name: config.name.clone(),
        notes: format!(
            "VERSION={TOOL_VERSION};Source=Classic;;TargetSkus={target_skus};\
             EncryptPackage={encrypt};SignPackage={sign};PackageID={id};"
        ),
        version: config.version.clone(),
        altitude: Some(config.owner_type.altitude()),
        reset_clear: Some(0),
        package_id: config.id_braced(),
        ..ImageInfo::default()
    }
}

/// Lay out `parts` and write the package as a WIM, with [`LayoutOptions::default`].
///
/// # Errors
/// As [`write_package_with`].
pub fn write_package<W: Write + Seek>(
    out: W,
    parts: &PackageParts,
    opts: &WriteOptions,
) -> Result<WriteStats> {
    write_package_with(out, parts, opts, &LayoutOptions::default())
}

/// Lay out `parts` ([`build_tree_with`]) and write the WIM ([`write_wim`]) with the image
/// fields of [`image_info`].
///
/// # Errors
/// [`ErrorKind::InvalidInput`] when the answer file's `PackageConfig` is missing, invalid or
/// has no `ID` (the compiled documents and the WIM `PACKAGEID` need one; WCD always writes one);
/// as [`build_tree_with`] and [`write_wim`].
pub fn write_package_with<W: Write + Seek>(
    out: W,
    parts: &PackageParts,
    opts: &WriteOptions,
    layout: &LayoutOptions,
) -> Result<WriteStats> {
    let config = package_config_with_id(parts)?;
    let tree = build_tree_with(parts, layout)?;
    let info = image_info_flags(
        &config,
        &layout.target_skus,
        layout.encrypt_package,
        layout.sign_package,
    );
    let mut opts = opts.clone();
    opts.file_count = crate::wim::FileCount::WcdPackage;
    write_wim(out, &tree, &info, &opts)
}

/// The parts' `PackageConfig`, validated and required to have an `ID` (the compiled documents
/// and the WIM `PACKAGEID` need one; WCD always writes one).
fn package_config_with_id(parts: &PackageParts) -> Result<PackageConfig> {
    let config = parts.answer_file.package_config()?;
    config.validate()?;
    if config.id.is_none() {
        return Err(Error::invalid_input(
            "PackageConfig has no ID; set one before building (WCD always writes one)",
        ));
    }
    Ok(config)
}

/// [`write_package_with`] into a [`WimWriter`] that may already hold the payloads
/// ([`WimWriter::write_blobs`]; the parts' assets then have [`Source::Written`] sources, whose
/// SHA-256 names them without another read).
///
/// # Errors
/// As [`write_package_with`].
///
/// Takes the parts by value: each `.provxml` document is dropped as soon as it is serialized
/// (the answer file, RunTime and assets are kept to the end).
pub fn write_package_into<W: Write + Seek>(
    writer: WimWriter<W>,
    mut parts: PackageParts,
    layout: &LayoutOptions,
) -> Result<WriteStats> {
    let docs = std::mem::take(&mut parts.provxml);
    write_serialized_into(
        writer,
        parts,
        docs.into_iter()
            .map(|(n, d)| (n, Source::from(d.to_bytes()))),
        layout,
    )
}

/// [`write_package_into`] with the `.provxml` documents already serialized
/// ([`ProvDoc::to_bytes`](crate::provxml::ProvDoc::to_bytes)), as `(file name, source)` in
/// RunTime order: [`Source::Bytes`] (checked here), or [`Source::Written`] for a document the
/// caller checked with [`check_provxml`] and wrote with [`WimWriter::write_blobs`] as the
/// compiler made it (then no document, tree or bytes, outlives its writing: issue #15).
/// `parts.provxml` must be empty.
///
/// # Errors
/// As [`write_package_with`]; [`ErrorKind::InvalidInput`] when `parts.provxml` is not empty
/// (its documents would be left out) or a document is given as [`Source::File`].
pub fn write_serialized_into<W: Write + Seek>(
    mut writer: WimWriter<W>,
    parts: PackageParts,
    docs: impl IntoIterator<Item = (String, Source)>,
    layout: &LayoutOptions,
) -> Result<WriteStats> {
    if !parts.provxml.is_empty() {
        return Err(Error::invalid_input(format!(
            "write_serialized_into: the parts hold {} unserialized .provxml document(s), which \
             would be left out; pass them serialized or use write_package_into",
            parts.provxml.len()
        )));
    }
    let config = package_config_with_id(&parts)?;
    let tree = build_tree_from(&parts, docs.into_iter(), layout)?;
    drop(parts);
    let info = image_info_flags(
        &config,
        &layout.target_skus,
        layout.encrypt_package,
        layout.sign_package,
    );
    writer.set_file_count(crate::wim::FileCount::WcdPackage);
    writer.finish(&tree, &info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        for k in ElementKind::ALL {
            assert_eq!(ElementKind::from_name(k.as_str()), Some(k));
        }
        assert_eq!(
            ElementKind::from_name("osupdates"),
            Some(ElementKind::OsUpdates)
        );
        assert_eq!(
            ElementKind::DataAsset.index_file_path(),
            "DataAsset/DataAsset.xml"
        );
    }

    #[test]
    fn asset_keys() {
        let a = DataAsset {
            setting_name: "CommandFile".into(),
            setting_path: "/x".into(),
            file_name: "a.cmd".into(),
            source: Source::from(&b"abc"[..]),
        };
        // SHA-256("abc") = ba7816bf…15ad, base64 "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=".
        assert_eq!(
            a.key(1).unwrap(),
            "1_ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\\a.cmd"
        );
    }

    /// Documents written ahead as blobs are checked by `check_provxml` (name and XML text);
    /// parts that still hold documents are refused by `write_serialized_into`, not written
    /// without them.
    #[test]
    fn serialized_documents_are_checked() {
        assert!(check_provxml("0__A.provxml", b"\xef\xbb\xbf<wap-provisioningdoc />").is_ok());
        assert!(check_provxml("a/b.provxml", b"<x />").is_err());
        assert!(check_provxml("", b"<x />").is_err());
        let e = check_provxml("0__A.provxml", "<x a=\"\u{1}\" />".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("0__A.provxml"), "{e}");

        let mut config = PackageConfig::new("p");
        config.id = Some(uuid::Uuid::from_u128(7));
        let parts = PackageParts {
            answer_file: AnswerFile::new(&config).into(),
            runtime: RunTime::new(),
            provxml: vec![("0__A.provxml".into(), ProvDoc::new())],
            assets: Vec::new(),
        };
        let w = WimWriter::new(
            std::io::Cursor::new(Vec::new()),
            &WriteOptions::deterministic([1; 16], 1),
        )
        .unwrap();
        let e = write_serialized_into(w, parts, Vec::new(), &LayoutOptions::default()).unwrap_err();
        assert!(e.to_string().contains("left out"), "{e}");
    }

    #[test]
    fn index_files_round_trip() {
        let e = [IndexEntry {
            index: 2,
            metadata: vec![("Name".into(), "CommandFile".into())],
        }];
        let b = index_file_xml(ElementKind::DataAsset, &e);
        assert_eq!(
            parse_index_file(&b).unwrap(),
            ("DataAsset".to_owned(), e.to_vec())
        );
        assert!(parse_index_file(b"<Elements><Element Index=\"x\"/></Elements>").is_err());
    }
}
