//! The build pipeline shared by `build`, `compile`, `validate` and `bulk`:
//! input (profile or answer file) → checks → answer file → validation → compile → parts.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use csp_model::compile::{AssetContent, AssetFile, AssetResolver};
use csp_model::{Catalog, CompileOptions, Edition};
use ppkg_format::answer::AnswerFile;
use ppkg_format::layout::{LayoutOptions, PackageParts};
use workplace::Profile;

use crate::cmd::Invalid;

/// The example profile shipped in the repository, embedded so `ppkg build` works anywhere.
pub(crate) const EXAMPLE_PROFILE: &str = include_str!("../../../examples/bulk-enrollment.toml");
/// The example's assets, by the path the profile names them with.
pub(crate) const EXAMPLE_ASSETS: &[(&str, &[u8])] = &[(
    "assets/example-test-root-ca.cer",
    include_bytes!("../../../examples/assets/example-test-root-ca.cer"),
)];
/// Name shown for the embedded example in diagnostics.
pub(crate) const EXAMPLE_NAME: &str = "examples/bulk-enrollment.toml (embedded)";

/// One diagnostic, from any stage: the workspace's one diagnostic type (printed by
/// [`crate::report`]).
pub(crate) use csp_model::validate::Diagnostic as Diag;

/// What kind of input a path is, by extension (`.toml`, `.json` → profile; else answer file).
pub(crate) fn is_profile(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("toml" | "json")
    )
}

/// Parses `--edition`.
pub(crate) fn edition(name: &str) -> Result<Edition> {
    name.parse::<Edition>()
        .map_err(|_| anyhow!("--edition {name:?}: expected one of common, desktop, mobile, iotuap, team, hololens, holographic"))
}

/// A loaded, checked input ready to compile.
pub(crate) struct Prepared {
    /// Shown in diagnostics.
    pub(crate) display: String,
    /// The answer file, with a package ID.
    pub(crate) answer: AnswerFile,
    /// Where asset files come from.
    pub(crate) resolver: Box<dyn AssetResolver + Send + Sync>,
    /// Every diagnostic so far (warnings included).
    pub(crate) diags: Vec<Diag>,
}

/// Where a profile comes from.
pub(crate) enum Input<'a> {
    /// The embedded example.
    Example,
    /// A file on disk.
    File(&'a Path),
}

