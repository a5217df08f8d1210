//! Reader of the generated catalog table `data/catalog.tsv`.
//!
//! The table is written by `gen/gen_catalog.rs` from WCD's settings store dump
//! (`shared/reference/wcd-store/`, ICD 2019.625, all seven editions). One record per line, fields
//! separated by TAB; lines starting with `#` are comments.
//!
//! - `V <version>`: the format version (this reader accepts 1 and 2; version 1 tables have no
//!   `stores` column and no `G` source column, and mean the 2019 store).
//! - `S <path> <editions> <type> <key> <atomic_root> <flags> <serialization> <file_path>
//!   <apply_passes> <apply_after> <csp_path> <csp_action> <csp_context> <registry_path> <default>
//!   <minimum> <maximum> <min_length> <max_length> <pattern> <allowed_value_reference> <values>
//!   <validation_subkeys> <display_name> <conditions> <stores>`: one setting variant (27 fields).
//!   A path whose store data differs between editions has one `S` line per distinct variant,
//!   with disjoint edition sets.
//!   - `stores`: which settings stores define this variant, comma-separated: `2019` (ICD
//!     2019.625, `shared/reference/wcd-store`), `22621` (Windows 11 22621 desktop store,
//!     `shared/reference/wcd-store-22621`).
//! - `O <path> <editions> … <stores>`: same fields as `S`; what the older store said for an
//!   edition where the newer store wins with different data (Desktop, 2019 vs 22621). Kept for
//!   display ([`super::Catalog::superseded`]), never used to validate or compile.
//!   - `editions`: 7 characters `0`/`1` in [`Edition::ALL`] order.
//!   - `type`: the store's `Type` code 1–8 (`TYPES.md`).
//!   - `flags`: letters `R` required, `P` private (`Visibility\Private`), `B` `Apply\RequiresReboot`,
//!     `S` `Apply\AtFirstSIMDetectOnly`, `O` `Apply\Registry\OnLastRemove`, `M` registry
//!     `TextType` 2.
//!   - list fields (`apply_after`, `default`, `values`, `validation_subkeys`, `conditions`) hold
//!     items separated by `|`; `values`/`validation_subkeys` items are `value=label` or `value`;
//!     `conditions` items are `group,index,setting,condition,value`.
//! - `G <path> <settings_group> <levels> <reboot> <source>`: a SequenceMap entry; `levels` is 7 characters,
//!   the apply level digit per edition or `-` when the edition has no entry; `reboot` likewise
//!   `1`/`0`/`-`; `source` (version 2) says where the GUID comes from: `store` (a sequence
//!   table), `learned:<package>` (a real package's RunTime.xml) or `generated`
//!   ([`super::generated_settings_group`]).
//!
//! Escaping: `%XX` (hex code point) for `%`, TAB, CR, LF in every field and additionally for
//! `|`, `=`, `,`, `;` inside list items.

use std::borrow::Cow;

use super::{
    ApplyInfo, Constraints, CspAction, CspMapping, Edition, EditionSet, EnumValue, GroupSource,
    Origin, RegistryMapping, SequenceEntry, Setting, SettingKind, Store, StoreSet,
    ValidationSubkey, VisibilityCondition,
};
use crate::error::{Error, Result};

/// Format versions this reader understands.
const FORMAT_VERSIONS: [&str; 2] = ["1", "2"];
/// Number of TAB-separated fields of a version 1 `S` line, tag included (version 2 adds
/// `stores`).
const S_FIELDS: usize = 26;

/// The parsed table: settings (in table order) and sequence entries.
pub(crate) struct Table {
    pub(crate) settings: Vec<Setting>,
    pub(crate) sequence: Vec<SequenceEntry>,
    /// `O` records: older-store variants superseded by a newer store.
    pub(crate) superseded: Vec<Setting>,
}

