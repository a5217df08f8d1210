//! Validate an answer file with custom diagnostics handling: stream each diagnostic as it is
//! found, count by severity, and fail only on errors in one area of interest.
//!
//! `cargo run -p ppkg-examples --example validate_custom -- customizations.xml [edition]`

use std::error::Error;

use ppkg::csp_model::validate::{CallbackLogger, Severity, Validator};
use ppkg::csp_model::{Catalog, Edition};
use ppkg::format::answer::AnswerFile;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        return Err("usage: validate_custom customizations.xml [edition]".into());
    };
    let edition: Edition = args
        .next()
        .as_deref()
        .unwrap_or("desktop")
        .parse()
        .map_err(|_| "unknown edition")?;
    let bytes = std::fs::read(&path)?;
    // A parse error carries its line and column.
    let answer = AnswerFile::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;

    let (mut errors, mut warnings, mut enrollment_errors) = (0, 0, 0);
    let mut logger = CallbackLogger(|d: ppkg::csp_model::validate::Diagnostic| {
        match d.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
            _ => {}
        }
        if d.severity == Severity::Error && d.path.contains("/Workplace/") {
            enrollment_errors += 1;
        }
        let pos = d.pos.map(|p| format!("{p}")).unwrap_or_default();
        println!(
            "{path}:{pos}: {} {} {}: {}",
            d.severity, d.code, d.path, d.message
        );
    });
    Validator::new(Catalog::builtin(), edition).validate_into(&answer, &mut logger);
    println!("{errors} error(s), {warnings} warning(s); {enrollment_errors} in Workplace settings");
    if enrollment_errors > 0 {
        return Err("the enrollment settings are invalid".into());
    }
    Ok(())
}
