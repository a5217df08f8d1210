//! `ppkg inspect`: metadata, settings (answer file and compiled CSP paths), payloads, warnings,
//! and for a multivariant answer file its targets (conditions) and variants (which settings each
//! changes). The input is a package, or a `customizations.xml` answer file (no compiled part).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use ppkg_format::owner::OwnerType;
use ppkg_format::xml::{Element, Node};
use serde::Serialize;

use crate::cli::InspectArgs;
use crate::cmd::{hex, mask};
use crate::io::{is_encrypted, open_package, PackageFile};
use csp_model::validate::Code;
use csp_model::validate::Diagnostic as Diag;

/// Everything `inspect` reports; also the input of `diff`.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) file: String,
    pub(crate) encrypted: bool,
    /// The catalog beside the package (`NAME.cat`), when there is one.
    pub(crate) catalog: Option<Catalog>,
    pub(crate) metadata: Metadata,
    /// Settings of the answer file, in document order.
    pub(crate) settings: Vec<Setting>,
    /// Compiled parms, grouped as RunTime.xml lists them.
    pub(crate) compiled: Vec<Group>,
    pub(crate) payloads: Vec<Payload>,
    /// Every check `validate` runs, placed in the package member they concern.
    pub(crate) diagnostics: Vec<Diag>,
    /// Typed Wi-Fi networks (WCD's and generated WLAN profiles read back).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) wifi: Vec<crate::cmd::wifi_view::WifiView>,
    /// Multivariant targets (`Settings/Customizations/Targets`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) targets: Vec<TargetView>,
    /// Multivariant variants (`Variant` / `Profile`) and the settings each changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) variants: Vec<VariantView>,
}

/// A multivariant `<Target>`: it matches when all conditions of one of its states hold.
#[derive(Debug, Serialize)]
pub(crate) struct TargetView {
    pub(crate) id: String,
    /// Each `<TargetState>`'s conditions (`Name`, `Value` as written: `Pattern:…`, `Range:…`).
    pub(crate) states: Vec<Vec<(String, String)>>,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// A multivariant `<Variant>` or `<Profile>`: the targets it applies to and its settings.
#[derive(Debug, Serialize)]
pub(crate) struct VariantView {
    /// `Name` (the `Profile` form) or `#<n>` in document order.
    pub(crate) name: String,
    pub(crate) targets: Vec<String>,
    /// Setting paths (with map keys) and values, as in [`Report::settings`].
    pub(crate) settings: Vec<Setting>,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// The targets and variants of an answer file.
fn multivariant(
    a: &ppkg_format::answer::AnswerFile,
    show: bool,
) -> (Vec<TargetView>, Vec<VariantView>) {
    let targets = a
        .targets()
        .unwrap_or_default()
        .into_iter()
        .map(|t| TargetView {
            id: t.id,
            states: t
                .states
                .into_iter()
                .map(|s| s.into_iter().map(|c| (c.name, c.value)).collect())
                .collect(),
            line: t.pos.line,
            column: t.pos.column,
        })
        .collect();
    let variants = a
        .variants()
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let mut settings = Vec::new();
            if let Some(s) = v.settings {
                for c in s.elements() {
                    collect_settings(c, "", &mut settings, show);
                }
            }
            VariantView {
                name: v.name.clone().unwrap_or_else(|| format!("#{}", i + 1)),
                targets: v.target_refs.clone(),
                settings,
                line: v.element.pos.line,
                column: v.element.pos.column,
            }
        })
        .collect();
    (targets, variants)
}

/// Whether `path` holds a package (WIM magic, or an encrypted package) rather than an answer
/// file.
fn is_package(path: &Path) -> Result<bool> {
    if is_encrypted(path)? {
        return Ok(true);
    }
    let mut head = [0u8; 8];
    let n = {
        use std::io::Read as _;
        let mut f = crate::io::open_file(path)?;
        f.read(&mut head)?
    };
    Ok(n < 8 || head.starts_with(b"MSWIM\0\0\0"))
}

