//! `ppkg bulk`: one package per row of a devices CSV, built in parallel.
//!
//! Every row is checked, validated and compiled before anything is written; only when all rows
//! are good are the packages written (each atomically, or one zip file atomically).

use std::collections::BTreeSet;
use std::io::{Cursor, IsTerminal, Write};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use csp_model::validate::Code;
use csp_model::{Catalog, CompileOptions, Edition};
use ppkg_format::layout::{write_package_with, LayoutOptions, PackageParts};
use ppkg_format::wim::{Compression, WriteOptions};
use rayon::prelude::*;
use workplace::{Profile, RawSetting, Secret};

use crate::cli::BulkArgs;
use crate::cmd::Invalid;
use crate::io::{write_atomic, AtomicFile};
use crate::pipeline::{edition, load_profile, report, Diag, Input};

/// Columns with a meaning of their own; any other column must be a setting path (`/…`).
const KNOWN_COLUMNS: [&str; 7] = [
    "name",
    "device",
    "computer_name",
    "wifi_ssid",
    "wifi_key",
    "enrollment_secret",
    "upn",
];

/// One row's outcome: the package file stem and bytes, or the row's diagnostics.
type RowResult = Result<(String, Vec<u8>), Vec<Diag>>;

/// One device row.
struct Row {
    /// 2-based line number in the CSV (the header is line 1).
    line: usize,
    /// Package file stem.
    name: String,
    /// (column, value) overrides.
    values: Vec<(String, String)>,
}

/// The most worker threads `--jobs` may ask for: building is CPU-bound, so more threads than
/// cores only cost memory (each thread has its own stack).
const MAX_JOBS: usize = 256;

pub(crate) fn run(a: &BulkArgs) -> Result<u8> {
    let edition = edition(&a.edition)?;
    crate::io::refuse_output_over_input(&a.output, &[&a.profile, &a.devices])?;
    if let Some(j) = a.jobs {
        if j == 0 || j > MAX_JOBS {
            bail!("--jobs {j}: give 1 to {MAX_JOBS}");
        }
        // Ignore the error when a pool already exists (tests may call twice).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(j)
            .build_global();
    }
    let (profile, display, diags) = load_profile(&Input::File(&a.profile), a.asset_dir.as_deref())?;
    report(&diags)?;
    let rows = read_rows(&a.devices)?;
    if rows.is_empty() {
        bail!("{}: no device rows", a.devices.display());
    }
    let zip = a
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let bar = progress(rows.len() as u64);
    let mut opts = WriteOptions::from_env();
    if a.no_compress {
        opts = opts.with_compression(Compression::None);
    }
    // Build every package in memory (packages are small; payload files are streamed from disk
    // by the writer), in parallel.
    let results: Vec<RowResult> = rows
        .par_iter()
        .map(|row| {
            let r = build_row(&profile, &display, &a.devices, row, edition, &opts);
            if let Some(b) = &bar {
                b.inc(1);
            }
            r
        })
        .collect();
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut failed = Vec::new();
    let mut built = Vec::new();
    for r in results {
        match r {
            Ok(p) => built.push(p),
            Err(d) => failed.extend(d),
        }
    }
    if !failed.is_empty() {
        report(&failed)?;
    }
    if zip {
        let mut out = AtomicFile::create(&a.output)?;
        {
            let mut w = zip::ZipWriter::new(std::io::BufWriter::new(out.file()));
            let fopts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            for (name, bytes) in &built {
                w.start_file(format!("{name}.ppkg"), fopts)?;
                w.write_all(bytes)?;
            }
            w.finish()?.flush()?;
        }
        out.commit()?;
    } else {
        std::fs::create_dir_all(&a.output)
            .with_context(|| format!("cannot create {}", a.output.display()))?;
        // Every target must be writable before the first package is written, so that a folder
        // or FIFO in the way stops the run with nothing written.
        for (name, _) in &built {
            let target = a.output.join(format!("{name}.ppkg"));
            if std::fs::symlink_metadata(&target).is_ok_and(|m| !m.is_file()) {
                bail!(
                    "{}: exists and is not a regular file; nothing written",
                    target.display()
                );
            }
        }
        built.par_iter().try_for_each(|(name, bytes)| {
            write_atomic(&a.output.join(format!("{name}.ppkg")), bytes)
        })?;
    }
    let n = built.len();
    let noun = if n == 1 { "package" } else { "packages" };
    eprintln!("wrote {n} {noun} to {}", a.output.display());
    Ok(0)
}

fn progress(n: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(n);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} packages ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Reads the CSV: a header row, then one row per device.
fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{}:1: cannot read the header row", path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if !h.starts_with('/') && !KNOWN_COLUMNS.contains(&h.as_str()) {
            return Err(Invalid(format!(
                "{}:1:{}: unknown column {h:?}: expected one of {} or a setting path such as /Accounts/ComputerAccount/ComputerName",
                path.display(),
                i + 1,
                KNOWN_COLUMNS.join(", ")
            ))
            .into());
        }
    }
    let name_col = headers.iter().position(|h| h == "name" || h == "device");
    let mut rows = Vec::new();
    let mut names = BTreeSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}:{line}: cannot read the row", path.display()))?;
        let name = match name_col {
            Some(c) => rec.get(c).unwrap_or_default().to_owned(),
            None => format!("device-{:05}", i + 1),
        };
        let name = sanitize(&name).ok_or_else(|| {
            Invalid(format!(
                "{}:{line}: device name {name:?} is empty or not a safe file name",
                path.display()
            ))
        })?;
        if !names.insert(name.to_ascii_lowercase()) {
            return Err(Invalid(format!(
                "{}:{line}: duplicate device name {name:?}",
                path.display()
            ))
            .into());
        }
        let values = headers
            .iter()
            .zip(rec.iter())
            .filter(|(h, _)| h.as_str() != "name" && h.as_str() != "device")
            .map(|(h, v)| (h.clone(), v.to_owned()))
            .collect();
        rows.push(Row { line, name, values });
    }
    Ok(rows)
}

