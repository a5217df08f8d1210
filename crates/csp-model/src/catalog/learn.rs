//! Learning overlay entries from a real package's compiled documents.

use ppkg_format::provxml::ProvDoc;
use ppkg_format::runtime::RunTime;

use super::{EditionSet, OverlayEntry, SettingKind};

/// Learns overlay entries from a package's `RunTime.xml` and its `.provxml` documents (file name
/// in `Prov/RunTime/`, document), e.g. as read by `ppkg_format::layout::Package`.
///
/// Each `parm` with a `SettingsPath` gives one entry (in RunTime order, each path once):
///
/// - path `/` + `SettingsPath`; kind from `datatype` (`boolean` → Bool, `integer` → Int, else
///   Text);
/// - under an `MCSF` characteristic: registry-mapped (HideOobe in the Acer sample); otherwise the
///   CSP path `./Vendor/MSFT/` + the characteristic types + the parm name (FORMAT.md §4 rule,
///   inverted). List keys and map keys stay as the package wrote them (`ICTMSFO5`, `0`): the
///   documents do not say which segment was a `~Key~`;
/// - a group (one `.provxml`) with one setting: the RunTime `SettingsGroup` (without its `_<n>`
///   repeat suffix) is that setting's; with several settings it belongs to their atomic root,
///   taken as their longest common path prefix, which gets its own [`SettingKind::Tree`] entry;
/// - editions: [`EditionSet::ALL`] (a package does not say which editions know the setting).
///
/// Payload references (`Provisioning/Assets/{…}`) are skipped: they name a DataAsset file, not a
/// CSP node. A parm without `SettingsPath` (hand-written provxml) is skipped too.
pub fn learn_overlay(runtime: &RunTime, provxml: &[(String, ProvDoc)]) -> Vec<OverlayEntry> {
    let mut out: Vec<OverlayEntry> = Vec::new();
    for set in &runtime.sets {
        let Some(file) = set.file_name() else {
            continue;
        };
        let Some((_, doc)) = provxml.iter().find(|(n, _)| n.eq_ignore_ascii_case(file)) else {
            continue;
        };
        let guid = base_group(&set.settings_group);
        let mut learned = Vec::new();
        for (chars, parm) in doc.parms() {
            let Some(settings_path) = parm.settings_path.as_deref() else {
                continue;
            };
            if chars.len() >= 2 && chars[0] == "Provisioning" && chars[1] == "Assets" {
                continue;
            }
            let registry_mapped = chars.first() == Some(&"MCSF");
            let csp_path = (!registry_mapped).then(|| {
                let mut p = String::from("./Vendor/MSFT");
                for c in &chars {
                    p.push('/');
                    p.push_str(c);
                }
                p.push('/');
                p.push_str(&parm.name);
                p
            });
            let kind = match parm.datatype.as_deref() {
                Some("boolean") => SettingKind::Bool,
                Some("integer") => SettingKind::Int,
                _ => SettingKind::Text,
            };
            learned.push(OverlayEntry {
                path: format!("/{}", settings_path.trim_start_matches('/')),
                kind,
                csp_path,
                registry_mapped,
                settings_group: None,
                atomic_root: None,
                editions: EditionSet::ALL,
                source: file.to_owned(),
            });
        }
        match learned.len() {
            0 => continue,
            1 => learned[0].settings_group = Some(guid.to_owned()),
            _ => {
                let root = common_prefix(learned.iter().map(|e| e.path.as_str()));
                if !root.is_empty() && !out.iter().any(|e| e.path == root) {
                    out.push(OverlayEntry {
                        path: root.clone(),
                        kind: SettingKind::Tree,
                        csp_path: None,
                        registry_mapped: false,
                        settings_group: Some(guid.to_owned()),
                        atomic_root: Some(root.clone()),
                        editions: EditionSet::ALL,
                        source: file.to_owned(),
                    });
                }
                for e in &mut learned {
                    e.atomic_root = (!root.is_empty()).then(|| root.clone());
                }
            }
        }
        for e in learned {
            if !out.iter().any(|o| o.path == e.path) {
                out.push(e);
            }
        }
    }
    out
}

/// A SettingsGroup without its `_<n>` repeat suffix (`1348d3d6-…-96c44bf9aa0b_0` → the GUID).
fn base_group(group: &str) -> &str {
    match group.rsplit_once('_') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => group,
    }
}

/// The longest common `/`-segment prefix of paths (`""` when none).
fn common_prefix<'a>(mut paths: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = paths.next() else {
        return String::new();
    };
    let mut prefix: Vec<&str> = first.split('/').collect();
    prefix.pop();
    for p in paths {
        let segs: Vec<&str> = p.split('/').collect();
        let n = prefix
            .iter()
            .zip(&segs[..segs.len().saturating_sub(1)])
            .take_while(|(a, b)| a == b)
            .count();
        prefix.truncate(n);
    }
    let joined = prefix.join("/");
    if joined.is_empty() || joined == "/" {
        String::new()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_suffixes_and_prefixes() {
        assert_eq!(
            base_group("1348d3d6-134b-5eb8-8f89-96c44bf9aa0b_0"),
            "1348d3d6-134b-5eb8-8f89-96c44bf9aa0b"
        );
        assert_eq!(
            base_group("d66ea0fd-afd5-5f17-a853-597f25399be1"),
            "d66ea0fd-afd5-5f17-a853-597f25399be1"
        );
        assert_eq!(
            common_prefix(
                [
                    "/Accounts/Users/User/Password",
                    "/Accounts/Users/User/UserGroup"
                ]
                .into_iter()
            ),
            "/Accounts/Users/User"
        );
        assert_eq!(common_prefix(["/A/B", "/C/D"].into_iter()), "");
    }
}
