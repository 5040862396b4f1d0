//! The official Python MCP SDK (PyPI `mcp`, installed by scripts/test.sh) drives `ghl mcp`
//! over stdio and the hub's `/mcp` over streamable HTTP, on the protocol it negotiates itself
//! (2026-07-28: elicitation by `input_required` and retry) and on the initialize handshake
//! (2025-11-25: `elicitation/create` during the call). The script is tests/mcp/python_client.py.

mod common;

use common::{HubProcess, GHL};
use serde_json::{json, Value};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/python_client.py");

fn drive(python: &str, transport: &str, mode: &str, hub: &HubProcess, key: &str) -> Value {
    let out = std::process::Command::new(python)
        .args([SCRIPT, transport, mode, GHL, &hub.base, key])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{transport}/{mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{transport}/{mode}: {e}: {stdout}"))
}

#[test]
fn the_python_sdk_asks_waits_resumes_and_elicits_over_stdio_and_http() {
    let Some(python) = common::python_with("mcp") else {
        eprintln!("skipped: no Python `mcp` SDK");
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    for (transport, mode, protocol) in [
        ("stdio", "auto", "2026-07-28"),
        ("stdio", "legacy", "2025-11-25"),
        ("http", "auto", "2026-07-28"),
        ("http", "legacy", "2025-11-25"),
    ] {
        let seen = drive(&python, transport, mode, &hub, &key);
        let case = format!("{transport}/{mode}: {seen}");
        assert_eq!(seen["protocol"], protocol, "{case}");
        assert_eq!(seen["tools"].as_array().map(Vec::len), Some(6), "{case}");
        assert_eq!(seen["pending"], "pending", "{case}");
        assert_eq!(seen["answered"], true, "{case}");
        assert_eq!(seen["answer"]["status"], "completed", "{case}");
        assert_eq!(seen["answer"]["answer"], "8080", "{case}");
        // Asked by elicitation, answered by the Python user, recorded by the hub.
        assert_eq!(seen["approval"]["status"], "approved", "{case}");
        assert_eq!(seen["approval"]["answer"], "from the Python user", "{case}");
        // A call with wait_seconds 0 does not put a form before the user.
        assert_eq!(seen["shown"], json!(["Restart the web service?"]), "{case}");
    }
}