/// A device name usable as a file stem on every OS: letters and digits (any script), `-`, `_`,
/// `.`; at most 100 bytes; not `.`,
/// `..`, a trailing dot, or a Windows reserved device name (`CON`, `NUL`, `COM1`, `LPT1`, … also
/// with an extension, as `nul.txt`), so that a zip of the packages unpacks on Windows.
fn sanitize(name: &str) -> Option<String> {
    const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = RESERVED.contains(&stem.as_str())
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.ends_with('.')
        && !reserved
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| name.to_owned())
}

fn build_row(
    base: &Profile,
    display: &str,
    csv_path: &Path,
    row: &Row,
    edition: Edition,
    opts: &WriteOptions,
) -> RowResult {
    let file = csv_path.display().to_string();
    let row_pos = Some(csp_model::validate::LineCol::new(
        u32::try_from(row.line).unwrap_or(u32::MAX),
        1,
    ));
    let fail = |path: &str, code: Code, message: String| {
        vec![Diag::field(code, path, message)
            .in_file(file.clone())
            .at(row_pos)]
    };
    let mut p = base.clone();
    for (col, value) in &row.values {
        apply(&mut p, col, value).map_err(|e| fail(col, Code::BulkRowInvalid, e.to_string()))?;
    }
    // Distinct, reproducible package IDs: derived from the base ID (or name) and the device.
    p.package.id = Some(derive_id(base, &row.name));
    // Findings of one row are placed at the row (line, column 1) of the devices CSV; the
    // profile's own findings were reported before any row was built.
    let here = |d: Diag| {
        let d = d.in_file(file.clone()).at(row_pos);
        Diag {
            message: format!("{} (device row {}, profile {display})", d.message, row.name),
            ..d
        }
    };
    let report = workplace::check(&p, crate::clock::now());
    let profile_errors: Vec<Diag> = report
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == workplace::Severity::Error)
        .map(here)
        .collect();
    let answer = p
        .to_answer_file()
        .map_err(|e| fail("", Code::CompileFailed, e.to_string()))?;
    let catalog = Catalog::builtin();
    let v = csp_model::validate::validate(&answer, catalog, edition);
    let catalog_errors: Vec<Diag> = v.errors().cloned().map(here).collect();
    let diags = csp_model::validate::merge_layers(profile_errors, catalog_errors);
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut copts = CompileOptions::default();
    copts.edition = edition;
    let compiled = csp_model::compile(&answer, catalog, &copts, &p.asset_resolver())
        .map_err(|e| fail("", Code::CompileFailed, e.to_string()))?;
    let mut layout = LayoutOptions::default();
    layout.common_settings_xml = Some(csp_model::answer_settings_xml(&answer, catalog));
    let parts: PackageParts = compiled.into_parts(answer);
    let mut buf = Cursor::new(Vec::new());
    write_package_with(&mut buf, &parts, opts, &layout)
        .map_err(|e| fail("", Code::CompileFailed, e.to_string()))?;
    Ok((row.name.clone(), buf.into_inner()))
}

fn derive_id(base: &Profile, device: &str) -> String {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(
        base.package
            .id
            .as_deref()
            .unwrap_or(&base.package.name)
            .as_bytes(),
    );
    h.update([0]);
    h.update(device.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    format!("{{{}}}", uuid::Builder::from_sha1_bytes(b).into_uuid())
}

/// Applies one CSV column to a profile.
fn apply(p: &mut Profile, column: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Ok(()); // an empty cell keeps the profile's value
    }
    match column {
        "computer_name" => p.computer_name = Some(value.to_owned()),
        "wifi_ssid" => first(&mut p.wifi, "wifi")?.ssid = value.to_owned(),
        "wifi_key" => first(&mut p.wifi, "wifi")?.key = Some(Secret::new(value)),
        "enrollment_secret" => {
            first(&mut p.enrollments, "enrollments")?.secret = Some(Secret::new(value))
        }
        "upn" => first(&mut p.enrollments, "enrollments")?.upn = value.to_owned(),
        path if path.starts_with('/') => {
            let path = path.trim_start_matches('/');
            match p.settings.iter_mut().find(|s| s.path == path) {
                Some(s) => s.value = value.to_owned(),
                None => p.settings.push(RawSetting::new(path, value)),
            }
        }
        other => bail!("unknown column {other:?}"),
    }
    Ok(())
}

fn first<'a, T>(list: &'a mut [T], what: &str) -> Result<&'a mut T> {
    list.first_mut()
        .ok_or_else(|| anyhow!("the profile has no {what} entry to override"))
}
