//! The answer file, `customizations.xml`: [`AnswerFile`] and its [`PackageConfig`].
//!
//! An answer file is the source of a package (WCD's project file, kept in the package as
//! `Multivariant/0/customizations.xml`):
//!
//! ```text
//! <WindowsCustomizations>
//!   <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
//!     <ID>{…}</ID> <Name/> <Version/> <OwnerType/> <Rank/> <Notes/>
//!   </PackageConfig>
//!   <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
//!     <Customizations>
//!       <Common> …settings… </Common>
//!       <Targets> <Target Id=…> <TargetState> <Condition Name= Value=/> …
//!       <Variant> <TargetRefs> <TargetRef Id=/> </TargetRefs> <Settings> …settings… </Settings>
//! ```
//!
//! Sources: the two real WCD packages and the public samples in `reference/customizations/`
//! (the `Variant` form from Microsoft's "Create a provisioning package with multivariant
//! settings"; the older `Profile Name=` form from the COSA documentation), and the ADK's
//! `PackageConfig.xsd` for the `PackageConfig` fields.
//!
//! [`AnswerFile`] wraps the [`Document`]: comments, unknown elements and the file's own layout
//! are kept, and [`AnswerFile::to_bytes`] writes an unchanged file back byte for byte. What each
//! setting means is not known here (that is `csp-model`).
//!
//! ```
//! use ppkg_format::answer::{AnswerFile, PackageConfig};
//! use ppkg_format::xml::Element;
//!
//! let mut config = PackageConfig::new("Contoso enrollment");
//! config.id = Some("b84f2c39-eb59-4d4f-8ad1-0f93cec1384e".parse().expect("a GUID"));
//! let mut answer = AnswerFile::new(&config);
//! answer
//!     .common_mut()
//!     .child_or_insert("OOBE")
//!     .child_or_insert("Desktop")
//!     .push(Element::new("HideOobe").with_text("True"));
//! let bytes = answer.to_bytes(); // BOM, CRLF, 2 spaces, as WCD writes it
//!
//! let back = AnswerFile::parse(&bytes)?;
//! assert_eq!(back.package_config()?, config);
//! let hide = back.common().and_then(|c| c.descendant("OOBE/Desktop/HideOobe"));
//! assert_eq!(hide.map(Element::text).as_deref(), Some("True"));
//! # Ok::<(), ppkg_format::Error>(())
//! ```

use std::borrow::Borrow;

use uuid::Uuid;

use crate::error::{Error, ErrorKind, Result};
use crate::owner::OwnerType;
use crate::xml::{Attr, Document, Element, Node, TextPos, WriteStyle};

/// Namespace of `<PackageConfig>`, with WCD's capital `M` in `Microsoft`.
pub const PACKAGE_CONFIG_NS: &str = "urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0";

/// Namespace of `<Settings>`.
pub const SETTINGS_NS: &str = "urn:schemas-microsoft-com:windows-provisioning";

/// Root element of an answer file.
pub const ROOT_ELEMENT: &str = "WindowsCustomizations";

/// The package identity and precedence, from `<PackageConfig>`.
///
/// Field rules (ADK `PackageConfig.xsd`): `Version` is `N.N` or `N.N.N.N`; `Rank` 0–99;
/// `OwnerType` one of six names; `ID` a GUID, braced or not. WCD writes the ID braced and
/// lower-case (`{b84f2c39-eb59-4d4f-8ad1-0f93cec1384e}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageConfig {
    /// Package GUID (`ID`); `None` when absent (a builder then makes one).
    pub id: Option<Uuid>,
    /// Package name (`Name`), also the WIM image `NAME`.
    pub name: String,
    /// Package version (`Version`), `N.N` or `N.N.N.N`; WCD's default `1.0`.
    pub version: String,
    /// Owner type (`OwnerType`), the WIM `ALTITUDE`.
    pub owner_type: OwnerType,
    /// Rank among packages of the same owner type (`Rank`), 0–99; default 0.
    pub rank: u8,
    /// Free text (`Notes`); default empty.
    pub notes: String,
}

