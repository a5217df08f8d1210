//! [`Package`]: input (profile or answer file) → checks → answer file → validation → compile →
//! layout → WIM → encryption → signature, in one builder.

use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use csp_model::compile::AssetResolver;
use csp_model::{Catalog, CompileOptions, Edition};
use ppkg_format::answer::AnswerFile;
use ppkg_format::crypt::{self, Password};
use ppkg_format::layout::{write_serialized_into, LayoutOptions, PackageParts};
use ppkg_format::wim::{Compression, ResourceCache, Source, WimWriter, WriteOptions, WriteStats};
use workplace::Profile;

use crate::error::{Error, Result};
use crate::report::{Code, Diagnostic, Report};
use crate::resolve::PathResolver;

/// The largest profile, answer file or PFX read whole by [`Package::from_path`] and
/// [`Package::sign_with_pfx_file`]: 64 MiB (WCD's answer files are kilobytes, and
/// `ppkg_format::xml` refuses larger documents anyway).
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// How the package is encrypted (FORMAT.md §5: AES-256-CBC with an HMAC, as WCD's "Encrypt
/// package" does).
#[derive(Clone, Debug)]
pub enum Encryption {
    /// A new random password, returned in [`Written::password`] (WCD's generated passwords
    /// have the same shape).
    Generate,
    /// This password (the caller knows it; it is not returned).
    Password(Password),
}

/// What kind of input a path is, by extension: `.toml` and `.json` are profiles, anything else
/// an answer file (`customizations.xml`).
pub fn is_profile_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("json"))
}

#[derive(Clone)]
pub(crate) enum Input {
    /// A typed profile; the TOML text, when it came from TOML, places diagnostics.
    Profile {
        profile: Box<Profile>,
        toml: Option<Arc<str>>,
    },
    /// An answer file.
    Answer(Arc<AnswerFile>),
}

/// One package to build: a typed [`Profile`] or a WCD answer file, plus the build options.
/// Every option has a default; setters take and return `self`.
///
/// Defaults: edition [`Edition::Desktop`]; package ID from the input, else derived from the
/// content when `SOURCE_DATE_EPOCH` is set (reproducible builds), else random; XPRESS
/// compression; no encryption; no signature; relative asset paths resolved against the input's
/// folder ([`Package::from_path`]) or the current folder.
///
/// ```no_run
/// # fn main() -> Result<(), ppkg::Error> {
/// let written = ppkg::Package::from_path("examples/bulk-enrollment.toml")?
///     .encrypt(ppkg::Encryption::Generate)
///     .write_atomic("enrollment.ppkg")?;
/// println!("{} ({} bytes)", written.package_id, written.bytes);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Package {
    pub(crate) input: Input,
    pub(crate) display: String,
    pub(crate) base_dir: Option<PathBuf>,
    pub(crate) assets_folder: Option<PathBuf>,
    pub(crate) edition: Edition,
    pub(crate) package_id: Option<uuid::Uuid>,
    pub(crate) compression: Compression,
    pub(crate) write_options: Option<WriteOptions>,
    pub(crate) encryption: Option<Encryption>,
    pub(crate) signer: Option<Arc<ppkg_sign::Signer>>,
    pub(crate) file_name: Option<String>,
    pub(crate) now: Option<SystemTime>,
    pub(crate) resource_cache: Option<Arc<ResourceCache>>,
}

