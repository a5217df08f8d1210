//! Per-device bulk through the facade: list items overridden by key, per-device PFX files with
//! the derived Secret, variables in names, row origins in errors, and each package equal to the
//! same package built alone.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use ppkg::format::layout::Package as Opened;
use ppkg::format::wim::WimReader;
use ppkg::workplace::{Profile, Secret};
use ppkg::{Bulk, Device, Package, WriteOptions};

fn examples() -> PathBuf {
    ppkg_testdata::workspace_root().join("examples")
}

/// Fixed GUID and time, so that two builds of the same package are byte-identical.
fn fixed() -> WriteOptions {
    WriteOptions::deterministic([7; 16], 133_000_000_000_000_000)
}

/// The profile inside a built package.
fn read_back(bytes: &[u8]) -> Profile {
    let wim = WimReader::new(Cursor::new(bytes.to_vec())).expect("a WIM");
    let mut pkg = Opened::open(wim).expect("a package");
    let answer = pkg.answer_file().expect("readable").expect("has one");
    Profile::from_answer_file(&answer).expect("maps to a profile")
}

#[test]
fn each_bulk_package_equals_the_same_package_built_alone() {
    let template = Package::from_path(examples().join("bulk-enrollment.toml"))
        .expect("example loads")
        .write_options(fixed());
    let bulk = Bulk::new(template).expect("bulk").variables(["serial"]);
    for i in 0..20 {
        let d = Device::new(format!("devices.csv:{}", i + 2))
            .name(format!("dev{i:03}"))
            .set(
                "Accounts/ComputerAccount/ComputerName",
                format!("PC-{i:03}"),
            )
            .set(
                // Even rows as `inspect` prints the path, odd rows without the scope.
                if i % 2 == 0 {
                    "/Common/Workplace/Enrollments/UPN[enroll@example.com]/Secret"
                } else {
                    "/Workplace/Enrollments/UPN[enroll@example.com]/Secret"
                },
                format!("Secret-{i:04}"),
            );
        let out = bulk.build(&d).expect("builds");
        // Alone: the example profile changed by hand, no bulk involved.
        let text = std::fs::read_to_string(examples().join("bulk-enrollment.toml")).expect("read");
        let mut p = Profile::from_toml(&text).expect("parses");
        p.computer_name = Some(format!("PC-{i:03}"));
        p.enrollments[0].secret = Some(Secret::new(format!("Secret-{i:04}")));
        let mut alone = Cursor::new(Vec::new());
        Package::from_profile(p)
            .base_folder(examples())
            .package_id(out.package_id)
            .write_options(fixed())
            .write_to(&mut alone)
            .expect("builds alone");
        assert!(alone.get_ref() == &out.bytes, "device {i}: bytes differ");
        let back = read_back(&out.bytes);
        assert_eq!(
            back.computer_name.as_deref(),
            Some(format!("PC-{i:03}").as_str())
        );
        assert_eq!(
            back.enrollments.len(),
            1,
            "the UPN is overridden, not duplicated"
        );
    }
}

#[test]
fn a_new_key_adds_an_item_and_errors_name_the_row() {
    let template = Package::from_path(examples().join("bulk-enrollment.toml")).expect("loads");
    let bulk = Bulk::new(template).expect("bulk");
    let d = Device::new("devices.csv:2")
        .name("two")
        .set(
            "Workplace/Enrollments/UPN[second@example.com]/AuthPolicy",
            "OnPremise",
        )
        .set(
            "Workplace/Enrollments/UPN[second@example.com]/DiscoveryServiceFullUrl",
            "https://second.example.com/EnrollmentServer/Discovery.svc",
        )
        .set(
            "Workplace/Enrollments/UPN[second@example.com]/Secret",
            "Second-Pass1",
        );
    let out = bulk.build(&d).expect("builds");
    let back = read_back(&out.bytes);
    let upns: Vec<&str> = back.enrollments.iter().map(|e| e.upn.as_str()).collect();
    assert_eq!(upns, ["enroll@example.com", "second@example.com"]);
    // A bad value is reported at the row, with the setting path.
    let bad = Device::new("devices.csv:17").name("bad").set(
        "Workplace/Enrollments/UPN[enroll@example.com]/DiscoveryServiceFullUrl",
        "http://plain.example.com/x",
    );
    let report = bulk.build(&bad).expect_err("http is refused");
    let text = report.to_string();
    assert!(text.starts_with("devices.csv:17"), "{text}");
    assert!(text.contains("UPN[enroll@example.com]"), "{text}");
    // A bad path is reported with its character position.
    let bad = Device::new("devices.csv:18")
        .name("bad2")
        .set("Workplace/Enrollments/UPN[x", "1");
    let text = bulk.build(&bad).expect_err("bad path").to_string();
    assert!(
        text.starts_with("devices.csv:18") && text.contains("character 28"),
        "{text}"
    );
    // An undeclared variable is an error.
    let bad = Device::new("devices.csv:19").var("serial", "1");
    let text = bulk.build(&bad).expect_err("undeclared").to_string();
    assert!(text.contains("unknown variable \"serial\""), "{text}");
}

