//! The workspace's shared test helpers, used by every crate's tests instead of copies:
//!
//! - [`skip`]: a test that needs a service this machine lacks says so on a line the test
//!   harness always shows (`SKIPPED: <test>: <why>`), which `scripts/test.sh` counts — and
//!   fails on: the suite it runs has no silent skips;
//! - [`wait`]: waiting for a condition with a deadline (never a fixed sleep), failing with what
//!   was awaited and the last thing seen.
//!
//! It depends on no crate of the workspace, so any of them (the library too) can use it.

pub mod skip;
pub mod wait;

pub use skip::{env_or_skip, skip};
pub use wait::{until, until_blocking};
