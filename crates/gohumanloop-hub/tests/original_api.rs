//! The original wire API (`/api/v1/humanloop/*`), over real HTTP on a real SQLite file:
//! success and failure paths of every endpoint, idempotency, and the fixed bugs.

mod common;

use common::{create_body, TestHub};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn create_then_answer_then_status_reports_the_answer() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let (status, reply) = t.status(&t.keys.agent, "c1", "r1", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        reply,
        json!({"success": true, "status": "pending", "response": null, "feedback": null,
               "responded_by": null, "responded_at": null, "error": null})
    );
    let (status, _) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/r1/approve",
            json!({"reason": "fine", "feedback": "ship it"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, reply) = t.status(&t.keys.agent, "c1", "r1", "").await;
    assert_eq!(reply["status"], "approved");
    assert_eq!(
        reply["response"],
        json!({"decision": "approved", "reason": "fine"})
    );
    assert_eq!(reply["feedback"], "ship it");
    assert_eq!(reply["responded_by"], "alice");
    assert!(reply["responded_at"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    t.stop().await;
}

#[tokio::test]
async fn a_repeated_create_is_idempotent_and_a_different_one_fails_clearly() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c1", "r1").await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let mut changed = create_body("c1", "r1");
    changed["context"]["message"] = json!("something else");
    let (status, reply) = t
        .post(&t.keys.agent, "/api/v1/humanloop/request", changed)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["success"], false);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("different content"),
        "{reply}"
    );
    let (_, list) = t
        .get(&t.keys.agent, "/api/v1/requests?conversation_id=c1")
        .await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["requests"][0]["context"]["message"], "May I deploy?");
    t.stop().await;
}

#[tokio::test]
async fn an_unknown_request_gets_http_200_with_success_false_never_404() {
    let t = TestHub::start().await;
    let (status, reply) = t.status(&t.keys.agent, "nope", "ghost", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["success"], false);
    assert_eq!(reply["status"], "pending");
    assert_eq!(reply["error"], "Request not found: ghost");
    // A long-poll on an unknown request answers at once too.
    let (status, reply) = t.status(&t.keys.agent, "nope", "ghost", "&wait=30").await;
    assert_eq!((status, &reply["success"]), (StatusCode::OK, &json!(false)));
    t.stop().await;
}

#[tokio::test]
async fn continue_stores_the_next_conversation_turn() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let body = json!({"conversation_id": "c1", "request_id": "r2", "task_id": "task-1",
                      "context": {"message": "turn 2"}, "platform": "test", "metadata": {"k": 1}});
    let (_, reply) = t
        .post(&t.keys.agent, "/api/v1/humanloop/continue", body.clone())
        .await;
    assert_eq!(reply, json!({"success": true, "error": null}));
    let (_, got) = t.get(&t.keys.agent, "/api/v1/requests/r2").await;
    assert_eq!(got["request"]["loop_type"], "conversation");
    assert_eq!(got["request"]["metadata"], json!({"k": 1}));
    assert_eq!(got["history"].as_array().unwrap().len(), 2);
    let mut unknown = body;
    unknown["conversation_id"] = json!("nowhere");
    let (status, reply) = t
        .post(&t.keys.agent, "/api/v1/humanloop/continue", unknown)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["success"], false);
    assert_eq!(reply["error"], "Conversation not found: nowhere");
    t.stop().await;
}

