//! The catalog generator: WCD's settings store dump (`settings-<Edition>.jsonl`,
//! `sequence-<Edition>.tsv`, see the store's `SOURCES.md` and `TYPES.md`) → the compact table
//! `crates/csp-model/data/catalog.tsv` that `csp_model::catalog` embeds.
//!
//! Shared by the `gen-catalog` example (which writes the file) and the `catalog_gen` test (which
//! checks that the committed table is what this code produces), so that building never needs the
//! store. The table format is documented in `csp_model::catalog::table` (the reader); keep both
//! in step and bump the `V` line when the format changes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// The seven store editions, in table column order (`TYPES.md` column order).
pub(crate) const EDITIONS: [&str; 7] = [
    "Common",
    "Desktop",
    "HoloLens",
    "Holographic",
    "IoTUAP",
    "Mobile",
    "Team",
];

/// Table format version written on the `V` line.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Reads the store dump in `store` and returns the table text.
///
/// # Errors
/// A message naming the file and line when a file is missing or a record does not have the
/// shape `SOURCES.md` describes.
pub(crate) fn generate(store: &Path) -> Result<String, String> {
    // path -> list of (projected record line tail, edition mask)
    let mut settings: BTreeMap<PathKey, Vec<(String, u8)>> = BTreeMap::new();
    let mut sequence: BTreeMap<PathKey, SeqAcc> = BTreeMap::new();
    for (bit, edition) in EDITIONS.iter().enumerate() {
        let file = store.join(format!("settings-{edition}.jsonl"));
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?;
            let path = str_field(&v, "path")
                .ok_or_else(|| format!("{}:{}: no path", file.display(), n + 1))?
                .to_owned();
            let tail = project(&v).map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?;
            let variants = settings.entry(PathKey(path)).or_default();
            match variants.iter_mut().find(|(t, _)| *t == tail) {
                Some((_, mask)) => *mask |= 1 << bit,
                None => variants.push((tail, 1 << bit)),
            }
        }
        let file = store.join(format!("sequence-{edition}.tsv"));
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (n, line) in text.lines().enumerate().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                return Err(format!("{}:{}: expected 4+ columns", file.display(), n + 1));
            }
            let level: u8 = cols[2]
                .parse()
                .map_err(|e| format!("{}:{}: level: {e}", file.display(), n + 1))?;
            if !(1..=9).contains(&level) {
                return Err(format!(
                    "{}:{}: level {level} out of 1..=9",
                    file.display(),
                    n + 1
                ));
            }
            let acc = sequence.entry(PathKey(cols[1].to_owned())).or_default();
            if !acc.guid.is_empty() && acc.guid != cols[0] {
                return Err(format!(
                    "{}:{}: {} has two SettingsGroup ids",
                    file.display(),
                    n + 1,
                    cols[1]
                ));
            }
            acc.guid = cols[0].to_owned();
            acc.levels[bit] = Some(level);
            acc.reboot[bit] = Some(cols[3] == "1");
        }
    }

    let mut out = String::new();
    out.push_str(
        "# csp-model settings catalog. GENERATED, do not edit: \
         cargo run -p csp-model --example gen-catalog -- <wcd-store dir>\n",
    );
    out.push_str(
        "# Source: WCD settings store, ICD 2019.625 (shared/reference/wcd-store, see its SOURCES.md).\n",
    );
    out.push_str("# Format: see crates/csp-model/src/catalog/table.rs.\n");
    let _ = writeln!(out, "V\t{FORMAT_VERSION}");
    for (path, variants) in &settings {
        let mut variants = variants.clone();
        // Order variants by their lowest edition bit, so the output is stable.
        variants.sort_by_key(|(_, mask)| mask.trailing_zeros());
        for (tail, mask) in variants {
            let _ = writeln!(out, "S\t{}\t{}\t{}", esc(&path.0), mask_str(mask), tail);
        }
    }
    for (path, acc) in &sequence {
        let levels: String = acc
            .levels
            .iter()
            .map(|l| l.map_or('-', |l| char::from(b'0' + l)))
            .collect();
        let reboot: String = acc
            .reboot
            .iter()
            .map(|r| match r {
                None => '-',
                Some(true) => '1',
                Some(false) => '0',
            })
            .collect();
        let _ = writeln!(
            out,
            "G\t{}\t{}\t{}\t{}",
            esc(&path.0),
            acc.guid,
            levels,
            reboot
        );
    }
    Ok(out)
}

#[derive(Default)]
struct SeqAcc {
    guid: String,
    levels: [Option<u8>; 7],
    reboot: [Option<bool>; 7],
}

/// A setting path ordered by its `/`-separated components (code-point order), the order of the
/// store dump.
#[derive(Clone, PartialEq, Eq)]
struct PathKey(String);

impl Ord for PathKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.split('/').cmp(other.0.split('/'))
    }
}

impl PartialOrd for PathKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

fn mask_str(mask: u8) -> String {
    (0..7)
        .map(|b| if mask & (1 << b) != 0 { '1' } else { '0' })
        .collect()
}

/// Escapes a simple field: `%`, TAB, CR, LF.
pub(crate) fn esc(s: &str) -> String {
    esc_with(s, "%\t\r\n")
}

/// Escapes one atom of a list field: also `|`, `=`, `,`, `;`.
fn esc_atom(s: &str) -> String {
    esc_with(s, "%\t\r\n|=,;")
}

