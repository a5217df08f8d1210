//! Checking one setting value against its catalog entry: [`validate_value`].

use std::collections::HashMap;

use regex::Regex;

use super::embedded::check_embedded_xml;
use super::report::{Code, Diagnostic, LineCol, Severity};
use crate::catalog::{Setting, SettingKind};
use crate::ddf::value::{is_base64, quote};

/// Checks `text` as the value of `setting` and returns every problem found (empty when the value
/// is fine). The diagnostics' path is the setting's path and they carry no position; use
/// [`super::Validator`] to check a whole answer file with positions.
///
/// Rules, per [`SettingKind`] (WCD store codes, `wcd-store/TYPES.md`):
/// - every kind: a value made only of a `$(…)` macro (`$(__MVID)`, `$(__ICCID)`, used by
///   multivariant files) is not checked; an empty value is [`Code::EmptyValue`] (an error for a
///   boolean, integer or asset, which the compiler cannot write; a warning otherwise);
/// - `Bool`: `True`/`False` (any case); `1`/`0` is a warning (WCD writes `True`/`False`);
///   anything else [`Code::WrongType`];
/// - `Int`: with enumeration values, a label or a stored value ([`Code::EnumNotAllowed`] lists
///   the labels; a label in the wrong case is a warning); otherwise a decimal integer
///   ([`Code::WrongType`]) within `Minimum`/`Maximum` ([`Code::OutOfRange`]);
/// - `Text`: enumeration as above; `MinLength`/`MaxLength` in UTF-16 code units, as Windows
///   counts ([`Code::TooShort`], [`Code::ValueTooLong`]); `Pattern` ([`Code::PatternMismatch`];
///   WCD's dialect writes `\x` for a hex digit, as its GUID patterns `^\x{8}(-\x{4}){3}-\x{12}$`
///   show, translated before matching; a pattern that still does not compile is
///   [`Code::Unchecked`] info); XML content ([`Code::EmbeddedXmlInvalid`]) when the setting is
///   XML-valued (see [`is_xml_valued`]) or the value starts with `<`;
/// - `Binary`: base64 ([`Code::WrongType`]);
/// - `Asset`: the file extension is one the store allows (`Validation\<ext>` subkeys), else a
///   [`Code::PatternMismatch`] warning.
///
/// Values of secret settings (see [`is_secret`]) never appear in messages.
pub fn validate_value(setting: &Setting, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut cache = PatternCache::default();
    check_value(setting, text, &setting.path, None, &mut cache, &mut out);
    out
}

/// Whether a setting holds a secret (its value must never be printed): its name contains
/// `Password`, `Secret`, `Token`, `Passphrase`, `KeyMaterial`, `NetworkKey`, `SecurityKey`,
/// `PreSharedKey` or is `BPRT` (the Azure AD bulk token), compared case-insensitively.
pub fn is_secret(setting: &Setting) -> bool {
    is_secret_name(&setting.name)
}

pub(crate) fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "passphrase",
        "keymaterial",
        "networkkey",
        "securitykey",
        "presharedkey",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n == "bprt"
}

/// Whether a text setting's value is an XML document: its name or the last segment of its CSP
/// path ends in `Xml` (any case), as the WiFi CSP's `WlanXml` and `ProfileXML` nodes do.
pub fn is_xml_valued(setting: &Setting) -> bool {
    let ends_xml = |s: &str| {
        s.len() >= 3
            && s.is_char_boundary(s.len() - 3)
            && s[s.len() - 3..].eq_ignore_ascii_case("xml")
    };
    setting.kind == SettingKind::Text
        && (ends_xml(&setting.name)
            || setting
                .csp
                .as_ref()
                .and_then(|c| c.path.rsplit('/').next())
                .is_some_and(ends_xml))
}

/// Compiled patterns, shared over one validation run.
#[derive(Default)]
pub(crate) struct PatternCache(HashMap<String, Option<Regex>>);

impl PatternCache {
    pub(crate) fn get(&mut self, pattern: &str) -> Option<&Regex> {
        if !self.0.contains_key(pattern) {
            let re = Regex::new(&translate_wcd_pattern(pattern)).ok();
            self.0.insert(pattern.to_owned(), re);
        }
        self.0.get(pattern).and_then(Option::as_ref)
    }
}