/// Parses the whole table text.
///
/// # Errors
/// [`Error::Catalog`] naming the 1-based line and the field when a record is malformed.
pub(crate) fn parse(text: &str) -> Result<Table> {
    let mut settings = Vec::with_capacity(3000);
    let mut sequence = Vec::with_capacity(2500);
    let mut superseded = Vec::new();
    let mut version_seen = false;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |what: &str| Error::Catalog {
            line: line_no,
            message: what.to_owned(),
        };
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[0] {
            "V" => {
                if !fields.get(1).is_some_and(|v| FORMAT_VERSIONS.contains(v)) {
                    return Err(err("unsupported table format version"));
                }
                version_seen = true;
            }
            "S" => settings.push(parse_setting(&fields).map_err(|m| err(&m))?),
            "O" => superseded.push(parse_setting(&fields).map_err(|m| err(&m))?),
            "G" => sequence.push(parse_sequence(&fields).map_err(|m| err(&m))?),
            other => return Err(err(&format!("unknown record tag {other:?}"))),
        }
    }
    if !version_seen {
        return Err(Error::Catalog {
            line: 0,
            message: "no V line".to_owned(),
        });
    }
    // Built once per process and kept: no growth slack (the settings are about 3 MB).
    settings.shrink_to_fit();
    superseded.shrink_to_fit();
    sequence.shrink_to_fit();
    Ok(Table {
        settings,
        sequence,
        superseded,
    })
}

fn parse_setting(f: &[&str]) -> std::result::Result<Setting, String> {
    if f.len() != S_FIELDS && f.len() != S_FIELDS + 1 {
        return Err(format!(
            "{} record has {} fields, expected {S_FIELDS} or {}",
            f[0],
            f.len(),
            S_FIELDS + 1
        ));
    }
    let stores = match f.get(S_FIELDS) {
        None => StoreSet::only(Store::Wcd2019),
        Some(list) => {
            let mut set = StoreSet::EMPTY;
            for name in list.split(',') {
                set.insert(Store::from_name(name).ok_or("stores: unknown store")?);
            }
            set
        }
    };
    let path = unesc(f[1]).into_owned();
    let name = path.rsplit('/').next().unwrap_or_default().to_owned();
    let editions = parse_mask(f[2]).ok_or("editions: expected 7 characters 0/1")?;
    let code: u8 = f[3].parse().map_err(|_| "type: not a number")?;
    let kind = SettingKind::from_code(code).ok_or("type: unknown code")?;
    let flags = f[6];
    let csp = if f[11].is_empty() {
        None
    } else {
        let action = CspAction::from_code(num(f[12], "csp_action")?.unwrap_or(1))
            .ok_or("csp_action: unknown code")?;
        Some(CspMapping {
            path: unesc(f[11]).into_owned(),
            action,
            context: num(f[13], "csp_context")?,
        })
    };
    let registry = (!f[14].is_empty()).then(|| RegistryMapping {
        path: unesc(f[14]).into_owned(),
        on_last_remove: flags.contains('O'),
        multi_string: flags.contains('M'),
    });
    let values = items(f[22])
        .map(|item| {
            let (value, label) = pair(item);
            EnumValue { value, label }
        })
        .collect();
    let validation_subkeys = items(f[23])
        .map(|item| {
            let (name, display) = pair(item);
            ValidationSubkey { name, display }
        })
        .collect();
    let conditions = items(f[25])
        .map(|item| {
            let p: Vec<&str> = item.split(',').collect();
            if p.len() != 5 {
                return Err("conditions: expected 5 comma-separated parts".to_owned());
            }
            Ok(VisibilityCondition {
                group: unesc(p[0]).into_owned(),
                index: unesc(p[1]).into_owned(),
                setting: unesc(p[2]).into_owned(),
                condition: p[3].parse().map_err(|_| "conditions: bad code")?,
                value: unesc(p[4]).into_owned(),
            })
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    Ok(Setting {
        name,
        kind,
        editions,
        key_attribute: opt(f[4]),
        item_element: None,
        atomic_root: opt(f[5]),
        required: flags.contains('R'),
        private: flags.contains('P'),
        serialization: num(f[7], "serialization")?,
        file_path: opt(f[8]),
        apply: ApplyInfo {
            passes: num(f[9], "apply_passes")?.unwrap_or(0),
            after: items(f[10]).map(|s| unesc(s).into_owned()).collect(),
            requires_reboot: flags.contains('B'),
            at_first_sim_detect_only: flags.contains('S'),
        },
        csp,
        registry,
        default: items(f[15]).map(|s| unesc(s).into_owned()).collect(),
        constraints: Constraints {
            min: int(f[16], "minimum")?,
            max: int(f[17], "maximum")?,
            min_length: num(f[18], "min_length")?,
            max_length: num(f[19], "max_length")?,
            pattern: opt(f[20]),
            allowed_value_reference: opt(f[21]),
        },
        values,
        validation_subkeys,
        display_name: opt(f[24]),
        conditions,
        settings_group: None,
        apply_levels: [None; 7],
        origin: Origin::Store,
        stores,
        path,
    })
}

fn parse_sequence(f: &[&str]) -> std::result::Result<SequenceEntry, String> {
    if f.len() != 5 && f.len() != 6 {
        return Err(format!("G record has {} fields, expected 5 or 6", f.len()));
    }
    let source = match f.get(5).map(|s| unesc(s)) {
        None => GroupSource::Store,
        Some(s) if s == "store" => GroupSource::Store,
        Some(s) if s == "generated" => GroupSource::Generated,
        Some(s) => match s.strip_prefix("learned:") {
            Some(p) => GroupSource::Learned(p.to_owned()),
            None => return Err("source: expected store, learned:<package> or generated".into()),
        },
    };
    let mut levels = [None; 7];
    let mut requires_reboot = EditionSet::EMPTY;
    let (lv, rb) = (f[3].as_bytes(), f[4].as_bytes());
    if lv.len() != 7 || rb.len() != 7 {
        return Err("levels/reboot: expected 7 characters".to_owned());
    }
    for (i, edition) in Edition::ALL.iter().enumerate() {
        levels[i] = match lv[i] {
            b'-' => None,
            d @ b'1'..=b'9' => Some(d - b'0'),
            _ => return Err("levels: expected a digit 1-9 or '-'".to_owned()),
        };
        match rb[i] {
            b'1' => requires_reboot.insert(*edition),
            b'0' | b'-' => {}
            _ => return Err("reboot: expected 1, 0 or '-'".to_owned()),
        }
    }
    Ok(SequenceEntry {
        path: unesc(f[1]).into_owned(),
        settings_group: f[2].to_owned(),
        levels,
        requires_reboot,
        source,
    })
}

fn parse_mask(s: &str) -> Option<EditionSet> {
    let b = s.as_bytes();
    if b.len() != 7 {
        return None;
    }
    let mut set = EditionSet::EMPTY;
    for (i, edition) in Edition::ALL.iter().enumerate() {
        match b[i] {
            b'1' => set.insert(*edition),
            b'0' => {}
            _ => return None,
        }
    }
    Some(set)
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| unesc(s).into_owned())
}

fn num(s: &str, what: &str) -> std::result::Result<Option<u32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("{what}: not a number"))
}

