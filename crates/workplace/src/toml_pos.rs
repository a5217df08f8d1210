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
/// TOML profile `text`: the field itself when the profile writes it, else the key that names
/// its list item (`upn = …`), else the item's `[[table]]` header. `Accounts/ComputerAccount/
/// ComputerName` is the top-level `computer_name`.
///
/// Returns `None` for text that is not TOML, a path that does not parse, or a field the profile
/// does not write (a generic `settings` entry, say). JSON profiles have no spans and are not
/// located.
pub fn locate_in_toml(text: &str, path: &str) -> Option<TextPos> {
    let doc = ImDocument::parse(text).ok()?;
    let root = doc.as_table();
    let segments = parse_path(path).ok()?;
    let names: Vec<&str> = segments.iter().map(|s| s.name.as_str()).collect();
    let joined = names.join("/");
    if joined == "Accounts/ComputerAccount/ComputerName" {
        return key_pos(text, root, "computer_name");
    }
    // A generic `[[settings]]` entry names its own path.
    if let Some(p) = root
        .get("settings")
        .and_then(Item::as_array_of_tables)
        .and_then(|items| {
            items.iter().find(|t| {
                t.get("path")
                    .and_then(Item::as_str)
                    .is_some_and(|v| v.trim().trim_start_matches('/') == path)
            })
        })
        .and_then(|t| key_pos(text, t, "path"))
    {
        return Some(p);
    }
    let (prefix, key, item_key) = SECTIONS
        .iter()
        .find(|(prefix, _, _)| joined == *prefix || joined.starts_with(&format!("{prefix}/")))?;
    let depth = prefix.split('/').count();
    let leaf = names.get(depth..).and_then(|rest| rest.last().copied());
    let item = root.get(key)?;
    let table: &Table = if item_key.is_empty() {
        item.as_table()?
    } else {
        let wanted = segments
            .get(depth - 1)?
            .attrs
            .first()
            .map(|(_, v)| v.as_str())?;
        item.as_array_of_tables()?.iter().find(|t| {
            t.get(item_key)
                .and_then(Item::as_str)
                .is_some_and(|v| v.trim() == wanted.trim())
        })?
    };
    if let Some(leaf) = leaf {
        let snake = snake_case(leaf);
        let aliases = LEAF_ALIASES
            .iter()
            .find(|(l, _)| *l == leaf)
            .map_or(&[][..], |(_, a)| *a);
        for k in aliases.iter().copied().chain([snake.as_str()]) {
            if let Some(p) = key_pos(text, table, k) {
                return Some(p);
            }
        }
    }
    if !item_key.is_empty() {
        if let Some(p) = key_pos(text, table, item_key) {
            return Some(p);
        }
    }
    table.span().map(|r| offset_pos(text, r.start))
}

fn key_pos(text: &str, table: &Table, key: &str) -> Option<TextPos> {
    let span = table.key(key)?.span()?;
    Some(offset_pos(text, span.start))
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
