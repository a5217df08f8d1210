//! Compiled provisioning documents (`.provxml`): [`ProvDoc`].
//!
//! A `.provxml` is an OMA Client Provisioning `wap-provisioningdoc`: nested
//! `<characteristic type=…>` elements following a CSP path, ending in `<parm name= value=
//! datatype=/>`. WCD adds a `SettingsPath` attribute (the setting path without its leading `/`)
//! and writes it first:
//!
//! ```text
//! <?xml version="1.0" encoding="utf-8" standalone="yes"?>
//! <wap-provisioningdoc>
//!   <characteristic type="Policy">
//!     <characteristic type="Config">
//!       <characteristic type="Start">
//!         <parm SettingsPath="Policies/Start/ConfigureStartPins" name="ConfigureStartPins" value="…" datatype="string" />
//! ```
//!
//! Source: the 16 `.provxml` files of the two real packages (`reference/ppkg/*_extracted`):
//! UTF-8 with BOM, `standalone="yes"`, CRLF, 2-space indentation, `<parm … />` with a space,
//! attribute order `SettingsPath name value datatype`; [`ProvDoc::to_bytes`] reproduces each byte
//! for byte. Microsoft's hand-written examples (no `SettingsPath`, `nocharacteristic`, comments)
//! parse too; elements other than `characteristic` and `parm` are kept as
//! [`ProvNode::Other`].
//!
//! `Debug` of a [`Parm`] hides its value when the parm looks secret (name or `SettingsPath`
//! matching [`is_secret_name`]): provxml files hold local account passwords and enrollment
//! secrets in clear text.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};
use crate::xml::{Declaration, Document, Element, Node, WriteStyle};

/// Root element name.
pub const ROOT_ELEMENT: &str = "wap-provisioningdoc";

/// A `wap-provisioningdoc`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvDoc {
    /// Attributes of the root (`version="1.1"` in some Microsoft examples; none from WCD).
    pub attrs: Vec<(String, String)>,
    /// Top-level nodes in order.
    pub nodes: Vec<ProvNode>,
}

/// A node of a provisioning document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProvNode {
    /// `<characteristic type=…>`.
    Characteristic(Characteristic),
    /// `<parm name=… value=… datatype=…/>`.
    Parm(Parm),
    /// A comment's text.
    Comment(String),
    /// Any other element (`nocharacteristic`, `characteristic-query`, …), kept as is.
    Other(Element),
}

/// `<characteristic type=…>`: one CSP path segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Characteristic {
    /// `type` attribute: the segment (`Policy`, `{package id}`, `$(__PackageID)`, `0`).
    pub kind: String,
    /// Other attributes in order.
    pub attrs: Vec<(String, String)>,
    /// Children in order.
    pub children: Vec<ProvNode>,
}

/// `<parm …/>`: one value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Parm {
    /// `SettingsPath` (WCD's setting path without the leading `/`), written first.
    pub settings_path: Option<String>,
    /// `name`: the last CSP path segment.
    pub name: String,
    /// `value`, unescaped.
    pub value: Option<String>,
    /// `datatype`: `string`, `integer`, `boolean` in WCD's output.
    pub datatype: Option<String>,
    /// Other attributes in order, written after `datatype`.
    pub attrs: Vec<(String, String)>,
}

impl Parm {
    /// A parm as WCD writes it: `SettingsPath`, `name`, `value`, `datatype`.
    pub fn new(
        settings_path: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
        datatype: impl Into<String>,
    ) -> Self {
        Self {
            settings_path: Some(settings_path.into()),
            name: name.into(),
            value: Some(value.into()),
            datatype: Some(datatype.into()),
            attrs: Vec::new(),
        }
    }

    /// Whether the parm looks like it holds a secret (see the module docs); its value is then
    /// hidden from `Debug`.
    pub fn looks_secret(&self) -> bool {
        is_secret_name(&self.name) || self.settings_path.as_deref().is_some_and(is_secret_name)
    }
}

/// Name fragments that mark a setting or parm as secret, matched case-insensitively anywhere in
/// the name or path. From the secret-bearing names of WCD's settings store and the CSPs it
/// writes: `Password` (Accounts, DomainJoin), `Secret` (Workplace/Enrollments), `BPRT` and
/// tokens (Azure AD bulk enrollment), `KeyMaterial` / `NetworkKey` / `SecurityKey` /
/// `PreSharedKey` / `WEPKey` (Wi-Fi), `PFXCertBlob` (client certificates), `Passphrase`.
/// Deliberately not bare `key` or `pin`: `KeyLocation` and `ConfigureStartPins` are not secret.
pub const SECRET_NAME_FRAGMENTS: [&str; 11] = [
    "password",
    "passphrase",
    "secret",
    "bprt",
    "token",
    "keymaterial",
    "networkkey",
    "securitykey",
    "presharedkey",
    "wepkey",
    "pfxcertblob",
];

