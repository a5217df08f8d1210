//! Answer file (`customizations.xml`) parse → write → parse: whatever parses once must parse
//! again from our own output, and writing is a fixed point (write(parse(write(x))) == write(x)).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ppkg_format::answer::AnswerFile;

fuzz_target!(|data: &[u8]| {
    let Ok(answer) = AnswerFile::parse(data) else {
        return;
    };
    let _ = answer.package_config();
    let _ = answer.targets();
    let _ = answer.variants();
    let _ = answer.common_settings_xml();
    let written = answer.to_bytes();
    let again = AnswerFile::parse(&written).expect("our own output parses");
    assert_eq!(
        again.to_bytes(),
        written,
        "writing is a fixed point after one round trip"
    );
    let mut normalized = again.clone();
    normalized.normalize_layout();
    let n1 = normalized.to_bytes();
    AnswerFile::parse(&n1).expect("normalized output parses");
});
