//! The catalog generator: WCD's settings stores → the compact table
//! `crates/csp-model/data/catalog.tsv` that `csp_model::catalog` embeds.
//!
//! Inputs, all below the reference folder (`shared/reference/`):
//!
//! - `wcd-store/` (ICD 2019.625, all seven editions: `settings-<Edition>.jsonl`,
//!   `sequence-<Edition>.tsv`, see its `SOURCES.md` and `TYPES.md`);
//! - `wcd-store-22621/settings-Desktop.jsonl` (the Windows 11 22621 desktop store, same record
//!   shape, no sequence table);
//! - the real packages' `Prov/RunTime.xml` + `.provxml` (`ppkg/*.ppkg` and
//!   `ppkg/*_extracted/Multivariant/0/Prov/`), which give the SettingsGroup GUIDs WCD used.
//!
//! Merge rules (also in `docs/FORMAT.md`, "Settings catalog"):
//!
//! 1. Every 2019 record is kept, for the editions that have it (store `2019`).
//! 2. For Desktop, the 22621 record wins: when it equals the 2019 Desktop record the variant
//!    gains store `22621`; when it differs, the Desktop bit moves to the 22621 variant (merged
//!    with an identical variant of another edition if there is one) and the 2019 Desktop record
//!    is kept as an `O` line (what the older store said, for display).
//! 3. A 22621 path the 2019 store lacks is a new Desktop variant (store `22621`).
//! 4. SettingsGroup GUIDs: the 2019 sequence tables (`G … store`); for a group path (the atomic
//!    root, else the setting path) of a value setting that no sequence table has, the GUID a real
//!    package's RunTime.xml gives that group (`learned:<package>`), else
//!    `csp_model::catalog::generated_settings_group` (`generated`; UUID v5 of the path under a
//!    fixed namespace).
//!
//! Shared by the `gen-catalog` example (which writes the file) and the `catalog_gen` test (which
//! checks that the committed table is what this code produces), so that building never needs the
//! stores. The table format is documented in `csp_model::catalog::table` (the reader); keep both
//! in step and bump the `V` line when the format changes.

use std::collections::{BTreeMap, BTreeSet};
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
pub(crate) const FORMAT_VERSION: u32 = 2;

/// Edition bit of Desktop.
const DESKTOP: u8 = 1 << 1;
/// Store bits (`stores` column): the 2019 store and the 22621 desktop store.
const S2019: u8 = 1;
const S22621: u8 = 2;

/// One distinct record of a path: projected columns, edition mask, store mask.
#[derive(Clone)]
struct Variant {
    tail: String,
    editions: u8,
    stores: u8,
}