/// A PFX holding a new P-256 key and its self-signed certificate; returns the bytes and the
/// certificate's thumbprint.
fn device_pfx(cn: &str, password: &str) -> (Vec<u8>, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec![cn.to_owned()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn.to_owned());
    let cert = params.self_signed(&key).expect("cert");
    let der = cert.der().to_vec();
    let chain = p12_keystore::PrivateKeyChain::new(
        key.serialize_der(),
        [1u8, 2, 3, 4],
        [p12_keystore::Certificate::from_der(&der).expect("der")],
    );
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(cn, p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    let pfx = store
        .writer(password)
        .encryption_iterations(16)
        .mac_iterations(16)
        .write()
        .expect("pfx");
    (pfx, ppkg::workplace::cert::thumbprint(&der))
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn a_thousand_devices_with_their_own_pfx_get_their_thumbprint_as_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        &d.join("template.toml"),
        br#"
[package]
name = "Certificate enrollment"
id = "{0f8e2a55-2b6f-4c1e-9d3a-5e7b8c9d0a1b}"

[[enrollments]]
upn = "enroll@example.com"
auth_policy = "Certificate"
discovery_service_full_url = "https://enroll.example.com/EnrollmentServer/Discovery.svc"
"#,
    );
    let mut devices = Vec::new();
    let mut thumbs = Vec::new();
    for i in 0..1000 {
        let serial = format!("SN{i:05}");
        let pw = format!("pw-{i}");
        let (pfx, thumb) = device_pfx(&serial, &pw);
        write(&d.join(format!("certs/{serial}.pfx")), &pfx);
        thumbs.push(thumb);
        devices.push(
            Device::new(format!("devices.csv:{}", i + 2))
                .var("serial", serial.as_str())
                .set(
                    "Certificates/ClientCertificates/ClientCertificate[CertificateName=Device]/CertificatePath",
                    "certs/{serial}.pfx",
                )
                .set(
                    "Certificates/ClientCertificates/ClientCertificate[CertificateName=Device]/CertificatePassword",
                    pw,
                )
                .set(
                    "Certificates/ClientCertificates/ClientCertificate[CertificateName=Device]/KeyLocation",
                    "TPM with software fallback",
                )
                .set("Accounts/ComputerAccount/ComputerName", "PC-{serial}"),
        );
    }
    let bulk = Bulk::new(Package::from_path(d.join("template.toml")).expect("template"))
        .expect("bulk")
        .variables(["serial"])
        .files_folder(d)
        .file_name("{serial}")
        .package_name("Enrollment {serial}");
    let results = bulk.build_all(&devices);
    assert_eq!(results.len(), 1000);
    for (i, r) in results.into_iter().enumerate() {
        let out = r.unwrap_or_else(|rep| panic!("device {i}: {rep}"));
        let serial = format!("SN{i:05}");
        assert_eq!(out.name, serial);
        // Spot-read every 50th package fully (reading all is the slow part of this test).
        if i % 50 == 0 || i == 999 {
            let back = read_back(&out.bytes);
            assert_eq!(back.package.name, format!("Enrollment {serial}"));
            assert_eq!(
                back.computer_name.as_deref(),
                Some(format!("PC-{serial}").as_str())
            );
            let secret = back.enrollments[0].secret.as_ref().expect("a Secret");
            assert_eq!(secret.expose(), thumbs[i], "device {i}");
            assert_eq!(back.client_certificates.len(), 1);
            assert_eq!(back.client_certificates[0].name, "Device");
        }
    }
    // A wrong PFX password is reported at its row.
    let bad = Device::new("devices.csv:1002")
        .var("serial", "SN00001")
        .set(
            "Certificates/ClientCertificates/ClientCertificate[CertificateName=Device]/CertificatePath",
            "certs/{serial}.pfx",
        )
        .set(
            "Certificates/ClientCertificates/ClientCertificate[CertificateName=Device]/CertificatePassword",
            "Wr0ng-Passw0rd",
        )
        .set(
            "Certificates/ClientCertificates/ClientCertificate[CertificateName=Device]/KeyLocation",
            "TPM with software fallback",
        );
    let text = bulk.build(&bad).expect_err("wrong password").to_string();
    assert!(text.starts_with("devices.csv:1002"), "{text}");
    assert!(text.contains("password"), "{text}");
    assert!(
        !text.contains("Wr0ng-Passw0rd"),
        "no secret in the message: {text}"
    );
}