impl fmt::Debug for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Package")
            .field("input", &self.display)
            .field("edition", &self.edition)
            .field("package_id", &self.package_id)
            .field("compression", &self.compression)
            .field("encrypted", &self.encryption.is_some())
            .field("signed", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

impl Package {
    fn new(input: Input, display: String) -> Self {
        Package {
            input,
            display,
            base_dir: None,
            assets_folder: None,
            edition: Edition::Desktop,
            package_id: None,
            compression: Compression::Xpress,
            write_options: None,
            encryption: None,
            signer: None,
            file_name: None,
            now: None,
            resource_cache: None,
        }
    }

    /// Shares compressed small files with every other package built with the same `cache`
    /// (the output bytes do not change; see [`ResourceCache`]). [`crate::Bulk`] sets one for
    /// its devices; a server building many packages from one template can keep one too.
    #[must_use]
    pub fn resource_cache(mut self, cache: Arc<ResourceCache>) -> Self {
        self.resource_cache = Some(cache);
        self
    }

    /// A package from a typed profile (built in code or read elsewhere). Assets already loaded
    /// ([`workplace::Asset::bytes`]) are used as they are; others are read at build time,
    /// relative to [`Package::base_folder`] (default: the current folder).
    pub fn from_profile(profile: Profile) -> Self {
        Package::new(
            Input::Profile {
                profile: Box::new(profile),
                toml: None,
            },
            "profile".to_owned(),
        )
    }

    /// A package from profile TOML text; diagnostics then carry the TOML line:column.
    ///
    /// # Errors
    /// [`Error::Profile`] when the text does not parse (with its position).
    pub fn from_toml(text: &str) -> Result<Self> {
        let profile = Profile::from_toml(text).map_err(|source| Error::Profile {
            file: "profile".into(),
            source: Box::new(source),
        })?;
        let mut p = Package::from_profile(profile);
        p.input = match p.input {
            Input::Profile { profile, .. } => Input::Profile {
                profile,
                toml: Some(Arc::from(text)),
            },
            other => other,
        };
        Ok(p)
    }

    /// A package from a WCD answer file (`customizations.xml`, UTF-8 bytes). The typed profile
    /// checks of `workplace` run on it too (UPN, URLs, AuthPolicy against Secret, …) when it
    /// maps to a profile.
    ///
    /// # Errors
    /// [`Error::AnswerFile`] when the XML does not parse, with line and column.
    pub fn from_answer_file(xml: &[u8]) -> Result<Self> {
        let answer = AnswerFile::parse(xml).map_err(|source| Error::AnswerFile {
            file: "customizations.xml".into(),
            source: Box::new(source),
        })?;
        Ok(Package::from_parsed_answer_file(answer))
    }

    /// A package from an answer file already parsed or built in code.
    pub fn from_parsed_answer_file(answer: AnswerFile) -> Self {
        Package::new(
            Input::Answer(Arc::new(answer)),
            "customizations.xml".to_owned(),
        )
    }

    /// Reads a profile (`.toml`, `.json`) or an answer file (any other extension); relative
    /// asset paths then resolve against the file's folder, and diagnostics name the file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read (not a regular file, larger than
    /// [`MAX_INPUT_BYTES`]); [`Error::Profile`] / [`Error::AnswerFile`] when it does not parse.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let display = path.display().to_string();
        let bytes = read_input(path)?;
        let mut p = if is_profile_path(path) {
            let text = String::from_utf8(bytes).map_err(|e| {
                Error::io(
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
                    ),
                )
            })?;
            let is_json = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            if is_json {
                let profile = Profile::from_json(&text).map_err(|source| Error::Profile {
                    file: display.clone(),
                    source: Box::new(source),
                })?;
                let mut p = Package::from_profile(profile);
                // The JSON text places diagnostics as TOML does (`locate_in_toml` reads both).
                if let Input::Profile { toml, .. } = &mut p.input {
                    *toml = Some(Arc::from(text.as_str()));
                }
                p
            } else {
                Package::from_toml(&text).map_err(|e| match e {
                    Error::Profile { source, .. } => Error::Profile {
                        file: display.clone(),
                        source,
                    },
                    other => other,
                })?
            }
        } else {
            Package::from_answer_file(&bytes).map_err(|e| match e {
                Error::AnswerFile { source, .. } => Error::AnswerFile {
                    file: display.clone(),
                    source,
                },
                other => other,
            })?
        };
        p.display = display;
        p.base_dir = Some(match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        });
        Ok(p)
    }

    /// The name diagnostics give the input (default: the path, or `profile` /
    /// `customizations.xml`).
    #[must_use]
    pub fn named(mut self, display: impl Into<String>) -> Self {
        self.display = display.into();
        self
    }

    /// Relative asset paths resolve against this folder; absolute paths and `..` are allowed
    /// (the author's own profile). See [`Package::assets_folder`] for untrusted inputs.
    #[must_use]
    pub fn base_folder(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }

    /// Every asset file must lie inside this folder (absolute paths, `..` and symbolic links
    /// leading out are refused): for servers building packages from profiles they did not
    /// write. Answer files look files up in it by relative path, then by file name.
    #[must_use]
    pub fn assets_folder(mut self, dir: impl Into<PathBuf>) -> Self {
        self.assets_folder = Some(dir.into());
        self
    }

    /// Target edition (chooses each setting's catalog variant and the `TargetSkus` of the WIM
    /// notes). Default [`Edition::Desktop`].
    #[must_use]
    pub fn edition(mut self, edition: Edition) -> Self {
        self.edition = edition;
        self
    }

    /// The package ID (`PackageConfig/ID`), replacing the input's.
    #[must_use]
    pub fn package_id(mut self, id: uuid::Uuid) -> Self {
        self.package_id = Some(id);
        self
    }

    /// WIM compression. Default [`Compression::Xpress`] (what WCD writes).
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// WIM writer options (GUID, timestamp: fix them for byte-identical output). Default
    /// [`WriteOptions::from_env`] (`SOURCE_DATE_EPOCH` honoured). [`Package::compression`]
    /// still applies on top.
    #[must_use]
    pub fn write_options(mut self, opts: WriteOptions) -> Self {
        self.write_options = Some(opts);
        self
    }

    /// Encrypts the package. Default: not encrypted.
    #[must_use]
    pub fn encrypt(mut self, encryption: Encryption) -> Self {
        self.encryption = Some(encryption);
        self
    }

    /// Signs the package: a catalog (`.cat`) beside it, signed with this certificate and key.
    #[must_use]
    pub fn sign(mut self, signer: ppkg_sign::Signer) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// [`Package::sign`] with a signer shared by many packages (a service opens its PFX once).
    #[must_use]
    pub fn sign_shared(mut self, signer: Arc<ppkg_sign::Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Signs with a PFX (PKCS#12) given as bytes and its password.
    ///
    /// # Errors
    /// [`Error::Sign`] when the PFX cannot be opened with this password or holds no usable key.
    pub fn sign_with_pfx(self, pfx: &[u8], password: &str) -> Result<Self> {
        let signer =
            ppkg_sign::Signer::from_pfx(pfx, password).map_err(|e| Error::Sign(Box::new(e)))?;
        Ok(self.sign(signer))
    }

    /// Signs with a PFX file and its password.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; as [`Package::sign_with_pfx`].
    pub fn sign_with_pfx_file(self, pfx: impl AsRef<Path>, password: &str) -> Result<Self> {
        let bytes = read_input(pfx.as_ref())?;
        self.sign_with_pfx(&bytes, password)
    }

    /// The package's file name as the catalog records it, for [`Package::write_to`] (default
    /// `package.ppkg`; [`Package::write_atomic`] uses its target's name). Windows checks the
    /// catalog against the file it is given by name.
    #[must_use]
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// The time certificate and token dates are checked against (and the signing time).
    /// Default: now.
    #[must_use]
    pub fn checked_at(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Gives the profile's assets not yet loaded their bytes from `lookup(field_path,
    /// reference)` instead of the file system ([`workplace::Profile::load_assets_with`]): a
    /// service takes them from the request, so that a posted profile never names a file of the
    /// server. An asset `lookup` leaves out is still read from the asset folder when the package
    /// is checked or built. No effect on an answer file.
    #[must_use]
    pub fn load_assets_with(mut self, lookup: impl FnMut(&str, &str) -> Option<Vec<u8>>) -> Self {
        if let Input::Profile { profile, .. } = &mut self.input {
            profile.load_assets_with(lookup);
        }
        self
    }

    /// The profile, when the input is one.
    pub fn profile(&self) -> Option<&Profile> {
        match &self.input {
            Input::Profile { profile, .. } => Some(profile),
            Input::Answer(_) => None,
        }
    }

    /// The target edition.
    pub fn target_edition(&self) -> Edition {
        self.edition
    }

    /// Runs every check without writing: the profile checks (for an answer file too, when it
    /// maps to a profile) and the catalog validation of the answer file. Fatal problems (an
    /// asset that cannot be read, a profile that cannot become an answer file) are error
    /// diagnostics too.
    pub fn validate(&self) -> Report {
        match self.prepare() {
            Ok(p) => p.report,
            Err(e) => Report::new(vec![place(
                Diagnostic::field(error_code(&e), "", e.to_string()),
                &self.display,
                None,
                "the input could not be read or compiled as a whole",
            )]),
        }
    }

    /// Validates and compiles: the parts of the package and their layout options, ready for
    /// `ppkg_format::layout::write_package_with`.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every diagnostic when any is an error; [`Error::Compile`].
    pub fn compile(&self) -> Result<Compiled> {
        // The validation's dry compile is skipped: the real compile follows. Only when that
        // fails is the validation run again whole, so that a refusal comes back as the same
        // placed diagnostic `validate` gives (one compile per package instead of two).
        let p = self.prepare_valid()?;
        compile_prepared(p, self.edition, &self.display).map_err(|e| self.compile_refused(e))
    }

    /// A compile that failed after a validation without the dry compile: the validation runs
    /// again whole, so that the refusal is the placed diagnostic `validate` gives
    /// ([`Error::Invalid`]); other errors pass through.
    fn compile_refused(&self, e: Error) -> Error {
        if !matches!(e, Error::Compile { .. }) {
            return e;
        }
        match self.prepare() {
            Ok(full) if full.report.has_errors() => Error::Invalid(full.report),
            _ => e,
        }
    }

    /// Builds the package and writes it to `out` (encrypted when asked). When signing, the
    /// catalog is returned in [`Written::catalog`] (not written anywhere).
    ///
    /// # Errors
    /// As [`Package::compile`]; [`Error::Write`] / [`Error::Io`] for the output;
    /// [`Error::Sign`].
    pub fn write_to<W: Write + Seek>(&self, out: W) -> Result<Written> {
        let prepared = self.prepare_valid()?;
        let name = self
            .file_name
            .clone()
            .unwrap_or_else(|| "package.ppkg".to_owned());
        self.write_compiled(prepared, out, &name)
    }

    /// Refuses an output `path` (or, when signing, its catalog `path` with `.cat`) that is one
    /// of the package's input files (a certificate, a provisioning-command file), and a package
    /// path ending in `.cat` when signing (the catalog would replace the package).
    fn refuse_overwriting_inputs(&self, path: &Path) -> Result<()> {
        let mut outputs = vec![path.to_path_buf()];
        if self.signer.is_some() {
            let cat = ppkg_sign::catalog_path(path);
            if cat == path {
                return Err(Error::Usage(format!(
                    "{}: the signed catalog is written beside the package with the extension \
                     .cat, which this package already has; name the package .ppkg",
                    path.display()
                )));
            }
            outputs.push(cat);
        }
        let Some(profile) = self.profile() else {
            return Ok(());
        };
        let dir = self
            .assets_folder
            .clone()
            .or_else(|| self.base_dir.clone())
            .unwrap_or_else(|| PathBuf::from("."));
        for out in outputs {
            let Ok(out_real) = std::fs::canonicalize(&out) else {
                continue; // does not exist yet
            };
            for a in profile.assets() {
                let file = a.file.clone().unwrap_or_else(|| dir.join(&a.path));
                if std::fs::canonicalize(&file).is_ok_and(|f| f == out_real) {
                    return Err(Error::Usage(format!(
                        "{}: the output would overwrite {} ({}), an input of the package",
                        out.display(),
                        file.display(),
                        a.field
                    )));
                }
            }
        }
        Ok(())
    }

    /// Builds the package and writes it to `path` atomically: to a temporary file in the same
    /// folder, renamed into place only when everything (including the signature, written to
    /// `path` with `.cat` in place of its extension) succeeded. A failed build leaves no file
    /// and an existing file untouched; an existing `path` that is not a regular file (a folder,
    /// a FIFO) is never replaced.
    ///
    /// # Errors
    /// As [`Package::write_to`]; [`Error::Io`] when the folder is not writable;
    /// [`Error::Usage`] when `path` (or, signing, its `.cat`) would replace one of the
    /// package's input files, or `path` itself ends in `.cat` when signing.
    pub fn write_atomic(&self, path: impl AsRef<Path>) -> Result<Written> {
        let path = path.as_ref();
        self.refuse_overwriting_inputs(path)?;
        let prepared = self.prepare_valid()?;
        let mut file = crate::atomic::AtomicFile::create(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut written = self.write_compiled(prepared, file.file(), &name)?;
        let mut cat_file = None;
        if let Some(cat) = &written.catalog {
            let cat_path = ppkg_sign::catalog_path(path);
            let mut f = crate::atomic::AtomicFile::create(&cat_path)?;
            f.file()
                .write_all(cat)
                .map_err(|e| Error::io(&cat_path, e))?;
            cat_file = Some(f);
            written.catalog_path = Some(cat_path);
        }
        file.commit()?;
        if let Some(f) = cat_file {
            f.commit()?;
        }
        Ok(written)
    }

    /// [`Package::prepare`], refusing an input with errors.
    /// [`Package::prepare`] without the validation's dry compile (the real compile follows; see
    /// [`Package::compile_refused`]), refused when the report has an error.
    fn prepare_valid(&self) -> Result<Prepared> {
        let p = self.prepare_with(false)?;
        if p.report.has_errors() {
            return Err(Error::Invalid(p.report));
        }
        Ok(p)
    }

    /// Compiles `p` and writes the WIM to `out`. Without a resource cache, the compiler hashes
    /// the payloads through the WIM writer, which writes each one as it hashes it: every payload
    /// byte is read once (issue #15; the payload blobs then precede the compiled documents in
    /// the file). With a cache (bulk runs), payloads are hashed first and the cache finds them
    /// already compressed.
    fn compile_and_write<W: Write + Seek>(
        &self,
        p: Prepared,
        out: W,
        opts: &WriteOptions,
        encrypt: bool,
        sign: bool,
    ) -> Result<(WriteStats, WrittenParts)> {
        let write_err = |e: ppkg_format::Error| Error::Write(Box::new(e));
        let writer = std::cell::RefCell::new(WimWriter::new(out, opts).map_err(write_err)?);
        // Each document is serialized as the compiler makes it and written into the package
        // in batches (compressed in parallel): no document tree, and at most about a batch of
        // document bytes, is held (peak memory, issue #15). The same in both cases below, so
        // that a bulk package has the bytes of the same package built alone.
        let mut docs = DocBatches::new(&writer);
        let mut doc = |name, doc: ppkg_format::provxml::ProvDoc| docs.push(name, doc.to_bytes());
        // With a resource cache (bulk) payloads are hashed first and the cache finds them
        // compressed; without, the writer writes each payload as it hashes it (one read).
        let (mut stream, mut shared) = (csp_model::compile::StreamDigests, &writer);
        let digests: &mut dyn csp_model::PayloadDigests = if self.resource_cache.is_some() {
            &mut stream
        } else {
            &mut shared
        };
        let compiled =
            compile_prepared_streaming(p, self.edition, &self.display, digests, &mut doc)
                .map_err(|e| self.compile_refused(e))?;
        let docs = docs.finish().map_err(write_err)?;
        let writer = writer.into_inner();
        let Compiled {
            parts,
            mut layout,
            report,
            package_id,
        } = compiled;
        layout.encrypt_package = encrypt;
        layout.sign_package = sign;
        let written = WrittenParts {
            groups: docs.len(),
            payloads: parts.assets.len(),
            report,
            package_id,
        };
        let stats = write_serialized_into(writer, parts, docs, &layout).map_err(write_err)?;
        Ok((stats, written))
    }

    fn write_compiled<W: Write + Seek>(
        &self,
        prepared: Prepared,
        mut out: W,
        name: &str,
    ) -> Result<Written> {
        let password = match &self.encryption {
            None => None,
            Some(Encryption::Generate) => {
                Some(Password::generate().map_err(|e| Error::Write(Box::new(e)))?)
            }
            Some(Encryption::Password(p)) => Some(p.clone()),
        };
        let (encrypt, sign) = (password.is_some(), self.signer.is_some());
        let opts = self
            .write_options
            .clone()
            .unwrap_or_else(WriteOptions::from_env)
            .with_compression(self.compression);
        let opts = match &self.resource_cache {
            Some(c) => opts.with_resource_cache(Arc::clone(c)),
            None => opts,
        };
        let needs_copy = password.is_some() || self.signer.is_some();
        let (wim, bytes, catalog, compiled) = if !needs_copy {
            let start = out.stream_position().map_err(|e| Error::io(name, e))?;
            let mut w = std::io::BufWriter::new(&mut out);
            let (stats, compiled) =
                self.compile_and_write(prepared, &mut w, &opts, encrypt, sign)?;
            w.flush().map_err(|e| Error::io(name, e))?;
            drop(w);
            let end = out.stream_position().map_err(|e| Error::io(name, e))?;
            (stats, end - start, None, compiled)
        } else {
            let tmp_err = |e| Error::io("(temporary file)", e);
            let mut plain = tempfile::tempfile().map_err(tmp_err)?;
            let mut w = std::io::BufWriter::new(&mut plain);
            let (stats, compiled) =
                self.compile_and_write(prepared, &mut w, &opts, encrypt, sign)?;
            w.flush().map_err(tmp_err)?;
            drop(w);
            plain.seek(SeekFrom::Start(0)).map_err(tmp_err)?;
            let mut fin = match &password {
                Some(pw) => {
                    let mut enc = tempfile::tempfile().map_err(tmp_err)?;
                    let iv = crypt::random_iv().map_err(|e| Error::Write(Box::new(e)))?;
                    let mut w = std::io::BufWriter::new(&mut enc);
                    crypt::encrypt(std::io::BufReader::new(plain), &mut w, pw, iv)
                        .map_err(|e| Error::Write(Box::new(e)))?;
                    w.flush().map_err(tmp_err)?;
                    drop(w);
                    enc
                }
                None => plain,
            };
            let catalog = match &self.signer {
                Some(signer) => {
                    fin.seek(SeekFrom::Start(0)).map_err(tmp_err)?;
                    Some(
                        ppkg_sign::sign(
                            std::io::BufReader::new(&mut fin),
                            name,
                            signer,
                            signing_time(self.now),
                        )
                        .map_err(|e| Error::Sign(Box::new(e)))?,
                    )
                }
                None => None,
            };
            fin.seek(SeekFrom::Start(0)).map_err(tmp_err)?;
            let n = std::io::copy(&mut fin, &mut out).map_err(|e| Error::io(name, e))?;
            out.flush().map_err(|e| Error::io(name, e))?;
            (stats, n, catalog, compiled)
        };
        let WrittenParts {
            groups,
            payloads,
            report,
            package_id,
        } = compiled;
        let generated = match (&self.encryption, password) {
            (Some(Encryption::Generate), Some(p)) => Some(p),
            _ => None,
        };
        Ok(Written {
            package_id,
            bytes,
            wim,
            groups,
            payloads,
            password: generated,
            catalog,
            catalog_path: None,
            report,
        })
    }

    /// Loads, checks and validates; gives the answer file its package ID.
    pub(crate) fn prepare(&self) -> Result<Prepared> {
        self.prepare_with(true)
    }

    /// [`Package::prepare`], with or without the validation's dry compile (see
    /// `csp_model::validate::Validator::with_dry_compile`).
    fn prepare_with(&self, dry_compile: bool) -> Result<Prepared> {
        let now = self.now.unwrap_or_else(SystemTime::now);
        let mut profile_text: Option<Arc<str>> = None;
        let (mut answer, resolver, mut diags, use_profile, profile): (
            Arc<AnswerFile>,
            BoxedResolver,
            Vec<Diagnostic>,
            bool,
            Option<Profile>,
        ) = match &self.input {
            Input::Profile { profile, toml } => {
                let mut profile = (**profile).clone();
                self.resolve_profile_assets(&mut profile)?;
                profile_text = toml.clone();
                let diags = profile_checks(&profile, toml.as_deref(), &self.display, now);
                let answer = profile.to_answer_file().map_err(|source| Error::Profile {
                    file: self.display.clone(),
                    source: Box::new(source),
                })?;
                let resolver = Box::new(profile.asset_resolver());
                (Arc::new(answer), resolver, diags, true, Some(profile))
            }
            Input::Answer(answer) => {
                let diags = answer_profile_checks(answer, &self.display, now);
                let (dir, explicit) = match (&self.assets_folder, &self.base_dir) {
                    (Some(d), _) => (d.clone(), true),
                    (None, Some(d)) => (d.clone(), false),
                    (None, None) => (PathBuf::from("."), false),
                };
                let resolver = Box::new(PathResolver { dir, explicit });
                // Shared, not copied: a large answer file exists once (peak memory, issue
                // #15); it is copied only if its package ID must be set.
                (Arc::clone(answer), resolver, diags, false, None)
            }
        };
        let catalog_report = csp_model::validate::Validator::new(Catalog::builtin(), self.edition)
            .with_dry_compile(dry_compile)
            .validate(&answer);
        merge_catalog_diags(
            &mut diags,
            &catalog_report,
            &self.display,
            profile_text.as_deref(),
            use_profile,
        );
        let package_id = match set_package_id(&mut answer, self.package_id) {
            Ok(id) => id,
            Err(e) => {
                // A profile whose checks already failed (a bad ID, say) is reported by those
                // diagnostics, with their positions; the same fault found again adds nothing.
                if !(use_profile && diags.iter().any(Diagnostic::is_error)) {
                    diags.push(place(
                        Diagnostic::field(Code::PackageIdInvalid, "PackageConfig/ID", e),
                        &self.display,
                        None,
                        "the PackageConfig could not be read to place it",
                    ));
                }
                uuid::Uuid::nil()
            }
        };
        Ok(Prepared {
            answer,
            resolver,
            report: Report::new(diags),
            package_id,
            profile,
        })
    }

    pub(crate) fn resolve_profile_assets(&self, profile: &mut Profile) -> Result<()> {
        let r = match (&self.assets_folder, &self.base_dir) {
            (Some(d), _) => profile.resolve_assets_within(d),
            (None, Some(d)) => profile.resolve_assets(d),
            (None, None) => profile.resolve_assets(Path::new(".")),
        };
        r.map_err(|source| Error::Profile {
            file: self.display.clone(),
            source: Box::new(source),
        })
    }
}

/// The signing time of a `.cat`: `SOURCE_DATE_EPOCH` (seconds since 1970, the
/// reproducible-builds.org convention) when set, so that two signed builds of one input are
/// byte-identical; else the check date ([`Package::checked_at`]); else the system clock.
fn signing_time(now: Option<SystemTime>) -> SystemTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s))
        .or(now)
        .unwrap_or_else(SystemTime::now)
}