/// Reads the stores and packages below `reference` and returns the table text.
///
/// # Errors
/// A message naming the file and line when a file is missing or a record does not have the
/// shape `SOURCES.md` describes, or when two packages (or a package and the sequence table)
/// give one group two GUIDs.
pub(crate) fn generate(reference: &Path) -> Result<String, String> {
    let store = reference.join("wcd-store");
    // path -> distinct variants
    let mut settings: BTreeMap<PathKey, Vec<Variant>> = BTreeMap::new();
    let mut sequence: BTreeMap<PathKey, SeqAcc> = BTreeMap::new();
    // path -> atomic root (22621 record first, else any 2019 record)
    let mut atomic: BTreeMap<String, Option<String>> = BTreeMap::new();
    // 22621 path -> whether it is a value setting (not a tree, list or map)
    let mut is_value: BTreeMap<String, bool> = BTreeMap::new();
    for (bit, edition) in EDITIONS.iter().enumerate() {
        let file = store.join(format!("settings-{edition}.jsonl"));
        for (n, v) in read_jsonl(&file)? {
            let path = str_field(&v, "path")
                .ok_or_else(|| format!("{}:{n}: no path", file.display()))?
                .to_owned();
            let tail = project(&v).map_err(|e| format!("{}:{n}: {e}", file.display()))?;
            atomic
                .entry(path.clone())
                .or_insert_with(|| str_field(&v, "atomic_root").map(str::to_owned));
            let variants = settings.entry(PathKey(path)).or_default();
            match variants.iter_mut().find(|x| x.tail == tail) {
                Some(x) => x.editions |= 1 << bit,
                None => variants.push(Variant {
                    tail,
                    editions: 1 << bit,
                    stores: S2019,
                }),
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
            acc.source = "store".to_owned();
            acc.levels[bit] = Some(level);
            acc.reboot[bit] = Some(cols[3] == "1");
        }
    }

    // The 22621 desktop store (rules 2 and 3).
    let mut older: BTreeMap<PathKey, String> = BTreeMap::new();
    let file = reference.join("wcd-store-22621/settings-Desktop.jsonl");
    for (n, v) in read_jsonl(&file)? {
        let path = str_field(&v, "path")
            .ok_or_else(|| format!("{}:{n}: no path", file.display()))?
            .to_owned();
        let tail = project(&v).map_err(|e| format!("{}:{n}: {e}", file.display()))?;
        atomic.insert(
            path.clone(),
            str_field(&v, "atomic_root").map(str::to_owned),
        );
        is_value.insert(path.clone(), !matches!(num_field(&v, "type")?, Some(6..=8)));
        let key = PathKey(path);
        let variants = settings.entry(key.clone()).or_default();
        if let Some(i) = variants.iter().position(|x| x.editions & DESKTOP != 0) {
            if variants[i].tail == tail {
                variants[i].stores |= S22621;
                continue;
            }
            older.insert(key.clone(), variants[i].tail.clone());
            variants[i].editions &= !DESKTOP;
            if variants[i].editions == 0 {
                variants.remove(i);
            }
        }
        match variants.iter_mut().find(|x| x.tail == tail) {
            Some(x) => {
                x.editions |= DESKTOP;
                x.stores |= S22621;
            }
            None => variants.push(Variant {
                tail,
                editions: DESKTOP,
                stores: S22621,
            }),
        }
    }

    // Rule 4: GUIDs for groups no sequence table has.
    let learned = learn_groups(reference, &atomic)?;
    let mut groups: BTreeSet<String> = BTreeSet::new();
    for (path, value) in &is_value {
        if *value {
            let group = atomic
                .get(path)
                .cloned()
                .flatten()
                .unwrap_or_else(|| path.clone());
            groups.insert(group);
        }
    }
    for (group, (guid, source)) in &learned {
        if let Some(acc) = sequence.get(&PathKey(group.clone())) {
            if acc.guid != *guid {
                return Err(format!(
                    "{source}: group {group} has SettingsGroup {guid}, the sequence table {}",
                    acc.guid
                ));
            }
        }
    }
    for group in groups {
        let key = PathKey(group.clone());
        if sequence.contains_key(&key) {
            continue;
        }
        let acc = sequence.entry(key).or_default();
        match learned.get(&group) {
            Some((guid, source)) => {
                acc.guid = guid.clone();
                acc.source = format!("learned:{source}");
            }
            None => {
                acc.guid = csp_model::catalog::generated_settings_group(&group);
                acc.source = "generated".to_owned();
            }
        }
    }

    let mut out = String::new();
    out.push_str(
        "# csp-model settings catalog. GENERATED, do not edit: \
         cargo run -p csp-model --example gen-catalog -- <reference dir>\n",
    );
    out.push_str(
        "# Sources: WCD settings store ICD 2019.625 (shared/reference/wcd-store), Windows 11 22621 \
         desktop store (shared/reference/wcd-store-22621), SettingsGroup GUIDs of the real \
         packages in shared/reference/ppkg.\n",
    );
    out.push_str("# Format: see crates/csp-model/src/catalog/table.rs.\n");
    let _ = writeln!(out, "V\t{FORMAT_VERSION}");
    for (path, variants) in &settings {
        let mut variants = variants.clone();
        // Order variants by their lowest edition bit, so the output is stable.
        variants.sort_by_key(|x| x.editions.trailing_zeros());
        for x in variants {
            let _ = writeln!(
                out,
                "S\t{}\t{}\t{}\t{}",
                esc(&path.0),
                mask_str(x.editions),
                x.tail,
                stores_str(x.stores)
            );
        }
    }
    for (path, tail) in &older {
        let _ = writeln!(
            out,
            "O\t{}\t{}\t{}\t{}",
            esc(&path.0),
            mask_str(DESKTOP),
            tail,
            stores_str(S2019)
        );
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
            "G\t{}\t{}\t{}\t{}\t{}",
            esc(&path.0),
            acc.guid,
            levels,
            reboot,
            esc(&acc.source)
        );
    }
    Ok(out)
}

