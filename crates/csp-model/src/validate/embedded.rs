//! Checks XML carried as a setting value (a WLAN profile, an XML CSP node, an ADMX payload).
//!
//! Field case B03 (windows-itpro-docs #4356, #4880): WCD builds a package whose embedded XML
//! uses an undeclared prefix (`rs5:AutoLaunch`); the device then fails with MSXML 0xC00CE015.
//! So the check is namespace-aware: every element and attribute prefix must be declared.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::ddf::parse::LineIndex;

/// The deepest nesting an embedded document may have.
const MAX_EMBEDDED_DEPTH: usize = 256;

/// Why an embedded XML value is not acceptable, with the line and column inside the value
/// (1-based).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct EmbeddedXmlProblem {
    /// 1-based line inside the value.
    pub line: u32,
    /// 1-based column (characters) inside the value.
    pub column: u32,
    /// What is wrong.
    pub reason: String,
}

/// Checks that `text` is one well-formed XML document whose element and attribute prefixes are
/// all declared.
///
/// Rules: not empty or blank; exactly one root element; end tags match; only the predefined
/// entities and character references (no DTD is read, nothing is expanded); every prefix bound by
/// an `xmlns:p` in scope (`xml:` is always bound); nesting at most 256 deep.
///
/// # Errors
/// The first problem found, with its position inside `text`.
pub fn check_embedded_xml(text: &str) -> Result<(), EmbeddedXmlProblem> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let base = text.len() - body.len();
    let lines = LineIndex::new(body, base);
    let fail = |offset: usize, reason: String| {
        let p = lines.pos(offset);
        Err(EmbeddedXmlProblem {
            line: p.line,
            column: p.column,
            reason,
        })
    };
    if body.trim().is_empty() {
        return fail(0, "the XML value is empty".to_owned());
    }
    let mut reader = NsReader::from_str(body);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    let to_usize = |p: u64| usize::try_from(p).unwrap_or(usize::MAX);
    loop {
        let start = to_usize(reader.buffer_position());
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => return fail(to_usize(reader.error_position()), e.to_string()),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if depth == 0 {
                    roots += 1;
                    if roots > 1 {
                        return fail(start, "more than one root element".to_owned());
                    }
                }
                if let ResolveResult::Unknown(p) = ns {
                    return fail(
                        start,
                        format!(
                            "element <{}> uses the undeclared prefix `{}`",
                            String::from_utf8_lossy(e.name().as_ref()),
                            String::from_utf8_lossy(&p)
                        ),
                    );
                }
                for a in e.attributes() {
                    let a = match a {
                        Ok(a) => a,
                        Err(err) => return fail(start, err.to_string()),
                    };
                    if let (ResolveResult::Unknown(p), _) = reader.resolve_attribute(a.key) {
                        return fail(
                            start,
                            format!(
                                "attribute {} uses the undeclared prefix `{}`",
                                String::from_utf8_lossy(a.key.as_ref()),
                                String::from_utf8_lossy(&p)
                            ),
                        );
                    }
                    if let Err(err) = a.unescape_value() {
                        return fail(start, err.to_string());
                    }
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    if depth > MAX_EMBEDDED_DEPTH {
                        return fail(start, format!("nested deeper than {MAX_EMBEDDED_DEPTH}"));
                    }
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) => {
                if let Err(err) = t.unescape() {
                    return fail(start, err.to_string());
                }
                if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) {
                    return fail(start, "text outside the root element".to_owned());
                }
            }
            Event::CData(_) if depth == 0 => {
                return fail(start, "CDATA outside the root element".to_owned());
            }
            Event::DocType(_) => {
                return fail(
                    start,
                    "a DOCTYPE is not allowed in a setting value".to_owned(),
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        return fail(body.len(), "an element is not closed".to_owned());
    }
    if roots == 0 {
        return fail(0, "no root element".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_declared_prefixes() {
        let wlan = r#"<?xml version="1.0"?>
<WLANProfile xmlns="http://www.microsoft.com/networking/WLAN/profile/v1">
  <name>Lab Net</name>
  <MSM xmlns:v2="http://www.microsoft.com/networking/WLAN/profile/v2"><v2:x a="1"/></MSM>
</WLANProfile>"#;
        assert_eq!(check_embedded_xml(wlan), Ok(()));
    }

    #[test]
    fn rejects_undeclared_prefix_with_position() {
        let e = check_embedded_xml("<root>\n  <x:foo/>\n</root>").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.reason.contains("undeclared prefix `x`"), "{}", e.reason);
        let e = check_embedded_xml("<root rs5:AutoLaunch=\"true\"/>").unwrap_err();
        assert!(e.reason.contains("rs5"), "{}", e.reason);
    }

    #[test]
    fn rejects_empty_unclosed_and_entities() {
        assert!(check_embedded_xml("  ")
            .unwrap_err()
            .reason
            .contains("empty"));
        assert!(check_embedded_xml("<a><b></a>").is_err());
        assert!(check_embedded_xml("<a>").is_err());
        assert!(check_embedded_xml("<a>&bogus;</a>").is_err());
        assert!(check_embedded_xml("<a/><b/>").is_err());
        assert!(check_embedded_xml("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>").is_err());
        assert_eq!(check_embedded_xml("<a>&amp;&#65;</a>"), Ok(()));
    }
}