/// The diagnostic code of a fatal error turned into a diagnostic.
fn error_code(e: &Error) -> Code {
    match e {
        Error::Profile { source, .. } if matches!(**source, workplace::Error::Asset { .. }) => {
            Code::InputUnreadable
        }
        Error::Profile { .. } | Error::AnswerFile { .. } => Code::ParseError,
        Error::Io { .. } => Code::InputUnreadable,
        _ => Code::CompileFailed,
    }
}

/// Compiled `.provxml` documents on their way into the package. Once more than
/// [`DocBatches::BATCH`] bytes of them wait, they are checked
/// ([`ppkg_format::layout::check_provxml`]) and written by the package's WIM writer
/// ([`WimWriter::write_blobs`], compressed in parallel) and each one is then named by its blob
/// ([`Source::Written`]); the last ones (all of them in a package of fewer documents) stay
/// bytes, checked and written with the rest of the tree. So a package's documents never take
/// more than about one batch of memory (issue #15), and a small package, a bulk device's, is
/// written as before. The compiler hands documents over through a callback that cannot fail,
/// so the first error is kept and reported by [`DocBatches::finish`] (later documents are
/// dropped unwritten).
struct DocBatches<'w, W: Write + Seek> {
    writer: &'w std::cell::RefCell<WimWriter<W>>,
    /// Documents not written yet: (file name, bytes).
    pending: Vec<(String, Source)>,
    pending_bytes: usize,
    /// Documents in RunTime order: (file name, blob or bytes).
    done: Vec<(String, Source)>,
    error: Option<ppkg_format::Error>,
}

