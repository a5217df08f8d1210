#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod engine;
mod error;
pub mod hresult;
pub mod policy;
pub mod poll;
mod sim;
mod time;
mod timeline;

pub use engine::{Action, Attempt, AttemptCounts, Diagnosis, Engine, Phase, Trigger};
pub use error::{Error, Result};
pub use hresult::{Category, Decoded, HResult, RetryClass};
pub use policy::{RetryPolicy, RetryPolicyBuilder, RunContext};
pub use poll::{PollDiagnostic, PollSchedule, PollTimeline};
pub use sim::{
    failing_timeline, simulate_device, simulate_fleet, FleetConfig, FleetReport, Percentiles,
    Scenario, SuccessBreakdown, DEFAULT_FAILURE_CODE, DEFAULT_NEXT_START_AFTER, MAX_FLEET_DEVICES,
};
pub use time::{Span, Timestamp};
pub use timeline::{AttemptResult, DeviceEvent, EntryKind, Timeline, TimelineEnd, TimelineEntry};
