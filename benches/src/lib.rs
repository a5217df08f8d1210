//! Benchmarks live in `benches/benches/`; this library only shares input builders between them.
//!
//! [`example_profile`] loads the shipped `examples/bulk-enrollment.toml` (assets resolved) and
//! [`build_package`] runs the same steps as `ppkg build` (profile → answer file → validation
//! against the built-in catalog → compile → `write_package_with`), into memory.

use std::io::Cursor;
use std::path::PathBuf;

use csp_model::catalog::{Catalog, Edition};
use csp_model::compile::CompileOptions;
use ppkg_format::layout::{write_package_with, LayoutOptions};
use ppkg_format::wim::WriteOptions;
use workplace::Profile;

/// Path of the example profile, `examples/bulk-enrollment.toml` in the workspace.
pub fn example_profile_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bulk-enrollment.toml")
}

/// The example profile with its assets (the test root CA) loaded.
///
/// # Panics
/// When the example file is missing or does not load (a broken checkout).
pub fn example_profile() -> Profile {
    Profile::load(&example_profile_path()).expect("examples/bulk-enrollment.toml loads")
}

/// The example profile made unique for device `i`: its own package ID (`{5b0f4c34-…-<i>}`),
/// computer name `EX-<i>` and enrollment UPN `dev<i>@example.com` — what `ppkg bulk` varies per
/// CSV row.
pub fn device_profile(base: &Profile, i: u64) -> Profile {
    let mut p = base.clone();
    p.package.id = Some(format!("{{5b0f4c34-3d3c-4d2e-9b7a-{i:012x}}}"));
    p.computer_name = Some(format!("EX-{i:06}"));
    if let Some(e) = p.enrollments.first_mut() {
        e.upn = format!("dev{i}@example.com");
    }
    p
}

/// Builds `profile` into a `.ppkg` in memory as `ppkg build` does (Desktop edition, XPRESS,
/// fixed GUID and time) and returns the package bytes.
///
/// # Errors
/// A message when the answer file does not validate (an error diagnostic), does not compile,
/// or cannot be written.
pub fn build_package(profile: &Profile) -> Result<Vec<u8>, String> {
    let catalog = Catalog::builtin();
    let answer = profile.to_answer_file().map_err(|e| e.to_string())?;
    // The compile follows: validation's dry run of the compiler is skipped, as its docs advise
    // (`Validator::with_dry_compile`) and as `ppkg::Package` does; the compile reports the same.
    let report = csp_model::validate::Validator::new(catalog, Edition::Desktop)
        .with_dry_compile(false)
        .validate(&answer);
    if let Some(d) = report.errors().next() {
        return Err(d.to_string());
    }
    let resolver = profile.asset_resolver();
    let compiled = csp_model::compile(&answer, catalog, &CompileOptions::default(), &resolver)
        .map_err(|e| e.to_string())?;
    let mut layout = LayoutOptions::default();
    layout.common_settings_xml = Some(csp_model::answer_settings_xml(&answer, catalog));
    layout.target_skus = "Desktop".to_owned();
    let parts = compiled.into_parts(answer);
    let mut out = Cursor::new(Vec::new());
    let opts = WriteOptions::deterministic([0x42; 16], 0x01DC_0D07_2073_7ED1);
    write_package_with(&mut out, &parts, &opts, &layout).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The bulk of the benchmarks: the example profile as template, with a fixed GUID and time.
///
/// # Panics
/// When the example does not load (a broken checkout).
pub fn example_bulk() -> ppkg::Bulk {
    let template = ppkg::Package::from_path(example_profile_path())
        .expect("example loads")
        .write_options(WriteOptions::deterministic(
            [0x42; 16],
            0x01DC_0D07_2073_7ED1,
        ));
    ppkg::Bulk::new(template).expect("the example is a profile")
}

/// Devices `first..first + n` of the bulk benchmarks: each with its own output name
/// (`dev000042`), computer name (`PC-000042`) and enrollment Secret (`Secret-000042`), the
/// per-device values of issue #13's goal ("the example profile with per-device name and
/// secret"), from row 2 of a `devices.csv` on.
pub fn example_devices(first: usize, n: usize) -> Vec<ppkg::Device> {
    (first..first + n)
        .map(|i| {
            ppkg::Device::new(format!("devices.csv:{}", i + 2))
                .name(format!("dev{i:06}"))
                .set(
                    "Accounts/ComputerAccount/ComputerName",
                    format!("PC-{i:06}"),
                )
                .set(
                    "Workplace/Enrollments/UPN[enroll@example.com]/Secret",
                    format!("Secret-{i:06}"),
                )
        })
        .collect()
}

/// This process's CPU time (user + system) in seconds, from `/proc/self/stat` (fields 14 and 15,
/// in clock ticks of 1/100 s); 0 where that file does not exist.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_builds_and_reads_back() {
        let base = example_profile();
        let a = build_package(&device_profile(&base, 1)).unwrap();
        let b = build_package(&device_profile(&base, 2)).unwrap();
        assert_ne!(a, b, "per-device packages differ");
        let mut pkg = ppkg_format::layout::Package::open(
            ppkg_format::wim::WimReader::new(Cursor::new(a)).unwrap(),
        )
        .unwrap();
        let answer = pkg.answer_file().unwrap().expect("customizations.xml");
        assert!(String::from_utf8_lossy(&answer.to_bytes()).contains("dev1@example.com"));
    }
}
