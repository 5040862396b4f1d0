//! The agents that talk to a hub (`api_agent`, `hub_agent`) run as programs against a hub served
//! on loopback (the test kit's in-process hub on a real database), answered through its answering
//! API by tenant "a"'s approver, alice.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod common;

use common::example;
use gohumanloop_testkit::hub::TestHub;
use serde_json::{json, Value};

/// Answers every pending request as `answer` says until the program exits (bounded).
async fn answer_until_done(
    hub: &TestHub,
    child: Child,
    answer: impl Fn(&Value) -> (String, Value),
) -> String {
    let child = std::cell::RefCell::new(child);
    let limit = Duration::from_secs(120);
    // The kit's wait, bounded from outside so that a program that never ends is killed.
    let finished = tokio::time::timeout(
        limit,
        gohumanloop_testkit::until("", 2 * limit, || async {
            if child.borrow_mut().try_wait().unwrap().is_some() {
                return Some(());
            }
            let (_, pending) = hub
                .get(&hub.keys.alice, "/api/v1/requests?status=pending")
                .await;
            for request in pending["requests"].as_array().cloned().unwrap_or_default() {
                let (action, body) = answer(&request);
                let id = request["id"].as_str().unwrap();
                let path = format!("/api/v1/requests/{id}/{action}");
                let (status, reply) = hub.post(&hub.keys.alice, &path, body).await;
                assert!(status.is_success(), "{path}: {status} {reply}");
            }
            None
        }),
    )
    .await;
    let mut child = child.into_inner();
    if finished.is_err() {
        let _ = child.kill();
        panic!("the example did not finish within {limit:?}");
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn api_agent_gets_an_approval_with_edited_arguments_and_an_answer() {
    let hub = TestHub::start().await;
    let child = Command::new(example("api_agent"))
        .env("GHL_HUB", &hub.base)
        .env("GHL_API_KEY", &hub.keys.agent)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("api_agent is built by cargo test");
    let out = answer_until_done(&hub, child, |request| match request["loop_type"].as_str() {
        Some("approval") => {
            assert_eq!(request["context"]["function"]["arguments"]["nodes"], 12);
            let edited = json!({"decision": "approved", "reason": "8 is enough",
                                "arguments": {"tier": "web", "nodes": 8}});
            ("approve".into(), json!({"response": edited}))
        }
        _ => ("answer".into(), json!({"text": "20% off"})),
    })
    .await;
    assert!(
        out.contains("Agent: scaling the web tier to 8 nodes."),
        "{out}"
    );
    assert!(
        out.contains("Agent: the banner will show '20% off' (answered by alice)."),
        "{out}"
    );
}

#[tokio::test]
async fn hub_agent_syncs_its_task_to_the_hub() {
    let hub = TestHub::start().await;
    let child = Command::new(example("hub_agent"))
        .env("GOHUMANLOOP_API_BASE_URL", format!("{}/api", hub.base))
        .env("GOHUMANLOOP_API_KEY", &hub.keys.agent)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hub_agent is built by cargo test");
    let out = answer_until_done(&hub, child, |request| {
        assert_eq!(request["platform"], "GoHumanLoop");
        ("approve".into(), json!({}))
    })
    .await;
    assert!(out.contains("Agent: report sent."), "{out}");
    assert!(
        out.contains("Agent: tasks synced to the hub: nightly-report"),
        "{out}"
    );
    let (_, task) = hub
        .get(&hub.keys.agent, "/api/v1/humanloop/tasks/nightly-report")
        .await;
    let statuses: Vec<&str> = task
        .pointer("/task/data/conversations/0/requests")
        .and_then(Value::as_array)
        .map(|rs| rs.iter().filter_map(|r| r["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["approved"], "{task}");
}
