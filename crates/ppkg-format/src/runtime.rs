//! `Multivariant/0/Prov/RunTime.xml` ([`RunTime`]) and `Multivariant/0/MasterDatastore.xml`
//! ([`master_datastore_xml`]).
//!
//! `RunTime.xml` lists the compiled `.provxml` documents in the order the provisioning engine
//! applies them, each with the `SettingsGroup` it belongs to:
//!
//! ```text
//! <?xml version="1.0" encoding="utf-8"?>
//! <ConfigurationSource Version="1.0">
//!   <ConfigurationSet Type="provxml" SettingsGroup="d66ea0fd-…" Data="$(_prov)\RunTime\0__Policies_Start_ConfigureStartPins.provxml" />
//! </ConfigurationSource>
//! ```
//!
//! Source: both real packages (`reference/ppkg/*_extracted/Multivariant/0/`): UTF-8 with BOM,
//! CRLF, 2 spaces, attribute order `Type SettingsGroup Data`; a `SettingsGroup` used again in one
//! package gets `_0`, `_1`, … appended (Acer sample). `MasterDatastore.xml` is the same 271 bytes
//! in both packages.

use crate::error::{Error, ErrorKind, Result};
use crate::xml::{Document, Element, WriteStyle};

/// Root element of `RunTime.xml`.
pub const ROOT_ELEMENT: &str = "ConfigurationSource";

/// Prefix of a `Data` path: the package's `Prov` folder variable, then `RunTime\`.
pub const DATA_PREFIX: &str = "$(_prov)\\RunTime\\";

/// `Type` of a set holding a `.provxml`.
pub const TYPE_PROVXML: &str = "provxml";

/// `RunTime.xml`: the ordered list of configuration sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunTime {
    /// `Version` attribute, `"1.0"`.
    pub version: String,
    /// The sets, in apply order.
    pub sets: Vec<ConfigurationSet>,
}

/// One `<ConfigurationSet Type= SettingsGroup= Data=/>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigurationSet {
    /// `Type`, `"provxml"` in every sample.
    pub kind: String,
    /// `SettingsGroup`: a GUID from WCD's settings store, with `_0`, `_1`… for repeated use.
    pub settings_group: String,
    /// `Data`: `$(_prov)\RunTime\<n>__<Group_Path>.provxml`.
    pub data: String,
    /// Other attributes in order, written after `Data`.
    pub attrs: Vec<(String, String)>,
}

impl ConfigurationSet {
    /// A `provxml` set for a file in `Prov/RunTime/` (`"0__Policies_Start_ConfigureStartPins.provxml"`).
    pub fn provxml(settings_group: impl Into<String>, file_name: &str) -> Self {
        Self {
            kind: TYPE_PROVXML.into(),
            settings_group: settings_group.into(),
            data: format!("{DATA_PREFIX}{file_name}"),
            attrs: Vec::new(),
        }
    }

    /// The file name in `Prov/RunTime/` when `Data` has the usual `$(_prov)\RunTime\` prefix
    /// (case-insensitive) and names no sub-folder.
    pub fn file_name(&self) -> Option<&str> {
        let prefix = self.data.get(..DATA_PREFIX.len())?;
        if !prefix.eq_ignore_ascii_case(DATA_PREFIX) {
            return None;
        }
        let rest = &self.data[DATA_PREFIX.len()..];
        (!rest.is_empty() && !rest.contains(['\\', '/'])).then_some(rest)
    }
}

impl Default for RunTime {
    fn default() -> Self {
        Self::new()
    }
}

impl RunTime {
    /// An empty list, `Version="1.0"`.
    pub fn new() -> Self {
        Self {
            version: "1.0".into(),
            sets: Vec::new(),
        }
    }

