//! Settings the profile has no type for, by path, and the element tree they come from.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One setting under `Customizations/Common` that the profile has no field for, kept as is.
///
/// `path` is the element path below `Common` in the one setting-path syntax of
/// [`ppkg_format::path`]: `Policies/ApplicationManagement/AllowAllTrustedApps`, or
/// `Accounts/Users/User[UserName=ICTMSFO5]/HomeDir` (`UPN[enroll@example.com]` for an item
/// whose key attribute has its own name; the XPath form `User[@UserName="ICTMSFO5"]` of earlier
/// versions is still read). `value` is the element's text, unchanged (enum settings use
/// WCD's display label, booleans `True`/`False`).
///
/// `Debug` masks the value when the setting's name suggests a secret (`Password`, `Secret`,
/// `Key`, `PIN`, `BPRT`, `Token`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSetting {
    /// Element path below `Customizations/Common`.
    pub path: String,
    /// Element text.
    #[serde(default)]
    pub value: String,
}

impl RawSetting {
    /// A setting by path and value.
    pub fn new(path: impl Into<String>, value: impl Into<String>) -> Self {
        RawSetting {
            path: path.into(),
            value: value.into(),
        }
    }

    /// The path with the list-key attributes removed: the catalog's setting path
    /// (`Accounts/Users/User/HomeDir`).
    ///
    /// # Errors
    /// As [`parse_path`].
    pub fn setting_path(&self) -> Result<String, PathError> {
        Ok(parse_path(&self.path)?
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("/"))
    }

    fn looks_secret(&self) -> bool {
        let last = self.path.rsplit('/').next().unwrap_or("");
        ppkg_format::provxml::is_secret_name(last.split('[').next().unwrap_or(""))
    }
}

impl fmt::Debug for RawSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("RawSetting");
        s.field("path", &self.path);
        if self.looks_secret() {
            s.field("value", &crate::secret::MASK);
        } else {
            s.field("value", &self.value);
        }
        s.finish()
    }
}

pub use ppkg_format::path::{format_path, parse_path, PathError, Segment};

/// The attribute an unnamed key (`UPN[x]`, `ClientCertificate[Dev]`) stands for at `names[i]`:
/// the catalog's key attribute of the list or map that holds the item
/// (`/Certificates/ClientCertificates` → `CertificateName`), else the element's own name (WCD's
/// `<UPN UPN="…">`).
pub(crate) fn key_attribute(names: &[&str], i: usize) -> String {
    let parent = format!("/{}", names[..i].join("/"));
    csp_model::Catalog::builtin()
        .get(&parent)
        .and_then(|s| s.key_attribute.clone())
        .unwrap_or_else(|| names[i].to_owned())
}

/// Names every unnamed key of a parsed path (see [`key_attribute`]).
pub(crate) fn name_keys(segs: &mut [Segment]) {
    if !segs
        .iter()
        .any(|s| s.attrs.iter().any(|(k, _)| k.is_empty()))
    {
        return;
    }
    let names: Vec<String> = segs.iter().map(|s| s.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for (i, seg) in segs.iter_mut().enumerate() {
        for (k, _) in &mut seg.attrs {
            if k.is_empty() {
                *k = key_attribute(&names, i);
            }
        }
    }
}

/// A settings element: name, attributes, text and child elements. What this crate maps
/// profiles to and from; converted to and from the `ppkg-format` document tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Node {
    /// Element name (no namespace prefix).
    pub(crate) name: String,
    /// Attributes in written order.
    pub(crate) attrs: Vec<(String, String)>,
    /// Text of a leaf element (`None` for containers).
    pub(crate) text: Option<String>,
    /// Child elements.
    pub(crate) children: Vec<Node>,
}

impl Node {
    /// A container element.
    pub(crate) fn element(name: &str) -> Self {
        Node {
            name: name.to_owned(),
            ..Node::default()
        }
    }

    fn segment(&self) -> Segment {
        Segment {
            name: self.name.clone(),
            attrs: self.attrs.clone(),
        }
    }

    /// Whether this is a leaf (no child elements).
    pub(crate) fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
}

/// Flattens the children of `parent` into settings, one per leaf, paths relative to `parent`.
pub(crate) fn flatten(parent: &Node) -> Vec<RawSetting> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for c in &parent.children {
        flatten_into(c, &mut stack, &mut out);
    }
    out
}

fn flatten_into(node: &Node, stack: &mut Vec<Segment>, out: &mut Vec<RawSetting>) {
    stack.push(node.segment());
    if node.is_leaf() {
        out.push(RawSetting::new(
            format_path(stack),
            node.text.clone().unwrap_or_default(),
        ));
    } else {
        for c in &node.children {
            flatten_into(c, stack, out);
        }
    }
    stack.pop();
}

