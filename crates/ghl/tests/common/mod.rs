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

/// `python` if it can import `modules` (comma-separated); `None` — the test reports itself
/// skipped — when there is no such interpreter or it cannot.
pub fn python_importing(python: Option<String>, modules: &str) -> Option<String> {
    let Some(python) = python else {
        gohumanloop_testkit::skip(format_args!(
            "no test venv for {modules} (run scripts/test.sh)"
        ));
        return None;
    };
    let ready = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        gohumanloop_testkit::skip(format_args!(
            "{python} cannot import {modules} (run scripts/test.sh)"
        ));
    }
    ready.then_some(python)
}

/// The test venv's Python ([`python`]) if it can import `modules`.
pub fn python_with(modules: &str) -> Option<String> {
    python_importing(python(), modules)
}
