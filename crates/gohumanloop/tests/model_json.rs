//! The model's JSON matches the original's shapes (protocol reference §1 and §8), both ways.

use gohumanloop::model::wire::{
    ApiResponse, CancelConversationBody, CancelRequestBody, ContinueRequestBody, CreateRequestBody,
    StatusQuery, StatusResponse, TaskSync,
};
use gohumanloop::model::{HumanLoopRequest, HumanLoopResult, LoopType, Status};
use serde_json::{json, Value};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: Value,
) -> T {
    let parsed: T = serde_json::from_value(value.clone()).expect("parses");
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        value,
        "serialises back to the same JSON"
    );
    parsed
}

#[test]
fn status_and_loop_type_wire_strings_are_exact_and_strict() {
    let statuses = [
        "pending",
        "approved",
        "rejected",
        "expired",
        "error",
        "completed",
        "inprogress",
        "cancelled",
    ];
    for (status, wire) in Status::ALL.iter().zip(statuses) {
        assert_eq!(serde_json::to_value(status).unwrap(), json!(wire));
        assert_eq!(wire.parse::<Status>().unwrap(), *status);
        assert_eq!(status.to_string(), wire);
    }
    for (lt, wire) in LoopType::ALL
        .iter()
        .zip(["approval", "information", "conversation"])
    {
        assert_eq!(serde_json::to_value(lt).unwrap(), json!(wire));
        assert_eq!(wire.parse::<LoopType>().unwrap(), *lt);
    }
    for bad in [
        "APPROVED",
        "Approved",
        "in_progress",
        "in-progress",
        "canceled",
        "",
    ] {
        assert!(bad.parse::<Status>().is_err(), "{bad} must not parse");
        assert!(
            serde_json::from_value::<Status>(json!(bad)).is_err(),
            "{bad} must not deserialise"
        );
    }
    let err = "APPROVED".parse::<Status>().unwrap_err();
    assert_eq!(err.to_string(), "unknown status 'APPROVED'");
}

#[test]
fn terminal_statuses_never_move() {
    for from in Status::ALL {
        for to in Status::ALL {
            let allowed = from.can_become(to);
            if from.is_terminal() || to == Status::Pending {
                assert!(!allowed, "{from} -> {to}");
            }
        }
    }
    assert!(Status::Pending.can_become(Status::Expired));
    assert!(Status::InProgress.can_become(Status::Completed));
    assert!(Status::InProgress.can_become(Status::Cancelled));
    assert!(
        !Status::InProgress.can_become(Status::Expired),
        "an answered turn does not expire"
    );
}

#[test]
fn each_loop_type_has_its_own_transitions() {
    for from in Status::ALL {
        for to in Status::ALL {
            let any = LoopType::ALL.iter().any(|t| t.allows(from, to));
            assert_eq!(
                any,
                from.can_become(to),
                "the union over types: {from} -> {to}"
            );
        }
    }
    let approval = LoopType::Approval;
    assert!(approval.allows(Status::Pending, Status::Approved));
    assert!(
        !approval.allows(Status::Pending, Status::Completed),
        "an approval is never completed"
    );
    assert!(!approval.allows(Status::Pending, Status::InProgress));
    assert!(!LoopType::Information.allows(Status::Pending, Status::Approved));
    assert!(LoopType::Information.allows(Status::Pending, Status::Completed));
    let conversation = LoopType::Conversation;
    assert!(conversation.allows(Status::Pending, Status::InProgress));
    assert!(conversation.allows(Status::InProgress, Status::Completed));
    assert!(conversation.allows(Status::InProgress, Status::Rejected));
    assert!(!conversation.allows(Status::InProgress, Status::InProgress));
    assert!(!conversation.allows(Status::InProgress, Status::Expired));
    assert!(!conversation.allows(Status::Pending, Status::Approved));
    for t in LoopType::ALL {
        for s in [
            Status::Rejected,
            Status::Expired,
            Status::Cancelled,
            Status::Error,
        ] {
            assert!(t.allows(Status::Pending, s), "{t}: pending -> {s}");
        }
    }
}

#[test]
fn result_defaults_match_the_original() {
    let r: HumanLoopResult = serde_json::from_value(json!({
        "conversation_id": "c", "request_id": "r", "loop_type": "approval", "status": "pending"
    }))
    .unwrap();
    assert_eq!(r.response, json!({}));
    assert_eq!(r.feedback, json!({}));
    assert_eq!(
        (r.responded_by, r.responded_at, r.error),
        (None, None, None)
    );
}

#[test]
fn result_carries_any_json_response() {
    for response in [
        json!("a plain string"),
        json!({"decision": "approved", "reason": "ok"}),
        json!([1, 2]),
        json!(null),
    ] {
        let r: HumanLoopResult = round_trip(json!({
            "conversation_id": "c", "request_id": "r", "loop_type": "conversation",
            "status": "inprogress", "response": response, "feedback": "a string feedback",
            "responded_by": "someone", "responded_at": "2025-08-25T10:00:00.123456", "error": null
        }));
        assert_eq!(r.status, Status::InProgress);
        assert_eq!(r.feedback, json!("a string feedback"));
    }
}