/// Adds a setting to a tree: intermediate elements are reused when the parent's *last* child
/// has the same name and attributes (so document order is kept and list items stay together);
/// the leaf is always appended.
///
/// # Errors
/// As [`parse_path`].
#[cfg(test)]
pub(crate) fn insert(root: &mut Node, setting: &RawSetting) -> Result<(), PathError> {
    let segs = parse_path(&setting.path)?;
    let Some((leaf, dirs)) = segs.split_last() else {
        return Ok(());
    };
    let mut cur = root;
    for seg in dirs {
        let reuse = cur
            .children
            .last()
            .is_some_and(|c| !c.is_leaf() && c.name == seg.name && c.attrs == seg.attrs);
        if !reuse {
            cur.children.push(Node {
                name: seg.name.clone(),
                attrs: seg.attrs.clone(),
                text: None,
                children: Vec::new(),
            });
        }
        let last = cur.children.len() - 1;
        cur = &mut cur.children[last];
    }
    cur.children.push(Node {
        name: leaf.name.clone(),
        attrs: leaf.attrs.clone(),
        text: Some(setting.value.clone()),
        children: Vec::new(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_then_flatten_keeps_duplicates_and_order() {
        let settings = vec![
            RawSetting::new(
                "Connections/Cellular/Connection[ConnectionName=X]/AlwaysOn",
                "1",
            ),
            RawSetting::new(
                "Connections/Cellular/Connection[ConnectionName=X]/Roaming",
                "5",
            ),
            RawSetting::new(
                "Connections/Cellular/Connection[ConnectionName=X]/AlwaysOn",
                "1",
            ),
            RawSetting::new("OOBE/Desktop/HideOobe", "True"),
        ];
        let mut root = Node::element("Common");
        for s in &settings {
            insert(&mut root, s).unwrap();
        }
        assert_eq!(root.children.len(), 2);
        assert_eq!(flatten(&root), settings);
    }

    #[test]
    fn debug_masks_secret_like_settings() {
        let s = RawSetting::new("Accounts/Users/User[@UserName=\"u\"]/Password", "hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let s = RawSetting::new("OOBE/Desktop/HideOobe", "True");
        assert!(format!("{s:?}").contains("True"));
    }
}

/// Where the element that a diagnostic path names starts in a parsed answer file: `path` is in
/// [`crate::Diagnostic::path`] form (`Workplace/Enrollments/UPN[a@example.com]/Secret`
/// below `Settings/Customizations/Common`, or `PackageConfig/Version`), each segment matched by
/// local name and every `[@attr="value"]` it carries.
///
/// Returns the position of the deepest element that matched (a path whose leaf is missing, as
/// in "Secret is required", points at its parent), or `None` when the path does not parse, no
/// segment matched, or the answer file was built in code rather than parsed (no positions).
pub fn locate(
    answer: &ppkg_format::answer::AnswerFile,
    path: &str,
) -> Option<ppkg_format::xml::TextPos> {
    let segments = parse_path(path).ok()?;
    let (mut at, rest) = match segments.split_first() {
        Some((first, rest)) if first.name == "PackageConfig" && first.attrs.is_empty() => {
            (answer.package_config_element()?, rest)
        }
        _ => (answer.common()?, segments.as_slice()),
    };
    let mut found = None;
    for seg in rest {
        let Some(next) = at
            .elements()
            .find(|e| seg.matches(e.local_name(), |k| e.attr(k)))
        else {
            break;
        };
        at = next;
        found = Some(at.pos);
    }
    if rest.is_empty() {
        found = Some(at.pos);
    }
    found.filter(|p| p.is_known())
}

#[cfg(test)]
mod locate_tests {
    use super::locate;
    use ppkg_format::answer::AnswerFile;

    const XML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<WindowsCustomizations>\r\n  <PackageConfig xmlns=\"urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0\">\r\n    <ID>{5b0f4c34-3d3c-4d2e-9b7a-6f1e2a0c9d11}</ID>\r\n    <Name>t</Name>\r\n    <Version>1.0</Version>\r\n    <OwnerType>ITAdmin</OwnerType>\r\n    <Rank>0</Rank>\r\n  </PackageConfig>\r\n  <Settings xmlns=\"urn:schemas-microsoft-com:windows-provisioning\">\r\n    <Customizations>\r\n      <Common>\r\n        <Workplace>\r\n          <Enrollments>\r\n            <UPN UPN=\"a@b.c\" Name=\"a@b.c\">\r\n              <AuthPolicy>OnPremise</AuthPolicy>\r\n            </UPN>\r\n            <UPN UPN=\"x y\" Name=\"x y\">\r\n              <Secret>s</Secret>\r\n            </UPN>\r\n          </Enrollments>\r\n        </Workplace>\r\n      </Common>\r\n    </Customizations>\r\n  </Settings>\r\n</WindowsCustomizations>\r\n";

    #[test]
    fn a_leading_slash_is_accepted() {
        let with = super::parse_path("/Accounts/Users/User[@UserName=\"a\"]/Password");
        let without = super::parse_path("Accounts/Users/User[@UserName=\"a\"]/Password");
        assert_eq!(with.expect("parses"), without.expect("parses"));
        assert!(super::parse_path("//Accounts").is_err());
    }

    #[test]
    fn paths_resolve_to_their_elements() {
        let a = AnswerFile::parse(XML.as_bytes()).expect("parses");
        let at = |p: &str| locate(&a, p).map(|p| (p.line, p.column));
        assert_eq!(at("PackageConfig/Version"), Some((6, 5)));
        assert_eq!(at("Workplace/Enrollments/UPN[x y]/Secret"), Some((19, 15)));
        assert_eq!(
            at("Workplace/Enrollments/UPN[UPN=a@b.c]/AuthPolicy"),
            Some((16, 15))
        );
        // A missing leaf points at its parent; an unknown first segment gives nothing.
        assert_eq!(
            at("Workplace/Enrollments/UPN[@UPN=\"a@b.c\"]/Secret"),
            Some((15, 13))
        );
        assert_eq!(at("Accounts/Users"), None);
        assert_eq!(at("not a [path"), None);
    }
}
