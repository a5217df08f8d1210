//! `ppkg explain HRESULT`: name, meaning, likely cause, retry class and what to check for an
//! error code from a provisioning or enrollment log, with retry-sched's decoder
//! ([`retry_sched::HResult::decode`]).
//!
//! An unknown code is not an error: it is decoded by severity, facility and code and reported
//! as unknown (exit 0). Only text that is not an HRESULT at all is a usage error (exit 2).

use std::io::Write;

use anyhow::{anyhow, Result};
use retry_sched::hresult::facility_name;
use retry_sched::{HResult, RetryClass};
use serde::Serialize;

use crate::cli::ExplainArgs;

/// What `ppkg explain` prints (`--json` prints this object).
#[derive(Debug, Serialize)]
pub(crate) struct Explanation {
    /// `0x80180014`.
    code: String,
    /// The unsigned decimal form (`2149056532`, as Configuration Manager prints it).
    unsigned: u32,
    /// The signed decimal form (`-2145910764`, as .NET and event logs print it).
    signed: i32,
    /// Whether the decoder knows the code by name.
    known: bool,
    /// Symbolic name (`MENROLL_E_DEVICENOTSUPPORTED`), when known.
    name: Option<&'static str>,
    /// Meaning (for unknown codes, what the facility says).
    meaning: String,
    /// The kind of cause (`policy blocked`).
    category: String,
    /// The likely cause, one sentence.
    likely_cause: &'static str,
    /// `transient`, `waits for logon` or `likely permanent`.
    class: String,
    /// Whether retrying without changing anything can help.
    transient: bool,
    /// What to check, most useful first.
    what_to_check: &'static [&'static str],
    /// The document the row comes from, when known.
    source: Option<String>,
    /// Bit 31: `failure` or `success`.
    severity: &'static str,
    /// Bit 29, set in customer-defined (non-Microsoft) codes such as the `0xCAA…` ADAL codes.
    customer: bool,
    /// Bits 16–26.
    facility: u16,
    /// The facility's `winerror.h` name, when known.
    facility_name: Option<&'static str>,
    /// Bits 0–15.
    facility_code: u16,
    /// The Win32 error code for `0x8007xxxx`.
    win32: Option<u16>,
    /// The HTTP status for `0x8019xxxx` with a low word of 100–599.
    http_status: Option<u16>,
}

/// Decodes `text` (hex `0x8018…`, eight hex digits, decimal, or negative decimal).
///
/// # Errors
/// When the text is not an HRESULT in any of those forms.
pub(crate) fn explain(text: &str) -> Result<Explanation> {
    let hr: HResult = text.parse().map_err(|e| {
        anyhow!("{e}; also accepted: the negative decimal form such as -2145910764")
    })?;
    let d = hr.decode();
    Ok(Explanation {
        code: hr.to_string(),
        unsigned: hr.0,
        signed: i32::from_ne_bytes(hr.0.to_ne_bytes()),
        known: d.name.is_some(),
        name: d.name,
        meaning: d.meaning,
        category: d.category.to_string(),
        likely_cause: d.category.likely_cause(),
        class: d.class.to_string(),
        transient: d.class != RetryClass::LikelyPermanent,
        what_to_check: d.category.what_to_check(),
        source: d.source.map(|s| s.to_string()),
        severity: if hr.is_failure() {
            "failure"
        } else {
            "success"
        },
        customer: hr.0 & 0x2000_0000 != 0,
        facility: hr.facility(),
        facility_name: facility_name(hr.facility()),
        facility_code: hr.code(),
        win32: hr.win32(),
        http_status: hr.http_status(),
    })
}

pub(crate) fn run(args: &ExplainArgs) -> Result<u8> {
    let e = explain(&args.code)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &e)?;
        writeln!(out)?;
        return Ok(0);
    }
    match e.name {
        Some(name) => writeln!(out, "{} {name}", e.code)?,
        None => writeln!(out, "{} (unknown code)", e.code)?,
    }
    writeln!(out, "  meaning:       {}", e.meaning)?;
    writeln!(out, "  likely cause:  {}", e.likely_cause)?;
    if e.severity == "success" {
        writeln!(
            out,
            "  retry:         none needed (the severity bit is clear: not a failure)"
        )?;
    } else {
        writeln!(
            out,
            "  retry:         {}{}",
            e.class,
            if e.transient {
                " (a later attempt may succeed)"
            } else {
                " (retrying will not help until something is changed)"
            }
        )?;
    }
    writeln!(out, "  category:      {}", e.category)?;
    writeln!(out, "  what to check:")?;
    for c in e.what_to_check {
        writeln!(out, "    - {c}")?;
    }
    let facility = match e.facility_name {
        Some(n) => format!("{} ({n})", e.facility),
        None => e.facility.to_string(),
    };
    writeln!(
        out,
        "  decoded:       severity {}, facility {facility}, code {} ({:#06x}){}",
        e.severity,
        e.facility_code,
        e.facility_code,
        if e.customer { ", customer bit set" } else { "" }
    )?;
    if let Some(w) = e.win32 {
        writeln!(out, "  win32 error:   {w}")?;
    }
    if let Some(h) = e.http_status {
        writeln!(out, "  http status:   {h}")?;
    }
    writeln!(out, "  decimal:       {} / {}", e.unsigned, e.signed)?;
    if let Some(s) = &e.source {
        writeln!(out, "  source:        {s}")?;
    }
    Ok(0)
}
