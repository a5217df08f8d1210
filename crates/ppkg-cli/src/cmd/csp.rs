//! `ppkg csp show OMA-URI`: the DDF node an OMA-URI names (format, access types, allowed values,
//! description, default, children), from csp-model's DDF parser over Microsoft's DDF v2 files.
//!
//! The DDF files are not shipped inside `ppkg` (they are Microsoft's files): they are read from
//! `--ddf DIR` or the folder named by `PPKG_DDF_DIR`. The catalog's WCD settings that compile to
//! the URI are listed too, so the command says something useful even for URIs outside the
//! loaded files.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use csp_model::catalog::Catalog;
use csp_model::ddf::{DdfNode, DdfSet, OmaUri};
use serde::Serialize;

use crate::cli::{CspArgs, CspCommand, CspShowArgs};
use crate::cmd::Invalid;

/// Environment variable naming the DDF folder when `--ddf` is not given.
pub(crate) const DDF_DIR_ENV: &str = "PPKG_DDF_DIR";

pub(crate) fn run(args: &CspArgs) -> Result<u8> {
    match &args.command {
        CspCommand::Show(a) => show_cmd(a),
    }
}

#[derive(Debug, Serialize)]
struct NodeView {
    uri: String,
    /// The URI of the CSP root that serves it.
    root: String,
    /// The DDF file that defines the root.
    file: Option<String>,
    name: String,
    /// Dynamic segments of the URI and the node each names.
    instances: Vec<(String, String)>,
    format: String,
    access: Vec<&'static str>,
    occurrence: Option<String>,
    scope: Option<String>,
    description: Option<String>,
    default: Option<String>,
    mime: Vec<String>,
    allowed_values: Option<AllowedView>,
    os_build: Option<String>,
    csp_version: Option<String>,
    editions: Option<String>,
    deprecated: Option<String>,
    children: Vec<ChildView>,
    /// WCD settings whose CSP path leads here (placeholders such as `~SSID~` match any segment).
    wcd_settings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct AllowedView {
    value_type: String,
    values: Vec<(String, Option<String>)>,
    value: Option<String>,
    list_delimiter: Option<String>,
}

#[derive(Debug, Serialize)]
struct ChildView {
    name: String,
    format: String,
    access: Vec<&'static str>,
}

fn ddf_dir(arg: Option<&PathBuf>) -> Option<PathBuf> {
    arg.cloned()
        .or_else(|| std::env::var_os(DDF_DIR_ENV).map(PathBuf::from))
}

fn view(node: &DdfNode) -> (String, Vec<&'static str>) {
    (
        node.props.format.name().to_owned(),
        node.props.access.names(),
    )
}

/// Whether a catalog CSP path (`./Vendor/MSFT/WiFi/Profile/~SSID~/WlanXml`, with `!scope=…`
/// markers and `@…@` placeholders) can name `uri`.
fn csp_path_matches(pattern: &str, uri: &OmaUri) -> bool {
    let cleaned: String = pattern
        .replace("!scope=Device", "")
        .replace("!scope=User", "");
    let Some(p) = OmaUri::parse(&cleaned) else {
        return false;
    };
    let (a, b) = (&p.segments, &uri.segments);
    // Catalog paths may omit `./Vendor/MSFT` (`CM_CellularEntries/…`, `RootCATrustedCertificates/…`).
    let offset = if a.first().map(String::as_str) != Some("Vendor")
        && b.first().map(String::as_str) == Some("Vendor")
        && b.len() >= 2
    {
        2
    } else {
        0
    };
    let b = &b[offset.min(b.len())..];
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x.starts_with('~') && x.ends_with('~'))
                || (x.starts_with('@') && x.ends_with('@'))
                || x.contains("$(")
                || x.eq_ignore_ascii_case(y)
        })
}

