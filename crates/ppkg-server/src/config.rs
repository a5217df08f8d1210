//! The server's configuration file (TOML), read by `ppkg serve --config FILE`.
//!
//! ```toml
//! listen = "127.0.0.1:8080"        # address:port; a non-loopback address needs token_file
//! templates = "templates"          # folder of profiles (.toml/.json) and their assets
//! token_file = "tokens.txt"        # optional: one bearer token per line, `#` comments
//! edition = "desktop"              # edition packages are validated against
//!
//! [limits]                         # all optional; defaults shown
//! max_concurrent = 64              # requests in flight; more get 503 + Retry-After
//! request_timeout_secs = 30        # whole request, answered 408 when exceeded
//! header_read_timeout_secs = 10    # a client must send its headers within this time
//! packages_body_bytes = 1048576    # POST /v1/packages
//! bulk_body_bytes = 16777216       # POST /v1/bulk
//! validate_body_bytes = 8388608    # POST /v1/validate
//! inspect_body_bytes = 67108864    # POST /v1/inspect
//! bulk_max_rows = 10000
//!
//! [tls]                            # optional: serve HTTPS (rustls)
//! cert = "server.pem"              # PEM certificate chain
//! key = "server-key.pem"           # PEM private key (PKCS#8, PKCS#1 or SEC1)
//!
//! [signing]                        # optional: enables "sign": true
//! pfx = "signer.pfx"
//! password_file = "signer.pass"    # the PFX password, from a file, never an argument
//! ```
//!
//! Relative paths are resolved against the configuration file's folder. Unknown keys are
//! rejected (a typo must not silently keep a default), and every error names the file, line
//! and column.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration. See the module docs for the TOML shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Folder of template profiles.
    pub templates: PathBuf,
    /// File of bearer tokens; `None` runs without authentication (loopback only).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Edition packages are validated against (`desktop` by default).
    #[serde(default = "default_edition")]
    pub edition: String,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// HTTPS.
    #[serde(default)]
    pub tls: Option<Tls>,
    /// Package signing.
    #[serde(default)]
    pub signing: Option<Signing>,
}

fn default_edition() -> String {
    "desktop".to_owned()
}

/// `[limits]`: sizes in bytes, times in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Requests served at once; further ones are answered 503 with `Retry-After`.
    pub max_concurrent: usize,
    /// Time for a whole request (reading the body and building the answer); 408 after it.
    pub request_timeout_secs: u64,
    /// Time a client has to send its request headers (slow-loris protection).
    pub header_read_timeout_secs: u64,
    /// Body limit of `POST /v1/packages`.
    pub packages_body_bytes: usize,
    /// Body limit of `POST /v1/bulk`.
    pub bulk_body_bytes: usize,
    /// Body limit of `POST /v1/validate`.
    pub validate_body_bytes: usize,
    /// Body limit of `POST /v1/inspect`.
    pub inspect_body_bytes: usize,
    /// Most rows one `POST /v1/bulk` may ask for.
    pub bulk_max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrent: 64,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            packages_body_bytes: 1 << 20,
            bulk_body_bytes: 16 << 20,
            validate_body_bytes: 8 << 20,
            inspect_body_bytes: 64 << 20,
            bulk_max_rows: 10_000,
        }
    }
}

/// `[tls]`: PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// `[signing]`: the PFX that signs packages when a request asks for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// The PKCS#12 file with the signing certificate and key.
    pub pfx: PathBuf,
    /// File holding the PFX password (first line; trailing newline ignored).
    pub password_file: PathBuf,
}

