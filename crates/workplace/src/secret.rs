//! [`Secret`]: a string that never shows itself by accident.

use std::cell::Cell;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What [`Secret`]'s `Display`, `Debug` and (outside [`Secret::reveal_in`]) `Serialize` write
/// instead of the value.
pub const MASK: &str = "********";

thread_local! {
    static REVEAL: Cell<bool> = const { Cell::new(false) };
}

/// A password, PFX password, enrollment secret or bulk token.
///
/// - `Debug` prints `Secret(********)` and `Display` prints `********`, whatever the value, so a
///   secret never lands in a log line or an error message (DESIGN.md, "Secrets").
/// - `Deserialize` reads a plain string.
/// - `Serialize` writes [`MASK`]; the real value is written only inside
///   [`Secret::reveal_in`], which [`crate::Profile::to_toml`] and
///   [`crate::Profile::to_json`] use when asked to keep secrets.
/// - [`Secret::expose`] is the one way to read the value in code.
#[derive(Clone, PartialEq, Eq, Default, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value. Call it only where the value is needed (writing the answer file,
    /// opening a PFX), never to build a message.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Whether the value is the mask itself (a profile written without secrets and read back).
    pub fn is_mask(&self) -> bool {
        self.0 == MASK
    }

    /// Runs `f` with `Serialize` writing real values on this thread, then restores masking
    /// (also when `f` panics).
    pub fn reveal_in<T>(f: impl FnOnce() -> T) -> T {
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                REVEAL.with(|r| r.set(self.0));
            }
        }
        let _restore = Restore(REVEAL.with(|r| r.replace(true)));
        f()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if REVEAL.with(Cell::get) {
            serializer.serialize_str(&self.0)
        } else {
            serializer.serialize_str(MASK)
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_everywhere_but_expose() {
        let s = Secret::new("Lab-Pass1");
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{s:?}"), "Secret(********)");
        assert!(!format!("{s:#?}").contains("Lab"));
        assert_eq!(s.expose(), "Lab-Pass1");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"********\"");
        let shown = Secret::reveal_in(|| serde_json::to_string(&s).unwrap());
        assert_eq!(shown, "\"Lab-Pass1\"");
        // masking is back after reveal_in
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"********\"");
        let back: Secret = serde_json::from_str("\"x&<y\"").unwrap();
        assert_eq!(back.expose(), "x&<y");
        assert!(Secret::new(" \t").is_blank());
        assert!(Secret::new(MASK).is_mask());
    }
}
