//! Computer name schemes: `%SERIAL%` and `%RAND:n%` (Accounts CSP `Domain/ComputerName`).
//!
//! Facts used (Accounts CSP documentation, MicrosoftDocs/windows-itpro-docs PR 3609, and the
//! oofhours.com note cited in field case B10): a name may hold `%SERIAL%` (the device serial
//! number) and `%RAND:n%` (n random digits); a name with macros is limited to 15 characters,
//! and when the serial makes it longer Windows keeps the serial's *last* characters (it cuts
//! from the left); a constant name may be up to 63 characters, but Windows then derives a
//! different 15-character NetBIOS name. Allowed characters: ASCII letters, digits and `-`;
//! a name may not be digits only.

use std::fmt;

/// NetBIOS limit, and the limit for names with macros.
pub const MAX_NAME: usize = 15;
/// DNS host-label limit for constant names.
pub const MAX_CONSTANT_NAME: usize = 63;

/// One piece of a computer name scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePart {
    /// Text used as is.
    Literal(String),
    /// `%SERIAL%`.
    Serial,
    /// `%RAND:n%`: n random digits.
    Rand(usize),
}

/// A parsed computer name scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameScheme {
    /// The pieces, in order.
    pub parts: Vec<NamePart>,
}

/// Why a scheme did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad macro at character {offset}: {reason}")]
pub struct BadMacro {
    /// 0-based character offset of the `%` that starts the macro.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

/// The two readings of an expanded name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Every macro expanded in full (what an admin might expect).
    pub full: String,
    /// What Windows sets: the serial cut from the left so the name fits 15 characters.
    pub device: String,
}

