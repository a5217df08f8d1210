//! Password encryption of packages: WCD's "Encrypt package" option.
//!
//! An encrypted `.ppkg` is, per `FORMAT.md` §5 (inferred from public decompilations of WCD, not
//! yet checked against a package that Windows applied):
//!
//! ```text
//! offset 0        16-byte random IV
//! offset 16       AES-128-CBC ciphertext of the whole WIM, fed in 160-byte blocks
//!                 (FEED_BLOCK), the last one zero-padded; no PKCS#7 padding
//! offset len-32   HMAC-SHA256 of the ciphertext (not of the IV: HMAC_COVERS_IV)
//! ```
//!
//! The key is the password (8–16 ASCII letters and digits) zero-padded to 16 bytes, with no key
//! derivation; the same 16 bytes key the HMAC.
//!
//! Everything here streams: [`encrypt`] reads its input once in 80 KiB pieces, and [`decrypt`]
//! makes two passes over a seekable input (first the HMAC, then the decryption), so a package
//! is never held whole in memory. The zero padding makes the plaintext longer than the WIM;
//! [`decrypt`] trims it using the WIM header (see [`wim_end_from_header`]).
//!
//! ```
//! use ppkg_format::crypt::{self, Password};
//! # fn main() -> ppkg_format::Result<()> {
//! # let mut wim = vec![0u8; 300];
//! # wim[..8].copy_from_slice(b"MSWIM\0\0\0");
//! # wim[8..12].copy_from_slice(&208u32.to_le_bytes());
//! # wim[12..16].copy_from_slice(&0x0001_0D00u32.to_le_bytes());
//! # wim[72] = 92; wim[80] = 208; // XML resource: 92 bytes at offset 208
//! let password: Password = "Secret2024".parse()?;
//! let mut encrypted = Vec::new();
//! crypt::encrypt(&wim[..], &mut encrypted, &password, [7u8; 16])?;
//! assert!(crypt::is_encrypted(&encrypted));
//!
//! let mut decrypted = Vec::new();
//! crypt::decrypt(std::io::Cursor::new(&encrypted), &mut decrypted, &password)?;
//! assert_eq!(decrypted, wim);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::str::FromStr;

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::error::{Error, ErrorKind, Result};

type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;
type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;
type HmacSha256 = Hmac<Sha256>;

/// Length of the random IV at the start of an encrypted package, in bytes (`FORMAT.md` §5).
pub const IV_LEN: usize = 16;
/// Length of the HMAC-SHA256 at the end of an encrypted package, in bytes (`FORMAT.md` §5).
pub const MAC_LEN: usize = 32;
/// AES block size in bytes; the ciphertext is always a whole number of these.
pub const AES_BLOCK: usize = 16;
/// The WIM is fed to the cipher in blocks of this many bytes and the last one is zero-padded to
/// this size (`FORMAT.md` §5: "fed in 160-byte blocks, the last zero-padded"). The reader
/// ([`decrypt`]) accepts any multiple of [`AES_BLOCK`], so a package padded only to 16 bytes
/// also reads.
pub const FEED_BLOCK: usize = 160;
/// Whether the HMAC also covers the IV. `false`: `FORMAT.md` §5 says "HMAC-SHA256 of the
/// ciphertext", and that is followed. The IV is therefore not authenticated; a changed IV only
/// changes the first 16 plaintext bytes (the WIM magic, header size and version), which
/// [`decrypt`] checks, so a flipped IV byte is still reported.
pub const HMAC_COVERS_IV: bool = false;
/// Shortest password WCD accepts, in characters (`FORMAT.md` §5).
pub const PASSWORD_MIN_LEN: usize = 8;
/// Longest password, in characters: the AES-128 key size (`FORMAT.md` §5).
pub const PASSWORD_MAX_LEN: usize = 16;
/// Length of a [`Password::generate`]d password, in characters.
pub const GENERATED_LEN: usize = 16;

