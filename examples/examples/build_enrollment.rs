//! Build a bulk-enrollment package from Rust code, without a profile file.
//!
//! `cargo run -p ppkg-examples --example build_enrollment -- [OUT.ppkg]`
//! (default: `enrollment-from-code.ppkg` in the current folder).
//!
//! A typed [`ppkg::workplace::Profile`] built in code, then the facade's [`ppkg::Package`]:
//! checks, answer file, catalog validation, compile, layout and an atomic write (temp file +
//! rename) in one call.

use std::error::Error;
use std::path::PathBuf;

use ppkg::workplace::{AuthPolicy, Enrollment, PackageInfo, Profile, Secret, Wifi, WifiSecurity};
use ppkg::{Edition, Package};

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
    let package = Package::from_profile(profile).edition(Edition::Desktop);
    let report = package.validate();
    eprint!("{report}");
    if report.has_errors() {
        return Err("the profile has errors".into());
    }
    let written = package.write_atomic(&out)?;
    println!(
        "wrote {} ({} bytes, {} settings groups, package ID {})",
        out.display(),
        written.bytes,
        written.groups,
        written.package_id
    );
    Ok(())
}