impl PackageConfig {
    /// A configuration with this name, no ID, version `1.0`, owner `ITAdmin`, rank 0, no notes
    /// (WCD's defaults for a new desktop project).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            id: None,
            name: name.into(),
            version: "1.0".into(),
            owner_type: OwnerType::ItAdmin,
            rank: 0,
            notes: String::new(),
        }
    }

    /// Whether `v` is `N.N` or `N.N.N.N` (digits only), the `Version` pattern of
    /// `PackageConfig.xsd`. Each part must fit in 16 bits (WCD stores a four-part version).
    pub fn is_valid_version(v: &str) -> bool {
        let parts: Vec<&str> = v.split('.').collect();
        matches!(parts.len(), 2 | 4)
            && parts.iter().all(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
            })
    }

    /// Whether `rank` is in 0–99 (`PackageConfig.xsd`).
    pub fn is_valid_rank(rank: u32) -> bool {
        rank <= 99
    }

    /// The ID as WCD writes it: braced, lower-case.
    pub fn id_braced(&self) -> Option<String> {
        self.id.map(|u| u.braced().to_string())
    }

    /// Check the fields against `PackageConfig.xsd`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming the field: empty or over-long `Name` (more than 255
    /// characters, inferred from WCD's UI), bad `Version`, `Rank` over 99.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid_input("PackageConfig/Name is empty"));
        }
        if self.name.chars().count() > 255 {
            return Err(Error::invalid_input(
                "PackageConfig/Name is longer than 255 characters",
            ));
        }
        if !Self::is_valid_version(&self.version) {
            return Err(Error::invalid_input(format!(
                "PackageConfig/Version '{}' is not N.N or N.N.N.N",
                self.version
            )));
        }
        if !Self::is_valid_rank(u32::from(self.rank)) {
            return Err(Error::invalid_input(format!(
                "PackageConfig/Rank {} is not in 0-99",
                self.rank
            )));
        }
        Ok(())
    }
}

/// A `<Target Id=…>` of a multivariant answer file: the device states it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `Id` attribute, referenced by `TargetRef Id`.
    pub id: String,
    /// Each `<TargetState>`: the target matches when all conditions of one state hold.
    pub states: Vec<Vec<Condition>>,
    /// Position of the `<Target>` element.
    pub pos: TextPos,
}

/// A `<Condition Name= Value=/>` of a target state (`Value` may be `Pattern:…`, `Range:…`,
/// `!Range:…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// `Name` (`ProcessorName`, `MCC`, …).
    pub name: String,
    /// `Value` as written.
    pub value: String,
    /// Position of the `<Condition>` element.
    pub pos: TextPos,
}

/// A variant: settings applied when one of its targets matches. Either `<Variant>` (current
/// form) or the older `<Profile Name=…>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant<'a> {
    /// `Name` attribute (the `Profile` form), if any.
    pub name: Option<String>,
    /// `TargetRef Id`s in order.
    pub target_refs: Vec<String>,
    /// The variant's `<Settings>` element.
    pub settings: Option<&'a Element>,
    /// The `<Variant>` / `<Profile>` element itself.
    pub element: &'a Element,
}

/// A `customizations.xml` answer file, lossless.
///
/// `Debug` shows the package name and element count only: answer files hold passwords and
/// enrollment secrets in clear text.
#[derive(Clone, PartialEq, Eq)]
pub struct AnswerFile {
    doc: Document,
    style: WriteStyle,
}

impl AnswerFile {
    /// An answer file laid out as WCD lays out a new project: `WindowsCustomizations` with
    /// `PackageConfig` (ID braced lower-case when set, Name, Version, OwnerType, Rank, Notes;
    /// empty Notes written `<Notes />`) and `Settings/Customizations/Common` (empty), written
    /// with [`WriteStyle::wcd`] (BOM, CRLF, 2 spaces). Source: start_pins' customizations.xml.
    pub fn new(config: impl Borrow<PackageConfig>) -> Self {
        let mut settings = Element::new("Settings").with_attr("xmlns", SETTINGS_NS);
        settings.push(Element::new("Customizations").with_child(Element::new("Common")));
        // `set_package_config` inserts `<PackageConfig>` first, with every field.
        let root = Element::new(ROOT_ELEMENT).with_child(settings);
        let mut a = Self {
            doc: Document::new(root),
            style: WriteStyle::wcd(),
        };
        a.set_package_config(config);
        a
    }

