//! The hub's HTTP API: the original protocol's and the answering API's bodies and queries.

use axum::http::Uri;
use gohumanloop::model::wire::{
    CancelConversationBody, CancelRequestBody, ContinueRequestBody, CreateRequestBody,
    ResumeRequestBody, TaskSync,
};
use gohumanloop::model::LoopType;
use gohumanloop_hub::api::answering::{DecisionBody, TextBody};
use gohumanloop_hub::core::intake::Ask;
use gohumanloop_hub::core::{Actor, Decision};
use gohumanloop_hub::fuzzing as hub;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const LOOP_TYPES: [LoopType; 3] = [
    LoopType::Approval,
    LoopType::Information,
    LoopType::Conversation,
];

/// `data` as the query of a request to `path`, as hyper hands it to the router.
fn uri(path: &str, data: &[u8]) -> Option<Uri> {
    let query = crate::text(data)?;
    Uri::try_from(format!("{path}?{query}")).ok()
}

/// `body` as the handlers read it; when accepted, it must re-serialize to itself.
fn body<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) -> Option<T> {
    let parsed: T = hub::json_body(data).ok()?;
    let again: T = serde_json::from_value(serde_json::to_value(&parsed).expect("serializes"))
        .expect("an accepted body re-serializes to a body that is accepted");
    assert_eq!(again, parsed, "an accepted body re-serializes to itself");
    Some(parsed)
}

/// An ask checked by the core's intake; what is admitted keeps the ids it was asked with.
fn admit(ask: Ask) {
    let ids = (ask.conversation_id.clone(), ask.request_id.clone());
    if let Ok(request) = ask.admit(1, &Actor::new("api", "fuzz")) {
        assert_eq!(
            (request.key.conversation_id, request.key.request_id),
            ids,
            "admitted as asked"
        );
        assert!(request.deadline_at.is_none_or(|d| d > request.created_at));
    }
}

/// The original protocol (`/api/v1/humanloop/*`): every body as its handler reads it, then
/// the core's intake (ids, deadlines), the resume wait, the task-sync merge (into nothing,
/// then into its own result); and the bytes as the query of `/status` (with the long-poll
/// `wait` check) and of `/tasks`.
pub fn original_api(data: &[u8]) {
    if let Some(b) = body::<CreateRequestBody>(data) {
        admit(Ask {
            task_id: b.task_id,
            conversation_id: b.conversation_id,
            request_id: b.request_id,
            platform: b.platform,
            loop_type: b.loop_type,
            context: b.context,
            metadata: b.metadata,
            timeout: b.timeout,
            continues: false,
        });
    }
    if let Some(b) = body::<ContinueRequestBody>(data) {
        admit(Ask {
            task_id: b.task_id,
            conversation_id: b.conversation_id,
            request_id: b.request_id,
            platform: b.platform,
            loop_type: LoopType::Conversation,
            context: b.context,
            metadata: b.metadata,
            timeout: b.timeout,
            continues: true,
        });
    }
    let _ = body::<CancelRequestBody>(data);
    let _ = body::<CancelConversationBody>(data);
    if let Some(b) = body::<ResumeRequestBody>(data) {
        if let Ok(wait) = hub::checked_wait(b.wait.map(|w| w as f64)) {
            assert!((0.0..=300.0).contains(&wait));
        }
    }
    if let Some(upload) = body::<TaskSync>(data) {
        if let Ok(merged) = hub::task_sync(None, &upload) {
            let _: Vec<Value> = serde_json::from_str(&merged).expect("a merge is a JSON array");
            if let Ok(again) = hub::task_sync(Some(&merged), &upload) {
                let _: Vec<Value> = serde_json::from_str(&again).expect("a merge is a JSON array");
            }
        }
    }
    if let Some(uri) = uri("/api/v1/humanloop/status", data) {
        if let Ok(wait) = hub::status_query(&uri) {
            assert!((0.0..=300.0).contains(&wait), "wait {wait} out of bounds");
        }
        let _ = hub::query::<gohumanloop_hub::api::tasks::ListParams>(&uri);
    }
}

/// A decision through the table for every loop type; `check` agrees with it.
fn judge(decision: &Decision, asked: &Value) {
    for loop_type in LOOP_TYPES {
        let plain = hub::resolve(loop_type, None, decision);
        assert_eq!(
            decision.check(loop_type).is_ok(),
            plain.is_ok(),
            "check and the table agree"
        );
        if let Ok((_, Some(response))) = hub::resolve(loop_type, Some(asked), decision) {
            serde_json::to_vec(&response).expect("a response serializes");
        }
    }
}

/// The answering API (`/api/v1/requests…`): approve and reject bodies (the grant checked as
/// `approve` checks it), answer and reply bodies, each made into the decision its handler makes
/// and put through the one decision table for every loop type; and the bytes as the query of
/// the request list, checked into the store's filter.
pub fn answering_api(data: &[u8]) {
    let asked = json!({"path": "/tmp/x", "force": true});
    for approve in [true, false] {
        if let Ok(b) = hub::optional_json_body::<DecisionBody>(data) {
            if let Ok(decision) = hub::decision_body(b, approve) {
                judge(&decision, &asked);
            }
        }
    }
    for reply in [false, true] {
        if let Ok(b) = hub::json_body::<TextBody>(data) {
            judge(&hub::text_body(b, reply), &asked);
        }
    }
    if let Some(uri) = uri("/api/v1/requests", data) {
        if let Ok((filter, _before)) = hub::requests_query(&uri) {
            assert!((1..=1000).contains(&filter.limit), "limit within bounds");
        }
    }
}
