//! Certificate (DER/PEM) and PFX (PKCS#12) loaders on arbitrary bytes, with no password and with
//! a fixed one. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workplace::cert;
use workplace::Secret;

fuzz_target!(|data: &[u8]| {
    let _ = cert::certificate_der(data);
    let _ = cert::read_certificate(data);
    let _ = cert::open_pfx(data, None);
    let _ = cert::open_pfx(data, Some(&Secret::new("fuzz")));
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = cert::normalize_thumbprint(s);
    }
});
