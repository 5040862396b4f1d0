//! Replies of the API are bounded: lists stop at a few MiB and say where to continue, a
//! request's reply holds only the newest turns of its conversation, and task lists page too.

mod common;

use std::collections::HashSet;

use common::TestHub;
use gohumanloop_hub::api::paged::MAX_REPLY_BYTES;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A context of about `bytes` bytes.
fn context(bytes: usize) -> Value {
    json!({"message": "x".repeat(bytes), "question": "Approve?"})
}

async fn create(t: &TestHub, cid: &str, rid: &str, bytes: usize) {
    let body = json!({"task_id": "t", "conversation_id": cid, "request_id": rid, "loop_type": "approval",
                      "context": context(bytes), "platform": "test", "metadata": {}});
    let (status, reply) = t
        .post(&t.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    assert_eq!(
        (status, &reply["success"]),
        (StatusCode::OK, &json!(true)),
        "{reply}"
    );
}

/// A GET with its body's size.
async fn get_sized(t: &TestHub, path: &str) -> (StatusCode, usize, Value) {
    let response = t
        .http
        .get(format!("{}{path}", t.base))
        .bearer_auth(&t.keys.alice)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.bytes().await.unwrap();
    (status, body.len(), serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn request_lists_stop_at_a_few_mib_and_continue_with_next() {
    // The bound README and hub.md give; a reply may pass it by the one request that crosses it.
    assert_eq!(MAX_REPLY_BYTES, 4 * 1024 * 1024);
    let t = TestHub::start().await;
    for i in 0..12 {
        create(&t, &format!("c{i}"), &format!("r{i}"), 900_000).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/requests?limit=1000".to_owned();
    let mut pages = 0;
    loop {
        let (status, size, reply) = get_sized(&t, &path).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        assert!(
            size <= MAX_REPLY_BYTES + 1_000_000,
            "a reply of {size} bytes"
        );
        let requests = reply["requests"].as_array().unwrap();
        assert_eq!(reply["count"], requests.len());
        seen.extend(
            requests
                .iter()
                .map(|r| r["request_id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        match reply["next"].as_str() {
            Some(next) => path = format!("/api/v1/requests?limit=1000&before={next}"),
            None => break,
        }
        assert!(pages < 20, "the cursor moves on");
    }
    assert!(pages >= 3, "12 × 0.9 MB needs several replies, got {pages}");
    let expected: Vec<String> = (0..12).rev().map(|i| format!("r{i}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
    let (status, reply) = t.get(&t.keys.alice, "/api/v1/requests?before=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    t.stop().await;
}

#[tokio::test]
async fn a_requests_reply_holds_the_newest_turns_of_its_conversation() {
    let t = TestHub::start().await;
    for i in 0..130 {
        create(&t, "long", &format!("turn{i:03}"), 10).await;
    }
    let (status, reply) = t.get(&t.keys.alice, "/api/v1/requests/turn129").await;
    assert_eq!(status, StatusCode::OK);
    let history: Vec<&str> = reply["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|turn| turn["request_id"].as_str().unwrap())
        .collect();
    let newest: Vec<String> = (30..130).map(|i| format!("turn{i:03}")).collect();
    assert_eq!(history, newest, "the newest 100 turns, oldest first");
    let before = reply["history_before"].as_str().expect("older turns exist");
    let (_, older) = t
        .get(
            &t.keys.alice,
            &format!("/api/v1/requests?conversation_id=long&before={before}"),
        )
        .await;
    let older: Vec<&str> = older["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..30).rev().map(|i| format!("turn{i:03}")).collect();
    assert_eq!(older, expected);

    // Big turns: the history stops at the byte bound.
    for i in 0..8 {
        create(&t, "big", &format!("big{i}"), 900_000).await;
    }
    let (_, size, reply) = get_sized(&t, "/api/v1/requests/big7").await;
    assert!(
        size <= MAX_REPLY_BYTES + 1_000_000,
        "a reply of {size} bytes"
    );
    let turns = reply["history"].as_array().unwrap().len();
    assert!((1..8).contains(&turns), "{turns} turns");
    assert!(reply["history_before"].is_string());
    let (_, small) = t.get(&t.keys.alice, "/api/v1/requests/turn000").await;
    assert_eq!(small["history"].as_array().unwrap().len(), 100);
    t.stop().await;
}

#[tokio::test]
async fn task_lists_page_by_bytes_too() {
    let t = TestHub::start().await;
    for i in 0..6 {
        let upload = json!({
            "task_id": format!("task{i}"),
            "conversations": [{"conversation_id": "c", "provider_id": "p", "requests": [{
                "request_id": "r", "status": "approved", "loop_type": "approval",
                "response": {"text": "y".repeat(900_000)}}]}],
            "timestamp": "2025-08-25T10:00:00",
            "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"}
        });
        let (status, reply) = t
            .post(&t.keys.agent, "/api/v1/humanloop/tasks/sync", upload)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
    }
    let mut seen = HashSet::new();
    let mut path = "/api/v1/humanloop/tasks".to_owned();
    let mut replies = 0;
    loop {
        let (status, size, reply) = get_sized(&t, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            size <= MAX_REPLY_BYTES + 1_000_000,
            "a reply of {size} bytes"
        );
        let tasks = reply["tasks"].as_object().unwrap();
        for (id, task) in tasks {
            assert_eq!(task["updates"], 1);
            assert!(seen.insert(id.clone()), "{id} twice");
        }
        replies += 1;
        match reply["next"].as_str() {
            Some(next) => path = format!("/api/v1/humanloop/tasks?after={next}"),
            None => break,
        }
        assert!(replies < 10);
    }
    assert_eq!(seen.len(), 6);
    assert!(replies >= 2);
    t.stop().await;
}

#[tokio::test]
async fn the_store_reads_a_window_of_a_conversation_and_task_summaries_without_snapshots() {
    let t = TestHub::start().await;
    for i in 0..10 {
        create(&t, "c", &format!("r{i}"), 10).await;
    }
    let middle = t.store.get(1, "r5").await.unwrap().remove(0);
    let window = t
        .store
        .conversation_window(1, "c", &middle.id, 2)
        .await
        .unwrap();
    let ids = |turns: &[gohumanloop_hub::record::RequestRecord]| -> Vec<String> {
        turns.iter().map(|r| r.request_id.clone()).collect()
    };
    assert_eq!(ids(&window.before), ["r3", "r4"]);
    assert_eq!(ids(&window.after), ["r6", "r7"]);
    assert_eq!((window.earlier, window.later), (3, 2));
    let first = t.store.get(1, "r0").await.unwrap().remove(0);
    let window = t
        .store
        .conversation_window(1, "c", &first.id, 2)
        .await
        .unwrap();
    assert!(window.before.is_empty());
    assert_eq!(ids(&window.after), ["r1", "r2"]);
    assert_eq!((window.earlier, window.later), (0, 7));
    let other_tenant = t
        .store
        .conversation_window(2, "c", &first.id, 2)
        .await
        .unwrap();
    assert!(other_tenant.before.is_empty() && other_tenant.after.is_empty());

    let upload = json!({
        "task_id": "t",
        "conversations": [
            {"conversation_id": "a", "requests": [
                {"request_id": "1", "status": "pending", "loop_type": "approval", "response": {}},
                {"request_id": "2", "status": "pending", "loop_type": "approval", "response": {}}]},
            {"conversation_id": "b", "requests": []}],
        "timestamp": "2025-08-25T10:00:00",
        "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"}
    });
    t.post(&t.keys.agent, "/api/v1/humanloop/tasks/sync", upload)
        .await;
    let (summaries, total) = t.store.task_summaries(1, 10).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!((summaries[0].conversations, summaries[0].requests), (2, 2));
    assert_eq!(summaries[0].updates, 1);
    t.stop().await;
}