/// The report of an answer file: its PackageConfig, settings, targets and variants (nothing is
/// compiled).
fn answer_report(path: &Path, show: bool) -> Result<Report> {
    let bytes = crate::io::read_input(path)?;
    let a = ppkg_format::answer::AnswerFile::parse(&bytes)
        .with_context(|| format!("{}: neither a package nor an answer file", path.display()))?;
    let config = a.package_config().ok();
    let mut settings = Vec::new();
    if let Some(common) = a.common().filter(|c| c.has_elements()) {
        collect_settings(common, "", &mut settings, show);
    }
    let (targets, variants) = multivariant(&a, show);
    for v in &variants {
        for s in &v.settings {
            settings.push(Setting {
                path: format!("[variant {}]{}", v.name, s.path),
                value: s.value.clone(),
                masked: s.masked,
                line: s.line,
                column: s.column,
            });
        }
    }
    Ok(Report {
        file: path.display().to_string(),
        encrypted: false,
        catalog: None,
        metadata: Metadata {
            name: config.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            version: config
                .as_ref()
                .map(|c| c.version.clone())
                .unwrap_or_default(),
            package_id: config.as_ref().and_then(|c| c.id_braced()),
            owner_type: config.as_ref().map(|c| c.owner_type.to_string()),
            altitude: config.as_ref().map(|c| c.owner_type.altitude()),
            rank: config.as_ref().map(|c| c.rank),
            notes: String::new(),
            files: 0,
            folders: 0,
            total_bytes: 0,
        },
        settings,
        compiled: Vec::new(),
        payloads: Vec::new(),
        diagnostics: csp_model::validate::validate(
            &a,
            csp_model::Catalog::builtin(),
            csp_model::Edition::Desktop,
        )
        .into_diagnostics()
        .into_iter()
        .map(|d| d.in_file(path.display().to_string()))
        .collect(),
        wifi: Vec::new(),
        targets,
        variants,
    })
}

/// Whether `NAME.cat` beside the package signs it.
#[derive(Debug, Serialize)]
pub(crate) struct Catalog {
    pub(crate) path: String,
    /// The catalog's signature verifies and the package's SHA-256 is one of its members.
    pub(crate) matches: bool,
    /// Signer subject (when the catalog could be read).
    pub(crate) signer: Option<String>,
    /// Signer certificate SHA-1 thumbprint (what TrustedProvisioners must hold).
    pub(crate) signer_thumbprint: Option<String>,
    /// Why it does not match.
    pub(crate) problem: Option<String>,
}

fn catalog_status(path: &Path) -> Option<Catalog> {
    let cat = ppkg_sign::catalog_path(path);
    if !cat.is_file() {
        return None;
    }
    let display = cat.display().to_string();
    Some(match ppkg_sign::verify_beside(path) {
        Ok(Some(info)) => Catalog {
            path: display,
            matches: true,
            signer: Some(info.signer.subject),
            signer_thumbprint: Some(info.signer.thumbprint),
            problem: None,
        },
        Ok(None) => return None,
        Err(e) => Catalog {
            path: display,
            matches: false,
            signer: None,
            signer_thumbprint: None,
            problem: Some(e.to_string()),
        },
    })
}