/// The records of a JSON-lines file with their 1-based line numbers.
fn read_jsonl(file: &Path) -> Result<Vec<(usize, Value)>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?;
        out.push((n + 1, v));
    }
    Ok(out)
}

/// Group path → (SettingsGroup GUID without `_<n>`, package name) from the real packages: every
/// RunTime.xml set whose `.provxml` parms all belong to one group (the atomic root of their
/// `SettingsPath`, else the path itself) gives that group its GUID.
fn learn_groups(
    reference: &Path,
    atomic: &BTreeMap<String, Option<String>>,
) -> Result<BTreeMap<String, (String, String)>, String> {
    use ppkg_format::layout::Package;
    use ppkg_format::provxml::ProvDoc;
    use ppkg_format::runtime::RunTime;

    let dir = reference.join("ppkg");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    /// (package name, RunTime.xml, its documents by file name)
    type Compiled = (String, RunTime, Vec<(String, ProvDoc)>);
    let mut sources: Vec<Compiled> = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let err = |e: ppkg_format::Error| format!("{}: {e}", path.display());
        if name.to_ascii_lowercase().ends_with(".ppkg") {
            let file =
                std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let wim =
                ppkg_format::wim::WimReader::new(std::io::BufReader::new(file)).map_err(err)?;
            let mut pkg = Package::open(wim).map_err(err)?;
            let Some(runtime) = pkg.runtime().map_err(err)? else {
                continue;
            };
            let docs = pkg.provxml().map_err(err)?;
            sources.push((name, runtime, docs));
        } else if name.ends_with("_extracted") {
            let prov = path.join("Multivariant/0/Prov");
            let rt = std::fs::read(prov.join("RunTime.xml"))
                .map_err(|e| format!("{}: {e}", prov.display()))?;
            let runtime = RunTime::parse(&rt).map_err(err)?;
            let mut docs = Vec::new();
            for set in &runtime.sets {
                if let Some(f) = set.file_name() {
                    let p = prov.join("RunTime").join(f);
                    let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                    docs.push((f.to_owned(), ProvDoc::parse(&bytes).map_err(err)?));
                }
            }
            sources.push((name, runtime, docs));
        }
    }
    let mut out: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (name, runtime, docs) in &sources {
        for set in &runtime.sets {
            let Some(file) = set.file_name() else {
                continue;
            };
            let Some((_, doc)) = docs.iter().find(|(n, _)| n.eq_ignore_ascii_case(file)) else {
                continue;
            };
            let mut group: Option<String> = None;
            let mut one = true;
            for (_, parm) in doc.parms() {
                let Some(sp) = parm.settings_path.as_deref() else {
                    continue;
                };
                let sp = format!("/{sp}");
                let g = atomic.get(&sp).cloned().flatten().unwrap_or(sp);
                match &group {
                    None => group = Some(g),
                    Some(x) if *x == g => {}
                    Some(_) => one = false,
                }
            }
            let (Some(group), true) = (group, one) else {
                continue;
            };
            let guid = set
                .settings_group
                .split('_')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if let Some((other, src)) = out.get(&group) {
                if *other != guid {
                    return Err(format!(
                        "{name} gives {group} SettingsGroup {guid}, {src} gives {other}"
                    ));
                }
                continue;
            }
            out.insert(group, (guid, name.clone()));
        }
    }
    Ok(out)
}

fn stores_str(stores: u8) -> &'static str {
    match stores {
        S2019 => "2019",
        S22621 => "22621",
        _ => "2019,22621",
    }
}

#[derive(Default)]
struct SeqAcc {
    guid: String,
    /// `store`, `learned:<package>` or `generated`.
    source: String,
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