/// Translates WCD's pattern dialect to the `regex` crate's: `\x` not followed by `{h…}` hex
/// digits forms a code point is a hex-digit class. WCD's GUID patterns
/// (`^\x{8}(-\x{4}){3}-\x{12}$`, 8-4-4-4-12) only make sense that way, so `\x` always becomes
/// `[0-9A-Fa-f]` and the braces that follow stay a repetition.
pub(crate) fn translate_wcd_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('x') => out.push_str("[0-9A-Fa-f]"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn is_macro(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("$(") && t.ends_with(')') && !t[2..].contains("$(")
}

/// Describes a value for a message: quoted, or only its length for a secret.
fn shown(setting: &Setting, text: &str) -> String {
    if is_secret(setting) {
        format!("a value of {} characters", text.chars().count())
    } else {
        quote(text)
    }
}

pub(crate) fn check_value(
    setting: &Setting,
    text: &str,
    path: &str,
    pos: Option<LineCol>,
    cache: &mut PatternCache,
    out: &mut Vec<Diagnostic>,
) {
    let diag = |code, msg: String| Diagnostic::new(code, path, pos, msg);
    if is_macro(text) {
        return;
    }
    let trimmed = text.trim();
    if trimmed.is_empty() && (setting.kind != SettingKind::Text || is_xml_valued(setting)) {
        if is_xml_valued(setting) {
            out.push(diag(
                Code::EmbeddedXmlInvalid,
                "the XML value is empty".into(),
            ));
        } else {
            // The compiler cannot write an empty boolean, integer or file reference, so those
            // are errors (issue #11: `validate` exit 0 ⇒ `build` exit 0); an empty base64 blob
            // is written as it is.
            let d = diag(
                Code::EmptyValue,
                format!("empty value for a {} setting", setting.kind),
            );
            out.push(match setting.kind {
                SettingKind::Bool | SettingKind::Int | SettingKind::Asset => {
                    d.with_severity(super::report::Severity::Error)
                }
                _ => d,
            });
        }
        return;
    }
    match setting.kind {
        SettingKind::Bool => {
            if trimmed.eq_ignore_ascii_case("true") || trimmed.eq_ignore_ascii_case("false") {
            } else if trimmed == "1" || trimmed == "0" {
                out.push(
                    diag(
                        Code::WrongType,
                        format!(
                            "boolean written as {trimmed}; WCD writes {}",
                            if trimmed == "1" { "True" } else { "False" }
                        ),
                    )
                    .with_severity(Severity::Warning),
                );
            } else {
                out.push(diag(
                    Code::WrongType,
                    format!("expected True or False, found {}", shown(setting, text)),
                ));
            }
        }
        SettingKind::Int => {
            if setting.is_enum() {
                check_enum(setting, text, path, pos, out);
                return;
            }
            match trimmed.parse::<i64>() {
                Ok(n) => check_range(setting, n, path, pos, out),
                Err(_) => out.push(diag(
                    Code::WrongType,
                    format!("expected an integer, found {}", shown(setting, text)),
                )),
            }
        }
        SettingKind::Text => {
            if setting.is_enum() {
                check_enum(setting, text, path, pos, out);
            }
            let c = &setting.constraints;
            let len = text.encode_utf16().count();
            if let Some(max) = c.max_length {
                if len > max as usize {
                    out.push(diag(
                        Code::ValueTooLong,
                        format!("{len} characters, at most {max} allowed"),
                    ));
                }
            }
            if let Some(min) = c.min_length {
                if len < min as usize {
                    out.push(diag(
                        Code::TooShort,
                        format!("{len} characters, at least {min} required"),
                    ));
                }
            }
            if let Some(p) = c.pattern.as_deref() {
                match cache.get(p) {
                    Some(re) if re.is_match(text) => {}
                    Some(_) => out.push(diag(
                        Code::PatternMismatch,
                        format!("{} does not match the pattern {p}", shown(setting, text)),
                    )),
                    None => out.push(
                        diag(
                            Code::Unchecked,
                            format!("the pattern {p} could not be compiled; not checked"),
                        )
                        .with_severity(Severity::Info),
                    ),
                }
            }
            if is_xml_valued(setting) || trimmed.starts_with('<') {
                if let Err(e) = check_embedded_xml(text) {
                    out.push(diag(
                        Code::EmbeddedXmlInvalid,
                        format!(
                            "embedded XML invalid at its line {}, column {}: {}",
                            e.line, e.column, e.reason
                        ),
                    ));
                }
            } else if trimmed.is_empty() {
                out.push(diag(Code::EmptyValue, "empty value".into()));
            }
        }
        SettingKind::Binary => {
            if !is_base64(text) {
                out.push(diag(Code::WrongType, "expected base64 data".into()));
            }
        }
        SettingKind::Asset => {
            let allowed: Vec<&str> = setting
                .validation_subkeys
                .iter()
                .map(|k| k.name.as_str())
                .collect();
            if !allowed.is_empty() {
                let ext = trimmed
                    .rsplit(['\\', '/'])
                    .next()
                    .and_then(|f| f.rsplit_once('.'))
                    .map(|(_, e)| e)
                    .unwrap_or("");
                if !allowed.iter().any(|a| a.eq_ignore_ascii_case(ext)) {
                    out.push(
                        diag(
                            Code::PatternMismatch,
                            format!(
                                "file type {ext:?} is not one WCD offers here: {}",
                                allowed.join(", ")
                            ),
                        )
                        .with_severity(Severity::Warning),
                    );
                }
            }
        }
        SettingKind::Tree | SettingKind::List | SettingKind::Map => {
            out.push(diag(
                Code::UnexpectedText,
                format!("a {} setting holds child settings, not text", setting.kind),
            ));
        }
    }
}

fn check_enum(
    setting: &Setting,
    text: &str,
    path: &str,
    pos: Option<LineCol>,
    out: &mut Vec<Diagnostic>,
) {
    let t = text.trim();
    if setting.value_for_label(t).is_some() {
        return;
    }
    let labels: Vec<&str> = setting.values.iter().map(|v| v.label_or_value()).collect();
    if let Some(l) = labels.iter().find(|l| l.eq_ignore_ascii_case(t)) {
        out.push(
            Diagnostic::new(
                Code::EnumNotAllowed,
                path,
                pos,
                format!("{} differs in case from the label {l}", quote(t)),
            )
            .with_severity(Severity::Warning),
        );
        return;
    }
    out.push(Diagnostic::new(
        Code::EnumNotAllowed,
        path,
        pos,
        format!(
            "{} is not allowed; allowed: {}",
            shown(setting, text),
            labels.join(", ")
        ),
    ));
}

fn check_range(
    setting: &Setting,
    n: i64,
    path: &str,
    pos: Option<LineCol>,
    out: &mut Vec<Diagnostic>,
) {
    let c = &setting.constraints;
    let below = c.min.is_some_and(|m| n < m);
    let above = c.max.is_some_and(|m| n > m);
    if below || above {
        let range = match (c.min, c.max) {
            (Some(a), Some(b)) => format!("{a}..={b}"),
            (Some(a), None) => format!(">= {a}"),
            (None, Some(b)) => format!("<= {b}"),
            (None, None) => String::new(),
        };
        out.push(Diagnostic::new(
            Code::OutOfRange,
            path,
            pos,
            format!("{n} is outside {range}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wcd_patterns_translate() {
        let guid = Regex::new(&translate_wcd_pattern(r"^\x{8}(-\x{4}){3}-\x{12}$")).unwrap();
        assert!(guid.is_match("6aaa4dfa-00d7-4aaa-8adf-73c6a7e2501e"));
        assert!(!guid.is_match("6aaa4dfa-00d7-4aaa-8adf-73c6a7e2501"));
        assert_eq!(translate_wcd_pattern(r"^\d$"), r"^\d$");
        assert_eq!(translate_wcd_pattern(r"a\\b"), r"a\\b");
        assert!(is_macro("$(__MVID)"));
        assert!(!is_macro("x$(__MVID)"));
        assert!(is_secret_name("CertificatePassword"));
        assert!(is_secret_name("BPRT"));
        assert!(!is_secret_name("KeyLocation"));
    }
}