fn esc_with(s: &str, set: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if set.contains(c) {
            let _ = write!(out, "%{:02X}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn num_field(v: &Value, key: &str) -> Result<Option<u64>, String> {
    match v.get(key) {
        None => Ok(None),
        Some(x) => x
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key}: not a number")),
    }
}

fn opt_num(v: &Value, key: &str) -> Result<String, String> {
    Ok(num_field(v, key)?
        .map(|n| n.to_string())
        .unwrap_or_default())
}

/// Checks that a store string holds an integer (Minimum/Maximum are REG_SZ in the hive).
fn int_str(v: &Value, key: &str) -> Result<String, String> {
    match str_field(v, key) {
        None => Ok(String::new()),
        Some(s) => s
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|e| format!("{key} {s:?}: {e}")),
    }
}

/// The columns after `S path editions`, in the order `table.rs` reads them.
pub(crate) fn project(v: &Value) -> Result<String, String> {
    let empty = Value::Object(Default::default());
    let apply = v.get("apply").unwrap_or(&empty);
    let csp = v.get("csp");
    let reg = v.get("registry");
    let validation = v.get("validation").unwrap_or(&empty);
    let visibility = v.get("visibility").unwrap_or(&empty);

    let ty = num_field(v, "type")?.ok_or("no type")?;
    if !(1..=8).contains(&ty) {
        return Err(format!("type {ty} unknown"));
    }
    let mut flags = String::new();
    if num_field(v, "required")? == Some(1) {
        flags.push('R');
    }
    if num_field(visibility, "private")? == Some(1) {
        flags.push('P');
    }
    if num_field(apply, "requires_reboot")? == Some(1) {
        flags.push('B');
    }
    if num_field(apply, "at_first_sim_detect_only")? == Some(1) {
        flags.push('S');
    }
    if let Some(reg) = reg {
        if num_field(reg, "on_last_remove")? == Some(1) {
            flags.push('O');
        }
        if num_field(reg, "text_type")? == Some(2) {
            flags.push('M');
        }
    }
    let apply_after = match str_field(apply, "apply_after_setting") {
        None => String::new(),
        Some(s) => {
            let inner = s
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| format!("apply_after_setting {s:?} not in parentheses"))?;
            inner.split('|').map(esc_atom).collect::<Vec<_>>().join("|")
        }
    };
    let (csp_path, csp_action, csp_context) = match csp {
        None => (String::new(), String::new(), String::new()),
        Some(c) => (
            esc(str_field(c, "path").ok_or("csp without path")?),
            opt_num(c, "action")?,
            opt_num(c, "context")?,
        ),
    };
    let reg_path = match reg {
        None => String::new(),
        Some(r) => esc(str_field(r, "path").ok_or("registry without path")?),
    };
    let default = match v.get("default") {
        None => String::new(),
        Some(d) => d
            .as_array()
            .ok_or("default not a list")?
            .iter()
            .map(|x| x.as_str().map(esc_atom).ok_or("default item not a string"))
            .collect::<Result<Vec<_>, _>>()?
            .join("|"),
    };
    let values = list(v, "values", |x| {
        let value = str_field(x, "value").ok_or("value without value")?;
        Ok(match str_field(x, "display") {
            Some(d) => format!("{}={}", esc_atom(value), esc_atom(d)),
            None => esc_atom(value),
        })
    })?;
    let subkeys = list(v, "validation_subkeys", |x| {
        let name = str_field(x, "name").ok_or("subkey without name")?;
        Ok(match str_field(x, "display") {
            Some(d) => format!("{}={}", esc_atom(name), esc_atom(d)),
            None => esc_atom(name),
        })
    })?;
    let conditions = list(visibility, "conditions", |x| {
        let condition = num_field(x, "condition")?.ok_or("condition without code")?;
        Ok(format!(
            "{},{},{},{},{}",
            esc_atom(str_field(x, "group").unwrap_or("")),
            esc_atom(str_field(x, "index").unwrap_or("")),
            esc_atom(str_field(x, "setting").ok_or("condition without setting")?),
            condition,
            esc_atom(str_field(x, "value").unwrap_or("")),
        ))
    })?;
    let cols = [
        ty.to_string(),
        esc(str_field(v, "key").unwrap_or("")),
        esc(str_field(v, "atomic_root").unwrap_or("")),
        flags,
        opt_num(v, "serialization")?,
        esc(str_field(v, "file_path").unwrap_or("")),
        opt_num(apply, "apply_passes")?,
        apply_after,
        csp_path,
        csp_action,
        csp_context,
        reg_path,
        default,
        int_str(validation, "minimum")?,
        int_str(validation, "maximum")?,
        opt_num(validation, "min_length")?,
        opt_num(validation, "max_length")?,
        esc(str_field(validation, "pattern").unwrap_or("")),
        esc(str_field(validation, "allowed_value_reference").unwrap_or("")),
        values,
        subkeys,
        esc(str_field(visibility, "display_name").unwrap_or("")),
        conditions,
    ];
    Ok(cols.join("\t"))
}

fn list(
    v: &Value,
    key: &str,
    f: impl Fn(&Value) -> Result<String, String>,
) -> Result<String, String> {
    match v.get(key) {
        None => Ok(String::new()),
        Some(items) => Ok(items
            .as_array()
            .ok_or_else(|| format!("{key}: not a list"))?
            .iter()
            .map(f)
            .collect::<Result<Vec<_>, _>>()?
            .join("|")),
    }
}
