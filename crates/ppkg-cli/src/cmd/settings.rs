//! `ppkg settings search TERM` and `ppkg settings show PATH`: lookups in csp-model's settings
//! catalog (WCD's settings store for all seven editions plus the learned overlay).
//!
//! Search ranking (higher first, ties by shorter path then path order): for each word of the
//! term (all must match, ASCII case-insensitive) the best of: the setting's name equals the word
//! (100), starts with it (80), contains it (60); the path contains it (40); the display name
//! contains it (35); the CSP path or registry path contains it (30); the name is within a small
//! edit distance (Levenshtein ≤ max(1, len/4): 20); the word's letters appear in order in a name
//! starting with the same letter and at most three times as long (a subsequence, 10). The catalog has no descriptions beyond WCD's display names.

use std::io::Write;

use anyhow::{bail, Result};
use csp_model::catalog::{Catalog, Edition, Origin, Setting, SettingKind};
use serde::Serialize;

use crate::cli::{SettingsArgs, SettingsCommand, SettingsSearchArgs, SettingsShowArgs};
use crate::cmd::Invalid;

pub(crate) fn run(args: &SettingsArgs) -> Result<u8> {
    match &args.command {
        SettingsCommand::Search(a) => search_cmd(a),
        SettingsCommand::Show(a) => show_cmd(a),
    }
}

/// One search hit.
#[derive(Debug, Serialize)]
struct Hit {
    path: String,
    kind: String,
    display_name: Option<String>,
    csp_path: Option<String>,
    score: u32,
}

fn search_cmd(args: &SettingsSearchArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let term = args.term.trim();
    if term.is_empty() {
        bail!("the search term is empty");
    }
    let mut hits = search(catalog, term);
    let total = hits.len();
    hits.truncate(args.limit);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "term": term, "total": total, "results": hits }),
        )?;
        writeln!(out)?;
        return Ok(0);
    }
    if hits.is_empty() {
        writeln!(out, "no setting matches {term:?}")?;
        return Ok(0);
    }
    for h in &hits {
        write!(out, "{}  [{}]", h.path, h.kind)?;
        if let Some(d) = &h.display_name {
            write!(out, "  {d}")?;
        }
        writeln!(out)?;
        if let Some(c) = &h.csp_path {
            writeln!(out, "    CSP {c}")?;
        }
    }
    if total > hits.len() {
        writeln!(
            out,
            "({} of {total} shown; --limit N shows more)",
            hits.len()
        )?;
    }
    Ok(0)
}

/// Every matching path of `catalog`, ranked (see the module documentation).
fn search(catalog: &Catalog, term: &str) -> Vec<Hit> {
    let words: Vec<String> = term
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let mut hits = Vec::new();
    for path in catalog.paths() {
        let Some(s) = catalog.get(path) else { continue };
        let mut total = 0;
        let mut all = true;
        for w in &words {
            let sc = score(s, w);
            if sc == 0 {
                all = false;
                break;
            }
            total += sc;
        }
        if all {
            hits.push(Hit {
                path: s.path.clone(),
                kind: s.kind.to_string(),
                display_name: s.display_name.clone(),
                csp_path: s.csp.as_ref().map(|c| c.path.clone()),
                score: total,
            });
        }
    }
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.path.len().cmp(&b.path.len()))
            .then(a.path.cmp(&b.path))
    });
    hits
}

