//! `ppkg schedule`: the provisioning engine's retry timeline.

use std::io::Write;

use anyhow::Result;
use retry_sched::{failing_timeline, RetryPolicy, Span, DEFAULT_FAILURE_CODE};

use crate::cli::ScheduleArgs;

/// When the next system start happens in the printed timeline: a day after the first attempt
/// (a device left on overnight), so that the boot-time retry shows.
const NEXT_START_AFTER: Span = Span::from_hours(24);

pub(crate) fn run(args: &ScheduleArgs) -> Result<u8> {
    let policy = RetryPolicy::windows_default();
    let fail = args.fail.unwrap_or(u32::MAX);
    let timeline = failing_timeline(&policy, fail, DEFAULT_FAILURE_CODE, Some(NEXT_START_AFTER));
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &timeline)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{timeline}")?;
    }
    Ok(0)
}