impl<'w, W: Write + Seek> DocBatches<'w, W> {
    /// Bytes of serialized documents per batch (2,000 documents or so): enough for the
    /// writer's parallel compression, small against the 64 MiB memory goal.
    const BATCH: usize = 1 << 20;

    fn new(writer: &'w std::cell::RefCell<WimWriter<W>>) -> Self {
        Self {
            writer,
            pending: Vec::new(),
            pending_bytes: 0,
            done: Vec::new(),
            error: None,
        }
    }

    fn push(&mut self, name: String, bytes: Vec<u8>) {
        if self.error.is_some() {
            return;
        }
        self.pending_bytes += bytes.len();
        self.pending.push((name, Source::from(bytes)));
        if self.pending_bytes >= Self::BATCH {
            self.flush();
        }
    }

    /// Checks and writes the waiting documents.
    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        for (name, src) in &pending {
            if let Source::Bytes(b) = src {
                if let Err(e) = ppkg_format::layout::check_provxml(name, b) {
                    self.error = Some(e);
                    return;
                }
            }
        }
        let refs: Vec<(&str, &Source)> = pending.iter().map(|(n, s)| (n.as_str(), s)).collect();
        match self.writer.borrow_mut().write_blobs(&refs) {
            Ok(digests) => self.done.extend(
                pending
                    .into_iter()
                    .zip(digests)
                    .map(|((name, _), d)| (name, Source::Written(d))),
            ),
            Err(e) => self.error = Some(e),
        }
    }

    /// The documents in RunTime order (written ones as blobs, the last batch as bytes), or the
    /// first error.
    fn finish(mut self) -> std::result::Result<Vec<(String, Source)>, ppkg_format::Error> {
        match self.error {
            Some(e) => Err(e),
            None => {
                self.done.append(&mut self.pending);
                Ok(self.done)
            }
        }
    }
}

