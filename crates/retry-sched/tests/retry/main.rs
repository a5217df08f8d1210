//! Integration tests of `retry-sched`, one binary with a module per topic.

mod engine_paths;
mod field_cases;
mod fleet;
mod hresults;
mod model;
mod poll_ddf;
#[cfg(feature = "serde")]
mod serde_json_forms;
