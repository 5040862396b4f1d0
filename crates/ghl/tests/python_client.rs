//! The original Python client, `gohumanloop` 0.0.15 unchanged, against `ghl serve`.
//!
//! `scripts/test.sh` makes a venv with it and sets `GHL_TEST_PYTHON` to its interpreter. Without
//! that variable the test looks for a `python3` that can import `gohumanloop`; if there is none
//! it reports itself skipped (which fails `scripts/test.sh`).

mod common;

use std::process::Command;

use common::{python, HubProcess};

fn run_script(script: &str) {
    let Some(python) = python() else { return };
    let hub = HubProcess::start();
    let agent = hub.key("a", "agent");
    let alice = hub.key("a", "alice");
    let other = hub.key("b", "mallory");
    let path = format!("{}/../../tests/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .arg(&path)
        .env("HUB", &hub.base)
        .env("AGENT_KEY", agent)
        .env("APPROVER_KEY", alice)
        .env("OTHER_KEY", other)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("ok ")),
        "{script} ran no scenario"
    );
}

#[test]
fn api_provider_approval_information_conversation_cancel_unknown_deadline_isolation() {
    run_script("compat_api_provider.py");
}

#[test]
fn ghl_manager_blocking_requests_and_task_sync() {
    run_script("compat_ghl_manager.py");
}
