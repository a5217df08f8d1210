//! File helpers: opening packages (decrypting when needed) and writing outputs atomically.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use ppkg_format::crypt::{self, Password};
use ppkg_format::layout::Package;
use ppkg_format::wim::WimReader;

/// A readable package file: the file itself, or its decrypted copy in an anonymous temp file.
pub(crate) type PackageFile = BufReader<File>;

/// Opens a `.ppkg` (or any WIM) for reading. An encrypted package is decrypted into an anonymous
/// temporary file first (streaming, HMAC checked before decrypting), which needs `password`.
pub(crate) fn open_package(path: &Path, password: Option<&str>) -> Result<Package<PackageFile>> {
    let wim = open_wim(path, password)?;
    Package::open(wim).with_context(|| format!("{}: cannot read the package", path.display()))
}

/// Opens a WIM as [`open_package`] does, without the package view.
pub(crate) fn open_wim(path: &Path, password: Option<&str>) -> Result<WimReader<PackageFile>> {
    let (file, encrypted) = open_maybe_decrypted(path, password)?;
    WimReader::new(file).with_context(|| {
        if encrypted {
            format!(
                "{}: decrypted content is not a readable WIM",
                path.display()
            )
        } else {
            format!("{}: not a readable package", path.display())
        }
    })
}

/// Whether the file at `path` looks like an encrypted package: it does not start with `MSWIM`
/// and its length is IV + a whole number of AES blocks + HMAC (FORMAT.md §5).
pub(crate) fn is_encrypted(path: &Path) -> Result<bool> {
    let mut f = open_file(path)?;
    looks_encrypted(path, &mut f)
}

fn looks_encrypted(path: &Path, f: &mut File) -> Result<bool> {
    let mut head = [0u8; 8];
    let n = read_up_to(f, &mut head)?;
    f.seek(SeekFrom::Start(0))?;
    let len = f
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let overhead = (crypt::IV_LEN + crypt::MAC_LEN) as u64;
    let shaped = len > overhead && (len - overhead) % crypt::AES_BLOCK as u64 == 0;
    Ok(n >= 8 && crypt::is_encrypted(&head[..n]) && shaped)
}

/// Opens an input file, refusing folders and other non-files with the path in the message.
pub(crate) fn open_file(path: &Path) -> Result<File> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
    if !meta.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

/// The largest profile, answer file or PFX the CLI reads whole (64 MiB; WCD's answer files are
/// kilobytes, and `ppkg_format::xml` refuses documents over its own limit anyway).
pub(crate) const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Reads a whole input file: a regular file (never a FIFO, device or folder, which could block
/// or never end) of at most [`MAX_INPUT_BYTES`].
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>> {
    let f = open_file(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "{}: larger than {} MiB; not a profile, answer file or PFX",
            path.display(),
            MAX_INPUT_BYTES >> 20
        );
    }
    Ok(bytes)
}

/// Refuses an output path that names one of the inputs (the same file, through any path or
/// link): `ppkg build same.toml -o same.toml` would replace the profile with a package.
pub(crate) fn refuse_output_over_input(output: &Path, inputs: &[&Path]) -> Result<()> {
    let Ok(out) = std::fs::canonicalize(output) else {
        return Ok(()); // does not exist yet
    };
    for input in inputs {
        if std::fs::canonicalize(input).is_ok_and(|i| i == out) {
            bail!(
                "{}: the output would overwrite the input {}",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = r.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

fn open_maybe_decrypted(path: &Path, password: Option<&str>) -> Result<(PackageFile, bool)> {
    let mut f = open_file(path)?;
    if !looks_encrypted(path, &mut f)? {
        return Ok((BufReader::new(f), false));
    }
    let prompted;
    let password = match password {
        Some(p) => p,
        None => match crate::secrets::prompt(&format!("password of {}", path.display()))? {
            Some(p) => {
                prompted = p;
                prompted.as_str()
            }
            None => bail!(
                "{}: the package is encrypted (it does not start with MSWIM); give --password-file PATH, ${} or --password",
                path.display(),
                crate::secrets::PASSWORD_ENV
            ),
        },
    };
    let password = Password::new(password).context("--password")?;
    let mut plain = tempfile::tempfile().context("cannot create a temporary file")?;
    crypt::decrypt(BufReader::new(f), &mut plain, &password)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    plain.seek(SeekFrom::Start(0))?;
    Ok((BufReader::new(plain), true))
}

/// Outputs other than packages (the bulk zip, extracted files) are written as packages are:
/// temporary file, renamed into place, removed on failure, SIGINT and SIGTERM.
pub(crate) use ppkg::AtomicFile;

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut out = AtomicFile::create(path)?;
    out.file().write_all(bytes)?;
    Ok(out.commit()?)
}

/// Reads every file of a WIM through its streaming reader, so that each blob's SHA-1 (and every
/// XPRESS chunk) is checked; returns the number of files and bytes read.
pub(crate) fn verify_all<R: Read + Seek + Send>(wim: &mut WimReader<R>) -> Result<(u64, u64)> {
    // In the order the blobs are stored, decoded and hashed on every core (ppkg-format).
    wim.verify_all().context("a file of the package is damaged")
}