#[test]
fn request_defaults_and_shape() {
    let r: HumanLoopRequest = serde_json::from_value(json!({
        "task_id": "t", "conversation_id": "c", "loop_type": "information", "context": {"message": "hi"}
    }))
    .unwrap();
    assert!(r.metadata.is_empty());
    assert_eq!(
        (r.request_id.as_deref(), r.timeout, r.created_at),
        (None, None, None)
    );
    let full: HumanLoopRequest = round_trip(json!({
        "task_id": "t", "conversation_id": "c", "loop_type": "approval",
        "context": {"message": "m", "function": {"function_name": "f", "arguments": {"a": 1}}},
        "metadata": {"platform": "wechat"}, "request_id": "r", "timeout": 30,
        "created_at": "2026-11-25T08:00:00Z"
    }));
    assert_eq!(
        full.effective_timeout(),
        Some(std::time::Duration::from_secs(30))
    );
    let zero = HumanLoopRequest {
        timeout: Some(0),
        ..full
    };
    assert_eq!(
        zero.effective_timeout(),
        None,
        "0 means no timeout, as in the original"
    );
}

#[test]
fn wire_bodies_have_the_original_keys() {
    let create: CreateRequestBody = round_trip(json!({
        "task_id": "t", "conversation_id": "c", "request_id": "r", "loop_type": "approval",
        "context": {"message": "m"}, "platform": "mock", "metadata": {"subject": "s"}
    }));
    assert_eq!(create.platform, "mock");
    let cont: ContinueRequestBody = round_trip(json!({
        "conversation_id": "c", "request_id": "r2", "task_id": "t", "context": {}, "platform": "mock", "metadata": {}
    }));
    assert_eq!(cont.request_id, "r2");
    round_trip::<CancelRequestBody>(
        json!({"conversation_id": "c", "request_id": "r", "platform": "p"}),
    );
    round_trip::<CancelConversationBody>(json!({"conversation_id": "c", "platform": "p"}));
    round_trip::<StatusQuery>(json!({"conversation_id": "c", "request_id": "r", "platform": "p"}));
    round_trip::<ApiResponse>(json!({"success": true, "error": null}));
    let missing: ApiResponse = serde_json::from_value(json!({})).unwrap();
    assert!(
        !missing.success,
        "an absent success counts as failure, as in the client"
    );
}

#[test]
fn status_replies_of_every_original_server_parse() {
    // The mock's unknown-request reply.
    let unknown: StatusResponse = serde_json::from_value(json!({
        "success": false, "error": "Request not found: r", "status": "pending",
        "response": null, "feedback": null, "responded_by": null, "responded_at": null
    }))
    .unwrap();
    assert!(!unknown.success);
    assert_eq!(unknown.error.as_deref(), Some("Request not found: r"));
    // The Go services: strings and a zero time.
    let go: StatusResponse = serde_json::from_value(json!({
        "success": true, "status": "approved", "response": "同意", "feedback": "",
        "responded_at": "0001-01-01T00:00:00Z"
    }))
    .unwrap();
    assert_eq!(go.response, Some(json!("同意")));
    // The hub: no error key.
    let hub: StatusResponse = serde_json::from_value(json!({
        "success": true, "status": "completed", "response": {"message": "x", "message_type": "text"},
        "feedback": null, "responded_by": "a@b.c", "responded_at": "2025-08-25T10:00:00"
    }))
    .unwrap();
    assert_eq!(hub.status, Status::Completed);
    let absent: StatusResponse = serde_json::from_value(json!({"success": true})).unwrap();
    assert_eq!(
        absent.status,
        Status::Pending,
        "an absent status is pending, as the protocol says"
    );
    assert!(serde_json::from_value::<StatusResponse>(
        json!({"success": true, "status": "APPROVED"})
    )
    .is_err());
}

#[test]
fn task_sync_snapshot_round_trips() {
    let sync: TaskSync = round_trip(json!({
        "task_id": "t",
        "conversations": [{
            "conversation_id": "c", "provider_id": "GoHumanLoop",
            "requests": [{
                "request_id": "r", "status": "approved", "loop_type": "approval", "response": {},
                "feedback": null, "responded_by": null, "responded_at": null, "error": null
            }]
        }],
        "timestamp": "2025-08-25T10:00:00.123456",
        "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6.1"}
    }));
    assert_eq!(sync.conversations[0].requests[0].status, Status::Approved);
    let null_provider = json!({"task_id": "t", "conversations": [{"conversation_id": "c", "provider_id": null, "requests": []}],
        "timestamp": "x", "metadata": {"source": "s", "client_ip": "i", "user_agent": "u"}});
    let accepted: TaskSync = serde_json::from_value(null_provider)
        .expect("a null provider_id is accepted (the original hub's 422 was bug #12)");
    assert_eq!(accepted.conversations[0].provider_id, None);
}