fn show_cmd(args: &CspShowArgs) -> Result<u8> {
    let uri = OmaUri::parse(&args.uri)
        .ok_or_else(|| anyhow!("{:?} is not an OMA-URI (an empty segment?)", args.uri))?;
    let catalog = Catalog::builtin();
    let mut wcd: Vec<String> = catalog
        .iter()
        .filter(|s| {
            s.csp
                .as_ref()
                .is_some_and(|c| csp_path_matches(&c.path, &uri))
        })
        .map(|s| s.path.clone())
        .collect();
    wcd.dedup();
    let Some(dir) = ddf_dir(args.ddf.as_ref()) else {
        return Err(anyhow!(
            "no DDF folder: pass --ddf DIR or set {DDF_DIR_ENV} to a folder of Microsoft's DDF v2 \
             files (ppkg does not ship them){}",
            if wcd.is_empty() {
                String::new()
            } else {
                format!("; WCD settings writing this URI: {}", wcd.join(", "))
            }
        ));
    };
    let set = DdfSet::load_dir(&dir)
        .with_context(|| format!("loading the DDF files in {}", dir.display()))?;
    let Some(found) = set.resolve(&args.uri) else {
        let mut roots: Vec<String> = set.tree().roots().map(|(u, _)| u).collect();
        roots.sort();
        let near: Vec<&String> = roots
            .iter()
            .filter(|r| {
                let last = r.rsplit('/').next().unwrap_or("");
                uri.segments.iter().any(|s| s.eq_ignore_ascii_case(last))
            })
            .collect();
        let mut msg = format!("{uri} is not a node of the DDF files in {}", dir.display());
        if !near.is_empty() {
            msg.push_str(&format!(
                "; the CSP root is {}",
                near.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            msg.push_str(&format!("; loaded roots: {}", roots.join(", ")));
        }
        if !wcd.is_empty() {
            msg.push_str(&format!("; WCD settings writing it: {}", wcd.join(", ")));
        }
        return Err(Invalid(msg).into());
    };
    let node = found.node;
    let p = &node.props;
    let file = set
        .files()
        .nth(found.file)
        .and_then(|(path, _)| path.map(|p| p.display().to_string()));
    let (format, access) = view(node);
    let v = NodeView {
        uri: found.uri.to_string(),
        root: found.root.clone(),
        file,
        name: node.display_name(),
        instances: found.instances.clone(),
        format,
        access,
        occurrence: p.occurrence.as_ref().map(|o| format!("{o:?}")),
        scope: p.scope.as_ref().map(|s| format!("{s:?}")),
        description: p.description.as_ref().map(|d| d.trim().to_owned()),
        default: p.default_value.clone(),
        mime: p
            .df_type
            .mime
            .iter()
            .filter(|m| !m.trim().is_empty())
            .cloned()
            .collect(),
        allowed_values: p.allowed_values.as_ref().map(|a| AllowedView {
            value_type: format!("{:?}", a.value_type),
            values: a
                .enums
                .iter()
                .map(|e| (e.value.clone(), e.description.clone()))
                .collect(),
            value: a.value.clone(),
            list_delimiter: a.list_delimiter(),
        }),
        os_build: p
            .applicability
            .as_ref()
            .and_then(|a| a.os_build_version.clone()),
        csp_version: p.applicability.as_ref().and_then(|a| a.csp_version.clone()),
        editions: p
            .applicability
            .as_ref()
            .and_then(|a| a.edition_allow_list.clone()),
        deprecated: p
            .deprecated
            .as_ref()
            .map(|d| d.os_build_deprecated.clone().unwrap_or_default()),
        children: node
            .children
            .iter()
            .map(|c| {
                let (format, access) = view(c);
                ChildView {
                    name: c.display_name(),
                    format,
                    access,
                }
            })
            .collect(),
        wcd_settings: wcd,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(0);
    }
    print_view(&mut out, &v)?;
    Ok(0)
}

fn print_view(out: &mut impl Write, v: &NodeView) -> std::io::Result<()> {
    writeln!(out, "{}", v.uri)?;
    let line = |out: &mut dyn Write, k: &str, val: &str| {
        if val.is_empty() {
            writeln!(out, "  {k}")
        } else {
            writeln!(out, "  {k:<14}{val}")
        }
    };
    line(out, "node:", &v.name)?;
    line(
        out,
        "CSP root:",
        &match &v.file {
            Some(f) => format!("{} ({f})", v.root),
            None => v.root.clone(),
        },
    )?;
    for (node, seg) in &v.instances {
        line(out, "instance:", &format!("{node} = {seg}"))?;
    }
    line(out, "format:", &v.format)?;
    line(out, "access:", &v.access.join(", "))?;
    if let Some(o) = &v.occurrence {
        line(out, "occurrence:", o)?;
    }
    if let Some(s) = &v.scope {
        line(out, "scope:", s)?;
    }
    if !v.mime.is_empty() {
        line(out, "MIME type:", &v.mime.join(", "))?;
    }
    if let Some(d) = &v.default {
        line(out, "default:", d)?;
    }
    if let Some(a) = &v.allowed_values {
        line(out, "allowed:", &a.value_type)?;
        if let Some(val) = &a.value {
            writeln!(out, "    {val}")?;
        }
        for (val, desc) in &a.values {
            match desc {
                Some(d) => writeln!(out, "    {val} = {}", d.trim())?,
                None => writeln!(out, "    {val}")?,
            }
        }
        if let Some(d) = &a.list_delimiter {
            line(out, "list delimiter:", &format!("{d:?}"))?;
        }
    }
    if let Some(b) = &v.os_build {
        line(out, "OS build:", b)?;
    }
    if let Some(c) = &v.csp_version {
        line(out, "CSP version:", c)?;
    }
    if let Some(e) = &v.editions {
        line(out, "editions:", e)?;
    }
    if let Some(d) = &v.deprecated {
        line(out, "deprecated:", d)?;
    }
    if let Some(d) = &v.description {
        line(out, "description:", "")?;
        for l in d.lines() {
            writeln!(out, "    {}", l.trim())?;
        }
    }
    if !v.children.is_empty() {
        line(out, "children:", "")?;
        for c in &v.children {
            writeln!(
                out,
                "    {} ({}; {})",
                c.name,
                c.format,
                c.access.join(", ")
            )?;
        }
    }
    if !v.wcd_settings.is_empty() {
        line(out, "WCD settings:", "")?;
        for s in &v.wcd_settings {
            writeln!(out, "    {s}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_patterns_match_uris() {
        let uri = OmaUri::parse("./Vendor/MSFT/WiFi/Profile/Lab%20Net/WlanXml").unwrap();
        assert!(csp_path_matches(
            "./Vendor/MSFT/WiFi/Profile/~SSID~/WlanXml",
            &uri
        ));
        assert!(!csp_path_matches(
            "./Vendor/MSFT/WiFi/Profile/~SSID~/Proxy",
            &uri
        ));
        let dev =
            OmaUri::parse("./Device/Vendor/MSFT/Provisioning/Enrollments/a@b/AuthPolicy").unwrap();
        assert!(csp_path_matches(
            "./Vendor/MSFT/Provisioning/Enrollments/~UPN~/AuthPolicy",
            &dev
        ));
    }
}
