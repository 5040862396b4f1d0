//! The hub tests' helpers: the shared test kit's in-process hub and database helpers
//! (`crates/gohumanloop-testkit`), and the reference implementations in Python.

#![allow(dead_code, unused_imports)]

pub use gohumanloop_testkit::database::*;
pub use gohumanloop_testkit::hub::*;
pub use gohumanloop_testkit::protocol::*;
use serde_json::Value;

/// The venv's Python (`GHL_TEST_PYTHON`); `None` — the test reports itself skipped — without.
pub fn python() -> Option<String> {
    gohumanloop_testkit::env_or_skip(
        "GHL_TEST_PYTHON",
        "a venv with standardwebhooks and the platforms' SDKs: run scripts/test.sh",
    )
}

/// Runs the Python `script` (a reference implementation) with `input` as JSON on stdin; its
/// stdout read as JSON. Panics if it fails.
pub fn reference_json(python: &str, script: &str, input: &Value) -> Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the venv's python runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{script} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}
