//! `ppkg bulk`: one package per row of a devices CSV, built in parallel by the facade's
//! [`ppkg::Bulk`].
//!
//! Columns: `name` (or `device`): the output name; a setting path
//! (`Workplace/Enrollments/UPN[enroll@example.com]/Secret`, with or without a leading `/`):
//! that setting, overriding a list item with the same key or adding one; a variable declared
//! with `--var NAME`: usable as `{NAME}` in values, `--file-name` and `--package-name`; and the
//! short forms `computer_name`, `wifi_key` (first Wi-Fi network), `enrollment_secret` (first
//! enrollment). Any other column is an error at its header position.
//!
//! Nothing is written unless every row is good: a zip is built in a temporary file renamed into
//! place at the end; into a folder, up to [`WINDOW`] packages are built in memory first, and
//! more rows are all checked before the first package is written. Either way at most
//! [`WINDOW`] packages are in memory, whatever the row count or the template's payloads.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use ppkg::{Bulk, Compression, Device, Package};

use crate::cli::BulkArgs;
use crate::cmd::Invalid;
use crate::input::{edition, from_facade, print};
use crate::io::{write_atomic, AtomicFile};

/// Short column names kept from earlier versions, and what they stand for.
const SHORT_COLUMNS: [&str; 3] = ["computer_name", "wifi_key", "enrollment_secret"];

/// The most worker threads `--jobs` may ask for: building is CPU-bound, so more threads than
/// cores only cost memory (each thread has its own stack).
const MAX_JOBS: usize = 256;

/// How many packages a bulk run holds in memory at most (built in parallel, then written).
const WINDOW: usize = 256;

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
    let mut template = Package::from_path(&a.profile)
        .map_err(from_facade)?
        .edition(edition);
    if let Some(d) = &a.asset_dir {
        template = template.assets_folder(d);
    }
    if a.no_compress {
        template = template.compression(Compression::None);
    }
    let csv_dir = match a.devices.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut bulk = Bulk::new(template)
        .map_err(from_facade)?
        .variables(a.var.iter().cloned())
        .files_folder(csv_dir);
    if let Some(t) = &a.file_name {
        bulk = bulk.file_name(t.clone());
    }
    if let Some(t) = &a.package_name {
        bulk = bulk.package_name(t.clone());
    }
    let devices = read_rows(&a.devices, &bulk)?;
    if devices.is_empty() {
        bail!("{}: no device rows", a.devices.display());
    }
    let zip = a
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let bar = progress(devices.len() as u64);
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let mut failed = Vec::new();
    // Warnings of the good rows: printed with the errors, or alone when every row is good.
    let mut warnings = Vec::new();
    // Packages already in place when a row failed after the check (a file that changed).
    let mut early = 0;
    let n = if zip {
        // Packages go into the zip's temporary file as they are built, WINDOW at a time
        // (memory independent of the row count); a bad row stops the writing, the remaining rows
        // are still built to report every fault, and the temporary file is removed.
        let mut out = AtomicFile::create(&a.output)?;
        let mut n = 0;
        {
            let mut w = zip::ZipWriter::new(std::io::BufWriter::new(out.file()));
            let fopts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            bulk.build_each(&devices, WINDOW, |r| -> Result<()> {
                tick();
                match r {
                    Ok(p) if failed.is_empty() => {
                        warnings.extend(p.report.into_diagnostics());
                        w.start_file(format!("{}.ppkg", p.name), fopts)?;
                        w.write_all(&p.bytes)?;
                        n += 1;
                    }
                    Ok(_) => {}
                    Err(report) => failed.extend(report.into_diagnostics()),
                }
                Ok(())
            })?;
            if failed.is_empty() {
                w.finish()?.flush()?;
            }
        }
        if failed.is_empty() {
            out.commit()?;
        }
        n
    } else {
        // Up to WINDOW rows: built in memory, written only when all are good. More: every row
        // is checked first (nothing is written unless all are good), then built and written
        // WINDOW at a time, so memory does not grow with the row count.
        let stream = devices.len() > WINDOW;
        if stream {
            for report in bulk.check_all(&devices).into_iter().filter_map(Result::err) {
                failed.extend(report.into_diagnostics());
            }
        }
        let mut built = Vec::new();
        if failed.is_empty() {
            // Every target must be writable before the first package is written, so that a
            // folder or FIFO in the way stops the run with nothing written.
            for d in &devices {
                let Ok(name) = bulk.output_name(d) else {
                    continue;
                };
                let target = a.output.join(format!("{name}.ppkg"));
                if std::fs::symlink_metadata(&target).is_ok_and(|m| !m.is_file()) {
                    bail!(
                        "{}: exists and is not a regular file; nothing written",
                        target.display()
                    );
                }
            }
            if stream {
                create_dir(&a.output)?;
            }
            bulk.build_each(&devices, WINDOW, |r| -> Result<()> {
                tick();
                match r {
                    Ok(p) if stream && failed.is_empty() => {
                        warnings.extend(p.report.into_diagnostics());
                        write_atomic(&a.output.join(format!("{}.ppkg", p.name)), &p.bytes)?;
                        early += 1;
                    }
                    Ok(_) if stream => {}
                    Ok(mut p) => {
                        warnings.extend(std::mem::take(&mut p.report).into_diagnostics());
                        built.push(p);
                    }
                    Err(report) => failed.extend(report.into_diagnostics()),
                }
                Ok(())
            })?;
        }
        if failed.is_empty() && !stream {
            create_dir(&a.output)?;
            use rayon::prelude::*;
            built.par_iter().try_for_each(|p| {
                write_atomic(&a.output.join(format!("{}.ppkg", p.name)), &p.bytes)
            })?;
        }
        devices.len()
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    // A warning of the template itself comes with every row: shown for its first row only.
    let mut seen = std::collections::HashSet::new();
    warnings.retain(|d| seen.insert((d.code, d.path.clone(), d.message.clone())));
    if failed.is_empty() {
        print(&warnings);
    } else {
        failed.append(&mut warnings);
        print(&failed);
        let n = failed.iter().filter(|d| d.is_error()).count();
        if early > 0 {
            return Err(Invalid(format!(
                "{n} error(s) in a row that passed the check; {early} package(s) were written \
                 to {} before it",
                a.output.display()
            ))
            .into());
        }
        return Err(Invalid(format!("{n} error(s); nothing was written")).into());
    }
    let noun = if n == 1 { "package" } else { "packages" };
    eprintln!("wrote {n} {noun} to {}", a.output.display());
    Ok(0)
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

fn progress(n: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(n);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} packages ({rate}, eta {eta})")
    {
        // indicatif's own {per_sec} prints `2731.4280/s`; people read `2,731/s`.
        let style = style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}/s", thousands(state.per_sec()));
            },
        );
        bar.set_style(style);
    }
    Some(bar)
}

