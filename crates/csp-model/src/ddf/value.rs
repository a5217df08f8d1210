//! Checking a value against a DDF node: access type, `DFFormat`, `MSFT:AllowedValues`.

use std::fmt;

use super::model::{AllowedValues, CaseSense, DdfNode, DfFormat, ValueType};
use super::tree::{CspTree, Resolved};
use crate::validate::{check_embedded_xml, Code, Diagnostic, LineCol, Severity};

/// An OMA-DM command, as listed in `<AccessType>`.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum Operation {
    /// `Add`: create the node with a value.
    Add,
    /// `Replace`: set the value.
    Replace,
    /// `Delete`.
    Delete,
    /// `Exec`: run the node (its value is the command's data).
    Exec,
    /// `Get`.
    Get,
    /// `Copy`.
    Copy,
}

impl Operation {
    /// The command name (`Add`, `Replace`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "Add",
            Self::Replace => "Replace",
            Self::Delete => "Delete",
            Self::Exec => "Exec",
            Self::Get => "Get",
            Self::Copy => "Copy",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[min-max]` (or `[n]`) bound of a `ValueType="Range"` allowed value. Both ends inclusive.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub struct RangeBound {
    /// Smallest allowed value.
    pub min: i64,
    /// Largest allowed value.
    pub max: i64,
}

impl RangeBound {
    /// Parses Microsoft's range syntax: `[0-30]`, `[3]`, `[-1-10]`, several joined by `,`
    /// (`[0-5],[10-20]`). `None` when any part is not of that shape. Source: the Range values of
    /// the reference DDF files (`[0-4294967295]`, `[30-1440]`, `[2]`).
    pub fn parse_list(text: &str) -> Option<Vec<RangeBound>> {
        let mut out = Vec::new();
        for part in text.split(',') {
            let inner = part.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
            // The separator is the first '-' that is not a leading sign.
            let sep = inner
                .char_indices()
                .skip(1)
                .find(|&(_, c)| c == '-')
                .map(|(i, _)| i);
            let (min, max) = match sep {
                Some(i) => (
                    inner[..i].trim().parse().ok()?,
                    inner[i + 1..].trim().parse().ok()?,
                ),
                None => {
                    let n = inner.parse().ok()?;
                    (n, n)
                }
            };
            out.push(RangeBound { min, max });
        }
        Some(out)
    }

    /// Whether `n` is within the bound.
    pub fn contains(&self, n: i64) -> bool {
        (self.min..=self.max).contains(&n)
    }
}

impl fmt::Display for RangeBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "[{}]", self.min)
        } else {
            write!(f, "[{}-{}]", self.min, self.max)
        }
    }
}

/// Parses an OMA-DM `int` value: decimal, optionally signed, or `0x` hex; the result must fit a
/// signed or unsigned 32-bit integer (Microsoft CSPs store DWORDs, e.g. `[0-4294967295]`).
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let n = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else {
        t.parse::<i64>().ok()?
    };
    (i64::from(i32::MIN)..=i64::from(u32::MAX))
        .contains(&n)
        .then_some(n)
}

/// Whether `text` is base64 (RFC 4648 alphabet, padding, whitespace allowed between groups).
pub(crate) fn is_base64(text: &str) -> bool {
    let mut n = 0usize;
    let mut pad = 0usize;
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if pad == 0 => n += 1,
            b'=' => {
                pad += 1;
                n += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return false,
        }
    }
    pad <= 2 && n % 4 == 0
}

impl DdfNode {
    /// Checks `value` for operation `op` against this node, returning every problem found
    /// (empty when the value is acceptable). Paths in the diagnostics are the node's display
    /// name; use [`Resolved::check_value`] to get the full URI and the source position.
    ///
    /// Checks, in order (rules from `DDFv2.xsd` / `DDFv2Msft.xsd` and the OMA-DM formats):
    /// - `AccessType` allows `op` ([`Code::AccessDenied`]);
    /// - `MSFT:Deprecated` ([`Code::Deprecated`], a warning);
    /// - for `Add`/`Replace`/`Exec`: the `DFFormat` (`int`, `bool`, `b64`, `float`, `xml`, a
    ///   value on a `node` → [`Code::WrongType`], [`Code::EmbeddedXmlInvalid`],
    ///   [`Code::UnexpectedText`]);
    /// - `MSFT:AllowedValues`, item by item when `MSFT:List` gives a delimiter: ENUM
    ///   ([`Code::EnumNotAllowed`], case-insensitive under `CaseSense` CIS), Flag (a bitwise OR
    ///   of the listed values), Range ([`Code::OutOfRange`]), RegEx ([`Code::PatternMismatch`]),
    ///   XSD and ADMX (well-formed XML; the schema itself is not applied, reported as
    ///   [`Code::Unchecked`] info), SDDL (shape).
    pub fn check_value(&self, value: &str, op: Operation) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.check_into(&self.display_name(), None, value, op, &mut out);
        out
    }

    pub(crate) fn check_into(
        &self,
        path: &str,
        pos: Option<LineCol>,
        value: &str,
        op: Operation,
        out: &mut Vec<Diagnostic>,
    ) {
        let p = &self.props;
        let allowed = match op {
            Operation::Add => p.access.add,
            Operation::Replace => p.access.replace,
            Operation::Delete => p.access.delete,
            Operation::Exec => p.access.exec,
            Operation::Get => p.access.get,
            Operation::Copy => p.access.copy,
        };
        let diag = |code, msg: String| Diagnostic::new(code, path, pos, msg);
        let secret = crate::validate::value::is_secret_name(&self.name);
        if !allowed {
            out.push(diag(
                Code::AccessDenied,
                format!(
                    "the node does not accept {op}; its AccessType allows {}",
                    list_or_none(&p.access.names())
                ),
            ));
        }
        if let Some(d) = &p.deprecated {
            out.push(diag(
                Code::Deprecated,
                match &d.os_build_deprecated {
                    Some(b) => format!("the node is deprecated from OS build {b}"),
                    None => "the node is deprecated".to_owned(),
                },
            ));
        }
        if !matches!(op, Operation::Add | Operation::Replace | Operation::Exec) {
            return;
        }
        let before = out.len();
        // A value that the node's ENUM lists is accepted whatever the DFFormat says: real DDF
        // files disagree with themselves (DMClient.xml ForceAadToken is DFFormat bool but
        // enumerates 0, 1, 2, 4).
        let listed = p.allowed_values.as_ref().is_some_and(|av| {
            av.value_type == ValueType::Enum
                && av.enums.iter().any(|e| e.value.trim() == value.trim())
        });
        match &p.format {
            _ if listed => {}
            DfFormat::Node if !value.trim().is_empty() && op != Operation::Exec => out.push(diag(
                Code::UnexpectedText,
                "the node is an interior node (DFFormat node) and takes no value".to_owned(),
            )),
            DfFormat::Int if parse_int(value).is_none() => out.push(diag(
                Code::WrongType,
                format!(
                    "expected an integer (DFFormat int), found {}",
                    shown(value, secret)
                ),
            )),
            DfFormat::Bool
                if !value.trim().eq_ignore_ascii_case("true")
                    && !value.trim().eq_ignore_ascii_case("false") =>
            {
                out.push(diag(
                    Code::WrongType,
                    format!(
                        "expected true or false (DFFormat bool), found {}",
                        shown(value, secret)
                    ),
                ));
            }
            DfFormat::B64 if !is_base64(value) => out.push(diag(
                Code::WrongType,
                "expected base64 (DFFormat b64)".to_owned(),
            )),
            DfFormat::Float if value.trim().parse::<f64>().is_err() => out.push(diag(
                Code::WrongType,
                format!(
                    "expected a number (DFFormat float), found {}",
                    shown(value, secret)
                ),
            )),
            DfFormat::Xml => {
                if let Err(e) = check_embedded_xml(value) {
                    out.push(diag(
                        Code::EmbeddedXmlInvalid,
                        format!(
                            "the XML value is invalid at its line {}, column {}: {}",
                            e.line, e.column, e.reason
                        ),
                    ));
                }
            }
            _ => {}
        }
        if out.len() > before {
            return;
        }
        if let Some(av) = &p.allowed_values {
            let ci = matches!(p.case_sense, Some(CaseSense::Insensitive));
            match av.list_delimiter() {
                Some(d) if !d.is_empty() => {
                    for item in value.split(d.as_str()) {
                        check_allowed(av, item, ci, secret, path, pos, out);
                    }
                }
                _ => check_allowed(av, value, ci, secret, path, pos, out),
            }
        }
    }
}

impl Resolved<'_> {
    /// Checks `value` for `op` against the resolved node (see [`DdfNode::check_value`]), with
    /// the full URI as the diagnostics' path and `pos` as their position.
    pub fn check_value(&self, value: &str, op: Operation, pos: Option<LineCol>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.node
            .check_into(&self.uri.to_string(), pos, value, op, &mut out);
        out
    }
}

impl CspTree {
    /// Resolves `uri` and checks `value` for `op` against its node (see
    /// [`DdfNode::check_value`]); a URI that names no node gives one [`Code::UnknownNode`]
    /// error. Diagnostics carry `uri` as their path and `pos` as their position.
    pub fn check(
        &self,
        uri: &str,
        value: &str,
        op: Operation,
        pos: Option<LineCol>,
    ) -> Vec<Diagnostic> {
        match self.resolve(uri) {
            Some(r) => {
                let mut out = Vec::new();
                r.node.check_into(uri, pos, value, op, &mut out);
                out
            }
            None => vec![Diagnostic::new(
                Code::UnknownNode,
                uri,
                pos,
                "the OMA-URI names no node of the loaded DDF files",
            )],
        }
    }
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}

/// Describes a value for a message: quoted, or only its length when the node holds a secret
/// (see [`crate::validate::is_secret`]).
fn shown(value: &str, secret: bool) -> String {
    if secret {
        format!("a value of {} characters", value.chars().count())
    } else {
        quote(value)
    }
}

/// Quotes a value for a message, cut to 60 characters.
pub(crate) fn quote(value: &str) -> String {
    let mut s: String = value.chars().take(60).collect();
    if value.chars().nth(60).is_some() {
        s.push('…');
    }
    format!("{s:?}")
}

/// Checks one value (or one list item) against `MSFT:AllowedValues`.
pub(crate) fn check_allowed(
    av: &AllowedValues,
    value: &str,
    case_insensitive: bool,
    secret: bool,
    path: &str,
    pos: Option<LineCol>,
    out: &mut Vec<Diagnostic>,
) {
    let diag = |code, msg: String| Diagnostic::new(code, path, pos, msg);
    match &av.value_type {
        ValueType::Enum => {
            let ok = av.enums.iter().any(|e| {
                if case_insensitive {
                    e.value.trim().eq_ignore_ascii_case(value.trim())
                } else {
                    e.value.trim() == value.trim()
                }
            });
            if !ok && !av.enums.is_empty() {
                let allowed: Vec<&str> = av.enums.iter().map(|e| e.value.trim()).collect();
                out.push(diag(
                    Code::EnumNotAllowed,
                    format!(
                        "{} is not an allowed value; allowed: {}",
                        shown(value, secret),
                        allowed.join(", ")
                    ),
                ));
            }
        }
        ValueType::Flag => {
            let mask = av
                .enums
                .iter()
                .filter_map(|e| parse_int(&e.value))
                .fold(0i64, |m, v| m | v);
            match parse_int(value) {
                Some(n) if n >= 0 && n & !mask == 0 => {}
                Some(n) => out.push(diag(
                    Code::EnumNotAllowed,
                    format!("{n:#x} sets flags outside the allowed mask {mask:#x}"),
                )),
                None => out.push(diag(
                    Code::WrongType,
                    format!(
                        "expected a flag value (integer), found {}",
                        shown(value, secret)
                    ),
                )),
            }
        }
        ValueType::Range => {
            let Some(bounds) = av.value.as_deref().and_then(RangeBound::parse_list) else {
                out.push(
                    diag(
                        Code::Unchecked,
                        format!(
                            "range {:?} could not be read",
                            av.value.as_deref().unwrap_or("")
                        ),
                    )
                    .with_severity(Severity::Info),
                );
                return;
            };
            match parse_int(value) {
                Some(n) if bounds.iter().any(|b| b.contains(n)) => {}
                Some(n) => {
                    let b: Vec<String> = bounds.iter().map(ToString::to_string).collect();
                    out.push(diag(
                        Code::OutOfRange,
                        format!("{n} is outside the allowed range {}", b.join(",")),
                    ));
                }
                None => out.push(diag(
                    Code::WrongType,
                    format!(
                        "expected an integer in a range, found {}",
                        shown(value, secret)
                    ),
                )),
            }
        }
        ValueType::RegEx => {
            let Some(pattern) = av.value.as_deref() else {
                return;
            };
            match regex::Regex::new(pattern.trim()) {
                Ok(re) if re.is_match(value) => {}
                Ok(_) => out.push(diag(
                    Code::PatternMismatch,
                    format!(
                        "{} does not match the pattern {}",
                        shown(value, secret),
                        pattern.trim()
                    ),
                )),
                Err(_) => out.push(
                    diag(
                        Code::Unchecked,
                        format!("the pattern {} could not be compiled", pattern.trim()),
                    )
                    .with_severity(Severity::Info),
                ),
            }
        }
        ValueType::Xsd | ValueType::Admx => {
            let probe = if av.value_type == ValueType::Admx {
                // ADMX values are fragments: `<enabled/><data id="…" value="…"/>`.
                format!("<admx>{value}</admx>")
            } else {
                value.to_owned()
            };
            if let Err(e) = check_embedded_xml(&probe) {
                out.push(diag(
                    Code::EmbeddedXmlInvalid,
                    format!("the XML value is invalid: {}", e.reason),
                ));
            } else if av.value_type == ValueType::Admx {
                let t = value.trim_start();
                if !(t.starts_with("<enabled") || t.starts_with("<disabled")) {
                    out.push(diag(
                        Code::PatternMismatch,
                        "an ADMX-backed value starts with <enabled/> or <disabled/>".to_owned(),
                    ));
                }
            } else {
                out.push(
                    diag(
                        Code::Unchecked,
                        "well formed; the XSD itself is not applied".to_owned(),
                    )
                    .with_severity(Severity::Info),
                );
            }
        }
        ValueType::Sddl if !is_sddl(value) => {
            out.push(diag(
                Code::PatternMismatch,
                format!("{} is not an SDDL string", shown(value, secret)),
            ));
        }
        _ => {}
    }
}

/// A shape check of an SDDL string (MS-DTYP 2.5.1): components `O:`, `G:`, `D:`, `S:` with
/// balanced ACE parentheses, or a bare ACE list.
fn is_sddl(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return false;
    }
    let mut depth = 0i32;
    for c in v.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            c if c.is_control() => return false,
            _ => {}
        }
    }
    depth == 0 && (["O:", "G:", "D:", "S:"].iter().any(|p| v.starts_with(p)) || v.starts_with('('))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_syntax() {
        assert_eq!(
            RangeBound::parse_list("[0-4294967295]"),
            Some(vec![RangeBound {
                min: 0,
                max: 4_294_967_295
            }])
        );
        assert_eq!(
            RangeBound::parse_list("[3]"),
            Some(vec![RangeBound { min: 3, max: 3 }])
        );
        assert_eq!(
            RangeBound::parse_list("[-1-10],[20-30]"),
            Some(vec![
                RangeBound { min: -1, max: 10 },
                RangeBound { min: 20, max: 30 }
            ])
        );
        assert_eq!(RangeBound::parse_list("0-3"), None);
        assert_eq!(RangeBound::parse_list("[a-b]"), None);
    }

    #[test]
    fn ints_and_base64() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("4294967295"), Some(4_294_967_295));
        assert_eq!(parse_int("4294967296"), None);
        assert_eq!(parse_int("-2147483649"), None);
        assert_eq!(parse_int("ten"), None);
        assert!(is_base64("TWFu\r\nTWE="));
        assert!(!is_base64("TWE"));
        assert!(!is_base64("TW=E"));
        assert!(is_sddl("O:BAG:SYD:(A;;GA;;;SY)"));
        assert!(!is_sddl("D:(A;;GA"));
        assert!(!is_sddl("hello"));
    }
}