/// The original client polls a turn until it leaves `pending`/`inprogress`: a turn answered with
/// "reply" would keep its poll thread alive for ever, so `continue` settles it as `completed`.
#[tokio::test]
async fn continue_settles_the_turn_answered_before_it() {
    let t = TestHub::start().await;
    let turn = |rid: &str| {
        json!({"conversation_id": "talk", "request_id": rid, "task_id": "task-1",
               "loop_type": "conversation", "context": {"message": rid}, "platform": "test",
               "metadata": {}})
    };
    let (_, reply) = t
        .post(&t.keys.agent, "/api/v1/humanloop/request", turn("t1"))
        .await;
    assert_eq!(reply["success"], true, "{reply}");
    let (status, reply) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/t1/reply",
            json!({"text": "go on"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["request"]["status"], "inprogress");
    // An unanswered turn stays open: only answered ones are settled.
    let (_, reply) = t
        .post(&t.keys.agent, "/api/v1/humanloop/continue", turn("t2"))
        .await;
    assert_eq!(reply["success"], true, "{reply}");
    let (_, first) = t.status(&t.keys.agent, "talk", "t1", "").await;
    assert_eq!(first["status"], "completed", "{first}");
    assert_eq!(
        first["response"],
        json!({"message": "go on"}),
        "the human's words are kept"
    );
    assert_eq!(first["responded_by"], "alice");
    let (_, trail) = t.get(&t.keys.alice, "/api/v1/requests/t1/audit").await;
    let last = &trail["entries"].as_array().unwrap()[2];
    assert_eq!(
        (
            &last["old_status"],
            &last["new_status"],
            &last["channel"],
            &last["actor"]
        ),
        (
            &json!("inprogress"),
            &json!("completed"),
            &json!("continue"),
            &json!("agent")
        ),
        "{trail}"
    );
    let (_, reply) = t
        .post(&t.keys.agent, "/api/v1/humanloop/continue", turn("t3"))
        .await;
    assert_eq!(reply["success"], true, "{reply}");
    let (_, second) = t.status(&t.keys.agent, "talk", "t2", "").await;
    assert_eq!(
        second["status"], "pending",
        "an open turn is left to the human"
    );
    t.stop().await;
}

#[tokio::test]
async fn cancel_is_idempotent_and_never_undoes_an_answer() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let cancel = json!({"conversation_id": "c1", "request_id": "r1", "platform": "test"});
    for _ in 0..2 {
        let (_, reply) = t
            .post(&t.keys.agent, "/api/v1/humanloop/cancel", cancel.clone())
            .await;
        assert_eq!(reply["success"], true, "{reply}");
    }
    let (_, reply) = t.status(&t.keys.agent, "c1", "r1", "").await;
    assert_eq!(reply["status"], "cancelled");

    t.create(&t.keys.agent, "c1", "r2").await;
    t.post(&t.keys.alice, "/api/v1/requests/r2/approve", json!({}))
        .await;
    let (_, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/cancel",
            json!({"conversation_id": "c1", "request_id": "r2", "platform": "test"}),
        )
        .await;
    assert_eq!(reply["success"], false);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("already approved"),
        "{reply}"
    );
    let (_, reply) = t.status(&t.keys.agent, "c1", "r2", "").await;
    assert_eq!(reply["status"], "approved");

    let (status, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/cancel",
            json!({"conversation_id": "c1", "request_id": "ghost", "platform": "test"}),
        )
        .await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (StatusCode::OK, Some("Request not found: ghost"))
    );
    t.stop().await;
}

#[tokio::test]
async fn cancel_conversation_under_both_spellings() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c1", "r1").await;
    t.create(&t.keys.agent, "c1", "r2").await;
    t.post(&t.keys.alice, "/api/v1/requests/r1/approve", json!({}))
        .await;
    let body = json!({"conversation_id": "c1", "platform": "test"});
    let (_, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/cancel_conversation",
            body.clone(),
        )
        .await;
    assert_eq!(reply["success"], true);
    let (_, r1) = t.status(&t.keys.agent, "c1", "r1", "").await;
    let (_, r2) = t.status(&t.keys.agent, "c1", "r2", "").await;
    assert_eq!(
        (r1["status"].as_str(), r2["status"].as_str()),
        (Some("approved"), Some("cancelled"))
    );
    // Again, through the Go services' misspelt route: still a success, nothing left to cancel.
    let (_, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/cancel_converstation",
            body,
        )
        .await;
    assert_eq!(reply["success"], true);
    let (_, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/cancel_conversation",
            json!({"conversation_id": "x", "platform": "test"}),
        )
        .await;
    assert_eq!(reply["error"], "Conversation not found: x");
    t.stop().await;
}

