//! Setting paths: the one syntax for naming a setting, a list item or a map item below
//! `Customizations/Common` (or `PackageConfig`), used by `ppkg inspect`, diagnostics, profile
//! `[[settings]]` and bulk CSV columns alike. [`parse_path`] reads it and [`format_path`]
//! writes it; nothing else does.
//!
//! Grammar (a leading `/` is accepted and ignored):
//!
//! ```text
//! path    = segment *( "/" segment )
//! segment = name *( "[" key "]" )
//! name    = 1*( letter / digit / "_" / "-" / "." )        ; an XML element's local name
//! key     = value                                          ; the item's key attribute
//!         / name "=" value                                 ; a named attribute
//! value   = 1*( char other than "\" "]" "=" / "\\" / "\]" / "\=" / "\@" )
//! ```
//!
//! - `Workplace/Enrollments/UPN[enroll@example.com]/Secret`: the `UPN` list item whose key
//!   attribute (`UPN`) is `enroll@example.com`;
//! - `Certificates/ClientCertificates/ClientCertificate[CertificateName=Dev]/CertificatePath`:
//!   a named attribute;
//! - `Accounts/Users/User[@UserName="a"]/Password`: the XPath form written by earlier versions,
//!   still read (never written).
//!
//! [`format_path`] writes the short form `Item[value]` when the key is unnamed or when the
//! attribute has the element's own name (WCD's `<UPN UPN="…">`), and `Item[Attr=value]`
//! otherwise; `\`, `]` and `=` in values are escaped with `\` (and a leading `@` of a short-form
//! value, which would otherwise read as the XPath form). WCD's list items carry their key
//! twice (`<UPN UPN="x" Name="x">`); the redundant `Name` attribute is not part of a path.

use std::fmt;

/// One element of a setting path: its name and its keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    /// Element local name.
    pub name: String,
    /// Keys in written order: (attribute name, value). An empty attribute name is the short
    /// form `[value]`: "the item's key attribute", whichever the catalog says it is.
    pub attrs: Vec<(String, String)>,
}

impl Segment {
    /// A segment without keys.
    pub fn plain(name: &str) -> Self {
        Segment {
            name: name.to_owned(),
            attrs: Vec::new(),
        }
    }

    /// A list item with one key attribute (`UPN[x]` when `attr` is `UPN`, else
    /// `Item[Attr=x]`).
    pub fn item(name: &str, attr: &str, value: &str) -> Self {
        Segment {
            name: name.to_owned(),
            attrs: vec![(attr.to_owned(), value.to_owned())],
        }
    }

    /// Whether an element with this local name and these attributes is what the segment names:
    /// same name, and every key present (an unnamed key matches any attribute but `Name` with
    /// that value, or `Name` itself when it is the only one).
    pub fn matches<'a, F: Fn(&str) -> Option<&'a str>>(&self, name: &str, attrs: F) -> bool {
        self.name == name
            && self.attrs.iter().all(|(k, v)| {
                if k.is_empty() {
                    // The key attribute of a WCD list item is the one named after the element
                    // (UPN), or any other; try the element's own name, then `Name`.
                    attrs(name) == Some(v.as_str()) || attrs("Name") == Some(v.as_str())
                } else {
                    attrs(k) == Some(v.as_str())
                }
            })
    }