/// Whether a setting path, setting name or parm name holds a secret: it contains one of
/// [`SECRET_NAME_FRAGMENTS`], any case. Used wherever values are shown (`Debug`, `ppkg inspect`,
/// `ppkg diff`), so that one rule decides what is masked.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_NAME_FRAGMENTS.iter().any(|w| n.contains(w))
}

impl fmt::Debug for Parm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = match &self.value {
            Some(v) if self.looks_secret() => &format_args!("<hidden, {} bytes>", v.len()),
            v => v,
        };
        f.debug_struct("Parm")
            .field("settings_path", &self.settings_path)
            .field("name", &self.name)
            .field("value", value)
            .field("datatype", &self.datatype)
            .field("attrs", &self.attrs)
            .finish()
    }
}

impl Characteristic {
    /// A characteristic of this type with no children.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The first child characteristic of this type, created (appended) when missing.
    pub fn characteristic_mut(&mut self, kind: &str) -> &mut Characteristic {
        child_characteristic(&mut self.children, kind)
    }
}

fn child_characteristic<'a>(nodes: &'a mut Vec<ProvNode>, kind: &str) -> &'a mut Characteristic {
    let idx = nodes
        .iter()
        .position(|n| matches!(n, ProvNode::Characteristic(c) if c.kind == kind));
    let idx = match idx {
        Some(i) => i,
        None => {
            nodes.push(ProvNode::Characteristic(Characteristic::new(kind)));
            nodes.len() - 1
        }
    };
    match &mut nodes[idx] {
        ProvNode::Characteristic(c) => c,
        // `idx` was found or pushed as a characteristic just above.
        _ => unreachable!("child_characteristic index points at a characteristic"),
    }
}

impl ProvDoc {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// The characteristic at this path of types (`["Policy", "Config", "Start"]`), created
    /// segment by segment when missing (the first match is reused at each level).
    pub fn characteristic_path_mut(&mut self, path: &[&str]) -> Option<&mut Characteristic> {
        let (first, rest) = path.split_first()?;
        let mut cur = child_characteristic(&mut self.nodes, first);
        for seg in rest {
            cur = cur.characteristic_mut(seg);
        }
        Some(cur)
    }

    /// Add a parm under the characteristic path (created when missing). An empty `path` adds
    /// the parm at the top level.
    pub fn add_parm(&mut self, path: &[&str], parm: Parm) {
        match self.characteristic_path_mut(path) {
            Some(c) => c.children.push(ProvNode::Parm(parm)),
            None => self.nodes.push(ProvNode::Parm(parm)),
        }
    }

    /// Every parm with the characteristic types above it, in document order.
    pub fn parms(&self) -> Vec<(Vec<&str>, &Parm)> {
        fn walk<'a>(
            nodes: &'a [ProvNode],
            path: &mut Vec<&'a str>,
            out: &mut Vec<(Vec<&'a str>, &'a Parm)>,
        ) {
            for n in nodes {
                match n {
                    ProvNode::Characteristic(c) => {
                        path.push(&c.kind);
                        walk(&c.children, path, out);
                        path.pop();
                    }
                    ProvNode::Parm(p) => out.push((path.clone(), p)),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.nodes, &mut Vec::new(), &mut out);
        out
    }

    /// Parse a `.provxml` (UTF-8, BOM optional).
    ///
    /// # Errors
    /// As [`Document::parse`]; [`ErrorKind::Xml`] with line:column when the root is not
    /// `wap-provisioningdoc`, a `characteristic` has no `type`, or a `parm` has no `name`.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let doc = Document::parse(bytes)?;
        Self::from_element(&doc.root)
    }

    /// Convert a parsed `wap-provisioningdoc` element.
    ///
    /// # Errors
    /// As [`ProvDoc::parse`].
    pub fn from_element(root: &Element) -> Result<Self> {
        if root.name != ROOT_ELEMENT {
            return Err(xml_err(
                root,
                format!("root element is <{}>, expected <{ROOT_ELEMENT}>", root.name),
            ));
        }
        Ok(Self {
            attrs: pairs(root),
            nodes: convert_children(root)?,
        })
    }

    /// The document as an XML tree (root `wap-provisioningdoc`, declaration with
    /// `standalone="yes"`).
    pub fn to_document(&self) -> Document {
        let mut root = Element::new(ROOT_ELEMENT);
        for (k, v) in &self.attrs {
            root.set_attr(k.clone(), v.clone());
        }
        push_nodes(&mut root, &self.nodes);
        let mut doc = Document::new(root);
        doc.declaration = Some(Declaration {
            standalone: Some("yes".into()),
            ..Declaration::new("utf-8")
        });
        doc
    }

    /// The bytes as WCD writes a `.provxml` ([`WriteStyle::wcd`]: BOM, CRLF, 2 spaces).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_document().to_bytes(&WriteStyle::wcd())
    }
}