fn int(s: &str, what: &str) -> std::result::Result<Option<i64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("{what}: not an integer"))
}

fn items(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').filter(|s| !s.is_empty())
}

fn pair(item: &str) -> (String, Option<String>) {
    match item.split_once('=') {
        Some((v, l)) => (unesc(v).into_owned(), Some(unesc(l).into_owned())),
        None => (unesc(item).into_owned(), None),
    }
}

/// Undoes the `%XX` escaping (hex code point of an ASCII character). A malformed escape is kept
/// literally (the generator never writes one).
fn unesc(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3);
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) if b.is_ascii() => {
                out.push(char::from(b));
                rest = &rest[i + 3..];
            }
            _ => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_round_trips_the_generator_escapes() {
        assert_eq!(unesc("a%7Cb%3Dc%25d%09e"), "a|b=c%d\te");
        assert_eq!(unesc("100%"), "100%");
        assert_eq!(unesc("%zz"), "%zz");
    }

    #[test]
    fn malformed_records_name_their_line() {
        let e = parse("V\t1\nS\t/x\t1\n").err().unwrap();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse("S\t/x\n").err().unwrap();
        assert!(e.to_string().contains("line 1"), "{e}");
        assert!(parse("# only a comment\n").is_err());
        let e = parse("V\t3\n").err().unwrap();
        assert!(e.to_string().contains("version"), "{e}");
    }
}