    /// The value of the first key (named or not), if any.
    pub fn key(&self) -> Option<&str> {
        self.attrs.first().map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (k, v) in &self.attrs {
            f.write_str("[")?;
            let short = k.is_empty() || *k == self.name;
            if !short {
                write!(f, "{k}=")?;
            }
            for (i, c) in v.chars().enumerate() {
                // A short-form value starting with `@` would read as the XPath form.
                if matches!(c, '\\' | ']' | '=') || (c == '@' && i == 0 && short) {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

/// Writes segments as a path (`A/B[key]/C[Attr=v]/D`); see the [module docs](self).
pub fn format_path(segments: &[Segment]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        use fmt::Write as _;
        let _ = write!(out, "{s}");
    }
    out
}

/// Why a setting path did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The path.
    pub path: String,
    /// 0-based character offset of the problem (add 1 for a column).
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "setting path {:?}, character {}: {}",
            self.path,
            self.offset + 1,
            self.reason
        )
    }
}

impl std::error::Error for PathError {}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Parses a setting path (see the [module docs](self) for the grammar).
///
/// # Errors
/// [`PathError`] with the character offset for an empty path or segment, a name with other
/// characters than letters, digits, `_`, `-` and `.`, an empty or unterminated `[…]`, an
/// unknown escape, or text after `]` other than `[` or `/`.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, PathError> {
    let chars: Vec<char> = path.chars().collect();
    let err = |offset: usize, reason: &'static str| PathError {
        path: path.to_owned(),
        offset,
        reason,
    };
    let mut out = Vec::new();
    let mut i = usize::from(chars.first() == Some(&'/'));
    loop {
        let start = i;
        while i < chars.len() && name_char(chars[i]) {
            i += 1;
        }
        if i == start {
            return Err(err(i, "expected an element name"));
        }
        let mut seg = Segment {
            name: chars[start..i].iter().collect(),
            attrs: Vec::new(),
        };
        while chars.get(i) == Some(&'[') {
            i += 1;
            if chars.get(i) == Some(&'@') {
                i = parse_xpath_attr(&chars, i + 1, &mut seg, &err)?;
                continue;
            }
            // `[name=value]` when a name is followed by an unescaped `=`, else `[value]`.
            let mut j = i;
            while j < chars.len() && name_char(chars[j]) {
                j += 1;
            }
            let named = j > i && chars.get(j) == Some(&'=');
            let key: String = if named {
                let k = chars[i..j].iter().collect();
                i = j + 1;
                k
            } else {
                String::new()
            };
            let value_start = i;
            let mut value = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(err(i, "unterminated '[': expected ']'")),
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some(c @ ('\\' | ']' | '=' | '@')) => value.push(*c),
                            _ => return Err(err(i, "only \\\\, \\], \\= and \\@ are escapes")),
                        }
                        i += 2;
                    }
                    Some(']') => {
                        i += 1;
                        break;
                    }
                    Some('=') => return Err(err(i, "'=' in a key value must be written \\=")),
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
            if value.is_empty() {
                return Err(err(value_start, "empty key value"));
            }
            seg.attrs.push((key, value));
        }
        out.push(seg);
        match chars.get(i) {
            None => return Ok(out),
            Some('/') => i += 1,
            Some(_) => return Err(err(i, "expected '/' or '['")),
        }
    }
}