/// The asset resolver of a prepared input.
pub(crate) type BoxedResolver = Box<dyn AssetResolver + Send + Sync>;

/// An input checked and validated, with its package ID.
pub(crate) struct Prepared {
    pub(crate) answer: Arc<AnswerFile>,
    pub(crate) resolver: BoxedResolver,
    pub(crate) report: Report,
    pub(crate) package_id: uuid::Uuid,
    /// The profile with its assets loaded, when the input is one.
    #[allow(dead_code)]
    pub(crate) profile: Option<Profile>,
}

/// What [`Written`] reports of the compiled parts (the parts themselves are dropped while
/// the package is written).
struct WrittenParts {
    groups: usize,
    payloads: usize,
    report: Report,
    package_id: uuid::Uuid,
}

/// A validated, compiled package, not yet written.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Compiled {
    /// The answer file, RunTime, provxml documents and payloads.
    pub parts: PackageParts,
    /// Layout options (`TargetSkus`, the catalog-aware `CommonSettings/1/AnswerFile.xml`).
    pub layout: LayoutOptions,
    /// Warnings and infos of the checks (no errors: those stop the build).
    pub report: Report,
    /// The package ID.
    pub package_id: uuid::Uuid,
}

pub(crate) fn compile_prepared(p: Prepared, edition: Edition, display: &str) -> Result<Compiled> {
    let mut provxml = Vec::new();
    let mut compiled = compile_prepared_streaming(
        p,
        edition,
        display,
        &mut csp_model::compile::StreamDigests,
        &mut |name, doc| provxml.push((name, doc)),
    )?;
    compiled.parts.provxml = provxml;
    Ok(compiled)
}

