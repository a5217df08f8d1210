//! `ppkg diff`: metadata and setting differences between two packages, and which one wins.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::cli::DiffArgs;
use crate::cmd::inspect::{build_report, is_secret_name, Report};
use crate::cmd::mask;

#[derive(Debug, Serialize)]
struct Diff {
    a: String,
    b: String,
    metadata: Vec<Change>,
    settings: Vec<Change>,
    /// `"a"`, `"b"` or `"tie"`.
    winner: &'static str,
    reason: String,
}

#[derive(Debug, Serialize)]
struct Change {
    key: String,
    a: Option<String>,
    b: Option<String>,
}

pub(crate) fn run(args: &DiffArgs) -> Result<u8> {
    let password = crate::secrets::resolve(
        args.password.as_deref(),
        args.password_file.as_deref(),
        crate::secrets::PASSWORD_ENV,
        "--password",
    )?;
    // Compare the real values (a changed secret is a change), then mask what is shown.
    let a = build_report(&args.a, password.as_deref(), true)?;
    let b = build_report(&args.b, password.as_deref(), true)?;
    let mut d = diff(&a, &b);
    if !args.show_secrets {
        for c in &mut d.settings {
            let last = c.key.rsplit('/').next().unwrap_or_default();
            if is_secret_name(last) {
                for v in [&mut c.a, &mut c.b].into_iter().flatten() {
                    *v = mask(v, true, false);
                }
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &d)?;
        writeln!(out)?;
    } else {
        writeln!(out, "--- {}\n+++ {}", d.a, d.b)?;
        for (title, list) in [("metadata", &d.metadata), ("settings", &d.settings)] {
            writeln!(out, "\n{title}: {} difference(s)", list.len())?;
            for c in list {
                match (&c.a, &c.b) {
                    (Some(x), Some(y)) => writeln!(out, "~ {}: {x} -> {y}", c.key)?,
                    (Some(x), None) => writeln!(out, "- {} = {x}", c.key)?,
                    (None, Some(y)) => writeln!(out, "+ {} = {y}", c.key)?,
                    (None, None) => {}
                }
            }
        }
        writeln!(out, "\nprecedence: {} ({})", d.winner, d.reason)?;
    }
    Ok(if d.metadata.is_empty() && d.settings.is_empty() {
        0
    } else {
        1
    })
}

/// Precedence between installed packages: owner type first (Microsoft lowest … IT Admin highest),
/// then rank (0–99) among packages of the same owner type. Source: Microsoft, "How provisioning
/// works in Windows", *Precedence for provisioning packages*. That the *higher* rank wins within
/// one owner type is our reading of that page (it lists the range, not the direction).
fn winner(a: &Report, b: &Report) -> (&'static str, String) {
    let key = |r: &Report| {
        (
            r.metadata.altitude.unwrap_or(0),
            r.metadata.rank.unwrap_or(0),
        )
    };
    let (ka, kb) = (key(a), key(b));
    let describe = |r: &Report| {
        format!(
            "{} (altitude {}), rank {}",
            r.metadata.owner_type.as_deref().unwrap_or("?"),
            r.metadata.altitude.unwrap_or(0),
            r.metadata.rank.unwrap_or(0)
        )
    };
    let reason = format!("a: {}; b: {}", describe(a), describe(b));
    match ka.cmp(&kb) {
        std::cmp::Ordering::Greater => ("a", reason),
        std::cmp::Ordering::Less => ("b", reason),
        std::cmp::Ordering::Equal => ("tie", reason),
    }
}

fn diff(a: &Report, b: &Report) -> Diff {
    let meta = |r: &Report| -> BTreeMap<String, String> {
        let m = &r.metadata;
        let mut map = BTreeMap::new();
        map.insert("name".into(), m.name.clone());
        map.insert("version".into(), m.version.clone());
        map.insert(
            "package_id".into(),
            m.package_id.clone().unwrap_or_default(),
        );
        map.insert(
            "owner_type".into(),
            m.owner_type.clone().unwrap_or_default(),
        );
        map.insert(
            "rank".into(),
            m.rank.map(|r| r.to_string()).unwrap_or_default(),
        );
        map.insert("encrypted".into(), r.encrypted.to_string());
        map
    };
    // Variant settings are in `settings` with a `[variant NAME]` prefix; target conditions and
    // variant targets are compared as `[target ID]/state[N]/NAME` and `[variant NAME]/targets`.
    let settings = |r: &Report| -> BTreeMap<String, String> {
        let mut map: BTreeMap<String, String> = r
            .settings
            .iter()
            .map(|s| (s.path.clone(), s.value.clone()))
            .collect();
        for t in &r.targets {
            for (i, state) in t.states.iter().enumerate() {
                for (name, value) in state {
                    map.insert(
                        format!("[target {}]/state[{}]/{name}", t.id, i + 1),
                        value.clone(),
                    );
                }
            }
        }
        for v in &r.variants {
            map.insert(
                format!("[variant {}]/targets", v.name),
                v.targets.join(", "),
            );
        }
        map
    };
    let (winner, reason) = winner(a, b);
    Diff {
        a: a.file.clone(),
        b: b.file.clone(),
        metadata: changes(&meta(a), &meta(b)),
        settings: changes(&settings(a), &settings(b)),
        winner,
        reason,
    }
}

fn changes(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<Change> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| Change {
            key: k.clone(),
            a: a.get(k).cloned(),
            b: b.get(k).cloned(),
        })
        .collect()
}
