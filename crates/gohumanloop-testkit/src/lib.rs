//! The workspace's shared test helpers, used by every crate's tests instead of copies:
//!
//! - [`skip`]: a test that needs a service this machine lacks says so on a line the test
//!   harness always shows (`SKIPPED: <test>: <why>`), which `scripts/test.sh` counts — and
//!   fails on: the suite it runs has no silent skips;
//! - [`wait`]: waiting for a condition with a deadline (never a fixed sleep), failing with what
//!   was awaited;
//! - [`url`]: connection options added to a database URL;
//! - with the feature `http`: [`http`], requests whose every reply is checked against the hub
//!   API's JSON contract;
//! - with `hub`: [`hub::TestHub`], a hub served in-process on loopback, on SQLite or (with
//!   `GHL_TEST_DATABASE=postgres`) a PostgreSQL schema of its own ([`database`]), and the
//!   original protocol's bodies ([`protocol`]);
//! - with `process`: [`process::HubProcess`], `ghl serve` as a process, and `ghl` commands;
//! - with `mail`: [`mail::MailServer`], the real test mail server and a human's side of it;
//! - with `proxy`: [`proxy::Proxy`], a TCP proxy that can freeze (a database that hangs).
//!
//! Without features it depends on no crate of the workspace, so the library's tests use it too.

pub mod skip;
pub mod url;
pub mod wait;

#[cfg(feature = "hub")]
pub mod database;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "hub")]
pub mod hub;
#[cfg(feature = "mail")]
pub mod mail;
#[cfg(feature = "process")]
pub mod process;
#[cfg(feature = "hub")]
pub mod protocol;
#[cfg(feature = "proxy")]
pub mod proxy;

pub use skip::{env_or_skip, skip};
pub use wait::{until, until_blocking};
