//! `ppkg serve`: an HTTP service and a web page that build, validate and inspect Windows
//! provisioning packages on demand, for MDM consoles written in any language.
//!
//! - [`config`]: the TOML configuration (listen address, templates folder, token file,
//!   limits, TLS, signing), errors with line:column.
//! - [`app`]: the router, middleware and handlers; [`app::ROUTES`] lists every route and
//!   `/openapi.json` documents them.
//! - [`engine`]: template loading and the build/validate/inspect calls behind the handlers.
//! - [`serve`]: listening (optionally TLS via rustls), header-read timeouts, graceful
//!   shutdown, SIGHUP reload; [`serve::run`] is what `ppkg serve` calls.
//!
//! The service is stateless: templates are read-only files, every request is answered from
//! them and the request alone, so instances scale out behind any load balancer.

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod config;
pub mod engine;
pub mod metrics;
pub mod problem;
pub mod serve;
mod web;
pub mod zipstream;

pub use config::Config;
pub use serve::{run, Server, StartError};
