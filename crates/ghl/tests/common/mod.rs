//! The CLI tests' helpers: `ghl serve` as a process and `ghl` commands from the shared test kit
//! (`crates/gohumanloop-testkit`), the browser, the PostgreSQL nodes, the Python client.

#![allow(dead_code, unused_imports)]

pub mod browser;
pub mod nodes;

use std::process::Command;

pub use gohumanloop_testkit::http::{get_json, post_json};
pub use gohumanloop_testkit::process::*;

/// The binary under test (the kit's helpers find the same one).
pub const GHL: &str = env!("CARGO_BIN_EXE_ghl");

/// The Python interpreter with the original `gohumanloop` client: `GHL_TEST_PYTHON` (set by
/// `scripts/test.sh`), else a `python3` that can import it; `None` — the test reports itself
/// skipped — when there is none.
pub fn python() -> Option<String> {
    if let Ok(python) = std::env::var("GHL_TEST_PYTHON") {
        return Some(python);
    }
    let found = Command::new("python3")
        .args(["-c", "import gohumanloop"])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("python3".into());
    }
    gohumanloop_testkit::skip(
        "no Python with the original gohumanloop client: run scripts/test.sh (it sets \
         GHL_TEST_PYTHON)",
    );
    None
}