/// [`compile_prepared`], hashing payloads with `digests` (the package's WIM writer) and
/// handing each `.provxml` document to `docs` as it is made ([`csp_model::compile_streaming`]):
/// the returned parts hold no documents.
pub(crate) fn compile_prepared_streaming(
    p: Prepared,
    edition: Edition,
    display: &str,
    digests: &mut dyn csp_model::PayloadDigests,
    docs: &mut dyn FnMut(String, ppkg_format::provxml::ProvDoc),
) -> Result<Compiled> {
    let catalog = Catalog::builtin();
    let opts = CompileOptions::for_edition(edition);
    let compiled = csp_model::compile_streaming(
        &p.answer,
        catalog,
        &opts,
        p.resolver.as_ref(),
        digests,
        docs,
    )
    .map_err(|source| Error::Compile {
        file: display.to_owned(),
        source: Box::new(source),
    })?;
    let mut layout = LayoutOptions::default();
    layout.common_settings_xml = Some(csp_model::answer_settings_xml(&p.answer, catalog));
    layout.target_skus = edition_skus(edition).to_owned();
    Ok(Compiled {
        parts: compiled.into_parts(p.answer),
        layout,
        report: p.report,
        package_id: p.package_id,
    })
}

/// What [`Package::write_to`] / [`Package::write_atomic`] wrote.
///
/// `Debug` never shows the password (see [`Password`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct Written {
    /// `PackageConfig/ID`.
    pub package_id: uuid::Uuid,
    /// Size of the package file in bytes (encrypted size when encrypted).
    pub bytes: u64,
    /// The WIM writer's counts (files, folders, blobs, bytes in and out before encryption).
    pub wim: WriteStats,
    /// Settings groups (compiled `.provxml` documents).
    pub groups: usize,
    /// Payload files (certificates, command files).
    pub payloads: usize,
    /// The generated password, with [`Encryption::Generate`]; `None` otherwise. Show it once
    /// to the user: the package cannot be opened without it.
    pub password: Option<Password>,
    /// The signed catalog, when signing.
    pub catalog: Option<Vec<u8>>,
    /// Where the catalog was written ([`Package::write_atomic`] only).
    pub catalog_path: Option<PathBuf>,
    /// Warnings and infos of the checks.
    pub report: Report,
}

