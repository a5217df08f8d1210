//! Answer-file validation throughput (`csp_model::validate`), goal ≥ 100 MB/s (issue 8).
//!
//! `cargo bench -p ppkg-benches --bench validate` builds a 1 MiB `customizations.xml` in memory
//! from the settings a bulk-enrollment package carries (local accounts with passwords and groups,
//! MDM enrollments by UPN, provisioning commands, Wi-Fi, certificates, policies), then measures:
//! - `validate/1MiB`: [`validate`] over the parsed answer file (the issue's number);
//! - `validate/parse+validate_1MiB`: [`AnswerFile::parse`] plus [`validate`], for reference.
//!
//! Throughput is in bytes of answer-file text. Measured 2026-12-03 on the 2-core development
//! machine, pinned to one core while a fuzzer ran on the other: validate 2.5 ms per 1 MiB file
//! (≈ 400 MiB/s); parse plus validate 16.5 ms (≈ 61 MiB/s). Parsing builds a lossless tree (an
//! allocation per node and attribute) and detects the file's indentation by writing it once and
//! comparing; that is where the rest of the time goes.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use csp_model::catalog::{Catalog, Edition};
use csp_model::validate::validate;
use ppkg_format::answer::AnswerFile;

/// Size of the generated answer file.
const TARGET_BYTES: usize = 1 << 20;

/// A valid Desktop answer file of about `target` bytes.
fn answer_xml(target: usize) -> String {
    let mut users = String::new();
    let mut upns = String::new();
    let mut commands = String::new();
    let mut i = 0usize;
    while users.len() + upns.len() + commands.len() < target {
        let _ = write!(
            users,
            "\n          <User UserName=\"user{i:06}\">\n            <Password>P@ss-{i:08}</Password>\n            <UserGroup>{}</UserGroup>\n          </User>",
            if i % 2 == 0 { "Administrators" } else { "Standard Users" }
        );
        let _ = write!(
            upns,
            "\n          <UPN UPN=\"user{i:06}@contoso.com\">\n            <AuthPolicy>{}</AuthPolicy>\n            <DiscoveryServiceFullUrl>https://enroll.contoso.com/EnrollmentServer/Discovery.svc</DiscoveryServiceFullUrl>\n            <Secret>secret-{i:08}</Secret>\n          </UPN>",
            if i % 3 == 0 { "Certificate" } else { "OnPremise" }
        );
        let _ = write!(
            commands,
            "\n            <CommandConfig Name=\"step{i:06}\">\n              <CommandLine>cmd /c echo step {i} &gt;&gt; C:\\Windows\\Temp\\prov.log</CommandLine>\n              <ContinueInstall>True</ContinueInstall>\n              <ReturnCodeSuccess>0</ReturnCodeSuccess>\n            </CommandConfig>",
        );
        i += 1;
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<WindowsCustomizations>
  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
    <ID>{{a0ff437e-87ae-4f47-a6a0-4121eb6bc106}}</ID>
    <Name>Bench</Name>
    <Version>1.0</Version>
    <OwnerType>ITAdmin</OwnerType>
    <Rank>0</Rank>
  </PackageConfig>
  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
    <Customizations>
      <Common>
        <Accounts>
          <Users>{users}
          </Users>
        </Accounts>
        <HotSpot><Enabled>False</Enabled></HotSpot>
        <ProvisioningCommands>
          <PrimaryContext>
            <Command>{commands}
            </Command>
          </PrimaryContext>
        </ProvisioningCommands>
        <Workplace>
          <Enrollments>{upns}
          </Enrollments>
        </Workplace>
      </Common>
    </Customizations>
  </Settings>
</WindowsCustomizations>
"#
    )
}

fn bench(c: &mut Criterion) {
    let xml = answer_xml(TARGET_BYTES);
    let answer = AnswerFile::parse(xml.as_bytes()).expect("the generated answer file parses");
    let catalog = Catalog::builtin();
    let report = validate(&answer, catalog, Edition::Desktop);
    assert!(
        report.is_empty(),
        "the generated answer file must be clean:\n{}",
        report
            .diagnostics()
            .iter()
            .take(5)
            .map(|d| format!("{d}\n"))
            .collect::<String>()
    );
    eprintln!("validate: answer file of {} bytes", xml.len());

    let mut g = c.benchmark_group("validate");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("1MiB", |b| {
        b.iter(|| validate(black_box(&answer), catalog, Edition::Desktop));
    });
    g.bench_function("parse+validate_1MiB", |b| {
        b.iter(|| {
            let a = AnswerFile::parse(black_box(xml.as_bytes())).expect("parses");
            validate(&a, catalog, Edition::Desktop)
        });
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
