//! Where a diagnostic points in a TOML profile: [`locate_in_toml`].
//!
//! Diagnostics name fields by their answer-file path (`Workplace/Enrollments/UPN[a@b.c]/
//! DiscoveryServiceFullUrl`); a profile writes the same field as `[[enrollments]]` with
//! `upn = "a@b.c"` and `discovery_service_full_url = …`. The table below maps each typed
//! section of [`crate::Profile`] (its serde names) to its answer-file prefix and list key; leaf
//! names are the snake_case of the element name except for the few listed in [`LEAF_ALIASES`].

use ppkg_format::xml::TextPos;
use toml_edit::{ImDocument, Item, Table};

use crate::setting::parse_path;

/// (answer-file prefix, profile key, list-key field of one item; "" for a single table).
const SECTIONS: &[(&str, &str, &str)] = &[
    ("Workplace/Enrollments/UPN", "enrollments", "upn"),
    (
        "Certificates/ClientCertificates/ClientCertificate",
        "client_certificates",
        "name",
    ),
    (
        "Certificates/RootCertificates/RootCertificate",
        "root_certificates",
        "name",
    ),
    (
        "Certificates/CACertificates/CACerificate",
        "ca_certificates",
        "name",
    ),
    (
        "Certificates/TrustedPeopleCertificates/Certificate",
        "trusted_people_certificates",
        "name",
    ),
    (
        "Certificates/TrustedProvisioners/Certificate",
        "trusted_provisioners",
        "hash",
    ),
    (
        "ConnectivityProfiles/WLAN/WLANSetting/WLANConfig",
        "wifi",
        "ssid",
    ),
    ("Accounts/Users/User", "local_users", "name"),
    ("Accounts/Azure", "azure_ad", ""),
    (
        "ProvisioningCommands/PrimaryContext/Command/CommandConfig",
        "commands",
        "name",
    ),
    ("Accounts/ComputerAccount", "domain_join", ""),
    ("PackageConfig", "package", ""),
];

/// Answer-file leaf names whose profile field is not their snake_case.
const LEAF_ALIASES: &[(&str, &[&str])] = &[
    ("SecurityKey", &["key"]),
    ("SecurityType", &["security"]),
    ("HiddenNetwork", &["hidden"]),
    ("ProxyServerPort", &["proxy"]),
    ("CertificatePath", &["certificate", "pfx"]),
    ("CertificatePassword", &["password"]),
    ("UserGroup", &["group"]),
    ("DomainName", &["domain"]),
    ("CommandFile", &["file"]),
    ("TrustedProvisioner", &["certificate"]),
    ("BPRT", &["bprt"]),
    ("ID", &["id"]),
    ("UPN", &["upn"]),
    ("SSID", &["ssid"]),
];

/// The line and column (1-based, characters) of the key that a diagnostic `path` names in the
/// profile `text`, TOML or JSON (a text whose first non-blank character is `{` is read as
/// JSON): the field itself when the profile writes it, else the key that names its list item
/// (`upn = …`), else the item's `[[table]]` header (its `{` in JSON).
/// `Accounts/ComputerAccount/ComputerName` is the top-level `computer_name`.
///
/// Returns `None` for text that does not parse, a path that does not parse, or a field the
/// profile does not write (a default).
pub fn locate_in_toml(text: &str, path: &str) -> Option<TextPos> {
    let root = if text.trim_start().starts_with('{') {
        crate::json_pos::parse(text)?
    } else {
        from_toml(ImDocument::parse(text).ok()?.as_table())
    };
    locate_in_tree(&root, path).map(|offset| offset_pos(text, offset))
}

/// [`locate_in_toml`] under the name that says it reads JSON too.
pub fn locate_in_profile(text: &str, path: &str) -> Option<TextPos> {
    locate_in_toml(text, path)
}

/// A profile document reduced to what placing needs: maps with the byte offset of each key,
/// lists, strings; `at` is the byte offset of the value (a table's header or `{`).
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) at: Option<usize>,
    pub(crate) kind: Kind,
}

/// What a [`Node`] holds.
#[derive(Debug)]
pub(crate) enum Kind {
    /// (key, byte offset of the key, value), in document order.
    Map(Vec<(String, Option<usize>, Node)>),
    List(Vec<Node>),
    Str(String),
    Other,
}

impl Node {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    fn key_at(&self, key: &str) -> Option<usize> {
        match &self.kind {
            Kind::Map(m) => m.iter().find(|(k, _, _)| k == key).and_then(|(_, p, _)| *p),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::List(l) => l,
            _ => &[],
        }
    }
}

fn from_toml(table: &Table) -> Node {
    let mut entries = Vec::new();
    for (k, item) in table.iter() {
        let key_at = table.key(k).and_then(|key| key.span()).map(|r| r.start);
        entries.push((k.to_owned(), key_at, from_item(item)));
    }
    Node {
        at: table.span().map(|r| r.start),
        kind: Kind::Map(entries),
    }
}

fn from_item(item: &Item) -> Node {
    match item {
        Item::Table(t) => from_toml(t),
        Item::ArrayOfTables(a) => Node {
            at: a.span().map(|r| r.start),
            kind: Kind::List(a.iter().map(from_toml).collect()),
        },
        Item::Value(v) => from_value(v),
        Item::None => Node {
            at: None,
            kind: Kind::Other,
        },
    }
}