fn score(s: &Setting, word: &str) -> u32 {
    let name = s.name.to_ascii_lowercase();
    let lower = |t: &str| t.to_ascii_lowercase();
    if name == word {
        100
    } else if name.starts_with(word) {
        80
    } else if name.contains(word) {
        60
    } else if lower(&s.path).contains(word) {
        40
    } else if s
        .display_name
        .as_deref()
        .is_some_and(|d| lower(d).contains(word))
    {
        35
    } else if s
        .csp
        .as_ref()
        .is_some_and(|c| lower(&c.path).contains(word))
        || s.registry
            .as_ref()
            .is_some_and(|r| lower(&r.path).contains(word))
    {
        30
    } else if word.len() >= 4 && levenshtein(&name, word) <= (word.len() / 4).max(1) {
        20
    } else if word.len() >= 3
        && name.len() <= word.len() * 3
        && name.chars().next() == word.chars().next()
        && is_subsequence(word, &name)
    {
        10
    } else {
        0
    }
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut it = hay.chars();
    needle.chars().all(|c| it.any(|h| h == c))
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// One variant of a setting, as `settings show` prints it.
#[derive(Debug, Serialize)]
struct Shown {
    path: String,
    name: String,
    kind: String,
    display_name: Option<String>,
    editions: Vec<&'static str>,
    required: bool,
    default: Vec<String>,
    min: Option<i64>,
    max: Option<i64>,
    min_length: Option<u32>,
    max_length: Option<u32>,
    pattern: Option<String>,
    allowed_value_reference: Option<String>,
    values: Vec<ShownValue>,
    file_extensions_or_keys: Vec<String>,
    csp_path: Option<String>,
    csp_action: Option<String>,
    registry_path: Option<String>,
    key_attribute: Option<String>,
    item_element: Option<String>,
    atomic_root: Option<String>,
    settings_group: Option<String>,
    apply_levels: Vec<(&'static str, u8)>,
    apply_after: Vec<String>,
    requires_reboot: bool,
    /// `WCD settings store (ICD 2019.625)` or the overlay's source.
    store: String,
    children: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ShownValue {
    value: String,
    label: Option<String>,
}

/// The catalog path for what the user typed: leading `/` optional, list and map keys
/// (`UPN[enroll@x]`, `UPN[UPN=enroll@x]`, as `inspect` prints them) dropped.
fn catalog_path(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 1);
    let mut depth = 0usize;
    for c in input.trim().chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.trim_end_matches('/');
    if out.starts_with('/') {
        out.to_owned()
    } else {
        format!("/{out}")
    }
}

fn show(catalog: &Catalog, s: &Setting) -> Shown {
    Shown {
        path: s.path.clone(),
        name: s.name.clone(),
        kind: s.kind.to_string(),
        display_name: s.display_name.clone(),
        editions: s.editions.iter().map(Edition::name).collect(),
        required: s.required,
        default: s.default.clone(),
        min: s.constraints.min,
        max: s.constraints.max,
        min_length: s.constraints.min_length,
        max_length: s.constraints.max_length,
        pattern: s.constraints.pattern.clone(),
        allowed_value_reference: s.constraints.allowed_value_reference.clone(),
        values: s
            .values
            .iter()
            .map(|v| ShownValue {
                value: v.value.clone(),
                label: v.label.clone(),
            })
            .collect(),
        file_extensions_or_keys: s
            .validation_subkeys
            .iter()
            .map(|v| v.name.clone())
            .collect(),
        csp_path: s.csp.as_ref().map(|c| c.path.clone()),
        csp_action: s.csp.as_ref().map(|c| format!("{:?}", c.action)),
        registry_path: s
            .registry
            .as_ref()
            .map(|r| r.path.clone())
            .filter(|p| !p.is_empty()),
        key_attribute: s.key_attribute.clone(),
        item_element: s.item_element.clone(),
        atomic_root: s.atomic_root.clone(),
        settings_group: s.settings_group.clone(),
        apply_levels: Edition::ALL
            .into_iter()
            .filter_map(|e| s.apply_level(e).map(|l| (e.name(), l)))
            .collect(),
        apply_after: s.apply.after.clone(),
        requires_reboot: s.apply.requires_reboot,
        store: match &s.origin {
            Origin::Store => "WCD settings store (ICD 2019.625)".to_owned(),
            Origin::Overlay(from) => format!("overlay learned from {from}"),
            _ => "unknown".to_owned(),
        },
        children: catalog
            .children(&s.path)
            .map(|c| format!("{} [{}]", c.name, c.kind))
            .collect(),
    }
}

fn show_cmd(args: &SettingsShowArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let path = catalog_path(&args.path);
    let variants: Vec<&Setting> = catalog.variants(&path).collect();
    if variants.is_empty() {
        let near = catalog.nearest(&path, 5);
        let mut msg = format!("{path} is not a setting of the catalog");
        if !near.is_empty() {
            msg.push_str("; did you mean: ");
            msg.push_str(&near.join(", "));
        }
        msg.push_str(" (ppkg settings search TERM finds settings by name)");
        return Err(Invalid(msg).into());
    }
    let shown: Vec<Shown> = variants.iter().map(|s| show(catalog, s)).collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &shown)?;
        writeln!(out)?;
        return Ok(0);
    }
    for (i, s) in shown.iter().enumerate() {
        if shown.len() > 1 {
            writeln!(
                out,
                "{}variant {} of {} ({})",
                if i > 0 { "\n" } else { "" },
                i + 1,
                shown.len(),
                s.editions.join(",")
            )?;
        }
        print_shown(&mut out, s)?;
    }
    Ok(0)
}