/// Loads a profile (checked with `workplace::check`) from a file or the embedded example.
pub(crate) fn load_profile(
    input: &Input<'_>,
    asset_dir: Option<&Path>,
) -> Result<(Profile, String, Vec<Diag>)> {
    // The TOML text, for the line:column of each diagnostic (JSON has no spans).
    let mut toml_text: Option<String> = None;
    let (mut profile, display, base): (Profile, String, Option<PathBuf>) = match input {
        Input::Example => {
            let mut p =
                Profile::from_toml(EXAMPLE_PROFILE).map_err(|e| anyhow!("{EXAMPLE_NAME}: {e}"))?;
            // The example's assets are embedded too.
            let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
            for (rel, bytes) in EXAMPLE_ASSETS {
                let path = dir.path().join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, bytes)?;
            }
            p.resolve_assets(asset_dir.unwrap_or(dir.path()))
                .map_err(|e| anyhow!("{EXAMPLE_NAME}: {e}"))?;
            toml_text = Some(EXAMPLE_PROFILE.to_owned());
            (p, EXAMPLE_NAME.to_owned(), None)
        }
        Input::File(path) => {
            let text = String::from_utf8(crate::io::read_input(path)?).map_err(|e| {
                Invalid(format!(
                    "{}: not UTF-8 text (byte {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                ))
            })?;
            let is_json = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            let parsed = if is_json {
                Profile::from_json(&text)
            } else {
                Profile::from_toml(&text)
            };
            let p = parsed.map_err(|e| Invalid(format!("{}: {e}", path.display())))?;
            if !is_json {
                toml_text = Some(text);
            }
            let base = asset_dir
                .map(Path::to_path_buf)
                .or_else(|| path.parent().map(Path::to_path_buf));
            (p, path.display().to_string(), base)
        }
    };
    if let Some(base) = base {
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        // With --asset-dir every file must lie inside it (a profile from elsewhere cannot pull
        // arbitrary files into a package); without it, paths are relative to the profile.
        let resolved = if asset_dir.is_some() {
            profile.resolve_assets_within(&base)
        } else {
            profile.resolve_assets(&base)
        };
        resolved.map_err(|e| Invalid(format!("{display}: {e}")))?;
    }
    let report = workplace::check(&profile, crate::clock::now());
    let diags = report
        .diagnostics
        .into_iter()
        .map(|d| {
            let pos = toml_text
                .as_deref()
                .and_then(|t| workplace::locate_in_toml(t, &d.path));
            place(
                d,
                &display,
                pos,
                "the profile does not write this field (its value is a default)",
            )
        })
        .collect();
    Ok((profile, display, diags))
}

/// Loads any input (profile or answer file), runs the profile checks and the catalog
/// validation, and gives the answer file a package ID (`--package-id`, the input's, one derived
/// from the content when `SOURCE_DATE_EPOCH` is set, or a random one).
pub(crate) fn prepare(
    input: &Input<'_>,
    asset_dir: Option<&Path>,
    package_id: Option<&str>,
    edition: Edition,
) -> Result<Prepared> {
    let use_profile = match input {
        Input::Example => true,
        Input::File(p) => is_profile(p),
    };
    let (mut answer, display, resolver, diags, profile_text): (
        AnswerFile,
        String,
        Box<dyn AssetResolver + Send + Sync>,
        Vec<Diag>,
        Option<String>,
    ) = if use_profile {
        let (profile, display, diags) = load_profile(input, asset_dir)?;
        let text = match input {
            Input::Example => Some(EXAMPLE_PROFILE.to_owned()),
            Input::File(p) => crate::io::read_input(p)
                .ok()
                .and_then(|b| String::from_utf8(b).ok()),
        };
        let answer = profile
            .to_answer_file()
            .map_err(|e| Invalid(format!("{display}: {e}")))?;
        (
            answer,
            display,
            Box::new(profile.asset_resolver()),
            diags,
            text,
        )
    } else {
        let Input::File(path) = input else {
            unreachable!("the example is a profile")
        };
        let bytes = crate::io::read_input(path)?;
        let answer =
            AnswerFile::parse(&bytes).map_err(|e| Invalid(format!("{}: {e}", path.display())))?;
        let diags = answer_profile_checks(&answer, &path.display().to_string());
        let dir = asset_dir
            .map(Path::to_path_buf)
            .or_else(|| path.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        (
            answer,
            path.display().to_string(),
            Box::new(PathResolver {
                dir,
                explicit: asset_dir.is_some(),
            }),
            diags,
            None,
        )
    };
    let report = csp_model::validate::validate(&answer, Catalog::builtin(), edition);
    // Positions refer to the answer file; for a profile that is the generated
    // customizations.xml, so a catalog finding is placed at the profile key its setting path
    // names when there is one.
    let catalog_diags: Vec<Diag> = report
        .into_diagnostics()
        .into_iter()
        .map(|d| {
            if !use_profile {
                return d.in_file(display.clone());
            }
            match profile_text
                .as_deref()
                .and_then(|t| workplace::locate_in_toml(t, &d.path))
            {
                Some(p) => d.in_file(display.clone()).at(Some(p.into())),
                None => d.in_file(format!("{display} (generated customizations.xml)")),
            }
        })
        .collect();
    // One fault, one diagnostic: the profile checks speak for a setting they reported.
    let diags = csp_model::validate::merge_layers(diags, catalog_diags);
    if let Err(e) = set_package_id(&mut answer, package_id) {
        // A profile whose checks already failed (a bad ID, say) is reported by those
        // diagnostics, with their positions; the same fault found again here adds nothing.
        if !(use_profile && diags.iter().any(Diag::is_error)) {
            return Err(e);
        }
    }
    Ok(Prepared {
        display,
        answer,
        resolver,
        diags,
    })
}

/// The profile checks of `workplace` (UPN syntax, https service URLs, AuthPolicy against Secret,
/// Wi-Fi keys, computer-name length, version and rank …) run on an answer file too, so a
/// hand-written `customizations.xml` is held to the same rules as a profile; each diagnostic
/// gets the line:column of the element its path names. Skipped when the answer file does not
/// map to a profile (a `ProfileChecksSkipped` warning says why), and for
/// `AssetNotLoaded` (asset files are resolved by the compiler, which reports missing ones).
fn answer_profile_checks(answer: &AnswerFile, display: &str) -> Vec<Diag> {
    let profile = match Profile::from_answer_file(answer) {
        Ok(p) => p,
        Err(e) => {
            let pos = answer.common().map(|c| c.pos).filter(|p| p.is_known());
            return vec![place(
                Diag::field(
                    csp_model::validate::Code::ProfileChecksSkipped,
                    "",
                    format!("the typed profile checks did not run: {e}"),
                ),
                display,
                pos,
                "the answer file has no Settings/Customizations/Common element",
            )];
        }
    };
    workplace::check(&profile, crate::clock::now())
        .diagnostics
        .into_iter()
        .filter(|d| d.code != workplace::Code::AssetNotLoaded)
        .map(|d| {
            let pos = workplace::locate(answer, &d.path);
            place(
                d,
                display,
                pos,
                "the answer file does not write this setting",
            )
        })
        .collect()
}

/// Gives a diagnostic its file and position, or the reason it has none.
pub(crate) fn place(
    d: Diag,
    file: &str,
    pos: Option<ppkg_format::xml::TextPos>,
    reason: &str,
) -> Diag {
    d.in_file(file)
        .at(pos.map(Into::into))
        .unplaced_because(reason)
}

/// Gives the answer file its package ID.
fn set_package_id(answer: &mut AnswerFile, package_id: Option<&str>) -> Result<()> {
    let mut config = answer
        .package_config()
        .map_err(|e| Invalid(format!("PackageConfig: {e}")))?;
    if let Some(id) = package_id {
        let id = uuid::Uuid::parse_str(id.trim_matches(|c| c == '{' || c == '}'))
            .map_err(|e| anyhow!("--package-id {id:?}: not a GUID ({e})"))?;
        config.id = Some(id);
    } else if config.id.is_none() {
        config.id = Some(if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
            // Reproducible builds: derive the ID from the content.
            use sha1::Digest as _;
            let digest = sha1::Sha1::digest(answer.to_bytes());
            let mut b = [0u8; 16];
            b.copy_from_slice(&digest[..16]);
            uuid::Builder::from_sha1_bytes(b).into_uuid()
        } else {
            uuid::Uuid::new_v4()
        });
    } else {
        return Ok(());
    }
    answer.set_package_config(&config);
    Ok(())
}

/// Prints diagnostics to stderr; fails with [`Invalid`] when any is an error.
pub(crate) fn report(diags: &[Diag]) -> Result<()> {
    crate::report::eprint_diagnostics(diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        return Err(Invalid(format!("{errors} error(s); nothing was written")).into());
    }
    Ok(())
}

/// Compiles a prepared input into the parts of a package.
pub(crate) fn compile(p: &Prepared, edition: Edition) -> Result<(PackageParts, LayoutOptions)> {
    let catalog = Catalog::builtin();
    let mut opts = CompileOptions::default();
    opts.edition = edition;
    let compiled = csp_model::compile(&p.answer, catalog, &opts, p.resolver.as_ref())
        .map_err(|e| Invalid(format!("{}: {e}", p.display)))?;
    let mut layout = LayoutOptions::default();
    layout.common_settings_xml = Some(csp_model::answer_settings_xml(&p.answer, catalog));
    layout.target_skus = edition_skus(edition).to_owned();
    Ok((compiled.into_parts(p.answer.clone()), layout))
}

/// `TargetSkus=` of the NOTES field for an edition: WCD writes `Desktop` for a desktop project
/// (start_pins sample) and `WindowsCommon` for the common subset (Acer sample:
/// `WindowsCommon,Desktop`).
fn edition_skus(edition: Edition) -> &'static str {
    if edition == Edition::Common {
        "WindowsCommon"
    } else {
        edition.name()
    }
}

