//! `workplace::Profile` from TOML: parse, normalize, turn into an answer file and back, write
//! TOML again. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workplace::{Profile, Secrets};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut profile) = Profile::from_toml(text) else {
        return;
    };
    let _ = profile.normalize();
    let _ = profile.assets();
    if let Ok(xml) = profile.to_answer_xml() {
        let _ = Profile::from_answer_xml(xml.as_bytes());
    }
    if let Ok(toml) = profile.to_toml(Secrets::Reveal) {
        let _ = Profile::from_toml(&toml);
    }
});
