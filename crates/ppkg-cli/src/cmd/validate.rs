//! `ppkg validate`: a `.ppkg`, `customizations.xml` or profile; exit 0 valid, 1 invalid.
//!
//! A package gets every check `build` runs on the same settings: the catalog validation and
//! the typed profile checks of its answer file, with its certificate payloads loaded from the
//! package so that expiry and PFX checks run too, at the date `--now` gives (default: today).

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use csp_model::validate::Code;
use ppkg_format::answer::AnswerFile;
use serde::Serialize;

use crate::cli::ValidateArgs;
use crate::input::edition;
use crate::io::{open_package, PackageFile};
use ppkg::{is_profile_path as is_profile, Diagnostic as Diag, Package};

#[derive(Serialize)]
struct Output<'a> {
    file: String,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diag],
}

pub(crate) fn run(a: &ValidateArgs) -> Result<u8> {
    let password = crate::secrets::resolve(
        a.password.as_deref(),
        a.password_file.as_deref(),
        crate::secrets::PASSWORD_ENV,
        "--password",
    )?;
    crate::clock::set(a.now.as_deref())?;
    let edition = edition(&a.edition)?;
    let file = a.file.display().to_string();
    if !a.file.exists() {
        // An I/O error (exit 2), reported as a diagnostic that says why it has no position.
        let d = Diag::field(Code::InputUnreadable, "", "no such file")
            .in_file(file.clone())
            .unplaced_because("the file does not exist");
        print(a, &file, &[d])?;
        return Ok(2);
    }
    let diags = if is_package(&a.file)? {
        validate_package(&a.file, password.as_deref(), edition)?
    } else {
        match Package::from_path(&a.file) {
            Ok(p) => p
                .edition(edition)
                .checked_at(crate::clock::now())
                .validate()
                .into_diagnostics(),
            // A parse error is a diagnostic too.
            Err(e @ (ppkg::Error::Profile { .. } | ppkg::Error::AnswerFile { .. })) => {
                vec![parse_diag(&a.file, &e.to_string())]
            }
            Err(e) => return Err(e.into()),
        }
    };
    let diags = csp_model::validate::dedup_exact(diags);
    let errors = print(a, &file, &diags)?;
    Ok(u8::from(errors > 0))
}

/// Prints the diagnostics (text or JSON) to stdout; returns the number of errors.
fn print(a: &ValidateArgs, file: &str, diags: &[Diag]) -> Result<usize> {
    let (errors, warnings) = crate::report::counts(diags);
    let mut out = std::io::stdout().lock();
    if a.json {
        let o = Output {
            file: file.to_owned(),
            valid: errors == 0,
            errors,
            warnings,
            diagnostics: diags,
        };
        serde_json::to_writer_pretty(&mut out, &o)?;
        writeln!(out)?;
    } else {
        crate::report::write_diagnostics(&mut out, diags, "")?;
        writeln!(
            out,
            "{}: {} ({errors} error(s), {warnings} warning(s))",
            a.file.display(),
            if errors == 0 { "valid" } else { "invalid" }
        )?;
    }
    Ok(errors)
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

/// Turns `file: … at line L, column C …` (or `byte N`) parse failures into one diagnostic with
/// a position.
pub(crate) fn parse_diag(file: &Path, message: &str) -> Diag {
    let find = |key: &str| -> Option<u32> {
        let i = message.find(key)? + key.len();
        let digits: String = message[i..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let prefix = format!("{}: ", file.display());
    let pos = match (find("line "), find("column ")) {
        (Some(l), c) => Some(csp_model::validate::LineCol::new(l, c.unwrap_or(1))),
        _ => None,
    };
    let reason = match find("byte ").or_else(|| find("offset ")) {
        Some(b) => format!("the fault is at byte offset {b}, before any line is known"),
        None => "the reader gave no position for this fault".to_owned(),
    };
    let code = if message.contains("cannot open") || message.contains("not a regular file") {
        Code::InputUnreadable
    } else {
        Code::ParseError
    };
    Diag::field(
        code,
        "",
        message.strip_prefix(&prefix).unwrap_or(message).to_owned(),
    )
    .in_file(file.display().to_string())
    .at(pos)
    .unplaced_because(reason)
}

/// Validates the answer file inside a package with every check `build` runs on it.
fn validate_package(
    path: &Path,
    password: Option<&str>,
    edition: csp_model::Edition,
) -> Result<Vec<Diag>> {
    let file = path.display().to_string();
    // An unreadable or damaged package is invalid input (exit 1), reported as a diagnostic.
    let damaged = |e: anyhow::Error| {
        Diag::field(Code::PackageDamaged, "", format!("{e:#}"))
            .in_file(file.clone())
            .unplaced_because("the package could not be read, so no member can be named")
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
    let answer = match pkg.answer_file() {
        Ok(a) => a,
        Err(e) => {
            let message = format!("{e}");
            let member = answer_member(&message);
            let mut d = parse_diag(path, &message).in_member(member);
            d.code = Code::ParseError;
            return Ok(vec![d]);
        }
    };
    let Some(answer) = answer else {
        return Ok(vec![Diag::field(
            Code::NoAnswerFile,
            "",
            "the package holds no customizations.xml",
        )
        .in_file(file)
        .unplaced_because("the member is missing")]);
    };
    let member = "Multivariant/0/customizations.xml";
    let mut diags = package_checks(&mut pkg, &answer, &file, member, edition);
    let notes = pkg.image_info().notes.clone();
    if let Some(cat) = catalog_problem(path, Some(notes.as_str())) {
        diags.push(
            Diag::field(Code::SignatureProblem, "", cat)
                .in_file(file)
                .unplaced_because("the finding is about the .cat file beside the package"),
        );
    }
    Ok(diags)
}

/// The member a package read error names (`… in Multivariant/0/customizations.xml`).
fn answer_member(message: &str) -> String {
    message
        .split_whitespace()
        .find(|w| w.ends_with("customizations.xml") || w.ends_with("customizations.xml:"))
        .map(|w| w.trim_end_matches(':').to_owned())
        .unwrap_or_else(|| "Multivariant/0/customizations.xml".to_owned())
}

/// Every check `build` runs, on a package's answer file ([`ppkg::inspect::package_checks`]),
/// at the date `--now` gives.
pub(crate) fn package_checks(
    pkg: &mut ppkg_format::layout::Package<PackageFile>,
    answer: &AnswerFile,
    file: &str,
    member: &str,
    edition: csp_model::Edition,
) -> Vec<Diag> {
    ppkg::inspect::package_checks(pkg, answer, file, member, edition, crate::clock::now())
}

/// A catalog beside the package that does not sign it.
pub(crate) fn catalog_problem(path: &Path, notes: Option<&str>) -> Option<String> {
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