/// A rate rounded to a whole number with `,` between thousands: `2731.43` → `2,731`.
fn thousands(rate: f64) -> String {
    let n = if rate.is_finite() && rate > 0.0 {
        rate.round() as u64
    } else {
        0
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a CSV column is.
enum Column {
    /// The output name.
    Name,
    /// A setting path.
    Setting(String),
    /// A declared variable.
    Var(String),
}

impl Column {
    /// What the column sets, compared case-insensitively and without the `/` or `/Common/`
    /// scope a path may start with.
    fn key(&self) -> String {
        match self {
            Column::Name => "name".to_owned(),
            Column::Setting(p) => {
                let p = p.trim_start_matches('/');
                let p = p.strip_prefix("Common/").unwrap_or(p);
                format!("setting:{}", p.to_lowercase())
            }
            Column::Var(v) => format!("var:{v}"),
        }
    }
}

/// Reads the CSV: a header row, then one device per row (origin `devices.csv:LINE`).
fn read_rows(path: &Path, bulk: &Bulk) -> Result<Vec<Device>> {
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
    let template = bulk.template().profile();
    let first_upn = template
        .and_then(|p| p.enrollments.first())
        .map(|e| e.upn.clone());
    let first_ssid = template
        .and_then(|p| p.wifi.first())
        .map(|w| w.ssid.clone());
    let item =
        |name: &str, key: &str| ppkg::format::path::Segment::item(name, name, key).to_string();
    let mut columns = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let at = format!("{}:1:{}", path.display(), i + 1);
        let col = match h.as_str() {
            "name" | "device" => Column::Name,
            "computer_name" => Column::Setting("Accounts/ComputerAccount/ComputerName".into()),
            "enrollment_secret" => match &first_upn {
                Some(u) => Column::Setting(format!("Workplace/Enrollments/{}/Secret", item("UPN", u))),
                None => return Err(Invalid(format!("{at}: column {h:?}: the profile has no enrollment")).into()),
            },
            "wifi_key" => match &first_ssid {
                Some(s) => Column::Setting(format!(
                    "ConnectivityProfiles/WLAN/WLANSetting/{}/WLANXmlSettings/SecurityKey",
                    ppkg::format::path::Segment::item("WLANConfig", "SSID", s)
                )),
                None => return Err(Invalid(format!("{at}: column {h:?}: the profile has no Wi-Fi network")).into()),
            },
            v if bulk.has_variable(v) => Column::Var(v.to_owned()),
            p if p.contains('/') => {
                if let Err(e) = ppkg::format::path::parse_path(p) {
                    return Err(Invalid(format!("{}:1:{}: {e}", path.display(), i + 1)).into());
                }
                Column::Setting(p.to_owned())
            }
            other => {
                return Err(Invalid(format!(
                    "{at}: unknown column {other:?}: expected name, a setting path such as Accounts/ComputerAccount/ComputerName, one of {}, or a variable declared with --var {other}",
                    SHORT_COLUMNS.join(", ")
                ))
                .into())
            }
        };
        // The same column twice (or a setting path and its short form) would let the last
        // one win silently.
        let key = col.key();
        if let Some(j) = columns.iter().position(|c: &Column| c.key() == key) {
            return Err(Invalid(format!(
                "{at}: column {h:?} sets what column {} ({:?}) sets",
                j + 1,
                headers[j]
            ))
            .into());
        }
        columns.push(col);
    }
    let mut devices = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}:{line}: cannot read the row", path.display()))?;
        let mut d = Device::new(format!("{}:{line}", path.display()));
        let mut named = false;
        for (col, value) in columns.iter().zip(rec.iter()) {
            match col {
                Column::Name => {
                    d = d.name(value);
                    named = true;
                }
                Column::Setting(p) => d = d.set(p.clone(), value),
                Column::Var(v) => d = d.var(v.clone(), value),
            }
        }
        if !named && bulk.file_name_template() == "{name}" {
            d = d.name(format!("device-{:05}", i + 1));
        }
        devices.push(d);
    }
    Ok(devices)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_print_with_thousands_separators() {
        assert_eq!(super::thousands(2731.428), "2,731");
        assert_eq!(super::thousands(999.6), "1,000");
        assert_eq!(super::thousands(12.0), "12");
        assert_eq!(super::thousands(1_234_567.0), "1,234,567");
        assert_eq!(super::thousands(f64::NAN), "0");
    }
}