    /// Parse a `customizations.xml` (UTF-8, BOM optional).
    ///
    /// # Errors
    /// As [`Document::parse`]; [`ErrorKind::Xml`] when the root element is not
    /// `WindowsCustomizations`.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let (doc, style) = Document::parse_with_style(bytes)?;
        if doc.root.local_name() != ROOT_ELEMENT {
            return Err(xml_err(
                &doc.root,
                format!(
                    "root element is <{}>, expected <{ROOT_ELEMENT}>",
                    doc.root.name
                ),
            ));
        }
        Ok(Self { doc, style })
    }

    /// Wrap an already parsed document (no check of the root element); written with
    /// [`WriteStyle::wcd`].
    pub fn from_document(doc: Document) -> Self {
        Self {
            doc,
            style: WriteStyle::wcd(),
        }
    }

    /// The underlying document.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// The underlying document, mutable.
    pub fn document_mut(&mut self) -> &mut Document {
        &mut self.doc
    }

    /// The style [`AnswerFile::to_bytes`] uses: detected from the parsed input, or
    /// [`WriteStyle::wcd`] for a new file.
    pub fn style(&self) -> &WriteStyle {
        &self.style
    }

    /// Change the style [`AnswerFile::to_bytes`] uses.
    pub fn set_style(&mut self, style: WriteStyle) {
        self.style = style;
    }

    /// Drop the file's own whitespace layout and write it from now on as WCD does
    /// ([`WriteStyle::wcd`]: BOM, CRLF, 2 spaces). Useful after edits to a hand-formatted file
    /// kept in [`crate::xml::Indent::Preserve`] style, where added elements are not indented.
    /// Text values are not touched.
    pub fn normalize_layout(&mut self) {
        self.doc.root = self.doc.root.without_layout();
        self.doc.prolog.retain(|n| !n.is_whitespace());
        self.doc.epilog.retain(|n| !n.is_whitespace());
        self.style = WriteStyle::wcd();
    }

    /// The file's bytes in its own style (an unchanged parsed file comes back byte for byte).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.doc.to_bytes(&self.style)
    }

    /// The `<PackageConfig>` element, if present.
    pub fn package_config_element(&self) -> Option<&Element> {
        self.doc.root.child("PackageConfig")
    }

    /// Read `<PackageConfig>`.
    ///
    /// Missing `Rank` → 0, missing `Notes` → empty, missing or empty `ID` → `None` (the COSA
    /// sample has no Rank; several have no Notes).
    ///
    /// # Errors
    /// [`ErrorKind::Xml`] naming the element and its line:column: no `<PackageConfig>`; missing
    /// `Name`, `Version` or `OwnerType`; an `ID` that is not a GUID; a `Version` not `N.N` /
    /// `N.N.N.N`; an unknown `OwnerType`; a `Rank` not in 0–99.
    pub fn package_config(&self) -> Result<PackageConfig> {
        let pc = self
            .package_config_element()
            .ok_or_else(|| xml_err(&self.doc.root, "missing <PackageConfig>"))?;
        let required = |name: &str| -> Result<(&Element, String)> {
            let e = pc
                .child(name)
                .ok_or_else(|| xml_err(pc, format!("<PackageConfig> has no <{name}>")))?;
            Ok((e, e.text().trim().to_owned()))
        };
        let id = match pc.child("ID") {
            Some(e) if !e.text().trim().is_empty() => {
                let t = e.text();
                Some(
                    Uuid::parse_str(t.trim())
                        .map_err(|_| xml_err(e, format!("<ID> '{}' is not a GUID", t.trim())))?,
                )
            }
            _ => None,
        };
        let (_, name) = required("Name")?;
        let (ve, version) = required("Version")?;
        if !PackageConfig::is_valid_version(&version) {
            return Err(xml_err(
                ve,
                format!("<Version> '{version}' is not N.N or N.N.N.N"),
            ));
        }
        let (oe, owner) = required("OwnerType")?;
        let owner_type = owner.parse::<OwnerType>().map_err(|_| {
            xml_err(
                oe,
                format!(
                    "<OwnerType> '{owner}' is not one of Microsoft, SiliconVendor, OEM, \
                     SystemIntegrator, MobileOperator, ITAdmin"
                ),
            )
        })?;
        let rank = match pc.child("Rank") {
            Some(e) => {
                let t = e.text();
                match t.trim().parse::<u32>() {
                    Ok(r) if PackageConfig::is_valid_rank(r) => r as u8,
                    _ => return Err(xml_err(e, format!("<Rank> '{}' is not in 0-99", t.trim()))),
                }
            }
            None => 0,
        };
        let notes = pc.child("Notes").map(Element::text).unwrap_or_default();
        Ok(PackageConfig {
            id,
            name,
            version,
            owner_type,
            rank,
            notes,
        })
    }

    /// Write `<PackageConfig>`: each of `ID`, `Name`, `Version`, `OwnerType`, `Rank`, `Notes`
    /// is updated in place when its text reads as a different value (so an unchanged value keeps
    /// its bytes, `oem` or an unbraced ID included) or added in that order when missing (`Rank` 0
    /// and empty `Notes` are not added to an existing `<PackageConfig>` that lacks them); `ID`
    /// is removed when `config.id` is `None`. Other children (`Description`) are kept. Creates `<PackageConfig>` (first child, with WCD's
    /// namespace) when missing. Does not validate (see [`PackageConfig::validate`]).
    pub fn set_package_config(&mut self, config: impl Borrow<PackageConfig>) {
        let config = config.borrow();
        let root = &mut self.doc.root;
        let created = root.child("PackageConfig").is_none();
        if created {
            root.children.insert(
                0,
                Node::Element(Element::new("PackageConfig").with_attr("xmlns", PACKAGE_CONFIG_NS)),
            );
        }
        let Some(pc) = root.child_mut("PackageConfig") else {
            return;
        };
        // (element, new text, whether the existing text already means the same value). A value
        // that reads back the same is left as written (`fd231401-…` unbraced, `oem`, ` 1.0`).
        let same_id = |t: &str| Uuid::parse_str(t.trim()).ok() == config.id;
        let same_owner = |t: &str| t.parse::<OwnerType>().ok() == Some(config.owner_type);
        let same_rank = |t: &str| t.trim().parse::<u32>().ok() == Some(u32::from(config.rank));
        let fields: [Field<'_>; 6] = [
            ("ID", config.id_braced(), &same_id, false),
            (
                "Name",
                Some(config.name.clone()),
                &|t| t.trim() == config.name,
                false,
            ),
            (
                "Version",
                Some(config.version.clone()),
                &|t| t.trim() == config.version,
                false,
            ),
            (
                "OwnerType",
                Some(config.owner_type.to_string()),
                &same_owner,
                false,
            ),
            (
                "Rank",
                Some(config.rank.to_string()),
                &same_rank,
                config.rank == 0,
            ),
            (
                "Notes",
                Some(config.notes.clone()),
                &|t| t == config.notes,
                config.notes.is_empty(),
            ),
        ];
        for (name, value, same, default) in fields {
            match (pc.child_mut(name), value) {
                (Some(e), Some(v)) => {
                    if !same(&e.text()) {
                        e.set_text(v);
                    }
                }
                (Some(_), None) => {
                    pc.remove_children(name);
                }
                // A missing optional field holding its default stays missing.
                (None, Some(_)) if default && !created => {}
                (None, Some(v)) => push_aligned(pc, Element::new(name).with_text(v)),
                (None, None) => {}
            }
        }
    }

    /// The `<Settings>` element, if present.
    pub fn settings(&self) -> Option<&Element> {
        self.doc.root.child("Settings")
    }

    /// The `<Settings>` element, created (with its namespace) when missing.
    pub fn settings_mut(&mut self) -> &mut Element {
        let root = &mut self.doc.root;
        if root.child("Settings").is_none() {
            push_aligned(
                root,
                Element::new("Settings").with_attr("xmlns", SETTINGS_NS),
            );
        }
        root.child_or_insert("Settings")
    }

    /// `Settings/Customizations/Common`, the settings for every device, if present.
    pub fn common(&self) -> Option<&Element> {
        self.settings()?.descendant("Customizations/Common")
    }

    /// `Settings/Customizations/Common`, created when missing.
    pub fn common_mut(&mut self) -> &mut Element {
        self.settings_mut()
            .child_or_insert("Customizations")
            .child_or_insert("Common")
    }

    /// The `<Target>` elements of `Settings/Customizations/Targets`.
    ///
    /// # Errors
    /// [`ErrorKind::Xml`] with line:column for a `Target` without `Id` or a `Condition` without
    /// `Name`.
    pub fn targets(&self) -> Result<Vec<Target>> {
        let Some(targets) = self
            .settings()
            .and_then(|s| s.descendant("Customizations/Targets"))
        else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for t in targets.elements_named("Target") {
            let id = t
                .attr("Id")
                .ok_or_else(|| xml_err(t, "<Target> has no Id attribute"))?
                .to_owned();
            let mut states = Vec::new();
            for s in t.elements_named("TargetState") {
                let mut conds = Vec::new();
                for c in s.elements_named("Condition") {
                    let name = c
                        .attr("Name")
                        .ok_or_else(|| xml_err(c, "<Condition> has no Name attribute"))?;
                    conds.push(Condition {
                        name: name.to_owned(),
                        value: c.attr("Value").unwrap_or_default().to_owned(),
                        pos: c.pos,
                    });
                }
                states.push(conds);
            }
            out.push(Target {
                id,
                states,
                pos: t.pos,
            });
        }
        Ok(out)
    }

    /// The `<Variant>` (and older `<Profile>`) elements of `Settings/Customizations`, in order.
    pub fn variants(&self) -> Vec<Variant<'_>> {
        let Some(c) = self.settings().and_then(|s| s.child("Customizations")) else {
            return Vec::new();
        };
        c.elements()
            .filter(|e| matches!(e.local_name(), "Variant" | "Profile"))
            .map(|e| Variant {
                name: e.attr("Name").map(str::to_owned),
                target_refs: e
                    .child("TargetRefs")
                    .map(|r| {
                        r.elements_named("TargetRef")
                            .filter_map(|t| t.attr("Id").map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                settings: e.child("Settings"),
                element: e,
            })
            .collect()
    }

    /// `CommonSettings/1/AnswerFile.xml` as WCD writes it: the `<Settings>` element alone as the
    /// root, re-indented from column 0 with [`WriteStyle::wcd`] (BOM, `encoding="utf-8"`, CRLF,
    /// 2 spaces, no final line end). Comments are left out (WCD writes its in-memory model;
    /// inferred, no sample has comments). Byte-identical to start_pins' AnswerFile.xml.
    ///
    /// WCD also drops the `Name` attribute of list items (`CommandConfig Name="cortex"` in the
    /// Acer sample, a Type 7 list in the settings store); only the catalog knows which
    /// elements those are, so use [`AnswerFile::common_settings_xml_with`] for that.
    pub fn common_settings_xml(&self) -> Vec<u8> {
        self.common_settings_xml_with(|_, _| true)
    }

    /// As [`AnswerFile::common_settings_xml`], keeping an attribute only when
    /// `keep_attr(setting_path, attr)` is true. `setting_path` is the WCD setting path of the
    /// element carrying the attribute: local names below `Customizations/Common` (or below a
    /// variant's `Settings`) joined with `/` and a leading `/`
    /// (`/ProvisioningCommands/PrimaryContext/Command/CommandConfig`). Attributes of other
    /// elements (`Settings`, `Target`, …) are always kept.
    pub fn common_settings_xml_with(
        &self,
        mut keep_attr: impl FnMut(&str, &Attr) -> bool,
    ) -> Vec<u8> {
        let settings = match self.settings() {
            Some(s) => s.without_layout(),
            None => Element::new("Settings").with_attr("xmlns", SETTINGS_NS),
        };
        let mut root = settings;
        strip_comments(&mut root);
        if let Some(c) = root.child_mut("Customizations") {
            for e in c.elements_mut() {
                match e.local_name() {
                    "Common" => filter_attrs(e, "", &mut keep_attr),
                    "Variant" | "Profile" => {
                        if let Some(s) = e.child_mut("Settings") {
                            filter_attrs(s, "", &mut keep_attr);
                        }
                    }
                    _ => {}
                }
            }
        }
        Document::new(root).to_bytes(&WriteStyle::wcd())
    }
}

/// One `PackageConfig` child to write: (element name, new text, "the existing text reads as the
/// same value", "the value is the default of an optional field").
type Field<'a> = (&'static str, Option<String>, &'a dyn Fn(&str) -> bool, bool);

impl std::fmt::Debug for AnswerFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn count(e: &Element) -> usize {
            1 + e.elements().map(count).sum::<usize>()
        }
        f.debug_struct("AnswerFile")
            .field(
                "name",
                &self
                    .package_config_element()
                    .and_then(|p| p.child("Name"))
                    .map(Element::text),
            )
            .field("elements", &count(&self.doc.root))
            .finish_non_exhaustive()
    }
}