/// The profile checks of `workplace`, placed in the profile text (TOML or JSON) when there is
/// one; a field the profile does not write says so (`reason`).
fn profile_checks(
    profile: &Profile,
    text: Option<&str>,
    display: &str,
    now: SystemTime,
) -> Vec<Diagnostic> {
    workplace::check(profile, now)
        .diagnostics
        .into_iter()
        .map(|d| {
            let pos = text.and_then(|t| workplace::locate_in_toml(t, &d.path));
            let reason = if text.is_some() {
                "the profile does not write this field (its value is a default)"
            } else {
                "the profile was built in code, not read from a file"
            };
            place(d, display, pos.map(Into::into), reason)
        })
        .collect()
}

/// Gives a diagnostic its file and position, or the reason it has none. A display of the form
/// `devices.csv:17` (a bulk device's origin) is split into the file and its line.
pub(crate) fn place(
    d: Diagnostic,
    display: &str,
    pos: Option<crate::report::LineCol>,
    reason: &str,
) -> Diagnostic {
    if pos.is_none() {
        if let Some((file, line)) = split_origin(display) {
            return d
                .in_file(file)
                .at(Some(crate::report::LineCol::new(line, 1)));
        }
    }
    d.in_file(display).at(pos).unplaced_because(reason)
}

/// `devices.csv:17` → (`devices.csv`, 17).
fn split_origin(display: &str) -> Option<(&str, u32)> {
    let (file, line) = display.rsplit_once(':')?;
    let line = line.parse::<u32>().ok()?;
    (!file.is_empty() && line > 0).then_some((file, line))
}

