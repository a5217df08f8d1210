//! Bearer-token authentication: tokens from a file, compared in constant time.
//!
//! The token file holds one token per line; blank lines and lines starting with `#` are
//! ignored, surrounding whitespace is trimmed. Tokens are kept only as SHA-256 digests, and a
//! presented token is hashed and compared with every digest using `subtle`'s constant-time
//! equality, without stopping at the first match, so neither the content nor the length of a
//! valid token leaks through timing (RFC 6750 §5.2 asks servers to guard bearer tokens).

use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The accepted tokens (as SHA-256 digests). `Debug` shows only how many there are.
#[derive(Clone, Default)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} token(s))", self.digests.len())
    }
}

/// The shortest token accepted: 16 characters (a guessable token is no authentication).
pub const MIN_TOKEN_LEN: usize = 16;

impl Tokens {
    /// Parses the token file's text.
    ///
    /// # Errors
    /// `line N: …` when a token is shorter than [`MIN_TOKEN_LEN`] or has inner whitespace,
    /// or when the file holds no token at all. The token itself is never in the message.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut digests = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if t.len() < MIN_TOKEN_LEN || t.chars().any(char::is_whitespace) {
                return Err(format!(
                    "line {}: a token must be at least {MIN_TOKEN_LEN} characters without spaces",
                    i + 1
                ));
            }
            digests.push(Sha256::digest(t.as_bytes()).into());
        }
        if digests.is_empty() {
            return Err("no token in the file".to_owned());
        }
        Ok(Tokens { digests })
    }

    /// Reads a token file.
    ///
    /// # Errors
    /// The file cannot be read, or [`Tokens::parse`] fails; the message names the file.
    pub fn load(path: &Path) -> Result<Tokens, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the token file: {e}", path.display()))?;
        Tokens::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Whether `presented` is one of the tokens (constant time in the token values).
    pub fn accepts(&self, presented: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut ok = subtle::Choice::from(0);
        for t in &self.digests {
            ok |= t.ct_eq(&d);
        }
        ok.into()
    }

    /// Checks an `Authorization` header value (`Bearer TOKEN`, scheme case-insensitive,
    /// RFC 6750 §2.1).
    pub fn accepts_header(&self, header: Option<&str>) -> bool {
        let Some(h) = header else { return false };
        let mut parts = h.splitn(2, ' ');
        let scheme = parts.next().unwrap_or("");
        let token = parts.next().unwrap_or("").trim();
        scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && self.accepts(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_accept() {
        let t = Tokens::parse("# comment\n\n  aaaaaaaaaaaaaaaaaaaa  \nbbbbbbbbbbbbbbbbbbbb\n")
            .expect("two tokens");
        assert!(t.accepts("aaaaaaaaaaaaaaaaaaaa"));
        assert!(t.accepts("bbbbbbbbbbbbbbbbbbbb"));
        assert!(!t.accepts("aaaaaaaaaaaaaaaaaaa"));
        assert!(!t.accepts(""));
        assert!(t.accepts_header(Some("Bearer aaaaaaaaaaaaaaaaaaaa")));
        assert!(t.accepts_header(Some("bearer bbbbbbbbbbbbbbbbbbbb")));
        assert!(!t.accepts_header(Some("Basic aaaaaaaaaaaaaaaaaaaa")));
        assert!(!t.accepts_header(Some("Bearer")));
        assert!(!t.accepts_header(None));
        assert_eq!(format!("{t:?}"), "Tokens(2 token(s))");
    }

    #[test]
    fn short_or_empty_refused_without_echo() {
        let e = Tokens::parse("ok-ok-ok-ok-ok-ok-ok\nshort\n").expect_err("short");
        assert_eq!(
            e,
            "line 2: a token must be at least 16 characters without spaces"
        );
        assert!(Tokens::parse("# nothing\n").is_err());
    }
}