/// Resolves an answer file's asset references against a folder: first the reference as a
/// relative path (`assets/root.cer`, `\` accepted as a separator), then its file name alone
/// (answer files from WCD name files on the author's machine, such as `D:\Cortex.msi`). `..`
/// and absolute paths are never followed, and a file that a symbolic link takes out of the
/// folder is refused.
struct PathResolver {
    dir: PathBuf,
    /// Whether the folder came from `--asset-dir` (else: the answer file's folder).
    explicit: bool,
}

impl AssetResolver for PathResolver {
    fn resolve(&self, _setting_path: &str, reference: &str) -> std::io::Result<AssetFile> {
        let normalized = reference.replace('\\', "/");
        let name = normalized.rsplit('/').next().unwrap_or_default().to_owned();
        let relative = Path::new(&normalized);
        let mut candidates = Vec::new();
        if relative.is_relative() && !normalized.split('/').any(|c| c == "..") {
            candidates.push(self.dir.join(relative));
        }
        candidates.push(self.dir.join(&name));
        for c in &candidates {
            if c.is_file() {
                // Symbolic links must not lead out of the asset folder either.
                let root = std::fs::canonicalize(&self.dir)?;
                if !std::fs::canonicalize(c)?.starts_with(&root) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!(
                            "{} leads outside the asset folder {}",
                            c.display(),
                            root.display()
                        ),
                    ));
                }
                return Ok(AssetFile {
                    file_name: name,
                    content: AssetContent::File(c.clone()),
                });
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "not found as {}{}",
                candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                if self.explicit {
                    ""
                } else {
                    " (give --asset-dir)"
                }
            ),
        ))
    }
}
