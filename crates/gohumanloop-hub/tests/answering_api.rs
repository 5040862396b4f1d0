//! The answering API (`/api/v1/requests…`): listing, reading, every action, the single
//! conditional write under a race, tenant isolation and the audit log.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::TestHub;
use gohumanloop_hub::audit::ChainCheck;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn every_action_sets_its_status_and_answer_shape() {
    let t = TestHub::start().await;
    let info = json!({"task_id": "t", "conversation_id": "ci", "request_id": "info", "loop_type": "information",
                      "context": {"question": "Which region?"}, "platform": "test", "metadata": {}});
    let chat = json!({"task_id": "t", "conversation_id": "cc", "request_id": "chat", "loop_type": "conversation",
                      "context": {"message": "hello"}, "platform": "test", "metadata": {}});
    for body in [info, chat] {
        t.post(&t.keys.agent, "/api/v1/humanloop/request", body)
            .await;
    }
    t.create(&t.keys.agent, "ca", "appr").await;
    t.create(&t.keys.agent, "cr", "rej").await;

    let (_, r) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/info/answer",
            json!({"text": "eu-west-1"}),
        )
        .await;
    assert_eq!(
        (r["request"]["status"].as_str(), &r["request"]["response"]),
        (Some("completed"), &json!({"information": "eu-west-1"}))
    );
    let (_, r) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/chat/reply",
            json!({"text": "go on"}),
        )
        .await;
    assert_eq!(r["request"]["status"], "inprogress");
    let (_, r) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/chat/reply",
            json!({"text": "bye", "complete": true}),
        )
        .await;
    assert_eq!(
        (r["request"]["status"].as_str(), &r["request"]["response"]),
        (Some("completed"), &json!({"message": "bye"}))
    );
    let (_, r) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/appr/approve",
            json!({"response": {"edited": [1, 2]}}),
        )
        .await;
    assert_eq!(
        r["request"]["response"],
        json!({"edited": [1, 2]}),
        "an edited response replaces the default"
    );
    let (_, r) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/rej/reject",
            json!({"reason": "no"}),
        )
        .await;
    assert_eq!(
        (
            r["request"]["status"].as_str(),
            r["request"]["responded_by"].as_str()
        ),
        (Some("rejected"), Some("alice"))
    );

    // An action that does not fit the request's type is refused and changes nothing.
    t.create(&t.keys.agent, "cx", "x").await;
    let (status, r) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/x/answer",
            json!({"text": "?"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (status, _) = t
        .post(&t.keys.alice, "/api/v1/requests/x/reply", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, r) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/x/approve",
            json!({"reasn": "typo"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {r}"
    );
    let (_, r) = t.status(&t.keys.agent, "cx", "x", "").await;
    assert_eq!(r["status"], "pending");
    let (status, r) = t
        .post(&t.keys.alice, "/api/v1/requests/nope/approve", json!({}))
        .await;
    assert_eq!(
        (status, r["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Request not found: nope"))
    );
    let (_, r) = t
        .send(
            reqwest::Method::POST,
            Some(&t.keys.alice),
            "/api/v1/requests/x/cancel",
            None,
        )
        .await;
    assert_eq!(r["request"]["status"], "cancelled");
    t.stop().await;
}

#[tokio::test]
async fn listing_filters_by_status_type_task_and_time() {
    let t = TestHub::start().await;
    for i in 0..5 {
        t.create(&t.keys.agent, "c", &format!("r{i}")).await;
    }
    t.post(&t.keys.alice, "/api/v1/requests/r0/approve", json!({}))
        .await;
    let (_, all) = t.get(&t.keys.alice, "/api/v1/requests").await;
    assert_eq!(all["count"], 5);
    assert_eq!(all["requests"][0]["request_id"], "r4", "newest first");
    let (_, pending) = t
        .get(&t.keys.alice, "/api/v1/requests?status=pending&limit=2")
        .await;
    assert_eq!(pending["count"], 2);
    let (_, done) = t
        .get(
            &t.keys.alice,
            "/api/v1/requests?status=approved,rejected&loop_type=approval&task_id=task-1",
        )
        .await;
    assert_eq!(done["count"], 1);
    let (_, none) = t
        .get(
            &t.keys.alice,
            "/api/v1/requests?created_after=2999-01-01T00:00:00Z",
        )
        .await;
    assert_eq!(none["count"], 0);
    let (_, past) = t
        .get(
            &t.keys.alice,
            "/api/v1/requests?created_before=2999-01-01T00:00:00Z&platform=test",
        )
        .await;
    assert_eq!(past["count"], 5);
    for bad in [
        "status=APPROVED",
        "limit=0",
        "limit=5000",
        "created_after=yesterday",
        "loop_type=poll",
    ] {
        let (status, r) = t
            .get(&t.keys.alice, &format!("/api/v1/requests?{bad}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {r}");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_hundred_concurrent_answers_have_exactly_one_winner() {
    let t = Arc::new(TestHub::start().await);
    t.create(&t.keys.agent, "c", "race").await;
    let waiter = {
        let t = t.clone();
        tokio::spawn(async move { t.status(&t.keys.agent, "c", "race", "&wait=30").await })
    };
    let mut answers = Vec::new();
    for i in 0..100 {
        let t = t.clone();
        answers.push(tokio::spawn(async move {
            let action = if i % 2 == 0 { "approve" } else { "reject" };
            // Two answerers, so that the name in a 409 says who won.
            let key = if i % 4 < 2 {
                &t.keys.alice
            } else {
                &t.keys.agent
            };
            let (status, body) = t
                .post(
                    key,
                    &format!("/api/v1/requests/race/{action}"),
                    json!({"reason": format!("answer {i}")}),
                )
                .await;
            (status, body)
        }));
    }
    let mut winners = Vec::new();
    let mut conflicts = Vec::new();
    for a in answers {
        let (status, body) = a.await.unwrap();
        match status {
            StatusCode::OK => winners.push(body),
            StatusCode::CONFLICT => conflicts.push(body),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((winners.len(), conflicts.len()), (1, 99));
    let winner = &winners[0]["request"];
    let name = winner["responded_by"].as_str().unwrap_or_default();
    assert!(["alice", "agent"].contains(&name), "{winner}");
    for c in &conflicts {
        assert_eq!(
            c["status"], winner["status"],
            "every loser is told the winning outcome"
        );
        assert_eq!(
            c["responded_by"], winner["responded_by"],
            "and who won: {c}"
        );
        assert_eq!(c["responded_at"], winner["responded_at"]);
    }
    let (_, seen) = waiter.await.unwrap();
    assert_eq!(seen["status"], winner["status"]);
    assert_eq!(seen["response"], winner["response"]);
    let (_, audit) = t.get(&t.keys.alice, "/api/v1/requests/race/audit").await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "one create and one answer: {audit}");
    assert_eq!(entries[1]["old_status"], "pending");
    assert_eq!(entries[1]["new_status"], winner["status"]);
    assert_eq!(entries[1]["prev_hash"], entries[0]["hash"]);
}

#[tokio::test]
async fn a_tenant_cannot_touch_another_tenants_requests() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c", "r").await;
    let b = &t.keys.other;
    let (_, r) = t.status(b, "c", "r", "").await;
    assert_eq!(r["success"], false);
    for action in ["approve", "reject", "cancel"] {
        let (status, _) = t
            .post(b, &format!("/api/v1/requests/r/{action}"), json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    for path in ["/api/v1/requests/r", "/api/v1/requests/r/audit"] {
        assert_eq!(t.get(b, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = t.get(b, "/api/v1/requests").await;
    assert_eq!(list["count"], 0);
    let (_, r) = t
        .post(
            b,
            "/api/v1/humanloop/cancel",
            json!({"conversation_id": "c", "request_id": "r", "platform": "test"}),
        )
        .await;
    assert_eq!(r["success"], false);
    let (_, r) = t
        .post(
            b,
            "/api/v1/humanloop/cancel_conversation",
            json!({"conversation_id": "c", "platform": "test"}),
        )
        .await;
    assert_eq!(r["success"], false);
    let (_, r) = t
        .post(b, "/api/v1/humanloop/continue", json!({"conversation_id": "c", "request_id": "r9", "task_id": "t",
                                                       "context": {}, "platform": "test", "metadata": {}}))
        .await;
    assert_eq!(
        r["success"], false,
        "b cannot add turns to a's conversation"
    );
    // b may use the same ids for its own request without touching a's, and each tenant's
    // answer reaches its own request only.
    t.create(b, "c", "r").await;
    let (status, theirs) = t.post(b, "/api/v1/requests/r/approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["request"]["status"], "approved");
    let (_, mine) = t.status(&t.keys.agent, "c", "r", "").await;
    assert_eq!(mine["status"], "pending");
    let (status, mine) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/r/reject",
            json!({"reason": "no"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a's own answer is not a 409: {mine}"
    );
    assert_eq!(mine["request"]["status"], "rejected");
    let (_, mine) = t.status(&t.keys.agent, "c", "r", "").await;
    assert_eq!(mine["status"], "rejected");
    let (_, theirs) = t.status(b, "c", "r", "").await;
    assert_eq!(theirs["status"], "approved", "b's request keeps b's answer");
    t.stop().await;
}

#[tokio::test]
async fn the_audit_chain_verifies_and_reveals_tampering() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c", "r1").await;
    t.create(&t.keys.agent, "c", "r2").await;
    t.post(&t.keys.alice, "/api/v1/requests/r1/approve", json!({}))
        .await;
    t.post(
        &t.keys.alice,
        "/api/v1/requests/r2/reject",
        json!({"reason": "no"}),
    )
    .await;
    assert_eq!(t.store.verify_audit().await.unwrap(), ChainCheck::Intact(4));

    common::execute_sql(
        &t.url,
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
    )
    .await;
    match t.store.verify_audit().await.unwrap() {
        ChainCheck::Broken { seq, .. } => assert_eq!(seq, 3),
        intact => panic!("tampering went unnoticed: {intact:?}"),
    }
    t.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_only_served_routes() {
    let t = TestHub::start().await;
    let (status, doc) = t
        .send(reqwest::Method::GET, None, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let webhook = gohumanloop_hub::channels::webhook::decisions_path("{name}");
    let mut documented = BTreeSet::new();
    for (path, methods) in paths {
        for method in methods.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    // The router is built from this list, so it names every route the API serves.
    let mut served: BTreeSet<(String, String)> = gohumanloop_hub::api::routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .collect();
    assert!(served.len() >= 20, "every route is listed: {served:?}");
    served.insert(("POST".into(), webhook.clone()));
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served, not documented: {undocumented:?}"
    );
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(unserved.is_empty(), "documented, not listed: {unserved:?}");

    // And each is routed (the webhook's only where a channel is configured: webhook_channel.rs).
    for (method, path) in &documented {
        if path == &webhook || path == "/api/v1/events" || path == "/metrics" {
            // The events are a stream (push.rs); the metrics are Prometheus text, not JSON
            // (operations.rs).
            continue;
        }
        let concrete = path.replace("{id}", "x").replace("{task_id}", "x");
        let method: reqwest::Method = method.parse().unwrap();
        let (status, body) = t
            .send(method.clone(), Some(&t.keys.agent), &concrete, None)
            .await;
        let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
            || body["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("no such endpoint"));
        assert!(
            !unrouted,
            "{method} {path} is documented but not served: {body}"
        );
    }

    // A few facts of the schemas, generated from the handlers' types.
    let schemas = &doc["components"]["schemas"];
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
            None => schema.clone(),
        }
    };
    let reject = &paths["/api/v1/requests/{id}/reject"]["post"];
    let body = resolve(&reject["requestBody"]["content"]["application/json"]["schema"]);
    assert!(body["properties"]["reason"].is_object(), "{body}");
    assert_eq!(
        body["additionalProperties"], false,
        "unknown fields are refused"
    );
    assert!(
        reject["description"]
            .as_str()
            .unwrap()
            .contains("non-empty `reason`"),
        "{reject}"
    );
    assert!(reject["responses"]["422"].is_object() && reject["responses"]["409"].is_object());
    let status = resolve(&schemas["RequestRecord"]["properties"]["status"]);
    let statuses: Vec<&str> = gohumanloop::model::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(status["enum"], json!(statuses), "{status}");
    assert_eq!(statuses.len(), 8);
    let event = &schemas["WebhookEvent"];
    assert_eq!(event["required"], json!(["type", "request"]));
    assert_eq!(
        resolve(&event["properties"]["type"])["enum"],
        json!(["request.created", "request.updated"])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let error = resolve(
        &paths["/api/v1/requests/{id}"]["get"]["responses"]["404"]["content"]["application/json"]
            ["schema"],
    );
    assert_eq!(error["required"], json!(["success", "error"]));
    assert_eq!(
        paths["/health"]["get"]["security"],
        json!([{}]),
        "no key needed"
    );
    t.stop().await;
}

/// The rule the README states: a turn answered with `reply` (`inprogress`) takes exactly one
/// more answer, one that ends it; a second plain reply is a conflict naming the first.
#[tokio::test]
async fn an_inprogress_turn_takes_one_more_answer_that_ends_it() {
    let t = TestHub::start().await;
    for (cid, rid) in [("c1", "turn1"), ("c2", "turn2")] {
        let chat = json!({"task_id": "t", "conversation_id": cid, "request_id": rid,
                          "loop_type": "conversation", "context": {"message": "hello"},
                          "platform": "test", "metadata": {}});
        t.post(&t.keys.agent, "/api/v1/humanloop/request", chat)
            .await;
    }
    let reply = |rid: &'static str, body: Value| {
        let t = &t;
        async move {
            t.post(
                &t.keys.alice,
                &format!("/api/v1/requests/{rid}/reply"),
                body,
            )
            .await
        }
    };
    let (status, r) = reply("turn1", json!({"text": "first"})).await;
    assert_eq!(
        (status, r["request"]["status"].as_str()),
        (StatusCode::OK, Some("inprogress"))
    );
    let (status, r) = reply("turn1", json!({"text": "second"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{r}");
    assert_eq!(
        r["status"], "inprogress",
        "the conflict names the first answer: {r}"
    );
    let (status, r) = reply("turn1", json!({"text": "last", "complete": true})).await;
    assert_eq!(
        (
            status,
            r["request"]["status"].as_str(),
            &r["request"]["response"]
        ),
        (
            StatusCode::OK,
            Some("completed"),
            &json!({"message": "last"})
        )
    );
    let (status, _) = reply("turn1", json!({"text": "after", "complete": true})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a completed turn takes nothing more"
    );

    // Rejecting or cancelling ends an inprogress turn too.
    reply("turn2", json!({"text": "first"})).await;
    let (status, r) = t
        .post(&t.keys.alice, "/api/v1/requests/turn2/cancel", json!({}))
        .await;
    assert_eq!(
        (status, r["request"]["status"].as_str()),
        (StatusCode::OK, Some("cancelled")),
        "{r}"
    );
    t.stop().await;
}
