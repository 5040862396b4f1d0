//! `ghl mcp gateway` in front of real MCP servers not written by us: the reference filesystem
//! server (`@modelcontextprotocol/server-filesystem` from npm, installed by scripts/test.sh)
//! and a misbehaving server built with the official Python SDK (tests/mcp/flaky_server.py).
//! Driven by rmcp's client over stdio; approvals decided in a real `ghl serve`.

mod common;
mod mcp;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{HubProcess, GHL};
use mcp::{approve, call, pending_request, reject, structured, text, Client, User};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;

/// The filesystem server's launcher: `GHL_TEST_MCP_FILESYSTEM`, else the copy scripts/test.sh
/// installs under target/; `None` (the test reports itself skipped) when there is none.
fn filesystem_server() -> Option<PathBuf> {
    let path = std::env::var_os("GHL_TEST_MCP_FILESYSTEM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/mcp-npm/node_modules/.bin/mcp-server-filesystem")
        });
    let found = path.exists();
    if !found {
        gohumanloop_testkit::skip(format_args!(
            "no MCP filesystem server at {} (scripts/test.sh installs it)",
            path.display()
        ));
    }
    found.then_some(path)
}

/// `ghl mcp gateway --hub … --key … FLAGS -- UPSTREAM…`, with rmcp's client.
async fn gateway(
    hub: &HubProcess,
    key: &str,
    flags: &[&str],
    upstream: &[&str],
) -> RunningService<RoleClient, Client> {
    let mut command = tokio::process::Command::new(GHL);
    command
        .args(["mcp", "gateway", "--hub", &hub.base, "--key", key])
        .args(flags)
        .arg("--")
        .args(upstream);
    let transport = TokioChildProcess::new(command).expect("the gateway starts");
    Client::new(User::Absent)
        .serve(transport)
        .await
        .expect("an MCP session with the gateway")
}

/// The filesystem server over stdio, straight (no gateway).
async fn direct(server: &Path, root: &Path) -> RunningService<RoleClient, ()> {
    let mut command = tokio::process::Command::new(server);
    command.arg(root).stderr(std::process::Stdio::null());
    ().serve(TokioChildProcess::new(command).unwrap())
        .await
        .unwrap()
}

async fn requests(hub: &HubProcess, key: &str) -> Vec<serde_json::Value> {
    let page = common::get_json(&format!("{}/api/v1/requests", hub.base), key).await;
    page["requests"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn tools_pass_through_unchanged_and_read_only_ones_run_at_once() {
    let Some(server) = filesystem_server() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("notes.txt"), "hello from disk").unwrap();
    let root_arg = root.path().to_str().unwrap();
    let plain = direct(&server, root.path()).await;
    let theirs = plain.list_all_tools().await.unwrap();
    let session = gateway(&hub, &key, &[], &[server.to_str().unwrap(), root_arg]).await;
    let ours = session.list_all_tools().await.unwrap();
    assert_eq!(
        serde_json::to_value(&ours).unwrap(),
        serde_json::to_value(&theirs).unwrap(),
        "the gateway changed the tool list"
    );
    let path = root.path().join("notes.txt");
    let read = call(&session, "read_text_file", json!({"path": path})).await;
    assert_ne!(read.is_error, Some(true), "{read:?}");
    assert!(text(&read).contains("hello from disk"), "{read:?}");
    assert!(
        requests(&hub, &key).await.is_empty(),
        "a read-only call asked a human"
    );
    plain.cancel().await.unwrap();
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn a_write_waits_for_approval_and_runs_with_the_edited_arguments() {
    let Some(server) = filesystem_server() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let approver = hub.key("default", "alice");
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("plan.txt");
    let session = gateway(
        &hub,
        &key,
        &["--wait", "60"],
        &[server.to_str().unwrap(), root.path().to_str().unwrap()],
    )
    .await;
    let arguments = json!({"path": target, "content": "drop every table"});
    let asked = tokio::spawn(async move {
        let result = call(&session, "write_file", arguments).await;
        session.cancel().await.unwrap();
        result
    });
    let request = pending_request(&hub.base, &approver).await;
    assert_eq!(request["loop_type"], "approval");
    assert_eq!(
        request["context"]["function"]["function_name"],
        "write_file"
    );
    assert_eq!(
        request["context"]["function"]["arguments"]["content"],
        "drop every table"
    );
    assert_eq!(request["metadata"]["mcp_tool"], "write_file");
    assert!(!target.exists(), "the write ran before anyone approved it");
    let edited = json!({"path": target, "content": "drop nothing"});
    let decided = approve(
        &hub.base,
        &approver,
        request["id"].as_str().unwrap(),
        Some(edited),
    )
    .await;
    assert_eq!(decided["success"], true, "{decided}");
    let result = asked.await.unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "drop nothing");
}

#[tokio::test]
async fn a_plain_approval_forwards_the_call_as_it_was() {
    let Some(server) = filesystem_server() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("ok.txt");
    let session = gateway(
        &hub,
        &key,
        &["--wait", "60"],
        &[server.to_str().unwrap(), root.path().to_str().unwrap()],
    )
    .await;
    let arguments = json!({"path": target, "content": "v1"});
    let asked = tokio::spawn(async move { call(&session, "write_file", arguments).await });
    let request = pending_request(&hub.base, &key).await;
    approve(&hub.base, &key, request["id"].as_str().unwrap(), None).await;
    let result = asked.await.unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "v1");
}