/// WIM magic, the first 8 bytes of every WIM (`FORMAT.md` §1).
const WIM_MAGIC: &[u8; 8] = b"MSWIM\0\0\0";
/// Size of the WIM header (`FORMAT.md` §1).
const WIM_HEADER_LEN: usize = 208;
/// WIM versions known to exist: 1.13 (WCD, `FORMAT.md` §1) and 1.14 (solid WIMs).
const WIM_VERSIONS: [u32; 2] = [0x0001_0D00, 0x0001_0E00];
/// Offsets of the resource headers in the WIM header: blob table, XML data, boot metadata,
/// integrity table (`FORMAT.md` §1; Microsoft's "Windows Imaging File Format" paper).
const RESHDR_OFFSETS: [(usize, &str); 4] = [
    (48, "blob table"),
    (72, "XML data"),
    (96, "boot metadata"),
    (124, "integrity table"),
];
/// Bytes read and processed per step: 512 feed blocks (80 KiB).
const CHUNK: usize = FEED_BLOCK * 512;
/// The alphabet of generated passwords: ASCII letters and digits.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A package password: 8–16 ASCII letters and digits (`FORMAT.md` §5).
///
/// Only valid passwords can be built ([`Password::new`], [`FromStr`], [`Password::generate`]).
/// `Debug` and `Display` print `********`, never the password; the bytes are zeroed on drop.
/// [`Password::expose`] gives the text (to print a generated password once).
#[derive(Clone)]
pub struct Password {
    /// The password's bytes zero-padded to 16: this is also the AES and HMAC key.
    key: [u8; 16],
    /// Number of password characters in `key`.
    len: u8,
}

impl Password {
    /// A password from its text.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the text has fewer than 8 or more than 16 characters or a
    /// character that is not an ASCII letter or digit. The message names the rule and the
    /// offending position, never the password.
    pub fn new(text: &str) -> Result<Self> {
        let len = text.chars().count();
        if !(PASSWORD_MIN_LEN..=PASSWORD_MAX_LEN).contains(&len) {
            return Err(Error::invalid_input(format!(
                "password: must be {PASSWORD_MIN_LEN} to {PASSWORD_MAX_LEN} ASCII letters and \
                 digits, got {len} characters"
            )));
        }
        if let Some(pos) = text.chars().position(|c| !c.is_ascii_alphanumeric()) {
            return Err(Error::invalid_input(format!(
                "password: character {} is not an ASCII letter or digit",
                pos + 1
            )));
        }
        let mut key = [0u8; 16];
        key[..len].copy_from_slice(text.as_bytes());
        Ok(Self {
            key,
            // `len` is at most 16 (checked above).
            len: len as u8,
        })
    }

    /// A new random password of 16 letters and digits, from the operating system's random
    /// source (`getrandom`), as WCD generates one when none is given.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the operating system's random source fails.
    pub fn generate() -> Result<Self> {
        let mut failure = None;
        let password = Self::generate_with(|buf| {
            if let Err(e) = getrandom::fill(buf) {
                failure = Some(e);
            }
        });
        match failure {
            Some(e) => Err(std::io::Error::other(format!("random source failed: {e}")).into()),
            None => Ok(password),
        }
    }

    /// A new password of 16 letters and digits drawn from `fill`, a source of random bytes
    /// (called as often as needed to fill the given buffer). Use it with a seeded generator for
    /// reproducible tests. Each character is chosen without modulo bias (bytes of 248 and above
    /// are drawn again).
    pub fn generate_with(mut fill: impl FnMut(&mut [u8])) -> Self {
        let mut key = [0u8; 16];
        let mut have = 0;
        let mut buf = [0u8; 32];
        while have < GENERATED_LEN {
            fill(&mut buf);
            for &b in &buf {
                // 248 = 4 * 62: the largest multiple of the alphabet size that fits a byte.
                if b < 248 && have < GENERATED_LEN {
                    key[have] = ALPHABET[usize::from(b) % ALPHABET.len()];
                    have += 1;
                }
            }
        }
        buf.zeroize();
        Self {
            key,
            len: GENERATED_LEN as u8,
        }
    }

    /// The password's text. Handle with care: this is the secret.
    pub fn expose(&self) -> &str {
        // Only ASCII letters and digits are ever stored, so this cannot fail.
        std::str::from_utf8(&self.key[..usize::from(self.len)]).unwrap_or_default()
    }

    /// Number of characters (8–16).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always `false`: a password has at least 8 characters. (Present because `len` is.)
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The 16-byte AES-128 and HMAC key: the password zero-padded (`FORMAT.md` §5).
    fn key(&self) -> &[u8; 16] {
        &self.key
    }
}

