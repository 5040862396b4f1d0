//! The library's `HubManager` (the original's `GoHumanLoopManager`) against a real `ghl serve`:
//! task snapshots reach the hub when a request changes, at shutdown, and a cancelled
//! conversation stays in its own task only. One test: it sets the process's environment.

mod common;

use std::time::Duration;

use common::{get_json, post_json, HubProcess};
use gohumanloop::providers::api::ApiOptions;
use gohumanloop::providers::hub::{HubManager, SYNC_INTERVAL};
use gohumanloop::{LoopRequest, Status};
use serde_json::{json, Map, Value};

fn context(question: &str) -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("question".into(), json!(question));
    context
}

async fn task_at_hub(hub: &HubProcess, key: &str, task: &str) -> Value {
    let reply: Value = get_json(&format!("{}/api/v1/humanloop/tasks/{task}", hub.base), key).await;
    reply
}

/// The statuses of a task's requests at the hub, by conversation (empty if the task is unknown).
async fn statuses(hub: &HubProcess, key: &str, task: &str) -> Vec<(String, String, Vec<String>)> {
    let reply = task_at_hub(hub, key, task).await;
    let Some(conversations) = reply
        .pointer("/task/data/conversations")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    conversations
        .iter()
        .map(|c| {
            (
                c["conversation_id"].as_str().unwrap_or("").to_owned(),
                c["provider_id"].as_str().unwrap_or("<null>").to_owned(),
                c["requests"]
                    .as_array()
                    .map(|rs| {
                        rs.iter()
                            .map(|r| r["status"].as_str().unwrap_or("").to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Waits (bounded) until `check` holds for the task at the hub.
async fn until(
    hub: &HubProcess,
    key: &str,
    task: &str,
    check: impl Fn(&[(String, String, Vec<String>)]) -> bool,
) {
    let limit = Duration::from_secs(60);
    // The kit's wait, bounded from outside so that the failure shows the task.
    let held = tokio::time::timeout(
        limit,
        gohumanloop_testkit::until("", 2 * limit, || async {
            check(&statuses(hub, key, task).await).then_some(())
        }),
    )
    .await;
    if held.is_err() {
        panic!(
            "task {task} at the hub: {:?}",
            statuses(hub, key, task).await
        );
    }
}

#[tokio::test]
async fn task_snapshots_follow_changes_cancellations_and_shutdown() {
    let hub = HubProcess::start();
    let agent = hub.key("a", "agent");
    let alice = hub.key("a", "alice");
    std::env::set_var("GOHUMANLOOP_API_BASE_URL", format!("{}/api", hub.base));
    std::env::set_var("GOHUMANLOOP_API_KEY", &agent);
    // From the environment, as the original: periodic uploads every 60 s (README, library.md;
    // they never fire here — the periodic path is run below with a short period).
    assert_eq!(SYNC_INTERVAL, Duration::from_secs(60));
    let manager = HubManager::from_env().unwrap();

    let ticket = manager
        .request(LoopRequest::approval(context("Ship it?")).task_id("t-ship"))
        .await
        .unwrap();
    assert_eq!(ticket.provider_id, "GoHumanLoop");
    let answered: Value = post_json(
        &format!("{}/api/v1/requests/{}/approve", hub.base, ticket.request_id),
        &alice,
        &json!({}),
    )
    .await;
    assert_eq!(answered["success"], true);
    let result = manager
        .wait(&ticket.conversation_id, &ticket.request_id)
        .await
        .unwrap();
    assert_eq!(result.status, Status::Approved);
    // The status change uploaded the task.
    until(&hub, &agent, "t-ship", |t| {
        t.len() == 1 && t[0].2 == ["approved"] && t[0].1 == "GoHumanLoop"
    })
    .await;

    // Two tasks; a conversation of the first is cancelled: it stays in its task only.
    let kept = manager
        .request(LoopRequest::conversation(context("Talk?")).task_id("t-a"))
        .await
        .unwrap();
    let gone = manager
        .request(LoopRequest::information(context("Which?")).task_id("t-a"))
        .await
        .unwrap();
    let other = manager
        .request(LoopRequest::approval(context("Other?")).task_id("t-b"))
        .await
        .unwrap();
    assert!(manager
        .cancel_conversation(&gone.conversation_id)
        .await
        .unwrap());
    until(&hub, &agent, "t-a", |t| {
        t.iter()
            .any(|c| c.0 == gone.conversation_id && c.2 == ["cancelled"] && c.1 == "GoHumanLoop")
    })
    .await;

    // Shutdown uploads what no change triggered.
    let report = manager.shutdown().await;
    assert!(report.failed.is_empty(), "{report:?}");
    for task in ["t-ship", "t-a", "t-b"] {
        assert!(report.uploaded.iter().any(|t| t == task), "{report:?}");
    }
    let a = statuses(&hub, &agent, "t-a").await;
    assert!(
        a.iter()
            .any(|c| c.0 == kept.conversation_id && c.2 == ["pending"]),
        "{a:?}"
    );
    let b = statuses(&hub, &agent, "t-b").await;
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].0, other.conversation_id);
    assert!(
        b.iter().all(|c| c.0 != gone.conversation_id),
        "cancelled only in its own task"
    );
    // The snapshot's metadata, as the original's.
    let raw = task_at_hub(&hub, &agent, "t-b").await;
    let source = raw
        .pointer("/task/data/metadata/source")
        .and_then(Value::as_str)
        .unwrap_or("");
    assert!(source.starts_with("gohumanloop-rs-"), "{raw}");

    // Periodic uploads: a request that never changes still reaches the hub.
    let periodic = HubManager::new(
        ApiOptions::new(format!("{}/api", hub.base))
            .api_key(&agent)
            .default_platform("GoHumanLoop"),
        Duration::from_millis(300),
    )
    .unwrap();
    periodic
        .request(LoopRequest::approval(context("Quiet?")).task_id("t-quiet"))
        .await
        .unwrap();
    until(&hub, &agent, "t-quiet", |t| {
        t.len() == 1 && t[0].2 == ["pending"]
    })
    .await;
    drop(periodic);

    // A hub that refuses the key: the report says so.
    let refused = HubManager::new(
        ApiOptions::new(format!("{}/api", hub.base))
            .api_key("wrong")
            .default_platform("GoHumanLoop")
            .max_retries(1),
        Duration::from_secs(600),
    )
    .unwrap();
    refused
        .request(LoopRequest::approval(context("?")).task_id("t-x"))
        .await
        .unwrap();
    let report = refused.shutdown().await;
    assert_eq!(report.uploaded, Vec::<String>::new());
    assert_eq!(
        report.failed,
        vec![("t-x".to_owned(), "Invalid or revoked API key".to_owned())]
    );
}
