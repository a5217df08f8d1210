//! `ppkg schedule`: the provisioning engine's retry timeline, for a chosen failure code and
//! chosen outside triggers (engine relaunches, sign-in + idle re-applies).

use std::io::Write;

use anyhow::{bail, Context, Result};
use retry_sched::{
    simulate_device, DeviceEvent, HResult, RetryPolicy, Scenario, Span, Timestamp,
    DEFAULT_FAILURE_CODE,
};

use crate::cli::ScheduleArgs;

/// When the next system start happens in the printed timeline: a day after the first attempt
/// (a device left on overnight), so that the boot-time retry shows.
const NEXT_START_AFTER: Span = Span::from_hours(24);

/// When a `--trigger` without `@TIME` fires: 2 h after the first attempt (between the 1 h and
/// 4 h steps of the delayed task, so both a re-apply and the schedule show). A choice of this
/// command, not a Windows fact.
const DEFAULT_TRIGGER_AT: Span = Span::from_hours(2);

/// How long after a sign-in the system counts as idle for `login-idle`: 10 min, Task
/// Scheduler's default idle duration ("Task Idle Conditions"), which the engine's
/// "after a sign in and the system is idle" re-apply waits for (an assumption: the engine's own
/// idle wait is not documented).
const IDLE_AFTER_LOGON: Span = Span::from_mins(10);

/// One outside trigger: `relaunch` or `login-idle`, optionally `@TIME` after the first attempt.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
struct TriggerAt {
    kind: Kind,
    at: Span,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Kind {
    Relaunch,
    LoginIdle,
}

/// Parses `relaunch`, `login-idle`, `relaunch@30m`, `login-idle@2h30m`, `…@1d`, `…@90s`.
fn parse_trigger(text: &str) -> Result<TriggerAt> {
    let (kind, at) = match text.split_once('@') {
        Some((k, t)) => (k, Some(t)),
        None => (text, None),
    };
    let kind = match kind.trim().to_ascii_lowercase().as_str() {
        "relaunch" => Kind::Relaunch,
        "login-idle" | "logon-idle" | "loginidle" => Kind::LoginIdle,
        other => bail!("unknown trigger {other:?}: expected relaunch or login-idle"),
    };
    let at = match at {
        Some(t) => parse_span(t).with_context(|| format!("in --trigger {text:?}"))?,
        None => DEFAULT_TRIGGER_AT,
    };
    Ok(TriggerAt { kind, at })
}

/// `1d2h30m15s` (any subset, in that order or not), a bare number meaning minutes.
fn parse_span(text: &str) -> Result<Span> {
    let t = text.trim();
    if t.is_empty() {
        bail!("empty time");
    }
    if let Ok(mins) = t.parse::<u64>() {
        return Ok(Span::from_mins(mins));
    }
    let mut total_ms: u64 = 0;
    let mut num = String::new();
    let mut rest = t;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            num.push(c);
            rest = &rest[1..];
            continue;
        }
        let (unit_ms, len) = if rest.starts_with("min") {
            (60_000u64, 3)
        } else {
            match c {
                'd' => (86_400_000, 1),
                'h' => (3_600_000, 1),
                'm' => (60_000, 1),
                's' => (1_000, 1),
                _ => bail!("{text:?} is not a time such as 30m, 2h, 1h30m or 1d"),
            }
        };
        let n: u64 = num
            .parse()
            .with_context(|| format!("{text:?}: a unit without a number"))?;
        num.clear();
        total_ms = n
            .checked_mul(unit_ms)
            .and_then(|v| total_ms.checked_add(v))
            .with_context(|| format!("{text:?} is too long"))?;
        rest = &rest[len..];
    }
    if !num.is_empty() {
        bail!("{text:?}: a number without a unit (d, h, m, s)");
    }
    Ok(Span::from_millis(total_ms))
}

pub(crate) fn run(args: &ScheduleArgs) -> Result<u8> {
    let policy = RetryPolicy::windows_default();
    let fail = args.fail.unwrap_or(u32::MAX);
    let code: HResult = match &args.code {
        Some(c) => c.parse().with_context(|| format!("--code {c:?}"))?,
        None => DEFAULT_FAILURE_CODE,
    };
    let triggers = args
        .trigger
        .iter()
        .map(|t| parse_trigger(t))
        .collect::<Result<Vec<_>>>()?;
    let start = Timestamp::ZERO;
    let mut scenario =
        Scenario::new(start).event(start + NEXT_START_AFTER, DeviceEvent::SystemStart);
    for t in &triggers {
        match t.kind {
            Kind::Relaunch => scenario = scenario.event(start + t.at, DeviceEvent::Relaunch),
            Kind::LoginIdle => {
                scenario = scenario
                    .event(start + t.at, DeviceEvent::Logon)
                    .event(start + t.at + IDLE_AFTER_LOGON, DeviceEvent::Idle);
            }
        }
    }
    let timeline = simulate_device(&policy, &scenario, |a| (a.number <= fail).then_some(code));
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &timeline)?;
        writeln!(out)?;
    } else {
        writeln!(out, "failure code: {}", code.decode())?;
        writeln!(out, "{timeline}")?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_and_times_parse() {
        assert_eq!(
            parse_trigger("relaunch").unwrap(),
            TriggerAt {
                kind: Kind::Relaunch,
                at: DEFAULT_TRIGGER_AT
            }
        );
        assert_eq!(
            parse_trigger("login-idle@1h30m").unwrap().at,
            Span::from_mins(90)
        );
        assert_eq!(parse_span("45").unwrap(), Span::from_mins(45));
        assert_eq!(parse_span("1d").unwrap(), Span::from_hours(24));
        assert_eq!(parse_span("90s").unwrap(), Span::from_secs(90));
        assert_eq!(parse_span("5min").unwrap(), Span::from_mins(5));
        for bad in ["", "h", "5x", "1h5", "99999999999999999999d"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
        assert!(parse_trigger("reboot").is_err());
    }
}