fn from_value(v: &toml_edit::Value) -> Node {
    let at = v.span().map(|r| r.start);
    let kind = match v {
        toml_edit::Value::String(s) => Kind::Str(s.value().clone()),
        toml_edit::Value::Array(a) => Kind::List(a.iter().map(from_value).collect()),
        toml_edit::Value::InlineTable(t) => Kind::Map(
            t.iter()
                .map(|(k, v)| {
                    let key_at = t.key(k).and_then(|key| key.span()).map(|r| r.start);
                    (k.to_owned(), key_at, from_value(v))
                })
                .collect(),
        ),
        _ => Kind::Other,
    };
    Node { at, kind }
}

/// The byte offset a diagnostic path points at in a profile tree.
fn locate_in_tree(root: &Node, path: &str) -> Option<usize> {
    let segments = parse_path(path).ok()?;
    let names: Vec<&str> = segments.iter().map(|s| s.name.as_str()).collect();
    let joined = names.join("/");
    if joined == "Accounts/ComputerAccount/ComputerName" {
        return root.key_at("computer_name");
    }
    // A generic `[[settings]]` entry names its own path.
    if let Some(p) = root
        .get("settings")
        .map(Node::items)
        .and_then(|items| {
            items.iter().find(|t| {
                t.get("path")
                    .and_then(Node::as_str)
                    .is_some_and(|v| v.trim().trim_start_matches('/') == path)
            })
        })
        .and_then(|t| t.key_at("path"))
    {
        return Some(p);
    }
    let (prefix, key, item_key) = SECTIONS
        .iter()
        .find(|(prefix, _, _)| joined == *prefix || joined.starts_with(&format!("{prefix}/")))?;
    let depth = prefix.split('/').count();
    let leaf = names.get(depth..).and_then(|rest| rest.last().copied());
    let item = root.get(key)?;
    let table: &Node = if item_key.is_empty() {
        item
    } else {
        let wanted = segments
            .get(depth - 1)?
            .attrs
            .first()
            .map(|(_, v)| v.as_str())?;
        item.items().iter().find(|t| {
            t.get(item_key)
                .and_then(Node::as_str)
                .is_some_and(|v| v.trim() == wanted.trim())
        })?
    };
    // `[wifi.eap]` and other sub-tables of an item: `…/eap/server_names`.
    let table = match names.get(depth..) {
        Some([sub, _, ..]) => table
            .get(sub)
            .filter(|n| matches!(n.kind, Kind::Map(_)))
            .unwrap_or(table),
        _ => table,
    };
    if let Some(leaf) = leaf {
        let snake = snake_case(leaf);
        let aliases = LEAF_ALIASES
            .iter()
            .find(|(l, _)| *l == leaf)
            .map_or(&[][..], |(_, a)| *a);
        for k in aliases.iter().copied().chain([snake.as_str()]) {
            if let Some(p) = table.key_at(k) {
                return Some(p);
            }
        }
    }
    if !item_key.is_empty() {
        if let Some(p) = table.key_at(item_key) {
            return Some(p);
        }
    }
    table.at
}

fn offset_pos(text: &str, offset: usize) -> TextPos {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    TextPos {
        offset: offset as u64,
        line: u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX),
        column: u32::try_from(before[line_start..].chars().count() + 1).unwrap_or(u32::MAX),
    }
}

/// `DiscoveryServiceFullUrl` → `discovery_service_full_url`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check, Profile};

    const PROFILE: &str = r#"computer_name = "EXAMPLE-%SERIAL%"

[package]
name = "t"
version = "1.x"

[[enrollments]]
upn = "a@example.com"
auth_policy = "OnPremise"
secret = "x"

[[enrollments]]
upn = "not a upn"
auth_policy = "OnPremise"
discovery_service_full_url = "http://enroll.example.com/EnrollmentServer/Discovery.svc"
secret = "x"

[[wifi]]
ssid = "Lab"
security = "WPA2-Personal"
key = "short"
"#;

    #[test]
    fn check_diagnostics_point_at_their_keys() {
        let profile = Profile::from_toml(PROFILE).expect("parses");
        let report = check(&profile, std::time::SystemTime::now());
        let line_of = |needle: &str| {
            PROFILE
                .lines()
                .position(|l| l.starts_with(needle))
                .map(|i| i as u32 + 1)
        };
        let mut seen = 0;
        for d in &report.diagnostics {
            let at = locate_in_toml(PROFILE, &d.path).map(|p| p.line);
            let want = match d.code.as_str() {
                "VersionFormat" => line_of("version"),
                "UpnSyntax" => line_of("upn = \"not"),
                "UrlNotHttps" => line_of("discovery_service_full_url"),
                "InvalidPassphrase" => line_of("key = \"short"),
                "ComputerNameTooLong" | "SerialLengthUnknown" => line_of("computer_name"),
                _ => continue,
            };
            assert_eq!(at, want, "{d:?}");
            seen += 1;
        }
        assert_eq!(seen, 5, "{report}");
    }

    #[test]
    fn unknown_paths_and_bad_toml_give_nothing() {
        assert_eq!(locate_in_toml(PROFILE, "Policies/Start/NoSuch"), None);
        assert_eq!(locate_in_toml("not = [toml", "PackageConfig/Name"), None);
        let p = locate_in_toml(PROFILE, "PackageConfig/Name").expect("name");
        assert_eq!((p.line, p.column), (4, 1));
    }
}