impl FromStr for Password {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(********)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// A fresh random IV from the operating system's random source.
///
/// # Errors
/// [`ErrorKind::Io`] when the operating system's random source fails.
pub fn random_iv() -> Result<[u8; IV_LEN]> {
    let mut iv = [0u8; IV_LEN];
    getrandom::fill(&mut iv)
        .map_err(|e| std::io::Error::other(format!("random source failed: {e}")))?;
    Ok(iv)
}

/// Whether a package's first bytes look encrypted: at least 8 bytes that are not the WIM magic
/// `MSWIM\0\0\0` (`FORMAT.md` §5: an encrypted package starts with its random IV). Fewer than
/// 8 bytes give `false` (too short to tell, and too short to be either).
pub fn is_encrypted(first_bytes: &[u8]) -> bool {
    first_bytes.len() >= WIM_MAGIC.len() && !first_bytes.starts_with(WIM_MAGIC)
}

/// The plaintext length after zero padding: `plain_len` rounded up to a multiple of
/// [`FEED_BLOCK`] (160 bytes).
pub fn padded_len(plain_len: u64) -> u64 {
    plain_len.div_ceil(FEED_BLOCK as u64) * FEED_BLOCK as u64
}

/// The size in bytes of the encrypted package that [`encrypt`] writes for a WIM of `wim_len`
/// bytes: IV + padded ciphertext + HMAC.
pub fn encrypted_len(wim_len: u64) -> u64 {
    IV_LEN as u64 + padded_len(wim_len) + MAC_LEN as u64
}

/// Encrypt a WIM read from `input`, writing IV ‖ ciphertext ‖ HMAC to `output`; returns the
/// number of bytes written (see [`encrypted_len`]).
///
/// `iv` should come from [`random_iv`]; a fixed IV is for tests and reproducible builds only.
/// The input is read once, in 80 KiB pieces; the last piece is zero-padded to a multiple of
/// [`FEED_BLOCK`].
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for an empty input; [`ErrorKind::Io`] for read or write errors.
pub fn encrypt<R: Read, W: Write>(
    mut input: R,
    mut output: W,
    password: &Password,
    iv: [u8; IV_LEN],
) -> Result<u64> {
    let mut cipher = Aes128CbcEnc::new(password.key().into(), &iv.into());
    let mut mac = new_mac(password);
    output.write_all(&iv)?;
    let mut written = IV_LEN as u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_full(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        let padded = n.div_ceil(FEED_BLOCK) * FEED_BLOCK;
        buf[n..padded].fill(0);
        for block in buf[..padded].chunks_exact_mut(AES_BLOCK) {
            cipher.encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        mac.update(&buf[..padded]);
        output.write_all(&buf[..padded])?;
        written += padded as u64;
        if n < buf.len() {
            break;
        }
    }
    if written == IV_LEN as u64 {
        return Err(Error::invalid_input(
            "nothing to encrypt: the input is empty",
        ));
    }
    output.write_all(&mac.finalize().into_bytes())?;
    written += MAC_LEN as u64;
    output.flush()?;
    buf.zeroize();
    Ok(written)
}

/// Check the HMAC of an encrypted package without decrypting it: reads `input` from its
/// current position to its end once. Returns the ciphertext length in bytes and leaves the
/// input positioned at its end.
///
/// # Errors
/// - [`ErrorKind::Decrypt`] `"wrong password or tampered file: HMAC mismatch"` when the HMAC
///   does not match (a wrong password and a changed byte look the same);
/// - [`ErrorKind::Decrypt`] when the length cannot be IV + n·16 + HMAC (not an encrypted
///   package, or truncated);
/// - [`ErrorKind::Io`] for read errors.
pub fn verify_mac<R: Read + Seek>(input: &mut R, password: &Password) -> Result<u64> {
    let start = input.stream_position()?;
    let end = input.seek(SeekFrom::End(0))?;
    let total = end.saturating_sub(start);
    let overhead = (IV_LEN + MAC_LEN) as u64;
    if total < overhead + AES_BLOCK as u64 || (total - overhead) % AES_BLOCK as u64 != 0 {
        return Err(Error::new(ErrorKind::Decrypt(format!(
            "not an encrypted package: {total} bytes is not IV (16) + a whole number of \
             16-byte AES blocks + HMAC (32)"
        )))
        .at(start));
    }
    let ct_len = total - overhead;
    input.seek(SeekFrom::Start(start + IV_LEN as u64))?;
    let mut mac = new_mac(password);
    let mut buf = vec![0u8; CHUNK];
    let mut left = ct_len;
    while left > 0 {
        let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
        input.read_exact(&mut buf[..want])?;
        mac.update(&buf[..want]);
        left -= want as u64;
    }
    let mut tag = [0u8; MAC_LEN];
    input.read_exact(&mut tag)?;
    mac.verify_slice(&tag).map_err(|_| {
        Error::new(ErrorKind::Decrypt(
            "wrong password or tampered file: HMAC mismatch".into(),
        ))
        .at(start + IV_LEN as u64 + ct_len)
    })?;
    Ok(ct_len)
}

/// Decrypt an encrypted package from `input` (read from its current position to its end),
/// writing the WIM, trimmed to its true length, to `output`; returns the WIM length in bytes.
///
/// Two passes: [`verify_mac`] first, so nothing is decrypted or written unless the HMAC
/// matches; then the decryption. The plaintext is the WIM plus zero padding; the WIM's own
/// header says where it ends ([`wim_end_from_header`]: the end of the XML data or of a later
/// resource), the bytes up to there are written and the padding after it must be zeros.
///
/// # Errors
/// As [`verify_mac`]; then [`ErrorKind::NotWim`] or [`ErrorKind::Decrypt`] when the decrypted
/// header is not a WIM header (a changed IV shows up here, since the HMAC does not cover it),
/// [`ErrorKind::Decrypt`] when the header's end lies past the plaintext or non-zero bytes
/// follow it; [`ErrorKind::Io`] for read or write errors. Offsets are absolute in the input.
pub fn decrypt<R: Read + Seek, W: Write>(input: R, output: W, password: &Password) -> Result<u64> {
    decrypt_inner(input, output, password, true)
}

/// Decrypt an encrypted package like [`decrypt`] but write the whole plaintext, zero padding
/// included, without reading a WIM header; returns the plaintext length (a multiple of 16).
/// For content that is not a WIM, and to inspect damaged packages.
///
/// # Errors
/// As [`verify_mac`]; [`ErrorKind::Io`] for write errors.
pub fn decrypt_padded<R: Read + Seek, W: Write>(
    input: R,
    output: W,
    password: &Password,
) -> Result<u64> {
    decrypt_inner(input, output, password, false)
}

/// The true length of a WIM from its 208-byte header: the largest end (offset + stored size)
/// of the blob table, XML data, boot metadata and integrity table resources, and at least 208.
/// In WCD packages the XML data is the last thing in the file (`FORMAT.md` §1), so this is the
/// XML resource's end.
///
/// # Errors
/// [`ErrorKind::Truncated`] for fewer than 208 bytes; [`ErrorKind::NotWim`] for a wrong magic
/// or header size; [`ErrorKind::Unsupported`] for an unknown WIM version;
/// [`ErrorKind::Malformed`] when a resource's end overflows. Offsets are within `header`.
pub fn wim_end_from_header(header: &[u8]) -> Result<u64> {
    if header.len() < WIM_HEADER_LEN {
        return Err(Error::new(ErrorKind::Truncated {
            needed: (WIM_HEADER_LEN - header.len()) as u64,
        }));
    }
    if !header.starts_with(WIM_MAGIC) {
        return Err(Error::new(ErrorKind::NotWim).at(0));
    }
    let header_size = u32_at(header, 8);
    if header_size as usize != WIM_HEADER_LEN {
        return Err(Error::new(ErrorKind::NotWim).at(8));
    }
    let version = u32_at(header, 12);
    if !WIM_VERSIONS.contains(&version) {
        return Err(Error::unsupported(format!("WIM version {version:#010x}")).at(12));
    }
    let mut end = WIM_HEADER_LEN as u64;
    for (at, name) in RESHDR_OFFSETS {
        let mut size = [0u8; 8];
        size[..7].copy_from_slice(&header[at..at + 7]);
        let size = u64::from_le_bytes(size);
        let offset = u64_at(header, at + 8);
        if size == 0 {
            continue;
        }
        let res_end = offset.checked_add(size).ok_or_else(|| {
            Error::malformed(format!(
                "{name} resource: offset {offset} + size {size} overflows"
            ))
            .at(at as u64)
        })?;
        end = end.max(res_end);
    }
    Ok(end)
}

/// Both decryptions: `trim` = read the WIM header and cut the padding.
fn decrypt_inner<R: Read + Seek, W: Write>(
    mut input: R,
    mut output: W,
    password: &Password,
    trim: bool,
) -> Result<u64> {
    let start = input.stream_position()?;
    let ct_len = verify_mac(&mut input, password)?;
    input.seek(SeekFrom::Start(start))?;
    let mut iv = [0u8; IV_LEN];
    input.read_exact(&mut iv)?;
    let mut cipher = Aes128CbcDec::new(password.key().into(), &iv.into());
    let ct_start = start + IV_LEN as u64;

    // The WIM end is known once the header has been decrypted (the first 208 bytes).
    let mut wim_end = if trim { None } else { Some(ct_len) };
    let mut buf = vec![0u8; CHUNK];
    let mut pos = 0u64; // plaintext offset of buf[0]
    let mut written = 0u64;
    while pos < ct_len {
        let want = usize::try_from((ct_len - pos).min(CHUNK as u64)).unwrap_or(CHUNK);
        input.read_exact(&mut buf[..want])?;
        for block in buf[..want].chunks_exact_mut(AES_BLOCK) {
            cipher.decrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        let end = match wim_end {
            Some(e) => e,
            None => {
                // CHUNK > 208, so the first chunk holds the whole header unless the file is
                // shorter, in which case the header parser reports the truncation.
                let e = wim_end_from_header(&buf[..want]).map_err(|e| header_error(e, ct_start))?;
                if e > ct_len {
                    return Err(Error::new(ErrorKind::Decrypt(format!(
                        "the WIM header says the file ends at byte {e}, but only {ct_len} bytes \
                         were decrypted (truncated package?)"
                    )))
                    .at(ct_start));
                }
                wim_end = Some(e);
                e
            }
        };
        let keep = usize::try_from(end.saturating_sub(pos).min(want as u64)).unwrap_or(want);
        output.write_all(&buf[..keep])?;
        written += keep as u64;
        if let Some(i) = buf[keep..want].iter().position(|&b| b != 0) {
            let at = pos + (keep + i) as u64;
            return Err(Error::new(ErrorKind::Decrypt(format!(
                "non-zero byte in the padding after the WIM's end at plaintext byte {end} \
                 (found at plaintext byte {at})"
            )))
            .at(ct_start + at));
        }
        pos += want as u64;
    }
    output.flush()?;
    buf.zeroize();
    Ok(written)
}

/// Rewrite a header error found in decrypted bytes: say it is about the decrypted header and
/// shift its offset to the absolute position in the encrypted input.
fn header_error(e: Error, ct_start: u64) -> Error {
    let what = match e.kind() {
        ErrorKind::NotWim => {
            "the decrypted data is not a WIM (changed IV, or not a package)".to_string()
        }
        other => format!("decrypted WIM header: {other}"),
    };
    let at = ct_start + e.offset().unwrap_or(0);
    Error::new(ErrorKind::Decrypt(what)).at(at)
}

/// A new HMAC-SHA256 keyed with the password's 16-byte key.
fn new_mac(password: &Password) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(password.key())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// Read until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        assert!(Password::new("abcdefgh").is_ok());
        assert!(Password::new("ABCDEFGH12345678").is_ok());
        assert!(Password::new("abcdefg").is_err());
        assert!(Password::new("ABCDEFGH123456789").is_err());
        let e = Password::new("abcd efgh").unwrap_err();
        assert!(e.to_string().contains("character 5"), "{e}");
        assert!(!e.to_string().contains("abcd"), "{e}");
        assert!(Password::new("abcdéfgh").is_err());
    }

    #[test]
    fn password_is_masked() {
        let p = Password::new("Secret2024").unwrap();
        assert_eq!(format!("{p:?}"), "Password(********)");
        assert_eq!(p.to_string(), "********");
        assert_eq!(p.expose(), "Secret2024");
        assert_eq!(&p.key()[..10], b"Secret2024");
        assert_eq!(&p.key()[10..], &[0u8; 6]);
    }

    #[test]
    fn generated_passwords_are_valid_and_differ() {
        let a = Password::generate().unwrap();
        let b = Password::generate().unwrap();
        assert_eq!(a.len(), GENERATED_LEN);
        assert!(Password::new(a.expose()).is_ok());
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn generate_with_rejects_biased_bytes() {
        // 255 and 248 are rejected; 0 → 'A', 61 → '9', 62 → 'A' again.
        let bytes = [255u8, 248, 0, 61, 62];
        let mut i = 0;
        let p = Password::generate_with(|buf| {
            for b in buf.iter_mut() {
                *b = bytes[i % bytes.len()];
                i += 1;
            }
        });
        assert!(p.expose().starts_with("A9A"), "{}", p.expose());
    }

    #[test]
    fn detection() {
        assert!(!is_encrypted(b"MSWIM\0\0\0rest"));
        assert!(is_encrypted(b"\x01\x02\x03\x04\x05\x06\x07\x08"));
        assert!(!is_encrypted(b"MSW"));
        assert_eq!(padded_len(1), 160);
        assert_eq!(padded_len(160), 160);
        assert_eq!(padded_len(161), 320);
        assert_eq!(encrypted_len(300), 16 + 320 + 32);
    }
}
