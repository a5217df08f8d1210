//! Issue #11, "no silent drops": over every answer file under the reference folder (the public
//! `customizations/*.xml` and the answer files inside the three real packages), `validate`
//! without errors ⇒ the compiler builds it, and every package built passes
//! `wimlib-imagex verify` and `7zz t` (independent readers; each skipped when not installed,
//! required with `PPKG_REQUIRE_REFERENCE=1`).

use std::path::Path;

use csp_model::catalog::{Catalog, Edition};
use csp_model::compile::{
    answer_settings_xml, compile, compile_check, file_name_of, AssetContent, AssetFile,
    AssetResolver, CompileOptions,
};
use csp_model::validate::{validate, Code};
use ppkg_format::answer::AnswerFile;
use ppkg_format::layout::{write_package_with, LayoutOptions, Package};
use ppkg_format::wim::{WimReader, WriteOptions};

/// Every reference answer file: (name, bytes).
fn answer_files(reference: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let dir = reference.join("customizations");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("customizations dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    names.sort();
    for p in names {
        out.push((
            p.file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned(),
            std::fs::read(&p).expect("read"),
        ));
    }
    for sample in ["acer_baseconfig_extracted", "start_pins_extracted"] {
        let p = reference
            .join("ppkg")
            .join(sample)
            .join("Multivariant/0/customizations.xml");
        out.push((sample.to_owned(), std::fs::read(&p).expect("read")));
    }
    let file = std::fs::File::open(reference.join("ppkg/bypass_oobe_wcd2024.ppkg")).expect("open");
    let wim = WimReader::new(std::io::BufReader::new(file)).expect("open WIM");
    let mut pkg = Package::open(wim).expect("open package");
    let answer = pkg
        .read_part("Multivariant/0/customizations.xml")
        .expect("read answer file")
        .expect("answer file present");
    out.push(("bypass_oobe_wcd2024.ppkg".to_owned(), answer));
    out
}

/// Stand-in content for every asset reference (the reference folder has no payloads): the
/// repository's example root certificate for `.cer` files, a few bytes otherwise.
struct StandIn;

const CERT: &[u8] = include_bytes!("../../../examples/assets/example-test-root-ca.cer");

impl AssetResolver for StandIn {
    fn resolve(&self, _setting_path: &str, reference: &str) -> std::io::Result<AssetFile> {
        let content = if reference.to_ascii_lowercase().ends_with(".cer") {
            CERT.to_vec()
        } else {
            format!("stand-in for {reference}").into_bytes()
        };
        Ok(AssetFile {
            file_name: file_name_of(reference).to_owned(),
            content: AssetContent::Bytes(content),
        })
    }
}

fn run(tool: &str, args: &[&std::ffi::OsStr]) {
    let out = std::process::Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validate_ok_means_build_ok_on_every_reference_answer_file() {
    let Some(reference) = ppkg_testdata::reference_dir() else {
        return;
    };
    let wimlib = ppkg_testdata::tool("wimlib-imagex");
    let sevenzip = ppkg_testdata::tool("7zz");
    let catalog = Catalog::builtin();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut valid = 0;
    let mut built = 0;
    let files = answer_files(&reference);
    assert_eq!(files.len(), 8 + 3);
    let mut codes = Vec::new();
    for ((name, bytes), edition) in files
        .iter()
        .flat_map(|f| [(f, Edition::Desktop), (f, Edition::IoTUAP)])
    {
        let mut answer = AnswerFile::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = validate(&answer, catalog, edition);
        eprintln!(
            "== {name} ({edition}): {} diagnostic(s)\n{report}",
            report.len()
        );
        codes.extend(report.errors().map(|d| (name.clone(), edition, d.code)));
        // The compiler's check-only run (validation's dry run) refuses exactly what the
        // compiler refuses, at the same place (issue #15 made it skip the documents).
        let mut opts = CompileOptions::for_edition(edition);
        opts.package_id = Some("{00000000-0000-0000-0000-000000000001}".to_owned());
        let checked = compile_check(&answer, catalog, &opts, &StandIn).err();
        let compiled = compile(&answer, catalog, &opts, &StandIn).err();
        assert_eq!(
            checked.as_ref().map(ToString::to_string),
            compiled.as_ref().map(ToString::to_string),
            "{name} ({edition}): compile_check and compile disagree"
        );
        // Every error names a line:column in the file.
        for d in report.errors() {
            assert!(d.pos.is_some(), "{name}: error without position: {d}");
        }
        if !report.is_valid() {
            continue;
        }
        valid += 1;
        let mut config = answer.package_config().unwrap();
        if config.id.is_none() {
            config.id = Some(uuid_nil_plus(valid));
            answer.set_package_config(&config);
        }
        let compiled = compile(
            &answer,
            catalog,
            &CompileOptions::for_edition(edition),
            &StandIn,
        )
        .unwrap_or_else(|e| panic!("{name}: validate said valid, compile refused: {e}"));
        let mut layout = LayoutOptions::default();
        layout.common_settings_xml = Some(answer_settings_xml(&answer, catalog));
        let parts = compiled.into_parts(answer);
        let out = tmp.path().join(format!("{valid}.ppkg"));
        eprintln!("built {name} ({edition})");
        let file = std::fs::File::create(&out).unwrap();
        write_package_with(
            file,
            &parts,
            &WriteOptions::deterministic([3; 16], 133_000_000_000_000_000),
            &layout,
        )
        .unwrap_or_else(|e| panic!("{name}: validate said valid, writing refused: {e}"));
        if wimlib {
            run("wimlib-imagex", &["verify".as_ref(), out.as_os_str()]);
        }
        if sevenzip {
            run("7zz", &["t".as_ref(), out.as_os_str()]);
        }
        built += 1;
    }
    // The three real packages and the plain public answer files validate and build; the two
    // multivariant examples are refused (MultivariantNotCompiled), as are files with true problems.
    eprintln!(
        "{valid} valid, {built} built of {} (file, edition) pairs",
        2 * files.len()
    );
    assert_eq!(built, valid);
    assert!(valid >= 7, "{valid}");
    let has = |file: &str, code: Code| {
        codes
            .iter()
            .any(|(n, _, c)| n.starts_with(file) && *c == code)
    };
    // Refused clearly rather than built without their variant settings.
    assert!(has(
        "commercialization-public-customize-cosa",
        Code::MultivariantNotCompiled
    ));
    assert!(has(
        "windows-itpro-docs-provisioning-multivariant",
        Code::MultivariantNotCompiled
    ));
    // validate reports what build cannot write (issue #11).
    assert!(has("msiot-Appx.IoTOnboardingTask", Code::NoCompilerHandler));
}

fn uuid_nil_plus(n: u8) -> uuid::Uuid {
    uuid::Uuid::from_bytes([n; 16])
}