/// `[@attr="value"]` (after `[@`): the XPath form of earlier versions.
fn parse_xpath_attr(
    chars: &[char],
    mut i: usize,
    seg: &mut Segment,
    err: &dyn Fn(usize, &'static str) -> PathError,
) -> Result<usize, PathError> {
    let a = i;
    while i < chars.len() && name_char(chars[i]) {
        i += 1;
    }
    if i == a {
        return Err(err(i, "expected an attribute name"));
    }
    let key: String = chars[a..i].iter().collect();
    if chars.get(i) != Some(&'=') || chars.get(i + 1) != Some(&'"') {
        return Err(err(i, "expected '=\"' after the attribute name"));
    }
    i += 2;
    let mut value = String::new();
    loop {
        match chars.get(i) {
            None => return Err(err(i, "unterminated attribute value")),
            Some('\\') => {
                match chars.get(i + 1) {
                    Some(c @ ('"' | '\\')) => value.push(*c),
                    _ => return Err(err(i, "only \\\" and \\\\ are escapes")),
                }
                i += 2;
            }
            Some('"') => {
                i += 1;
                break;
            }
            Some(c) => {
                value.push(*c);
                i += 1;
            }
        }
    }
    if chars.get(i) != Some(&']') {
        return Err(err(i, "expected ']'"));
    }
    seg.attrs.push((key, value));
    Ok(i + 1)
}

/// The path without keys: the catalog's setting path (`Accounts/Users/User/Password`).
///
/// # Errors
/// As [`parse_path`].
pub fn setting_path(path: &str) -> Result<String, PathError> {
    Ok(parse_path(path)?
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_issue_examples() {
        let p = parse_path("Workplace/Enrollments/UPN[enroll@x]/Secret").unwrap();
        assert_eq!(p[2].attrs, vec![(String::new(), "enroll@x".to_owned())]);
        let p =
            parse_path("/Certificates/ClientCertificates/ClientCertificate[CertificateName=Dev]")
                .unwrap();
        assert_eq!(
            p[2].attrs,
            vec![("CertificateName".to_owned(), "Dev".to_owned())]
        );
        assert_eq!(
            format_path(&p),
            "Certificates/ClientCertificates/ClientCertificate[CertificateName=Dev]"
        );
        // The attribute named after its element prints short.
        let s = [Segment::item("UPN", "UPN", "a@b")];
        assert_eq!(format_path(&s), "UPN[a@b]");
    }

    #[test]
    fn xpath_form_is_still_read() {
        let p = parse_path(r#"Accounts/Users/User[@UserName="a\"b\\c/d"]/Password"#).unwrap();
        assert_eq!(p[2].attrs, vec![("UserName".into(), "a\"b\\c/d".into())]);
        assert_eq!(
            format_path(&p),
            r#"Accounts/Users/User[UserName=a"b\\c/d]/Password"#
        );
    }

    #[test]
    fn escapes() {
        let s = [Segment::item("WLANConfig", "SSID", r"a]b=c\d")];
        let text = format_path(&s);
        assert_eq!(text, r"WLANConfig[SSID=a\]b\=c\\d]");
        assert_eq!(parse_path(&text).unwrap(), s.to_vec());
    }

    #[test]
    fn bad_paths_name_the_offset() {
        for (p, off) in [
            ("", 0),
            ("A//B", 2),
            ("A[@K=v]", 4),
            ("A[@K=\"v", 7),
            ("A B", 1),
            ("A[]", 2),
            ("A[K=]", 4),
            ("A[x", 3),
            ("A[x\\q]", 3),
            ("A[a=b=c]", 5),
            ("A[x]B", 4),
        ] {
            let e = parse_path(p).unwrap_err();
            assert_eq!(e.offset, off, "{p}: {e}");
        }
    }

    fn segment() -> impl Strategy<Value = Segment> {
        let name = "[A-Za-z_][A-Za-z0-9_.-]{0,8}";
        (
            name,
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just(String::new()),
                        "[A-Za-z][A-Za-z0-9]{0,6}".prop_map(String::from)
                    ],
                    "[^\\x00]{1,8}",
                ),
                0..3,
            ),
        )
            .prop_map(|(name, attrs)| Segment { name, attrs })
    }

    /// What the printer's short form reads back as: an attribute named after its element.
    fn normalized(mut segs: Vec<Segment>) -> Vec<Segment> {
        for s in &mut segs {
            for (k, _) in &mut s.attrs {
                if *k == s.name {
                    k.clear();
                }
            }
        }
        segs
    }

    proptest! {
        #[test]
        fn print_then_parse_round_trips(segs in proptest::collection::vec(segment(), 1..5)) {
            let text = format_path(&segs);
            let back = parse_path(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &normalized(segs));
            prop_assert_eq!(format_path(&back), text);
        }

        #[test]
        fn parse_never_panics_and_errors_are_in_range(s in "\\PC{0,40}") {
            match parse_path(&s) {
                Ok(segs) => prop_assert_eq!(parse_path(&format_path(&segs)).ok(), Some(normalized(segs))),
                Err(e) => prop_assert!(e.offset <= s.chars().count()),
            }
        }
    }
}
