//! A spanned reading of a JSON profile for placing diagnostics: every key with its byte offset
//! (`serde_json` keeps none). Only what [`crate::locate_in_toml`] needs: objects, arrays and
//! strings; numbers, booleans and null are kept as "other". Malformed JSON gives `None` (the
//! profile parser reports it, with its own line and column).

use crate::toml_pos::{Kind, Node};

/// The deepest nesting read (a profile is 4 levels deep; this only stops hostile input from
/// exhausting the stack).
const MAX_DEPTH: usize = 64;

/// Reads `text` (RFC 8259 JSON) into a [`Node`] tree with byte offsets.
pub(crate) fn parse(text: &str) -> Option<Node> {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    let node = p.value(0)?;
    p.ws();
    (p.i == p.b.len()).then_some(node)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let at = self.i;
        let kind = match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let key_at = self.i;
                        let key = self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        let v = self.value(depth + 1)?;
                        entries.push((key, Some(key_at), v));
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Kind::Map(entries)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Kind::List(items)
            }
            b'"' => Kind::Str(self.string()?),
            _ => {
                // A number, true, false or null: up to the next delimiter.
                let start = self.i;
                while self.i < self.b.len()
                    && !matches!(
                        self.b[self.i],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
                Kind::Other
            }
        };
        Some(Node { at: Some(at), kind })
    }

    /// A string at the cursor, escapes decoded (`\uXXXX` with surrogate pairs).
    fn string(&mut self) -> Option<String> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.b.len() && !matches!(self.b[self.i], b'"' | b'\\') {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.b[start..self.i]).ok()?);
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => {
                    self.i += 1;
                    let c = *self.b.get(self.i)?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return None;
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.checked_sub(0xDC00)?)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code)?);
                        }
                        _ => return None,
                    }
                }
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let s = std::str::from_utf8(self.b.get(self.i..self.i + 4)?).ok()?;
        self.i += 4;
        u32::from_str_radix(s, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check, locate_in_toml, Profile};

    const PROFILE: &str = r#"{
  "computer_name": "EXAMPLE-%SERIAL%",
  "package": { "name": "t", "version": "1.x" },
  "enrollments": [
    { "upn": "a@example.com", "auth_policy": "OnPremise", "secret": "x" },
    {
      "upn": "not a upn",
      "auth_policy": "OnPremise",
      "discovery_service_full_url": "http://enroll.example.com/EnrollmentServer/Discovery.svc",
      "secret": "x"
    }
  ],
  "wifi": [ { "ssid": "Lab", "security": "WPA2-Personal", "key": "short" } ]
}"#;

    #[test]
    fn json_profile_diagnostics_point_at_their_keys() {
        let profile = Profile::from_json(PROFILE).expect("parses");
        let report = check(&profile, std::time::SystemTime::now());
        let pos_of = |needle: &str| {
            let off = PROFILE.find(needle).expect(needle);
            let before = &PROFILE[..off];
            let line = before.matches('\n').count() as u32 + 1;
            let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
                .chars()
                .count() as u32
                + 1;
            (line, col)
        };
        let mut seen = 0;
        for d in &report.diagnostics {
            let at = locate_in_toml(PROFILE, &d.path).map(|p| (p.line, p.column));
            let want = match d.code.as_str() {
                "VersionFormat" => pos_of("\"version\""),
                "UpnSyntax" => pos_of("\"upn\": \"not"),
                "UrlNotHttps" => pos_of("\"discovery_service_full_url\""),
                "InvalidPassphrase" => pos_of("\"key\""),
                "ComputerNameTooLong" | "SerialLengthUnknown" => pos_of("\"computer_name\""),
                _ => continue,
            };
            assert_eq!(at, Some(want), "{d:?}");
            seen += 1;
        }
        assert_eq!(seen, 5, "{report}");
    }

    #[test]
    fn malformed_or_hostile_json_gives_nothing() {
        assert!(parse("{\"a\": }").is_none());
        assert!(parse("{\"a\": 1} x").is_none());
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_none());
        let s = parse(r#"{"k\u00e9\ud83d\ude00": "v\n"}"#).expect("escapes");
        assert!(s.get("k\u{e9}\u{1F600}").is_some());
    }
}
