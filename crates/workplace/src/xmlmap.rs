//! The whole `customizations.xml` document ↔ profile, on `ppkg_format::xml`'s lossless tree.

use ppkg_format::xml::{Document, Element, Node as XNode};

use crate::error::{Error, Result};
use crate::mapping::{from_common, to_common};
use crate::profile::{PackageInfo, Profile};
use crate::setting::Node;

/// Namespace of `<PackageConfig>` (WCD's answer files).
pub const PACKAGE_CONFIG_NS: &str = "urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0";
/// Namespace of `<Settings>`.
pub const SETTINGS_NS: &str = "urn:schemas-microsoft-com:windows-provisioning";

pub(crate) fn node_to_element(n: &Node) -> Element {
    let mut e = Element::new(n.name.clone());
    for (k, v) in &n.attrs {
        e = e.with_attr(k.clone(), v.clone());
    }
    if n.children.is_empty() {
        if let Some(t) = &n.text {
            if !t.is_empty() {
                e = e.with_text(t.clone());
            }
        }
    } else {
        for c in &n.children {
            e = e.with_child(node_to_element(c));
        }
    }
    e
}

pub(crate) fn element_to_node(e: &Element) -> Node {
    let children: Vec<Node> = e.elements().map(element_to_node).collect();
    let text = if children.is_empty() {
        let mut t = String::new();
        for c in &e.children {
            match c {
                XNode::Text(s) | XNode::CData(s) => t.push_str(s),
                _ => {}
            }
        }
        Some(t)
    } else {
        None
    };
    Node {
        name: e.local_name().to_owned(),
        attrs: e
            .attrs
            .iter()
            .filter(|a| a.name != "xmlns" && !a.name.starts_with("xmlns:"))
            .map(|a| (a.name.clone(), a.value.clone()))
            .collect(),
        text,
        children,
    }
}

fn leaf(name: &str, text: &str) -> Element {
    let e = Element::new(name);
    if text.is_empty() {
        e
    } else {
        e.with_text(text)
    }
}

/// Builds the `<WindowsCustomizations>` root element.
pub(crate) fn to_root(p: &Profile) -> Result<Element> {
    let pkg = &p.package;
    let mut pc = Element::new("PackageConfig").with_attr("xmlns", PACKAGE_CONFIG_NS);
    if let Some(id) = &pkg.id {
        pc = pc.with_child(leaf("ID", id));
    }
    pc = pc
        .with_child(leaf("Name", &pkg.name))
        .with_child(leaf("Version", &pkg.version))
        .with_child(leaf("OwnerType", &pkg.owner_type))
        .with_child(leaf("Rank", &pkg.rank.to_string()));
    if let Some(n) = &pkg.notes {
        pc = pc.with_child(leaf("Notes", n));
    }
    let common = to_common(p).map_err(|e| Error::AnswerFile {
        path: "Settings/Customizations/Common".into(),
        reason: e.to_string(),
    })?;
    let mut cust = Element::new("Customizations");
    if !common.children.is_empty() || p.multivariant.is_empty() {
        cust = cust.with_child(node_to_element(&common));
    }
    for frag in &p.multivariant {
        let doc = Document::parse_str(frag)?;
        cust = cust.with_child(doc.root);
    }
    let settings = Element::new("Settings")
        .with_attr("xmlns", SETTINGS_NS)
        .with_child(cust);
    Ok(Element::new("WindowsCustomizations")
        .with_child(pc)
        .with_child(settings))
}

/// Reads a `<WindowsCustomizations>` root element.
pub(crate) fn from_root(root: &Element) -> Result<Profile> {
    let bad = |path: &str, reason: &str| Error::AnswerFile {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if root.local_name() != "WindowsCustomizations" {
        return Err(bad(
            &root.name,
            "the root element is not WindowsCustomizations",
        ));
    }
    let pc = root
        .child("PackageConfig")
        .ok_or_else(|| bad("WindowsCustomizations", "no PackageConfig element"))?;
    let text = |n: &str| pc.child(n).map(Element::text);
    let rank = match text("Rank") {
        None => 0,
        Some(r) => r.trim().parse::<u32>().map_err(|_| {
            bad(
                "PackageConfig/Rank",
                &format!("{r:?} is not a whole number (line {})", pc.pos.line),
            )
        })?,
    };
    let mut p = Profile {
        package: PackageInfo {
            name: text("Name").unwrap_or_default(),
            version: text("Version").unwrap_or_default(),
            id: text("ID"),
            owner_type: text("OwnerType").unwrap_or_default(),
            rank,
            notes: text("Notes"),
        },
        ..Profile::default()
    };
    let Some(cust) = root.descendant("Settings/Customizations") else {
        return Ok(p);
    };
    let mut seen_common = false;
    for e in cust.elements() {
        if e.local_name() == "Common" && !seen_common {
            seen_common = true;
            from_common(&mut p, &element_to_node(e));
        } else {
            let mut e = e.without_layout();
            e.pos = Default::default();
            let mut doc = Document::new(e);
            doc.declaration = None;
            doc.bom = false;
            let bytes = doc.to_bytes(&ppkg_format::xml::WriteStyle::wcd_index());
            p.multivariant
                .push(String::from_utf8_lossy(&bytes).trim().to_owned());
        }
    }
    Ok(p)
}
