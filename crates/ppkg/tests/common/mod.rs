//! Shared by `read_once.rs` and `one_pass.rs` (`mod common;`).

use std::path::Path;

/// Writes `n` payload files into `dir` (large text and random ones of 1.5–3 MiB first, then
/// small ones of 1–64 KiB, one in three random, one duplicate of another) and returns the
/// answer file naming them as provisioning-command files and the payload bytes.
pub(crate) fn payload_package(dir: &Path, small: usize) -> (Vec<u8>, u64) {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut names = Vec::new();
    let mut total = 0u64;
    let mut put = |name: String, data: Vec<u8>| {
        total += data.len() as u64;
        std::fs::write(dir.join(&name), data).expect("write payload");
        names.push(name);
    };
    let text = |n: usize, k: u64| -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 100);
        let mut i = 0u64;
        while v.len() < n {
            v.extend_from_slice(
                format!(
                    "2026-11-29T08:00:00Z INFO ppkg[{}]: provisioning applied rc=0\r\n",
                    k * 1_000_000 + i
                )
                .as_bytes(),
            );
            i += 1;
        }
        v.truncate(n);
        v
    };
    put("big0.bin".into(), text(3 << 20, 1));
    put(
        "big1.bin".into(),
        (0..(3 << 19)).map(|_| rnd() as u8).collect(),
    );
    for i in 0..small {
        let n = 1024 + (i * 2_654_435_761) % 64_513;
        let data = if i % 3 == 0 {
            (0..n).map(|_| rnd() as u8).collect()
        } else {
            text(n, i as u64 + 10)
        };
        put(format!("small{i:04}.bin"), data);
    }
    // A duplicate of small0001.bin: stored once.
    if small > 1 {
        put("dup.bin".into(), text(1024 + 2_654_435_761 % 64_513, 11));
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<WindowsCustomizations>\r\n  \
         <PackageConfig xmlns=\"urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0\">\r\n    \
         <ID>{6c3e0c1a-5b7d-4e3f-9a21-0b9c8d7e6f50}</ID>\r\n    <Name>once</Name>\r\n    \
         <Version>1.0</Version>\r\n    <OwnerType>ITAdmin</OwnerType>\r\n    <Rank>0</Rank>\r\n  \
         </PackageConfig>\r\n  <Settings xmlns=\"urn:schemas-microsoft-com:windows-provisioning\">\r\n    \
         <Customizations>\r\n      <Common>\r\n        <ProvisioningCommands>\r\n          \
         <PrimaryContext>\r\n            <Command>\r\n",
    );
    for n in &names {
        let stem = n.trim_end_matches(".bin");
        xml.push_str(&format!(
            "              <CommandConfig Name=\"{stem}\">\r\n                \
             <CommandFile>{n}</CommandFile>\r\n                \
             <CommandLine>cmd /c type {n}</CommandLine>\r\n                \
             <ContinueInstall>True</ContinueInstall>\r\n                \
             <RestartRequired>False</RestartRequired>\r\n                \
             <ReturnCodeRestart>3010</ReturnCodeRestart>\r\n                \
             <ReturnCodeSuccess>0</ReturnCodeSuccess>\r\n              </CommandConfig>\r\n"
        ));
    }
    xml.push_str(
        "            </Command>\r\n          </PrimaryContext>\r\n        </ProvisioningCommands>\r\n      \
         </Common>\r\n    </Customizations>\r\n  </Settings>\r\n</WindowsCustomizations>\r\n",
    );
    (xml.into_bytes(), total)
}