fn pairs(e: &Element) -> Vec<(String, String)> {
    e.attrs
        .iter()
        .map(|a| (a.name.clone(), a.value.clone()))
        .collect()
}

fn convert_children(e: &Element) -> Result<Vec<ProvNode>> {
    let mut out = Vec::new();
    for n in &e.children {
        match n {
            Node::Element(c) if c.name == "characteristic" => {
                let kind = c
                    .attr("type")
                    .ok_or_else(|| xml_err(c, "<characteristic> has no type attribute"))?
                    .to_owned();
                out.push(ProvNode::Characteristic(Characteristic {
                    kind,
                    attrs: pairs(c).into_iter().filter(|(k, _)| k != "type").collect(),
                    children: convert_children(c)?,
                }));
            }
            Node::Element(c) if c.name == "parm" => {
                let mut p = Parm {
                    name: c
                        .attr("name")
                        .ok_or_else(|| xml_err(c, "<parm> has no name attribute"))?
                        .to_owned(),
                    ..Parm::default()
                };
                for a in &c.attrs {
                    match a.name.as_str() {
                        "name" => {}
                        "SettingsPath" => p.settings_path = Some(a.value.clone()),
                        "value" => p.value = Some(a.value.clone()),
                        "datatype" => p.datatype = Some(a.value.clone()),
                        _ => p.attrs.push((a.name.clone(), a.value.clone())),
                    }
                }
                out.push(ProvNode::Parm(p));
            }
            Node::Element(c) => out.push(ProvNode::Other(c.clone())),
            Node::Comment(t) => out.push(ProvNode::Comment(t.clone())),
            _ => {}
        }
    }
    Ok(out)
}

fn push_nodes(parent: &mut Element, nodes: &[ProvNode]) {
    for n in nodes {
        match n {
            ProvNode::Characteristic(c) => {
                let mut e = Element::new("characteristic").with_attr("type", c.kind.clone());
                for (k, v) in &c.attrs {
                    e.set_attr(k.clone(), v.clone());
                }
                push_nodes(&mut e, &c.children);
                parent.push(e);
            }
            ProvNode::Parm(p) => {
                let mut e = Element::new("parm");
                if let Some(sp) = &p.settings_path {
                    e.set_attr("SettingsPath", sp.clone());
                }
                e.set_attr("name", p.name.clone());
                if let Some(v) = &p.value {
                    e.set_attr("value", v.clone());
                }
                if let Some(d) = &p.datatype {
                    e.set_attr("datatype", d.clone());
                }
                for (k, v) in &p.attrs {
                    e.set_attr(k.clone(), v.clone());
                }
                parent.push(e);
            }
            ProvNode::Comment(t) => parent.children.push(Node::Comment(t.clone())),
            ProvNode::Other(e) => parent.push(e.without_layout()),
        }
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
    fn build_and_read_back() {
        let mut d = ProvDoc::new();
        d.add_parm(
            &["Accounts", "Users", "u"],
            Parm::new(
                "Accounts/Users/User/Password",
                "Password",
                "p@ss&<\"",
                "string",
            ),
        );
        d.add_parm(
            &["Accounts", "Users", "u"],
            Parm::new(
                "Accounts/Users/User/UserGroup",
                "LocalUserGroup",
                "2",
                "integer",
            ),
        );
        let bytes = d.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n<wap-provisioningdoc>\r\n  <characteristic type=\"Accounts\">"));
        assert!(text.contains("value=\"p@ss&amp;&lt;&quot;\""));
        let back = ProvDoc::parse(&bytes).unwrap();
        assert_eq!(back, d);
        let parms = back.parms();
        assert_eq!(parms.len(), 2);
        assert_eq!(parms[1].0, ["Accounts", "Users", "u"]);
        let dbg = format!("{back:?}");
        assert!(!dbg.contains("p@ss"), "{dbg}");
        assert!(dbg.contains("\"2\""), "{dbg}");
    }

    #[test]
    fn errors_have_positions() {
        let e =
            ProvDoc::parse(b"<wap-provisioningdoc>\n <characteristic/>\n</wap-provisioningdoc>")
                .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Xml {
                    line: 2,
                    column: 2,
                    ..
                }
            ),
            "{e}"
        );
        assert!(ProvDoc::parse(b"<doc/>").is_err());
    }
}

#[cfg(test)]
mod secret_name_tests {
    use super::is_secret_name;

    #[test]
    fn secret_names_from_the_store_and_csps() {
        for name in [
            "Password",
            "PFXCertPassword",
            "Workplace/Enrollments/UPN[@UPN=\"a@b.c\"]/Secret",
            "BPRT",
            "keyMaterial",
            "NetworkKey",
            "SecurityKey",
            "Passphrase",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "KeyLocation",
            "ConfigureStartPins",
            "Policies/Start/ConfigureStartPins",
            "SSID",
            "CertificatePath",
            "UPN",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
