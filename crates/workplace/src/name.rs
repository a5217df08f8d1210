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

/// Characters of a literal that a computer name may not hold.
pub fn bad_chars(s: &str) -> Vec<char> {
    let mut v: Vec<char> = s
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        .collect();
    v.dedup();
    v
}