#[derive(Debug, Serialize)]
pub(crate) struct Metadata {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) package_id: Option<String>,
    pub(crate) owner_type: Option<String>,
    pub(crate) altitude: Option<u32>,
    pub(crate) rank: Option<u8>,
    pub(crate) notes: String,
    pub(crate) files: u64,
    pub(crate) folders: u64,
    pub(crate) total_bytes: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Setting {
    /// `/Workplace/Enrollments/UPN[UPN=enroll@example.com]/AuthPolicy`.
    pub(crate) path: String,
    pub(crate) value: String,
    /// Whether `value` is masked (a secret shown as `<hidden>`; `--show-secrets` shows it).
    pub(crate) masked: bool,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

#[derive(Debug, Serialize)]
pub(crate) struct Group {
    pub(crate) file: String,
    pub(crate) settings_group: String,
    pub(crate) parms: Vec<CompiledParm>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CompiledParm {
    /// The CSP path (`Provisioning/Enrollments/enroll@example.com/AuthPolicy`).
    pub(crate) csp_path: String,
    pub(crate) value: String,
    /// Whether `value` is masked, in whole or (an embedded WLAN profile's key) in part.
    pub(crate) masked: bool,
    pub(crate) datatype: Option<String>,
    pub(crate) settings_path: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Payload {
    pub(crate) setting_path: String,
    pub(crate) file_name: String,
    pub(crate) size: u64,
    pub(crate) sha256: Option<String>,
    pub(crate) hash_matches_key: bool,
}

pub(crate) fn run(args: &InspectArgs) -> Result<u8> {
    let password = crate::secrets::resolve(
        args.password.as_deref(),
        args.password_file.as_deref(),
        crate::secrets::PASSWORD_ENV,
        "--password",
    )?;
    let report = build_report(&args.file, password.as_deref(), args.show_secrets)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &report)?;
    }
    Ok(0)
}

/// Hides the `<keyMaterial>` of an embedded WLAN profile (WiFi CSP `WlanXml`) unless `show`.
pub(crate) fn mask_embedded(value: &str, show: bool) -> String {
    const OPEN: &str = "<keyMaterial>";
    const CLOSE: &str = "</keyMaterial>";
    if show {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find(OPEN) {
        let start = i + OPEN.len();
        let Some(len) = rest[start..].find(CLOSE) else {
            break;
        };
        out.push_str(&rest[..start]);
        // The text content is replaced, escaped, so that the XML stays well-formed and reads
        // `<hidden>` once parsed; the markup is kept.
        if rest[start..start + len].is_empty() {
            out.push_str(&rest[start..start + len]);
        } else {
            out.push_str("&lt;hidden&gt;");
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

pub(crate) use ppkg_format::provxml::is_secret_name;

pub(crate) fn build_report(path: &Path, password: Option<&str>, show: bool) -> Result<Report> {
    if !is_package(path)? {
        return answer_report(path, show);
    }
    let encrypted = is_encrypted(path)?;
    let mut pkg = open_package(path, password)?;
    // Every file's SHA-1 and XPRESS data are checked first: a damaged package is an error, not
    // a report that looks fine (inspect and diff both come through here).
    crate::io::verify_all(pkg.wim())
        .with_context(|| format!("{}: damaged package", path.display()))?;
    let info = pkg.image_info().clone();
    // The true count: WCD's FILECOUNT is files + folders − 4 (ppkg_format::wim::FileCount).
    let file_count = pkg.wim().entries().iter().filter(|e| !e.is_dir).count() as u64;
    let answer = pkg.answer_file()?;
    let config = answer.as_ref().and_then(|a| a.package_config().ok());
    let owner = info.altitude.and_then(OwnerType::from_altitude);
    let metadata = Metadata {
        name: info.name.clone(),
        version: info.version.clone(),
        package_id: info.package_id.clone(),
        owner_type: owner
            .map(|o| o.to_string())
            .or_else(|| config.as_ref().map(|c| c.owner_type.to_string())),
        altitude: info.altitude,
        rank: config.as_ref().map(|c| c.rank),
        notes: info.notes.clone(),
        files: file_count,
        folders: info.dir_count,
        total_bytes: info.total_bytes,
    };
    let mut settings = Vec::new();
    let (targets, variants) = answer
        .as_ref()
        .map(|a| multivariant(a, show))
        .unwrap_or_default();
    if let Some(a) = &answer {
        if let Some(common) = a.common() {
            collect_settings(common, "", &mut settings, show);
        }
        for v in a.variants() {
            if let Some(s) = v.settings {
                let prefix = format!("[variant {}]", v.name.as_deref().unwrap_or("?"));
                for c in s.elements() {
                    collect_settings(c, &prefix, &mut settings, show);
                }
            }
        }
    }
    let compiled = compiled_groups(&mut pkg, show)?;
    let wifi = crate::cmd::wifi_view::typed_wifi(&mut pkg, answer.as_ref(), show)?;
    let asset_infos = pkg.assets()?;
    let payloads = asset_infos
        .iter()
        .cloned()
        .map(|a| Payload {
            setting_path: a.setting_path,
            file_name: a.file_name,
            size: a.size,
            sha256: a.sha256.as_ref().map(|h| hex(h)),
            hash_matches_key: a.hash_matches_key,
        })
        .collect::<Vec<_>>();
    let file = path.display().to_string();
    let mut diagnostics = Vec::new();
    for (p, a) in payloads.iter().zip(&asset_infos) {
        if !p.hash_matches_key {
            diagnostics.push(
                Diag::field(
                    Code::PayloadHashMismatch,
                    p.setting_path.clone(),
                    format!(
                        "payload {}: its SHA-256 does not match the hash in its DataAsset key",
                        p.file_name
                    ),
                )
                .in_file(file.clone())
                .in_member(a.wim_path.clone().unwrap_or_default())
                .unplaced_because("the finding is about a whole payload file"),
            );
        }
    }
    if let Some(a) = &answer {
        diagnostics.extend(crate::cmd::validate::package_checks(
            &mut pkg,
            a,
            &file,
            "Multivariant/0/customizations.xml",
            csp_model::Edition::Desktop,
        ));
    }
    let catalog = catalog_status(path);
    if let Some(c) = &catalog {
        if !c.matches {
            diagnostics.push(
                Diag::field(
                    Code::SignatureProblem,
                    "",
                    format!(
                        "catalog {} does not match this package: {}",
                        c.path,
                        c.problem.as_deref().unwrap_or("?")
                    ),
                )
                .in_file(file.clone())
                .unplaced_because("the finding is about the .cat file beside the package"),
            );
        }
    }
    Ok(Report {
        file: path.display().to_string(),
        encrypted,
        catalog,
        metadata,
        settings,
        compiled,
        payloads,
        diagnostics,
        wifi,
        targets,
        variants,
    })
}

fn compiled_groups(
    pkg: &mut ppkg_format::layout::Package<PackageFile>,
    show: bool,
) -> Result<Vec<Group>> {
    let runtime = pkg.runtime()?;
    let docs = pkg.provxml()?;
    let mut groups = Vec::new();
    for (file, doc) in &docs {
        let settings_group = runtime
            .as_ref()
            .and_then(|r| r.sets.iter().find(|s| s.file_name() == Some(file.as_str())))
            .map(|s| s.settings_group.clone())
            .unwrap_or_default();
        let parms = doc
            .parms()
            .into_iter()
            .map(|(path, parm)| {
                let mut csp = path.join("/");
                if !csp.is_empty() {
                    csp.push('/');
                }
                csp.push_str(&parm.name);
                let secret = is_secret_name(&parm.name)
                    || parm.settings_path.as_deref().is_some_and(is_secret_name);
                let raw = parm.value.as_deref().unwrap_or_default();
                let value = mask_embedded(&mask(raw, secret, show), show);
                CompiledParm {
                    csp_path: csp,
                    masked: value != raw,
                    value,
                    datatype: parm.datatype.clone(),
                    settings_path: parm.settings_path.clone(),
                }
            })
            .collect();
        groups.push(Group {
            file: file.clone(),
            settings_group,
            parms,
        });
    }
    Ok(groups)
}

/// Walks a settings subtree: every element with text and no child elements is a setting;
/// list items are written with their key attribute in the one path syntax of
/// [`ppkg::format::path`] (`UPN[enroll@example.com]`, `ClientCertificate[CertificateName=Dev]`),
/// so a path shown here can be pasted into a bulk column or a profile's `[[settings]]`. WCD's
/// redundant `Name` attribute is left out when the item has another key.
pub(crate) fn collect_settings(el: &Element, prefix: &str, out: &mut Vec<Setting>, show: bool) {
    let attrs: Vec<_> = el
        .attrs
        .iter()
        .filter(|a| !a.name.starts_with("xmlns"))
        .collect();
    let key = attrs
        .iter()
        .find(|a| a.name != "Name")
        .or_else(|| attrs.first());
    let seg = ppkg::format::path::Segment {
        name: el.local_name().to_owned(),
        attrs: key
            .map(|a| vec![(a.name.clone(), a.value.clone())])
            .unwrap_or_default(),
    };
    let path = format!("{prefix}/{seg}");
    let has_children = el.children.iter().any(|n| matches!(n, Node::Element(_)));
    if has_children {
        for c in el.elements() {
            collect_settings(c, &path, out, show);
        }
    } else {
        let secret = is_secret_name(el.local_name());
        let text = el.text();
        out.push(Setting {
            masked: crate::cmd::is_masked(&text, secret, show),
            value: mask(&text, secret, show),
            path,
            line: el.pos.line,
            column: el.pos.column,
        });
    }
}

fn print_text(out: &mut impl Write, r: &Report) -> Result<()> {
    let m = &r.metadata;
    writeln!(out, "Package       {}", r.file)?;
    writeln!(out, "Name          {}", m.name)?;
    writeln!(out, "Version       {}", m.version)?;
    writeln!(
        out,
        "Package ID    {}",
        m.package_id.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "Owner type    {} (altitude {}), rank {}",
        m.owner_type.as_deref().unwrap_or("?"),
        m.altitude.map_or_else(|| "-".into(), |a| a.to_string()),
        m.rank.map_or_else(|| "-".into(), |a| a.to_string())
    )?;
    writeln!(
        out,
        "Encrypted     {}",
        if r.encrypted { "yes" } else { "no" }
    )?;
    match &r.catalog {
        None => writeln!(out, "Signed        no (no catalog beside the package)")?,
        Some(c) if c.matches => writeln!(
            out,
            "Signed        yes: {} matches, signer {}",
            c.path,
            c.signer.as_deref().unwrap_or("?")
        )?,
        Some(c) => writeln!(
            out,
            "Signed        NO: {} does not match ({})",
            c.path,
            c.problem.as_deref().unwrap_or("?")
        )?,
    }
    writeln!(out, "Notes         {}", m.notes)?;
    writeln!(
        out,
        "Contents      {} files, {} folders, {} bytes",
        m.files, m.folders, m.total_bytes
    )?;
    writeln!(out, "\nSettings ({})", r.settings.len())?;
    for s in &r.settings {
        writeln!(out, "  {} = {}", s.path, s.value)?;
    }
    if !r.targets.is_empty() || !r.variants.is_empty() {
        writeln!(out, "\nTargets ({})", r.targets.len())?;
        for t in &r.targets {
            writeln!(out, "  {}  (line {})", t.id, t.line)?;
            for (i, state) in t.states.iter().enumerate() {
                let conds: Vec<String> = state.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                writeln!(
                    out,
                    "    {} {}",
                    if i == 0 { "when" } else { "or  " },
                    conds.join(" and ")
                )?;
            }
        }
        writeln!(out, "\nVariants ({})", r.variants.len())?;
        for v in &r.variants {
            writeln!(
                out,
                "  {}  for {}  (line {}; {} setting(s), not compiled by ppkg)",
                v.name,
                v.targets.join(", "),
                v.line,
                v.settings.len()
            )?;
            for s in &v.settings {
                writeln!(out, "    {} = {}", s.path, s.value)?;
            }
        }
    }
    writeln!(out, "\nCompiled ({} groups)", r.compiled.len())?;
    for g in &r.compiled {
        writeln!(out, "  {}  [{}]", g.file, g.settings_group)?;
        for p in &g.parms {
            writeln!(
                out,
                "    {} = {}{}",
                p.csp_path,
                p.value,
                p.datatype
                    .as_deref()
                    .map(|d| format!("  ({d})"))
                    .unwrap_or_default()
            )?;
        }
    }
    writeln!(out, "\nPayloads ({})", r.payloads.len())?;
    for p in &r.payloads {
        writeln!(
            out,
            "  {}  {} bytes  sha256 {}  ({})",
            p.file_name,
            p.size,
            p.sha256.as_deref().unwrap_or("-"),
            p.setting_path
        )?;
    }
    crate::cmd::wifi_view::print(out, &r.wifi)?;
    if !r.diagnostics.is_empty() {
        writeln!(out, "\nDiagnostics")?;
        crate::report::write_diagnostics(out, &r.diagnostics, "  ")?;
    }
    Ok(())
}