/// Every field of a typed list item can be set per device: Wi-Fi (an existing network
/// overridden, a new SSID added), domain join, local users; a new network without its
/// SecurityType is an error at the row, naming the network.
#[test]
fn wifi_domain_join_and_local_users_per_device() {
    use ppkg::workplace::WifiSecurity;
    let template = Package::from_path(examples().join("bulk-enrollment.toml")).expect("loads");
    let bulk = Bulk::new(template).expect("bulk");
    let lab = "ConnectivityProfiles/WLAN/WLANSetting/WLANConfig[SSID=Example-Lab]";
    let guest = "ConnectivityProfiles/WLAN/WLANSetting/WLANConfig[SSID=Guest-5G]";
    let d = Device::new("devices.csv:2")
        .name("one")
        .set(format!("{lab}/WLANXmlSettings/HiddenNetwork"), "True")
        .set(format!("{lab}/ProxyServerPort"), "proxy.example.com:8080")
        .set(
            format!("{guest}/WLANXmlSettings/SecurityType"),
            "WPA2-Personal",
        )
        .set(
            format!("{guest}/WLANXmlSettings/SecurityKey"),
            "guest-passphrase-1",
        )
        .set("Accounts/ComputerAccount/DomainName", "corp.example.com")
        .set("Accounts/ComputerAccount/Account", "corp\\joiner")
        .set("Accounts/ComputerAccount/Password", "Join-Pass-1")
        .set(
            "Accounts/Users/User[UserName=labadmin]/Password",
            "Local-Pass-1",
        )
        .set(
            "Accounts/Users/User[UserName=labadmin]/UserGroup",
            "Administrators",
        );
    let out = bulk.build(&d).expect("builds");
    let back = read_back(&out.bytes);
    let lab_net = back
        .wifi
        .iter()
        .find(|w| w.ssid == "Example-Lab")
        .expect("lab");
    assert_eq!(lab_net.hidden, Some(true));
    assert_eq!(lab_net.proxy.as_deref(), Some("proxy.example.com:8080"));
    assert_eq!(lab_net.security, WifiSecurity::Wpa2Personal, "kept");
    let guest_net = back
        .wifi
        .iter()
        .find(|w| w.ssid == "Guest-5G")
        .expect("added");
    assert_eq!(guest_net.security, WifiSecurity::Wpa2Personal);
    let dj = back.domain_join.as_ref().expect("domain join");
    assert_eq!(dj.domain, "corp.example.com");
    assert_eq!(dj.account.as_deref(), Some("corp\\joiner"));
    assert_eq!(
        dj.password.as_ref().map(Secret::expose),
        Some("Join-Pass-1")
    );
    let user = back
        .local_users
        .iter()
        .find(|u| u.name == "labadmin")
        .expect("user");
    assert_eq!(user.group.as_deref(), Some("Administrators"));
    // A new network that names no SecurityType is refused, at the row.
    let bad = Device::new("devices.csv:9").name("bad").set(
        format!("{guest}/WLANXmlSettings/SecurityKey"),
        "guest-passphrase-1",
    );
    let text = bulk.build(&bad).expect_err("no security type").to_string();
    assert!(text.starts_with("devices.csv:9"), "{text}");
    assert!(text.contains("Guest-5G"), "{text}");
    // A field a WLANConfig does not have is refused with the list of those it has.
    let bad = Device::new("devices.csv:10")
        .name("bad2")
        .set(format!("{lab}/WLANXmlSettings/Colour"), "blue");
    let text = bulk.build(&bad).expect_err("unknown field").to_string();
    assert!(text.contains("SecurityType, SecurityKey"), "{text}");
}

/// `Debug` of a device and of an output never shows a value (a device's Secret, PFX password
/// or token) nor the package bytes.
#[test]
fn debug_hides_device_values_and_package_bytes() {
    let marker = "Marker-Secret-7731";
    let device = Device::new("devices.csv:2")
        .var("serial", "SN-marker-7731")
        .set(
            "Workplace/Enrollments/UPN[enroll@example.com]/Secret",
            marker,
        );
    let shown = format!("{device:?}");
    assert!(!shown.contains(marker), "{shown}");
    assert!(!shown.contains("SN-marker-7731"), "{shown}");
    assert!(shown.contains("devices.csv:2"), "{shown}");
    assert!(shown.contains("UPN[enroll@example.com]/Secret"), "{shown}");
    assert!(shown.contains("serial"), "{shown}");

    let bulk = Bulk::new(Package::from_path(examples().join("bulk-enrollment.toml")).unwrap())
        .unwrap()
        .variables(["serial"])
        .file_name("{serial}");
    let out = bulk.build(&device).unwrap();
    let shown = format!("{out:?}");
    assert!(
        shown.contains(&format!("<{} bytes>", out.bytes.len())),
        "{shown}"
    );
    assert!(!shown.contains(marker), "{shown}");
    assert!(shown.len() < 300, "{shown}");
}

