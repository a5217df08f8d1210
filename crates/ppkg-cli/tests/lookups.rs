//! Support-desk lookups through the `ppkg` binary: `explain`, `settings search/show`,
//! `csp show` and `schedule --code/--trigger`, each in text and JSON.

use std::path::Path;
use std::process::{Command, Output};

fn ppkg(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ppkg"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PPKG_DDF_DIR")
        .output()
        .expect("run ppkg")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run(args: &[&str], code: i32) -> Output {
    let dir = std::env::temp_dir();
    let o = ppkg(args, &dir);
    assert_eq!(o.status.code(), Some(code), "ppkg {args:?}: {}", text(&o));
    o
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[test]
fn explain_names_device_not_supported_in_every_input_form() {
    let o = run(&["explain", "0x80180014"], 0);
    let out = stdout(&o);
    for needle in [
        "MENROLL_E_DEVICENOTSUPPORTED",
        "likely permanent",
        "enrollment restrictions",
        "facility 24",
        "2149056532 / -2145910764",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    for form in ["80180014", "2149056532", "-2145910764", "0X80180014"] {
        let v = json(&run(&["explain", form, "--json"], 0));
        assert_eq!(v["name"], "MENROLL_E_DEVICENOTSUPPORTED", "{form}: {v}");
        assert_eq!(v["code"], "0x80180014");
        assert_eq!(v["transient"], false);
        assert_eq!(v["facility"], 24);
        assert_eq!(v["facility_code"], 20);
        assert!(!v["what_to_check"].as_array().unwrap().is_empty());
    }
    // A transient one, and one that waits for a user.
    let v = json(&run(&["explain", "0x80180010", "--json"], 0));
    assert_eq!(v["name"], "MENROLL_E_CONNECTIVITY");
    assert_eq!(v["transient"], true);
    assert_eq!(v["category"], "network");
    let v = json(&run(&["explain", "0x80070525", "--json"], 0));
    assert_eq!(v["class"], "waits for logon");
    assert_eq!(v["win32"], 1317);
}

#[test]
fn explain_decodes_unknown_codes_and_refuses_non_codes() {
    let o = run(&["explain", "0x87654321"], 0);
    let out = stdout(&o);
    assert!(out.contains("unknown code"), "{out}");
    assert!(out.contains("facility 1893"), "{out}");
    let v = json(&run(&["explain", "0x87654321", "--json"], 0));
    assert_eq!(v["known"], false);
    assert_eq!(v["name"], serde_json::Value::Null);
    assert_eq!(v["severity"], "failure");
    assert_eq!(v["facility_code"], 0x4321);
    // An unknown HTTP status still decodes by facility.
    let v = json(&run(&["explain", "0x80190199", "--json"], 0));
    assert_eq!(v["http_status"], 409);
    // A success code is not a failure.
    let o = run(&["explain", "0"], 0);
    assert!(stdout(&o).contains("not a failure"), "{}", stdout(&o));
    // Not an HRESULT at all: usage error.
    let o = run(&["explain", "not-a-code"], 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("HRESULT"));
}

#[test]
fn settings_search_ranks_and_limits() {
    let o = run(&["settings", "search", "AuthPolicy"], 0);
    let first = stdout(&o).lines().next().unwrap_or_default().to_owned();
    assert!(
        first.starts_with("/Workplace/Enrollments/UPN/AuthPolicy"),
        "{first}"
    );
    let v = json(&run(
        &[
            "settings",
            "search",
            "wlan security",
            "--limit",
            "2",
            "--json",
        ],
        0,
    ));
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{v}");
    assert!(v["total"].as_u64().unwrap() >= 2);
    assert!(results
        .iter()
        .all(|r| r["path"].as_str().unwrap().contains("WLAN")));
    // A typo still finds the setting.
    let v = json(&run(&["settings", "search", "ComputrName", "--json"], 0));
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == "/Accounts/ComputerAccount/ComputerName"),
        "{v}"
    );
    let o = run(&["settings", "search", "qqqzzzxxx"], 0);
    assert!(stdout(&o).contains("no setting matches"));
}