impl NameScheme {
    /// Parses a scheme.
    ///
    /// # Errors
    /// [`BadMacro`] for `%RAND:0%`, `%RAND:x%`, an unknown `%NAME%` or a `%` without its pair.
    pub fn parse(s: &str) -> Result<Self, BadMacro> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '%' {
                lit.push(chars[i]);
                i += 1;
                continue;
            }
            let Some(len) = chars[i + 1..].iter().position(|c| *c == '%') else {
                return Err(BadMacro {
                    offset: i,
                    reason: "'%' without a closing '%'".into(),
                });
            };
            let body: String = chars[i + 1..i + 1 + len].iter().collect();
            let part = if body.eq_ignore_ascii_case("SERIAL") {
                NamePart::Serial
            } else if let Some(n) = body
                .strip_prefix("RAND:")
                .or_else(|| body.strip_prefix("rand:"))
            {
                match n.parse::<usize>() {
                    Ok(0) => {
                        return Err(BadMacro {
                            offset: i,
                            reason: "%RAND:0% gives no digits".into(),
                        })
                    }
                    Ok(n) => NamePart::Rand(n),
                    Err(_) => {
                        return Err(BadMacro {
                            offset: i,
                            reason: format!("%RAND:{n}%: the count must be a number"),
                        })
                    }
                }
            } else {
                return Err(BadMacro {
                    offset: i,
                    reason: format!("unknown macro %{body}% (known: %SERIAL%, %RAND:n%)"),
                });
            };
            if !lit.is_empty() {
                parts.push(NamePart::Literal(std::mem::take(&mut lit)));
            }
            parts.push(part);
            i += len + 2;
        }
        if !lit.is_empty() {
            parts.push(NamePart::Literal(lit));
        }
        Ok(NameScheme { parts })
    }

    /// Whether the scheme has any macro.
    pub fn has_macros(&self) -> bool {
        self.parts
            .iter()
            .any(|p| !matches!(p, NamePart::Literal(_)))
    }

    /// Whether the scheme uses `%SERIAL%`.
    pub fn has_serial(&self) -> bool {
        self.parts.contains(&NamePart::Serial)
    }

    /// Characters that do not depend on the serial: literals plus random digits.
    pub fn fixed_len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                NamePart::Literal(s) => s.chars().count(),
                NamePart::Serial => 0,
                NamePart::Rand(n) => *n,
            })
            .sum()
    }

    /// Length with every macro expanded, for a serial of `serial_len` characters.
    pub fn worst_case(&self, serial_len: usize) -> usize {
        let serials = self
            .parts
            .iter()
            .filter(|p| **p == NamePart::Serial)
            .count();
        self.fixed_len() + serials * serial_len
    }

    /// Total random digits.
    pub fn rand_digits(&self) -> usize {
        self.parts
            .iter()
            .map(|p| if let NamePart::Rand(n) = p { *n } else { 0 })
            .sum()
    }

    /// Expands with a given serial; random digits come from `digits` (cycled; `'0'` when empty),
    /// so the result is deterministic for tests.
    pub fn expand(&self, serial: &str, digits: &str) -> Expansion {
        let mut rand = digits.chars().cycle();
        let mut full = String::new();
        let mut fixed = String::new();
        for p in &self.parts {
            match p {
                NamePart::Literal(s) => {
                    full.push_str(s);
                    fixed.push_str(s);
                }
                NamePart::Serial => full.push_str(serial),
                NamePart::Rand(n) => {
                    let d: String = (0..*n).map(|_| rand.next().unwrap_or('0')).collect();
                    full.push_str(&d);
                    fixed.push_str(&d);
                }
            }
        }
        // Windows cuts the serial from the left so that the name fits.
        let room = MAX_NAME.saturating_sub(fixed.chars().count());
        let serial_chars: Vec<char> = serial.chars().collect();
        let kept: String = serial_chars[serial_chars.len().saturating_sub(room)..]
            .iter()
            .collect();
        let mut rand = digits.chars().cycle();
        let mut device = String::new();
        for p in &self.parts {
            match p {
                NamePart::Literal(s) => device.push_str(s),
                NamePart::Serial => device.push_str(&kept),
                NamePart::Rand(n) => {
                    device.extend((0..*n).map(|_| rand.next().unwrap_or('0')));
                }
            }
        }
        Expansion { full, device }
    }

    /// Probability that at least two of `fleet` devices draw the same random digits
    /// (birthday bound `1 − exp(−k(k−1)/2N)`, N = 10^digits); 0 without `%RAND%`.
    pub fn collision_probability(&self, fleet: u64) -> f64 {
        let digits = self.rand_digits();
        if digits == 0 || fleet < 2 {
            return if digits == 0 && fleet >= 2 && !self.has_serial() {
                1.0
            } else {
                0.0
            };
        }
        let n = 10f64.powi(i32::try_from(digits).unwrap_or(i32::MAX));
        #[allow(clippy::cast_precision_loss)]
        let k = fleet as f64;
        1.0 - (-k * (k - 1.0) / (2.0 * n)).exp()
    }
}

impl fmt::Display for NameScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                NamePart::Literal(s) => f.write_str(s)?,
                NamePart::Serial => f.write_str("%SERIAL%")?,
                NamePart::Rand(n) => write!(f, "%RAND:{n}%")?,
            }
        }
        Ok(())
    }
}

/// Characters a NetBIOS computer name can't contain: `\ / : * ? " < > |`. Windows refuses
/// such a name.
///
/// Source: Microsoft, "Naming conventions in Active Directory for computers, domains, sites,
/// and OUs" (KB 909264), section "NetBIOS computer names", "Disallowed characters".
pub const NETBIOS_DISALLOWED: &[char] = &['\\', '/', ':', '*', '?', '"', '<', '>', '|'];