/// Apply `keep` to the attributes of every element below `e` (not `e` itself).
fn filter_attrs(e: &mut Element, path: &str, keep: &mut impl FnMut(&str, &Attr) -> bool) {
    for c in e.elements_mut() {
        let p = format!("{path}/{}", c.local_name());
        c.attrs.retain(|a| keep(&p, a));
        filter_attrs(c, &p, keep);
    }
}

fn strip_comments(e: &mut Element) {
    e.children.retain(|n| !matches!(n, Node::Comment(_)));
    for c in e.elements_mut() {
        strip_comments(c);
    }
}

/// Append `child`, repeating the whitespace layout of the existing children when the parent is
/// laid out with whitespace text (a file kept in [`crate::xml::Indent::Preserve`] style), so an
/// added element lands on its own line at the siblings' indentation.
fn push_aligned(parent: &mut Element, child: Element) {
    let n = parent.children.len();
    let trailing_ws = n > 0 && parent.children[n - 1].is_whitespace();
    let item_ws = parent
        .children
        .iter()
        .rev()
        .skip_while(|x| x.is_whitespace())
        .skip(1)
        .find(|x| x.is_whitespace())
        .cloned();
    match (trailing_ws, item_ws) {
        (true, Some(ws)) => {
            parent.children.insert(n - 1, ws);
            parent.children.insert(n, Node::Element(child));
        }
        _ => parent.push(child),
    }
}