/// The profile checks of `workplace` (UPN syntax, https service URLs, AuthPolicy against
/// Secret, Wi-Fi keys, computer-name length, version and rank …) run on an answer file too, so
/// a hand-written `customizations.xml` is held to the same rules as a profile; each diagnostic
/// gets the line:column of the element its path names. Skipped when the answer file does not
/// map to a profile (a `ProfileChecksSkipped` warning says why), and for `AssetNotLoaded`
/// (asset files are resolved by the compiler, which reports missing ones).
fn answer_profile_checks(answer: &AnswerFile, display: &str, now: SystemTime) -> Vec<Diagnostic> {
    let profile = match Profile::from_answer_file(answer) {
        Ok(p) => p,
        Err(e) => {
            let pos = answer
                .common()
                .map(|c| c.pos)
                .filter(|p| p.is_known())
                .map(Into::into);
            return vec![place(
                Diagnostic::field(
                    Code::ProfileChecksSkipped,
                    "",
                    format!("the typed profile checks did not run: {e}"),
                ),
                display,
                pos,
                "the answer file has no Settings/Customizations/Common element",
            )];
        }
    };
    profile_checks_in(&profile, answer, now)
        .map(|(d, pos)| {
            place(
                d,
                display,
                pos,
                "the answer file does not write this setting",
            )
        })
        .collect()
}

/// The typed profile checks of a profile read from `answer`, each with the line:column of the
/// element its path names; `AssetNotLoaded` left out (the compiler or the package reader
/// reports asset files). Shared by validation and `inspect`.
pub(crate) fn profile_checks_in<'a>(
    profile: &Profile,
    answer: &'a AnswerFile,
    now: SystemTime,
) -> impl Iterator<Item = (Diagnostic, Option<crate::LineCol>)> + 'a {
    workplace::check(profile, now)
        .diagnostics
        .into_iter()
        .filter(|d| d.code != workplace::Code::AssetNotLoaded)
        .map(move |d| {
            let pos = workplace::locate(answer, &d.path).map(Into::into);
            (d, pos)
        })
}

/// Adds the catalog validation's diagnostics so that one fault gives one diagnostic
/// ([`csp_model::validate::merge_layers`]: the profile checks speak for a setting they
/// reported). For a profile, positions refer to the generated customizations.xml, so each
/// catalog finding is placed at the profile key its setting path names when there is one.
pub(crate) fn merge_catalog_diags(
    diags: &mut Vec<Diagnostic>,
    report: &csp_model::validate::Report,
    display: &str,
    profile_text: Option<&str>,
    use_profile: bool,
) {
    let catalog: Vec<Diagnostic> = report
        .diagnostics()
        .iter()
        .cloned()
        .map(|d| {
            if !use_profile {
                let pos = d.pos;
                return place(d, display, pos, "the catalog gave no position");
            }
            match profile_text.and_then(|t| workplace::locate_in_toml(t, &d.path)) {
                Some(p) => place(d, display, Some(p.into()), ""),
                None => {
                    let pos = d.pos;
                    place(
                        d,
                        &format!("{display} (generated customizations.xml)"),
                        pos,
                        "the catalog gave no position",
                    )
                }
            }
        })
        .collect();
    let primary = std::mem::take(diags);
    *diags = csp_model::validate::merge_layers(primary, catalog);
}

/// Gives the answer file its package ID: the one given, else the input's, else one derived
/// from the content when `SOURCE_DATE_EPOCH` is set, else a random one.
///
/// The answer file is shared ([`Arc`]) and copied only when its ID changes.
pub(crate) fn set_package_id(
    answer: &mut Arc<AnswerFile>,
    package_id: Option<uuid::Uuid>,
) -> std::result::Result<uuid::Uuid, String> {
    let mut config = answer.package_config().map_err(|e| e.to_string())?;
    let id = match (package_id, config.id) {
        (Some(id), Some(have)) if id == have => return Ok(id),
        (Some(id), _) => id,
        (None, Some(id)) => return Ok(id),
        (None, None) => {
            if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
                use sha1::Digest as _;
                let digest = sha1::Sha1::digest(answer.to_bytes());
                let mut b = [0u8; 16];
                b.copy_from_slice(&digest[..16]);
                uuid::Builder::from_sha1_bytes(b).into_uuid()
            } else {
                uuid::Uuid::new_v4()
            }
        }
    };
    config.id = Some(id);
    Arc::make_mut(answer).set_package_config(&config);
    Ok(id)
}

/// `TargetSkus=` of the NOTES field for an edition: WCD writes `Desktop` for a desktop project
/// (start_pins sample) and `WindowsCommon` for the common subset (Acer sample:
/// `WindowsCommon,Desktop`).
pub(crate) fn edition_skus(edition: Edition) -> &'static str {
    if edition == Edition::Common {
        "WindowsCommon"
    } else {
        edition.name()
    }
}

/// Reads a whole input file: a regular file (never a FIFO, device or folder, which could block
/// or never end) of at most [`MAX_INPUT_BYTES`].
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "larger than {} MiB; not a profile, answer file or PFX",
                    MAX_INPUT_BYTES >> 20
                ),
            ),
        ));
    }
    Ok(bytes)
}