/// One way a computer name breaks a rule Windows or DNS applies; [`NameProblem::is_error`]
/// says which ones Windows refuses (errors) and which only DNS refuses (warnings: the name
/// works as a NetBIOS name, but the device's DNS host name, and so its DNS registration,
/// differs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// Characters in [`NETBIOS_DISALLOWED`] (KB 909264, NetBIOS "Disallowed characters").
    NetBiosChars(Vec<char>),
    /// Control characters (below U+0020, U+007F): not printable, never part of a NetBIOS
    /// name (RFC 1001 §14.1 encodes names of printable characters; KB 909264 lists only
    /// printable characters as allowed).
    ControlChars,
    /// The name starts with a period (KB 909264, NetBIOS computer names: "names can't start
    /// with a period").
    LeadingPeriod,
    /// Digits only (KB 909264: "Computers that are members of an Active Directory domain can't
    /// have names that contain only numerals. This is a DNS restriction."; RFC 1123 §2.1 keeps
    /// a host name from looking like a dotted-decimal number).
    DigitsOnly,
    /// Characters other than ASCII letters, digits and `-` that NetBIOS accepts but a DNS host
    /// label does not (`_`, `.`, space, `~ ! @ # $ ^ & ' ( ) { } ,`, non-ASCII letters): RFC
    /// 952 ("ASSUMPTIONS" 1: a name is "a text string … drawn from the alphabet (A-Z), digits
    /// (0-9), minus sign (-), and period (.)", period only between labels) with RFC 1123 §2.1;
    /// KB 909264, DNS host names, "Disallowed characters".
    NotDnsChars(Vec<char>),
    /// The name starts or ends with `-`: RFC 952 ("The last character must not be a minus
    /// sign or period"), RFC 1123 §2.1 (the first character is a letter or a digit).
    DnsHyphenEdge,
}

impl NameProblem {
    /// Whether Windows refuses the name (an error), as opposed to DNS only (a warning).
    pub fn is_error(&self) -> bool {
        !matches!(self, Self::NotDnsChars(_) | Self::DnsHyphenEdge)
    }

    /// One sentence for a diagnostic.
    pub fn message(&self) -> String {
        match self {
            Self::NetBiosChars(c) => format!(
                "the name has characters Windows refuses in a computer name: {c:?} (NetBIOS disallows \\ / : * ? \" < > |)"
            ),
            Self::ControlChars => "the name has control characters".to_owned(),
            Self::LeadingPeriod => "the name starts with a period".to_owned(),
            Self::DigitsOnly => {
                "the name is digits only; a computer name needs a letter or '-'".to_owned()
            }
            Self::NotDnsChars(c) => format!(
                "NetBIOS accepts the characters {c:?}, but a DNS host name may only hold ASCII letters, digits and '-' (RFC 1123): the device's DNS name will differ"
            ),
            Self::DnsHyphenEdge => {
                "the name starts or ends with '-': NetBIOS accepts it, a DNS host name does not (RFC 952, RFC 1123)".to_owned()
            }
        }
    }
}

/// The rules of [`NameProblem`] applied to a name's literal text. `starts`/`ends`: whether the
/// text is the name's first/last part (a macro before or after it changes its edges); `all_literal`:
/// whether the name has no `%SERIAL%` (serials hold letters) — `%RAND%` digits count as digits.
pub fn name_problems(text: &str, starts: bool, ends: bool, digits_only: bool) -> Vec<NameProblem> {
    let mut out = Vec::new();
    let mut netbios: Vec<char> = text
        .chars()
        .filter(|c| NETBIOS_DISALLOWED.contains(c))
        .collect();
    netbios.dedup();
    if !netbios.is_empty() {
        out.push(NameProblem::NetBiosChars(netbios));
    }
    if text.chars().any(char::is_control) {
        out.push(NameProblem::ControlChars);
    }
    if starts && text.starts_with('.') {
        out.push(NameProblem::LeadingPeriod);
    }
    if digits_only {
        out.push(NameProblem::DigitsOnly);
    }
    let mut dns: Vec<char> = text
        .chars()
        .filter(|c| {
            !(c.is_ascii_alphanumeric()
                || *c == '-'
                || NETBIOS_DISALLOWED.contains(c)
                || c.is_control())
        })
        .collect();
    dns.sort_unstable();
    dns.dedup();
    if !dns.is_empty() {
        out.push(NameProblem::NotDnsChars(dns));
    }
    if (starts && text.starts_with('-')) || (ends && text.ends_with('-')) {
        out.push(NameProblem::DnsHyphenEdge);
    }
    out
}

/// Characters of a literal that a computer name may not hold.
pub fn bad_chars(s: &str) -> Vec<char> {
    let mut v: Vec<char> = s
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        .collect();
    v.dedup();
    v
}