fn xml_err(e: &Element, message: impl Into<String>) -> Error {
    let err = Error::new(ErrorKind::Xml {
        message: message.into(),
        line: e.pos.line,
        column: e.pos.column,
    });
    if e.pos.is_known() {
        err.at(e.pos.offset)
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_ranks() {
        for ok in ["1.0", "10.2", "1.0.0.1", "3.2.0.0"] {
            assert!(PackageConfig::is_valid_version(ok), "{ok}");
        }
        for bad in [
            "1",
            "1.0.0",
            "1.a",
            "",
            "1..0",
            "1.0.0.0.0",
            "99999.1",
            " 1.0",
        ] {
            assert!(!PackageConfig::is_valid_version(bad), "{bad}");
        }
        assert!(PackageConfig::is_valid_rank(99));
        assert!(!PackageConfig::is_valid_rank(100));
        let mut c = PackageConfig::new("x");
        c.validate().unwrap();
        c.rank = 100;
        assert!(c.validate().is_err());
        c.rank = 0;
        c.version = "1".into();
        assert!(c.validate().is_err());
        assert!(PackageConfig::new(" ").validate().is_err());
    }

    #[test]
    fn errors_name_element_and_position() {
        let src = "<WindowsCustomizations>\n  <PackageConfig>\n    <Name>n</Name>\n    <Version>1</Version>\n    <OwnerType>OEM</OwnerType>\n  </PackageConfig>\n</WindowsCustomizations>";
        let a = AnswerFile::parse(src.as_bytes()).unwrap();
        let e = a.package_config().unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::Xml {
                message: "<Version> '1' is not N.N or N.N.N.N".into(),
                line: 4,
                column: 5
            }
        );
        let bad_root = AnswerFile::parse(b"<Settings/>").unwrap_err();
        assert!(bad_root
            .to_string()
            .contains("expected <WindowsCustomizations>"));
        let no_owner = "<WindowsCustomizations><PackageConfig><Name>n</Name><Version>1.0</Version></PackageConfig></WindowsCustomizations>";
        let e = AnswerFile::parse(no_owner.as_bytes())
            .unwrap()
            .package_config()
            .unwrap_err();
        assert!(e.to_string().contains("no <OwnerType>"), "{e}");
    }

    #[test]
    fn set_package_config_keeps_unchanged_bytes_and_adds_missing() {
        let src = "<WindowsCustomizations>\n  <PackageConfig xmlns=\"x\">\n    <Name>n</Name>\n    <Version>1.0</Version>\n    <OwnerType>oem</OwnerType>\n  </PackageConfig>\n</WindowsCustomizations>";
        let mut a = AnswerFile::parse(src.as_bytes()).unwrap();
        let mut c = a.package_config().unwrap();
        assert_eq!(c.owner_type, OwnerType::Oem);
        c.rank = 7;
        a.set_package_config(&c);
        let out = String::from_utf8(a.to_bytes()).unwrap();
        // `oem` reads as OEM and stays; Rank is appended aligned; empty Notes is not added.
        assert!(
            out.contains("<OwnerType>oem</OwnerType>\n    <Rank>7</Rank>\n  </PackageConfig>"),
            "{out}"
        );
        assert_eq!(a.package_config().unwrap(), c);
    }
}
