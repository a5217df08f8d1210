//! Validation of arbitrary answer files against the built-in settings catalog, for each
//! edition: every input that parses must validate (into a report) without panicking.
#![no_main]

use csp_model::catalog::{Catalog, Edition};
use csp_model::validate::validate;
use libfuzzer_sys::fuzz_target;
use ppkg_format::answer::AnswerFile;

fuzz_target!(|data: &[u8]| {
    let Ok(answer) = AnswerFile::parse(data) else {
        return;
    };
    let report = validate(&answer, Catalog::builtin(), Edition::Desktop);
    let _ = report.to_string();
    let _ = validate(&answer, Catalog::builtin(), Edition::Holographic);
});