/// `build_each` in small windows gives what `build_all` gives, in order, with a name repeated
/// across windows refused for the later device; `check_all` finds the same faults without
/// building, and a failing sink stops the run.
#[test]
fn build_each_windows_equal_build_all_and_check_all_finds_the_same_faults() {
    let template = Package::from_path(examples().join("bulk-enrollment.toml"))
        .expect("example loads")
        .write_options(fixed());
    let bulk = Bulk::new(template).expect("bulk").variables(["serial"]);
    let mut devices: Vec<Device> = (0..9)
        .map(|i| {
            Device::new(format!("devices.csv:{}", i + 2))
                .name(format!("dev{i}"))
                .set(
                    "Accounts/ComputerAccount/ComputerName",
                    format!("PC-{i:03}"),
                )
        })
        .collect();
    // Row 7 repeats row 2's name (another window when windows hold 2), row 5 a bad setting.
    devices[6] = devices[6].clone().name("DEV1");
    devices[4] = devices[4]
        .clone()
        .set("Accounts/ComputerAccount/NoSuchField", "x");
    let all = bulk.build_all(&devices);
    let mut each = Vec::new();
    bulk.build_each(&devices, 2, |r| -> Result<(), ()> {
        each.push(r);
        Ok(())
    })
    .expect("sink never fails");
    assert_eq!(all.len(), each.len());
    for (i, (a, e)) in all.iter().zip(&each).enumerate() {
        match (a, e) {
            (Ok(a), Ok(e)) => assert!(a.bytes == e.bytes && a.name == e.name, "device {i}"),
            (Err(a), Err(e)) => assert_eq!(a, e, "device {i}"),
            _ => panic!("device {i}: build_all {a:?} but build_each {e:?}"),
        }
    }
    let failed: Vec<usize> = (0..9).filter(|&i| each[i].is_err()).collect();
    assert_eq!(failed, [4, 6]);
    let dup = each[6].as_ref().unwrap_err().to_string();
    assert!(dup.contains("also the name of devices.csv:3"), "{dup}");
    let checked = bulk.check_all(&devices);
    let check_failed: Vec<usize> = (0..9).filter(|&i| checked[i].is_err()).collect();
    assert_eq!(check_failed, failed);
    let mut seen = 0;
    let stop = bulk.build_each(&devices, 4, |_| {
        seen += 1;
        if seen == 3 {
            Err("stop")
        } else {
            Ok(())
        }
    });
    assert_eq!((stop, seen), (Err("stop"), 3));
}

/// An undeclared `{word}` in a per-device value is an error naming the row (a typo would reach
/// the package as text); `{{`/`}}` write a brace; a GUID's braces are text.
#[test]
fn undeclared_placeholders_are_errors_and_braces_can_be_written() {
    let bulk = Bulk::new(Package::from_path(examples().join("bulk-enrollment.toml")).unwrap())
        .unwrap()
        .variables(["serial"]);
    let device = |value: &str| {
        Device::new("devices.csv:3")
            .name("d")
            .var("serial", "001")
            .set(
                "Workplace/Enrollments/UPN[enroll@example.com]/Secret",
                value,
            )
    };
    let err = bulk
        .build(&device("Pass-{nope}-1"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("devices.csv:3"), "{err}");
    assert!(err.contains("{nope} is not a declared variable"), "{err}");
    for (value, want) in [
        ("Pass-{serial}-x", "Pass-001-x"),
        ("Pass-{{serial}}-x", "Pass-{serial}-x"),
        (
            "P{a1b2c3d4-0000-4000-8000-000000000000}}}x",
            "P{a1b2c3d4-0000-4000-8000-000000000000}}x",
        ),
    ] {
        let out = bulk.build(&device(value)).unwrap();
        let back = read_back(&out.bytes);
        assert_eq!(
            back.enrollments[0].secret.as_ref().map(|s| s.expose()),
            Some(want),
            "{value}"
        );
    }
}

/// With the template's assets confined to a folder (`--asset-dir`), a per-device file must be
/// a relative path inside the files folder: an absolute path or `..` is refused before reading.
#[test]
fn per_device_files_stay_inside_a_confined_folder() {
    let template = Package::from_path(examples().join("bulk-enrollment.toml"))
        .unwrap()
        .assets_folder(examples());
    let bulk = Bulk::new(template)
        .unwrap()
        .files_folder(examples().join("assets"));
    let path =
        "Certificates/ClientCertificates/ClientCertificate[CertificateName=Dev]/CertificatePath";
    for value in ["/etc/passwd", "../bulk-enrollment.toml"] {
        let d = Device::new("devices.csv:2").name("d").set(path, value);
        let err = bulk.build(&d).unwrap_err().to_string();
        assert!(
            err.contains("must be a relative path inside"),
            "{value}: {err}"
        );
    }
}