#[tokio::test]
async fn a_rejected_call_never_reaches_the_upstream_and_says_who_and_why() {
    let Some(server) = filesystem_server() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let approver = hub.key("default", "bob");
    let root = tempfile::tempdir().unwrap();
    let victim = root.path().join("keep.txt");
    std::fs::write(&victim, "precious").unwrap();
    let session = gateway(
        &hub,
        &key,
        &["--wait", "60"],
        &[server.to_str().unwrap(), root.path().to_str().unwrap()],
    )
    .await;
    let moved = root.path().join("gone.txt");
    let arguments = json!({"source": victim, "destination": moved});
    let asked = tokio::spawn(async move { call(&session, "move_file", arguments).await });
    let request = pending_request(&hub.base, &approver).await;
    reject(
        &hub.base,
        &approver,
        request["id"].as_str().unwrap(),
        "that file stays",
    )
    .await;
    let result = asked.await.unwrap();
    assert_eq!(result.is_error, Some(true));
    let said = text(&result);
    assert!(
        said.contains("bob") && said.contains("that file stays"),
        "{said}"
    );
    assert!(said.contains("will not help"), "{said}");
    assert_eq!(structured(&result)["status"], "rejected");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!moved.exists());
}

#[tokio::test]
async fn a_call_still_waiting_is_resumed_by_the_same_call_and_runs_once() {
    let Some(server) = filesystem_server() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("made");
    let session = gateway(
        &hub,
        &key,
        &["--wait", "0", "--approve", "create_*", "--allow", "list_*"],
        &[server.to_str().unwrap(), root.path().to_str().unwrap()],
    )
    .await;
    let arguments = json!({"path": dir});
    let first = call(&session, "create_directory", arguments.clone()).await;
    assert_eq!(first.is_error, Some(true));
    assert_eq!(structured(&first)["status"], "pending", "{first:?}");
    assert!(text(&first).contains("same call again"));
    let again = call(&session, "create_directory", arguments.clone()).await;
    assert_eq!(
        structured(&again)["request_id"],
        structured(&first)["request_id"]
    );
    assert_eq!(requests(&hub, &key).await.len(), 1, "a retry asked again");
    approve(
        &hub.base,
        &key,
        structured(&first)["request_id"].as_str().unwrap(),
        None,
    )
    .await;
    let done = call(&session, "create_directory", arguments.clone()).await;
    assert_ne!(done.is_error, Some(true), "{done:?}");
    assert!(dir.is_dir());
    // Approved once, used once: the next identical call asks again.
    let next = call(&session, "create_directory", arguments).await;
    assert_eq!(structured(&next)["status"], "pending");
    assert_eq!(requests(&hub, &key).await.len(), 2);
    // `--allow list_*` lets a listing through without asking.
    let listed = call(&session, "list_directory", json!({"path": root.path()})).await;
    assert!(text(&listed).contains("made"), "{listed:?}");
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn an_upstream_that_crashes_or_hangs_ends_the_call_and_the_gateway_stays_up() {
    let Some(python) = common::python() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/flaky_server.py");
    let session = gateway(
        &hub,
        &key,
        &["--allow", "*", "--upstream-timeout", "2"],
        &[&python, script],
    )
    .await;
    let crashed = call(&session, "crash", json!({})).await;
    assert_eq!(crashed.is_error, Some(true));
    assert!(
        text(&crashed).contains("could not run `crash`"),
        "{}",
        text(&crashed)
    );
    let echoed = call(&session, "echo", json!({"text": "still here"})).await;
    assert!(text(&echoed).contains("still here"), "{echoed:?}");
    let hung = tokio::time::timeout(Duration::from_secs(30), call(&session, "hang", json!({})))
        .await
        .expect("the gateway ends a hung call");
    assert_eq!(hung.is_error, Some(true));
    assert!(
        text(&hung).contains("did not answer within 2s"),
        "{}",
        text(&hung)
    );
    let echoed = call(&session, "echo", json!({"text": "after the hang"})).await;
    assert!(text(&echoed).contains("after the hang"));
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn an_http_upstream_is_gated_by_the_rules_of_the_configuration_file() {
    let Some(python) = common::python() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/flaky_server.py");
    let mut upstream = std::process::Command::new(&python)
        .args([script, "http", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    gohumanloop_testkit::until(
        "the Python MCP server to listen",
        Duration::from_secs(60),
        || async {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(drop)
        },
    )
    .await;
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        "[mcp.gateway]\napprove = [\"echo\"]\nallow = [\"crash\"]\nwait = 60\n",
    )
    .unwrap();
    let mut command = tokio::process::Command::new(GHL);
    command.args([
        "mcp",
        "gateway",
        "--hub",
        &hub.base,
        "--key",
        &key,
        "--upstream-url",
        &url,
    ]);
    command.args(["--config", config.path().to_str().unwrap()]);
    let session = Client::new(User::Absent)
        .serve(TokioChildProcess::new(command).unwrap())
        .await
        .expect("an MCP session with the gateway");
    let asked = tokio::spawn(async move {
        let result = call(&session, "echo", json!({"text": "over HTTP"})).await;
        session.cancel().await.unwrap();
        result
    });
    let request = pending_request(&hub.base, &key).await;
    assert_eq!(request["context"]["function"]["function_name"], "echo");
    approve(&hub.base, &key, request["id"].as_str().unwrap(), None).await;
    let result = asked.await.unwrap();
    assert!(text(&result).contains("over HTTP"), "{result:?}");
    upstream.kill().unwrap();
    upstream.wait().unwrap();
}

#[tokio::test]
async fn the_gateway_refuses_to_start_without_an_upstream_or_with_a_bad_glob() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let none = common::ghl(&["mcp", "gateway", "--hub", &hub.base, "--key", &key], &[]);
    assert_eq!(none.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no upstream server"));
    let glob = common::ghl(
        &[
            "mcp",
            "gateway",
            "--hub",
            &hub.base,
            "--key",
            &key,
            "--approve",
            "[",
            "--",
            "true",
        ],
        &[],
    );
    assert_eq!(glob.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&glob.stderr).contains("bad --approve/--allow glob"));
}
