//! `ppkg validate`: a `.ppkg`, `customizations.xml` or profile; exit 0 valid, 1 invalid.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use csp_model::Catalog;
use ppkg_format::answer::AnswerFile;
use serde::Serialize;

use crate::cli::ValidateArgs;
use crate::input::edition;
use crate::io::open_package;
use ppkg::{is_profile_path as is_profile, Diagnostic as Diag, Package, Severity};

#[derive(Serialize)]
struct Output<'a> {
    file: String,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diag],
}

pub(crate) fn run(a: &ValidateArgs) -> Result<u8> {
    let edition = edition(&a.edition)?;
    let diags = if is_package(&a.file)? {
        validate_package(&a.file, a.password.as_deref(), edition)?
    } else {
        match Package::from_path(&a.file) {
            Ok(p) => p.edition(edition).validate().into_diagnostics(),
            // A parse error is a diagnostic too.
            Err(e @ (ppkg::Error::Profile { .. } | ppkg::Error::AnswerFile { .. })) => {
                vec![parse_diag(&a.file, &e.to_string())]
            }
            Err(e) => return Err(e.into()),
        }
    };
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let mut out = std::io::stdout().lock();
    if a.json {
        let o = Output {
            file: a.file.display().to_string(),
            valid: errors == 0,
            errors,
            warnings,
            diagnostics: &diags,
        };
        serde_json::to_writer_pretty(&mut out, &o)?;
        writeln!(out)?;
    } else {
        for d in &diags {
            writeln!(out, "{d}")?;
        }
        writeln!(
            out,
            "{}: {} ({errors} error(s), {warnings} warning(s))",
            a.file.display(),
            if errors == 0 { "valid" } else { "invalid" }
        )?;
    }
    Ok(u8::from(errors > 0))
}

/// A package is recognised by content (WIM magic or an encrypted file), not by extension.
fn is_package(path: &Path) -> Result<bool> {
    if is_profile(path) {
        return Ok(false);
    }
    let bytes = {
        use std::io::Read as _;
        let mut f = crate::io::open_file(path)?;
        let mut b = [0u8; 8];
        let n = f.read(&mut b)?;
        b[..n].to_vec()
    };
    let ext_ppkg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ppkg") || e.eq_ignore_ascii_case("wim"));
    Ok(bytes.starts_with(b"MSWIM\0\0\0") || ext_ppkg)
}

/// Turns `file: … at line L, column C …` parse failures into one diagnostic with a position.
fn parse_diag(file: &Path, message: &str) -> Diag {
    let find = |key: &str| -> Option<u32> {
        let i = message.find(key)? + key.len();
        let digits: String = message[i..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let prefix = format!("{}: ", file.display());
    Diag {
        file: file.display().to_string(),
        line: find("line "),
        column: find("column "),
        severity: Severity::Error,
        code: "PARSE".into(),
        path: String::new(),
        message: message.strip_prefix(&prefix).unwrap_or(message).to_owned(),
    }
}

/// Validates the answer file inside a package, and checks that its compiled documents are the
/// ones its answer file compiles to.
fn validate_package(
    path: &Path,
    password: Option<&str>,
    edition: csp_model::Edition,
) -> Result<Vec<Diag>> {
    // An unreadable or damaged package is invalid input (exit 1), reported as a diagnostic.
    let damaged = |e: anyhow::Error| {
        Diag::unplaced(
            path.display().to_string(),
            Severity::Error,
            "PACKAGE",
            "",
            format!("{e:#}"),
        )
    };
    if !path.is_file() {
        anyhow::bail!("{}: not a regular file", path.display());
    }
    let mut pkg = match open_package(path, password) {
        Ok(p) => p,
        Err(e) if e.to_string().contains("give --password") => return Err(e),
        Err(e) => return Ok(vec![damaged(e)]),
    };
    if let Err(e) = crate::io::verify_all(pkg.wim()) {
        return Ok(vec![damaged(e)]);
    }
    let display = format!("{} (customizations.xml)", path.display());
    let answer = match pkg.answer_file() {
        Ok(a) => a,
        Err(e) => {
            return Ok(vec![damaged(
                anyhow::Error::new(e).context("cannot read the answer file"),
            )])
        }
    };
    let Some(answer) = answer else {
        return Ok(vec![Diag::unplaced(
            path.display().to_string(),
            Severity::Error,
            "NO-ANSWER-FILE",
            "Multivariant/0/customizations.xml",
            "the package holds no customizations.xml",
        )]);
    };
    let report = csp_model::validate::validate(&answer, Catalog::builtin(), edition);
    let mut diags: Vec<Diag> = report
        .diagnostics()
        .iter()
        .map(|d| Diag {
            file: display.clone(),
            line: d.pos.map(|p| p.line),
            column: d.pos.map(|p| p.column),
            severity: d.severity.into(),
            code: d.code.to_string(),
            path: d.path.clone(),
            message: d.message.clone(),
        })
        .collect();
    let notes = pkg.image_info().notes.clone();
    if let Some(cat) = catalog_problem(path, Some(notes.as_str())) {
        diags.push(Diag::unplaced(
            path.display().to_string(),
            Severity::Warning,
            "CATALOG",
            "",
            cat,
        ));
    }
    for w in package_warnings(Some(&answer)) {
        diags.push(Diag::unplaced(
            display.clone(),
            Severity::Warning,
            "PROFILE",
            "",
            w,
        ));
    }
    Ok(diags)
}

/// Warnings about a package's answer file that `inspect` and `validate` show: the profile
/// checks that need no files (certificate expiry, bulk token expiry, Wi-Fi keys, names).
pub(crate) fn package_warnings(answer: Option<&AnswerFile>) -> Vec<String> {
    let Some(answer) = answer else {
        return Vec::new();
    };
    let Ok(profile) = workplace::Profile::from_answer_file(answer) else {
        return Vec::new();
    };
    let report = workplace::check(&profile, std::time::SystemTime::now());
    report
        .diagnostics
        .iter()
        .filter(|d| d.code != workplace::Code::AssetNotLoaded)
        .map(|d| d.to_string())
        .collect()
}

/// A catalog beside the package that does not sign it.
fn catalog_problem(path: &Path, notes: Option<&str>) -> Option<String> {
    let cat = ppkg_sign::catalog_path(path);
    if !cat.is_file() {
        // WCD and `ppkg build --sign` record signing in NOTES (FORMAT.md §2).
        let signed = notes.is_some_and(|n| n.contains("SignPackage=True"));
        return signed.then(|| {
            format!(
                "the package was built signed (NOTES: SignPackage=True) but {} is missing; \
                 devices will ask for consent before applying it",
                cat.display()
            )
        });
    }
    ppkg_sign::verify_beside(path)
        .err()
        .map(|e| format!("{} does not sign this package: {e}", cat.display()))
}