    /// Parse `RunTime.xml`.
    ///
    /// # Errors
    /// As [`Document::parse`]; [`ErrorKind::Xml`] with line:column when the root is not
    /// `ConfigurationSource` or a `ConfigurationSet` lacks `Type`, `SettingsGroup` or `Data`.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let doc = Document::parse(bytes)?;
        let root = &doc.root;
        if root.name != ROOT_ELEMENT {
            return Err(xml_err(
                root,
                format!("root element is <{}>, expected <{ROOT_ELEMENT}>", root.name),
            ));
        }
        let mut sets = Vec::new();
        for e in root.elements_named("ConfigurationSet") {
            let need = |n: &str| -> Result<String> {
                e.attr(n)
                    .map(str::to_owned)
                    .ok_or_else(|| xml_err(e, format!("<ConfigurationSet> has no {n} attribute")))
            };
            sets.push(ConfigurationSet {
                kind: need("Type")?,
                settings_group: need("SettingsGroup")?,
                data: need("Data")?,
                attrs: e
                    .attrs
                    .iter()
                    .filter(|a| !matches!(a.name.as_str(), "Type" | "SettingsGroup" | "Data"))
                    .map(|a| (a.name.clone(), a.value.clone()))
                    .collect(),
            });
        }
        Ok(Self {
            version: root.attr("Version").unwrap_or("1.0").to_owned(),
            sets,
        })
    }

    /// The bytes as WCD writes them ([`WriteStyle::wcd`]).
    ///
    /// The `ConfigurationSet` elements are made and written one at a time
    /// ([`Document::to_bytes_appending`]): a RunTime of 12,000 sets never exists as a tree.
    pub fn to_bytes(&self) -> Vec<u8> {
        let root = Element::new(ROOT_ELEMENT).with_attr("Version", self.version.clone());
        let mut sets = self.sets.iter().map(set_element);
        Document::new(root).to_bytes_appending(&WriteStyle::wcd(), &mut sets)
    }
}

/// One `<ConfigurationSet Type SettingsGroup Data …/>`.
fn set_element(s: &ConfigurationSet) -> Element {
    let mut e = Element::new("ConfigurationSet")
        .with_attr("Type", s.kind.clone())
        .with_attr("SettingsGroup", s.settings_group.clone())
        .with_attr("Data", s.data.clone());
    for (k, v) in &s.attrs {
        e.set_attr(k.clone(), v.clone());
    }
    e
}

/// `Multivariant/0/MasterDatastore.xml`, the same bytes in every WCD package seen: one
/// `ConfigurationSource Name="RunTime" Path="$(_prov)\RunTime.xml"` with a `RunTime` event
/// (271 bytes, UTF-8 BOM, CRLF).
pub fn master_datastore_xml() -> Vec<u8> {
    let source = Element::new("ConfigurationSource")
        .with_attr("Name", "RunTime")
        .with_attr("Path", "$(_prov)\\RunTime.xml")
        .with_child(
            Element::new("EventList")
                .with_child(Element::new("Event").with_attr("Name", "RunTime")),
        );
    let root = Element::new("ConfigurationSourceList")
        .with_attr("Version", "1.0")
        .with_child(source);
    Document::new(root).to_bytes(&WriteStyle::wcd())
}

fn xml_err(e: &Element, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Xml {
        message: message.into(),
        line: e.pos.line,
        column: e.pos.column,
    })
    .at(e.pos.offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let s = ConfigurationSet::provxml("g", "0__A_B.provxml");
        assert_eq!(s.data, "$(_prov)\\RunTime\\0__A_B.provxml");
        assert_eq!(s.file_name(), Some("0__A_B.provxml"));
        let mut bad = s.clone();
        bad.data = "$(_prov)\\RunTime\\..\\x".into();
        assert_eq!(bad.file_name(), None);
        bad.data = "C:\\x".into();
        assert_eq!(bad.file_name(), None);
    }

    /// The streamed writer gives the bytes of the whole tree written at once (WCD layout:
    /// BOM, CRLF, 2 spaces), for no set, one, and several with escaped values and extra
    /// attributes.
    #[test]
    fn streamed_bytes_equal_the_tree() {
        for n in [0usize, 1, 3] {
            let mut r = RunTime::new();
            for i in 0..n {
                let mut s =
                    ConfigurationSet::provxml(format!("g{i}&\"<"), &format!("{i}__X.provxml"));
                if i == 2 {
                    s.attrs.push(("Extra".into(), "a\nb".into()));
                }
                r.sets.push(s);
            }
            let mut root = Element::new(ROOT_ELEMENT).with_attr("Version", r.version.clone());
            for s in &r.sets {
                root.push(set_element(s));
            }
            let whole = Document::new(root).to_bytes(&WriteStyle::wcd());
            assert_eq!(r.to_bytes(), whole, "{n} sets");
            assert_eq!(RunTime::parse(&whole).unwrap(), r);
        }
    }

    #[test]
    fn round_trip_and_errors() {
        let mut r = RunTime::new();
        r.sets
            .push(ConfigurationSet::provxml("a-b", "0__X.provxml"));
        assert_eq!(RunTime::parse(&r.to_bytes()).unwrap(), r);
        let e = RunTime::parse(
            b"<ConfigurationSource>\n<ConfigurationSet Type=\"provxml\"/></ConfigurationSource>",
        )
        .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Xml {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
    }
}
