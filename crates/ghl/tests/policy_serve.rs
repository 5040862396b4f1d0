//! The policy through `ghl serve --config`: a bad policy is refused at start-up with a line per
//! problem (exit 3); the original Python client sees the final statuses it knows (a rule's
//! auto-decision, the plan's default at the deadline on the hub's test clock, a plain expiry);
//! a default decision whose deadline passed while the hub was down applies when it starts again;
//! `ghl ask` says who decided and exits as its contract says.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{ghl, python, HubProcess, GHL};
use serde_json::{json, Value};

const POLICY: &str = r#"
[policy.groups]
oncall = ["dave"]

[[policy.rule]]
name = "deny-rm-rf-root"
when.function = "shell"
when.arguments = { "/command" = "rm -rf /*" }
decide = "reject"
reason = "recursive deletes of / are never allowed"

[[policy.rule]]
name = "deploys"
when.function = "deploy"
when.loop_type = "approval"
approvers = ["alice"]
deadline = "30m"
at_deadline = "reject"
escalate = [{ after = "10m", to = ["oncall"] }]
"#;

fn config(hub: &HubProcess, text: &str) -> String {
    let path = hub.path().join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_bad_policy_is_refused_at_start_up_with_a_line_per_problem() {
    let hub = HubProcess::unstarted();
    let file = config(
        &hub,
        r#"
[policy.groups]
finance = ["alice", "bob"]

[[policy.rule]]
name = "payments"
when.function = "pay_[" 
approvers = ["finance"]
quorum = { approvals = 3 }
colour = "blue"

[[policy.rule]]
name = "chat"
when.loop_type = "conversation"
at_deadline = "reject"

[[policy.rule]]
name = "loops"
approvers = ["finance"]
escalate = [{ after = "5m", to = ["finance"] }]
"#,
    );
    let out = ghl(&["serve", "--config", &file, "--check-config"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    for expected in ["colour", "pay_[", "quorum", "conversation", "cycle"] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "no line about {expected}: {stderr}"
        );
    }
    assert!(lines.len() >= 5, "a line per problem: {stderr}");
}

#[test]
fn the_original_client_sees_only_final_statuses_it_knows() {
    let Some(python) = python() else {
        eprintln!("skipped: no Python gohumanloop client (set GHL_TEST_PYTHON)");
        return;
    };
    let mut hub = HubProcess::unstarted();
    let file = config(&hub, POLICY);
    hub.set_extra(&["--config", &file, "--test-clock"], &[]);
    hub.spawn("127.0.0.1:0");
    let agent = hub.key("a", "agent");
    let script = format!(
        "{}/../../tests/python/compat_policy.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(python)
        .arg(&script)
        .env("HUB", &hub.base)
        .env("AGENT_KEY", agent)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for scenario in ["auto_denied", "default_at_deadline", "plain_expiry"] {
        assert!(
            stdout.contains(&format!("ok {scenario}")),
            "{scenario}: {stdout}"
        );
    }
}

#[tokio::test]
async fn a_default_decision_whose_deadline_passed_while_the_hub_was_down_applies_at_start() {
    let mut hub = HubProcess::unstarted();
    let file = config(&hub, POLICY);
    hub.set_extra(&["--config", &file], &[]);
    hub.spawn("127.0.0.1:0");
    let agent = hub.key("a", "agent");
    let body = json!({
        "task_id": "t", "conversation_id": "c1", "request_id": "r1", "platform": "ops",
        "loop_type": "approval",
        "context": {"function": {"function_name": "deploy", "arguments": {"version": "3"}}},
    });
    let created = common::post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &agent,
        &body,
    )
    .await;
    assert_eq!(created["success"], true, "{created}");
    let addr = hub.addr();
    hub.kill();
    // Started again 31 minutes later, as the hub's clock sees it: the deadline (30 minutes)
    // passed while it was down.
    hub.set_extra(&["--config", &file, "--test-clock-ahead", "1860"], &[]);
    hub.spawn(&addr);
    let url = format!(
        "{}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=ops&wait=30",
        hub.base
    );
    let status: Value = common::get_json(&url, &agent).await;
    assert_eq!(status["status"], "rejected", "{status}");
    assert_eq!(
        status["response"]["reason"],
        "rejected by policy at the deadline (rule deploys)"
    );
    assert_eq!(status["responded_by"], "policy:deploys");
}

/// The request `ghl ask` made, once the hub has it (bounded wait).
async fn asked(hub: &HubProcess, key: &str) -> Value {
    let what = "ghl ask's request at the hub";
    gohumanloop_testkit::until(what, Duration::from_secs(60), || async {
        let list =
            common::get_json(&format!("{}/api/v1/requests?status=pending", hub.base), key).await;
        list["requests"].as_array().and_then(|l| l.first()).cloned()
    })
    .await
}

#[tokio::test]
async fn ghl_ask_names_the_policy_that_decided_and_keeps_its_exit_codes() {
    let mut hub = HubProcess::unstarted();
    let file = config(&hub, POLICY);
    hub.set_extra(&["--config", &file, "--test-clock"], &[]);
    hub.spawn("127.0.0.1:0");
    let agent = hub.key("a", "agent");
    let ask = |function: &str, arguments: &str| {
        Command::new(GHL)
            .args(["ask", "approval", "May I?", "--function", function])
            .args([
                "--arguments",
                arguments,
                "--hub",
                &hub.base,
                "--key",
                &agent,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Denied by a rule at once: exit 1, and the rule is named.
    let out = ask("shell", r#"{"command": "rm -rf /"}"#)
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("rejected by policy (rule deny-rm-rf-root)"),
        "{stderr}"
    );
    // Left to the deadline, which the clock brings: exit 1, "rejected by policy at the deadline".
    let waiting = ask("deploy", r#"{"version": "4"}"#);
    let request = asked(&hub, &agent).await;
    assert_eq!(request["status"], "pending", "{request}");
    let moved = common::post_json(
        &format!("{}/api/v1/test/clock", hub.base),
        &agent,
        &json!({"advance_secs": 1860}),
    )
    .await;
    assert_eq!(moved["success"], true, "{moved}");
    let out = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("rejected by policy at the deadline (rule deploys)"),
        "{stderr}"
    );
}