fn print_shown(out: &mut impl Write, s: &Shown) -> std::io::Result<()> {
    writeln!(out, "{}", s.path)?;
    let line = |out: &mut dyn Write, k: &str, v: &str| {
        if v.is_empty() {
            writeln!(out, "  {k}")
        } else {
            writeln!(out, "  {k:<16}{v}")
        }
    };
    if let Some(d) = &s.display_name {
        line(out, "display name:", d)?;
    }
    line(out, "type:", &s.kind)?;
    line(out, "editions:", &s.editions.join(", "))?;
    if s.required {
        line(out, "required:", "yes")?;
    }
    if !s.default.is_empty() {
        line(out, "default:", &s.default.join(", "))?;
    }
    let limits: Vec<String> = [
        s.min.map(|v| format!("min {v}")),
        s.max.map(|v| format!("max {v}")),
        s.min_length.map(|v| format!("min length {v}")),
        s.max_length.map(|v| format!("max length {v}")),
        s.pattern.as_ref().map(|p| format!("pattern {p}")),
        s.allowed_value_reference
            .as_ref()
            .map(|r| format!("values of {r}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !limits.is_empty() {
        line(out, "limits:", &limits.join(", "))?;
    }
    if !s.values.is_empty() {
        line(out, "values:", "")?;
        for v in &s.values {
            match &v.label {
                Some(l) => writeln!(out, "    {} = {l}", v.value)?,
                None => writeln!(out, "    {}", v.value)?,
            }
        }
    }
    if !s.file_extensions_or_keys.is_empty() {
        let k = if s.kind == SettingKind::Asset.to_string() {
            "file types:"
        } else {
            "keys:"
        };
        line(out, k, &s.file_extensions_or_keys.join(", "))?;
    }
    if let Some(c) = &s.csp_path {
        line(
            out,
            "CSP path:",
            &format!("{c} ({})", s.csp_action.as_deref().unwrap_or("")),
        )?;
    }
    if let Some(r) = &s.registry_path {
        line(out, "registry:", r)?;
    }
    if let Some(k) = &s.key_attribute {
        line(out, "item key:", k)?;
    }
    if let Some(k) = &s.item_element {
        line(out, "item element:", k)?;
    }
    if let Some(a) = &s.atomic_root {
        line(out, "atomic root:", a)?;
    }
    if let Some(g) = &s.settings_group {
        line(out, "SettingsGroup:", g)?;
    }
    if !s.apply_levels.is_empty() {
        let levels: Vec<String> = s
            .apply_levels
            .iter()
            .map(|(e, l)| format!("{e} {l}"))
            .collect();
        line(out, "apply level:", &levels.join(", "))?;
    }
    if !s.apply_after.is_empty() {
        line(out, "applied after:", &s.apply_after.join(", "))?;
    }
    if s.requires_reboot {
        line(out, "reboot:", "required")?;
    }
    line(out, "store:", &s.store)?;
    if !s.children.is_empty() {
        line(out, "children:", "")?;
        for c in &s.children {
            writeln!(out, "    {c}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_missing_slash_are_dropped() {
        assert_eq!(
            catalog_path("Workplace/Enrollments/UPN[UPN=a@b]/AuthPolicy"),
            "/Workplace/Enrollments/UPN/AuthPolicy"
        );
        assert_eq!(catalog_path("/Accounts/"), "/Accounts");
    }

    #[test]
    fn exact_name_ranks_first() {
        let hits = search(Catalog::builtin(), "AuthPolicy");
        assert_eq!(hits[0].path, "/Workplace/Enrollments/UPN/AuthPolicy");
        // A typo still finds it (edit distance), ranked lower than exact hits.
        let typo = search(Catalog::builtin(), "AuthPolcy");
        assert!(typo
            .iter()
            .any(|h| h.path == "/Workplace/Enrollments/UPN/AuthPolicy"));
        assert!(search(Catalog::builtin(), "zzqqxx-no-such").is_empty());
    }
}
