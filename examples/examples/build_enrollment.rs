//! Build a bulk-enrollment package from Rust code, without a profile file.
//!
//! `cargo run -p ppkg-examples --example build_enrollment -- [OUT.ppkg]`
//! (default: `enrollment-from-code.ppkg` in the current folder).
//!
//! Steps: a typed [`workplace::Profile`] → checks → answer file → catalog validation →
//! compile to provxml → lay out and write the WIM, atomically (temp file + rename).

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::SystemTime;

use csp_model::{Catalog, CompileOptions, Edition};
use ppkg_format::layout::{write_package_with, LayoutOptions};
use ppkg_format::wim::WriteOptions;
use workplace::{AuthPolicy, Enrollment, PackageInfo, Profile, Secret, Wifi, WifiSecurity};

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("enrollment-from-code.ppkg"), PathBuf::from);

    let profile = Profile {
        package: PackageInfo {
            name: "Enrollment built from code".into(),
            version: "1.0".into(),
            owner_type: "ITAdmin".into(),
            ..PackageInfo::default()
        },
        enrollments: vec![Enrollment {
            upn: "enroll@example.com".into(),
            auth_policy: AuthPolicy::OnPremise,
            discovery_service_full_url: Some(
                "https://enroll.example.com/EnrollmentServer/Discovery.svc".into(),
            ),
            enrollment_service_full_url: None,
            policy_service_full_url: None,
            secret: Some(Secret::new("Example-Passw0rd")),
        }],
        wifi: vec![Wifi {
            ssid: "Example-Lab".into(),
            security: WifiSecurity::Wpa2Personal,
            key: Some(Secret::new("example-wifi-key")),
            auto_connect: Some(true),
            hidden: None,
            proxy: None,
            eap: None,
        }],
        computer_name: Some("LAB-%RAND:4%".into()),
        ..Profile::default()
    };

    // Every problem at once; errors stop the build, warnings are shown.
    let report = workplace::check(&profile, SystemTime::now());
    eprint!("{report}");
    if report.has_errors() {
        return Err("the profile has errors".into());
    }

    let mut answer = profile.to_answer_file()?;
    let mut config = answer.package_config()?;
    config.id.get_or_insert_with(uuid::Uuid::new_v4);
    answer.set_package_config(&config);

    let catalog = Catalog::builtin();
    let validation = csp_model::validate::validate(&answer, catalog, Edition::Desktop);
    if !validation.is_valid() {
        return Err(format!("validation failed:\n{validation}").into());
    }
    let compiled = csp_model::compile(
        &answer,
        catalog,
        &CompileOptions::default(),
        &profile.asset_resolver(),
    )?;
    let mut layout = LayoutOptions::default();
    layout.common_settings_xml = Some(csp_model::answer_settings_xml(&answer, catalog));
    let parts = compiled.into_parts(answer);

    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    let mut w = std::io::BufWriter::new(tmp.as_file_mut());
    let stats = write_package_with(&mut w, &parts, &WriteOptions::from_env(), &layout)?;
    w.flush()?;
    drop(w);
    tmp.persist(&out)?;
    println!(
        "wrote {} ({} settings groups): {stats:?}",
        out.display(),
        parts.provxml.len()
    );
    Ok(())
}