/// A configuration that cannot be used: `file:line:col: message` (line and column 1-based,
/// absent for faults that are not at one place, such as an unreadable file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", pos.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct ConfigError {
    /// The configuration file.
    pub file: String,
    /// Line and column of the fault.
    pub pos: Option<(u32, u32)>,
    /// What is wrong.
    pub message: String,
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Config {
    /// Parses configuration text; `file` names it in errors and `base` is the folder relative
    /// paths are resolved against.
    ///
    /// # Errors
    /// A TOML syntax error, an unknown key or a wrong type, with its line and column.
    pub fn parse(text: &str, file: &str, base: &Path) -> Result<Config, ConfigError> {
        let mut c: Config = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_owned(),
            pos: e.span().map(|s| line_col(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        abs(&mut c.templates);
        if let Some(t) = &mut c.token_file {
            abs(t);
        }
        if let Some(t) = &mut c.tls {
            abs(&mut t.cert);
            abs(&mut t.key);
        }
        if let Some(s) = &mut c.signing {
            abs(&mut s.pfx);
            abs(&mut s.password_file);
        }
        let err = |key: &str, message: String| ConfigError {
            file: file.to_owned(),
            pos: find_key(text, key),
            message,
        };
        if c.limits.max_concurrent == 0 {
            return Err(err(
                "max_concurrent",
                "limits.max_concurrent must be at least 1".into(),
            ));
        }
        if c.limits.request_timeout_secs == 0 || c.limits.header_read_timeout_secs == 0 {
            return Err(err(
                "timeout_secs",
                "timeouts must be at least 1 second".into(),
            ));
        }
        if c.edition.parse::<csp_model::Edition>().is_err() {
            return Err(err(
                "edition",
                format!(
                    "edition {:?}: expected one of common, desktop, mobile, iotuap, team, hololens, holographic",
                    c.edition
                ),
            ));
        }
        if c.token_file.is_none() && !c.listen.ip().is_loopback() {
            return Err(err(
                "listen",
                format!(
                    "listen = \"{}\" is not a loopback address: give token_file (bearer tokens), or listen on 127.0.0.1 / [::1]",
                    c.listen
                ),
            ));
        }
        Ok(c)
    }

    /// Reads and parses a configuration file.
    ///
    /// # Errors
    /// The file cannot be read, or [`Config::parse`] fails.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            pos: None,
            message: format!("cannot read: {e}"),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        Config::parse(&text, &path.display().to_string(), base)
    }
}

/// Line and column of the first line that sets `key` (`key =` at the start of a line).
fn find_key(text: &str, key: &str) -> Option<(u32, u32)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with(key) || t.split('=').next().is_some_and(|k| k.trim().ends_with(key)) {
            return Some(line_col(text, offset + (line.len() - t.len())));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_and_defaults() {
        let c = Config::parse(
            "listen = \"127.0.0.1:0\"\ntemplates = \"t\"\n",
            "c.toml",
            Path::new("/etc/ppkg"),
        )
        .expect("valid");
        assert_eq!(c.templates, Path::new("/etc/ppkg/t"));
        assert_eq!(c.limits.max_concurrent, 64);
        assert!(c.token_file.is_none());
    }

    #[test]
    fn unknown_key_has_line_and_column() {
        let e = Config::parse(
            "listen = \"127.0.0.1:0\"\ntemplates = \"t\"\n[limits]\nmax_concurent = 3\n",
            "c.toml",
            Path::new("."),
        )
        .expect_err("typo");
        assert_eq!(e.pos, Some((4, 1)), "{e}");
        assert!(e.to_string().starts_with("c.toml:4:1: "), "{e}");
        assert!(e.message.contains("max_concurent"), "{e}");
    }

    #[test]
    fn bad_address_is_placed() {
        let e = Config::parse(
            "templates = \"t\"\nlisten = \"localhost:x\"\n",
            "c.toml",
            Path::new("."),
        )
        .expect_err("bad address");
        assert_eq!(e.pos.map(|p| p.0), Some(2), "{e}");
    }

    #[test]
    fn no_auth_only_on_loopback() {
        let e = Config::parse(
            "listen = \"0.0.0.0:8080\"\ntemplates = \"t\"\n",
            "c.toml",
            Path::new("."),
        )
        .expect_err("public without tokens");
        assert!(e.message.contains("token_file"), "{e}");
        assert_eq!(e.pos, Some((1, 1)));
        Config::parse(
            "listen = \"0.0.0.0:8080\"\ntemplates = \"t\"\ntoken_file = \"tok\"\n",
            "c.toml",
            Path::new("."),
        )
        .expect("public with tokens");
        Config::parse(
            "listen = \"[::1]:8080\"\ntemplates = \"t\"\n",
            "c.toml",
            Path::new("."),
        )
        .expect("v6 loopback");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("", 5), (1, 1));
    }
}