fn snapshot(task: &str, status: &str) -> Value {
    json!({
        "task_id": task,
        "conversations": [{"conversation_id": "c1", "provider_id": null, "requests": [{
            "request_id": "r1", "status": status, "loop_type": "approval", "response": {},
            "feedback": null, "responded_by": null, "responded_at": null, "error": null}]}],
        "timestamp": "2025-08-25T10:00:00.123456",
        "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"}
    })
}

#[tokio::test]
async fn task_sync_merges_idempotently_within_each_tenant() {
    let t = TestHub::start().await;
    let (status, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/tasks/sync",
            snapshot("t1", "pending"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(reply["data"], json!({"task_id": "t1", "updated": false}));
    let (status, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/tasks/sync",
            snapshot("t1", "approved"),
        )
        .await;
    assert_eq!(
        (status, &reply["data"]["updated"]),
        (StatusCode::CREATED, &json!(true))
    );
    t.post(
        &t.keys.agent,
        "/api/v1/humanloop/tasks/sync",
        snapshot("t1", "approved"),
    )
    .await;
    let (_, reply) = t.get(&t.keys.agent, "/api/v1/humanloop/tasks/t1").await;
    let task = &reply["task"];
    assert_eq!(task["updates"], 3);
    let requests = task["data"]["conversations"][0]["requests"]
        .as_array()
        .unwrap();
    assert_eq!(
        requests.len(),
        1,
        "the same request is merged, not appended"
    );
    assert_eq!(requests[0]["status"], "approved");

    // Tenant b's task of the same id is its own (the original hub shared task ids across users).
    t.post(
        &t.keys.other,
        "/api/v1/humanloop/tasks/sync",
        snapshot("t1", "rejected"),
    )
    .await;
    let (_, mine) = t.get(&t.keys.agent, "/api/v1/humanloop/tasks/t1").await;
    assert_eq!(
        mine["task"]["data"]["conversations"][0]["requests"][0]["status"],
        "approved"
    );
    let (_, list) = t.get(&t.keys.other, "/api/v1/humanloop/tasks").await;
    assert_eq!(list["tasks"]["t1"]["updates"], 1);
    let (status, reply) = t.get(&t.keys.agent, "/api/v1/humanloop/tasks/none").await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (StatusCode::OK, Some("Task not found: none"))
    );

    let (status, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/tasks/sync",
            json!({"task_id": "t2"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply["error"].as_str().unwrap().contains("conversations"),
        "{reply}"
    );
    t.stop().await;
}

#[tokio::test]
async fn keys_are_required_and_checked() {
    let t = TestHub::start().await;
    let path = "/api/v1/humanloop/status?conversation_id=c&request_id=r&platform=p";
    let (status, reply) = t.send(reqwest::Method::GET, None, path, None).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("Authorization header missing")
        )
    );
    let response = t
        .http
        .get(format!("{}{path}", t.base))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, reply) = t.get("ghl_not_a_key", path).await;
    assert_eq!(
        (status, reply["success"].clone()),
        (StatusCode::FORBIDDEN, json!(false))
    );
    let (status, reply) = t.send(reqwest::Method::GET, None, "/health", None).await;
    assert_eq!(
        (status, reply),
        (
            StatusCode::OK,
            json!({"status": "ok", "database": "reachable"})
        )
    );

    // A revoked key stops working within 2 s: the key cache trusts a check (the last one was
    // made before the revocation) for 2 s at most, so the first use after that is refused.
    // The event awaited is those 2 s themselves.
    let keys = t.store.keys().await.unwrap();
    let alice = keys.iter().find(|k| k.name == "alice").unwrap();
    assert!(t.store.revoke_key(&alice.id.to_string()).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (status, reply) = t.get(&t.keys.alice, path).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a revoked key still works 2 s after: {reply}"
    );
    t.stop().await;
}