#[test]
fn settings_show_gives_type_labels_csp_and_group() {
    let o = run(
        &[
            "settings",
            "show",
            "Workplace/Enrollments/UPN[UPN=enroll@contoso.com]/AuthPolicy",
        ],
        0,
    );
    let out = stdout(&o);
    for needle in [
        "type:           int",
        "0 = OnPremise",
        "2 = Certificate",
        "./Vendor/MSFT/Provisioning/Enrollments/~UPN~/AuthPolicy",
        "SettingsGroup:",
        "Desktop",
        "WCD settings store",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    let v = json(&run(
        &[
            "settings",
            "show",
            "/Accounts/ComputerAccount/ComputerName",
            "--json",
        ],
        0,
    ));
    let first = &v[0];
    assert_eq!(first["kind"], "text");
    assert!(first["settings_group"].is_string(), "{v}");
    // Limits come through.
    let v = json(&run(
        &[
            "settings",
            "show",
            "/AutomaticTime/NTPRetryInterval",
            "--json",
        ],
        0,
    ));
    assert_eq!(v[0]["min"], 1);
    assert_eq!(v[0]["max"], 24);
    // Unknown path: exit 1 with a suggestion.
    let o = run(
        &["settings", "show", "/Workplace/Enrolments/UPN/AuthPolicy"],
        1,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("did you mean") && err.contains("/Workplace/Enrollments/UPN/AuthPolicy"),
        "{err}"
    );
}

#[test]
fn csp_show_reads_the_ddf_node() {
    let Some(ddf) = ppkg_testdata::reference_file("ddf") else {
        return;
    };
    let ddf = ddf.to_str().unwrap();
    let o = run(
        &[
            "csp",
            "show",
            "./Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/Dev/KeyLocation",
            "--ddf",
            ddf,
        ],
        0,
    );
    let out = stdout(&o);
    for needle in [
        "format:       int",
        "access:       Add, Get, Replace",
        "3 = Install to software.",
        "ClientCertificateInstall.xml",
        "/Certificates/ClientCertificates/ClientCertificate/KeyLocation",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    let v = json(&run(
        &[
            "csp",
            "show",
            "./Device/Vendor/MSFT/DMClient/Provider/MS%20DM%20Server/Poll",
            "--ddf",
            ddf,
            "--json",
        ],
        0,
    ));
    assert_eq!(v["format"], "node");
    let children: Vec<&str> = v["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(children.contains(&"PollOnLogin"), "{v}");
    assert_eq!(v["instances"][0][1], "MS%20DM%20Server");
    // Not in the files: exit 1.
    run(
        &["csp", "show", "./Vendor/MSFT/NoSuchCsp/X", "--ddf", ddf],
        1,
    );
}

#[test]
fn csp_show_without_ddf_says_how_to_get_them() {
    let o = run(
        &[
            "csp",
            "show",
            "./Vendor/MSFT/Provisioning/Enrollments/a@b/Secret",
        ],
        2,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--ddf"), "{err}");
    assert!(err.contains("/Workplace/Enrollments/UPN/Secret"), "{err}");
}

#[test]
fn schedule_takes_a_code_and_triggers() {
    // B30: nobody signed in; one sign-in + idle re-apply after the login, at 5 h + 10 min.
    let o = run(
        &[
            "schedule",
            "--code",
            "0x80070525",
            "--trigger",
            "login-idle@5h",
        ],
        0,
    );
    let out = stdout(&o);
    assert!(out.contains("ERROR_NO_SUCH_USER"), "{out}");
    assert!(out.contains("re-apply: sign-in + idle"), "{out}");
    assert_eq!(out.matches("re-apply: sign-in + idle").count(), 1, "{out}");
    let v = json(&run(
        &[
            "schedule",
            "--code",
            "-2145910768",
            "--trigger",
            "relaunch@30m",
            "--json",
        ],
        0,
    ));
    let s = v.to_string();
    assert!(s.contains("0x80180010"), "{s}");
    assert!(s.contains("relaunch"), "{s}");
    // The relaunch attempt succeeds when only the first 5 fail.
    let v = json(&run(
        &[
            "schedule",
            "--fail",
            "5",
            "--trigger",
            "relaunch@30m",
            "--json",
        ],
        0,
    ));
    assert!(v.to_string().contains("succeeded"), "{v}");
    // Bad input is a usage error.
    run(&["schedule", "--trigger", "reboot"], 2);
    run(&["schedule", "--trigger", "relaunch@soon"], 2);
    run(&["schedule", "--code", "xyz"], 2);
}

#[test]
fn lookup_subcommands_have_help_with_examples() {
    for sub in ["explain", "settings", "csp"] {
        let o = run(&[sub, "--help"], 0);
        let out = stdout(&o);
        assert!(out.contains("Example"), "{sub}: {out}");
        assert!(out.contains(&format!("ppkg {sub}")), "{sub}: {out}");
    }
}
