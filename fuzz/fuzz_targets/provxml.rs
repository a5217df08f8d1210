//! `.provxml` (wap-provisioningdoc) parse → write → parse: our output must parse and writing is
//! a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ppkg_format::provxml::ProvDoc;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = ProvDoc::parse(data) else {
        return;
    };
    let _ = doc.parms();
    let written = doc.to_bytes();
    let again = ProvDoc::parse(&written).expect("our own output parses");
    assert_eq!(again.to_bytes(), written, "writing is a fixed point");
});
