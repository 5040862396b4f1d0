//! `ghl mcp` (stdio) and the hub's `/mcp` (streamable HTTP), driven by rmcp's client against a
//! real `ghl serve` on loopback: the ask-a-human tools, waits that end in `pending` and resume
//! in another session, the elicitation bridge in both protocol generations, bad input.

mod common;
mod mcp;

use std::time::Duration;

use common::HubProcess;
use mcp::{approve, call, pending_request, reject, structured, text, Client, User};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, GetTaskParams, ProtocolVersion,
    TaskPayload, TaskStatus,
};
use rmcp::{ClientLifecycleMode, ClientServiceExt};
use serde_json::{json, Value};

#[tokio::test]
async fn the_tools_are_listed_with_input_and_output_schemas() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let session = mcp::stdio(&hub.base, &key, &[], Client::new(User::Absent)).await;
    let tools = session.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "request_approval",
            "request_information",
            "start_conversation",
            "continue_conversation",
            "check_request",
            "cancel_request"
        ]
    );
    for tool in &tools {
        let output = tool.output_schema.as_ref().expect("an output schema");
        assert!(
            output["properties"].get("status").is_some(),
            "{}",
            tool.name
        );
    }
    let approval = &tools[0].input_schema;
    assert_eq!(approval["required"], json!(["question"]));
    assert!(approval["properties"].get("arguments").is_some());
    assert!(approval["properties"].get("wait_seconds").is_some());
    let check = tools.iter().find(|t| t.name == "check_request").unwrap();
    assert_eq!(
        check.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
}

#[tokio::test]
async fn an_approval_waits_for_the_human_and_hands_back_the_edited_arguments() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let approver = hub.key("default", "alice");
    let session = mcp::stdio(&hub.base, &key, &[], Client::new(User::Absent)).await;
    let asked = tokio::spawn(async move {
        let result = call(
            &session,
            "request_approval",
            json!({
                "question": "Pay invoice 42?",
                "context": "Supplier ACME, due today",
                "function_name": "pay",
                "arguments": {"invoice": 42, "amount": 1000},
                "wait_seconds": 60
            }),
        )
        .await;
        session.cancel().await.unwrap();
        result
    });
    let request = pending_request(&hub.base, &approver).await;
    assert_eq!(request["platform"], "MCP");
    assert_eq!(request["context"]["question"], "Pay invoice 42?");
    assert_eq!(request["context"]["additional"], "Supplier ACME, due today");
    assert_eq!(
        request["context"]["function"],
        json!({"function_name": "pay", "arguments": {"invoice": 42, "amount": 1000}})
    );
    let id = request["id"].as_str().unwrap();
    let decided = approve(
        &hub.base,
        &approver,
        id,
        Some(json!({"invoice": 42, "amount": 900})),
    )
    .await;
    assert_eq!(decided["success"], true, "{decided}");
    let result = asked.await.unwrap();
    assert_eq!(result.is_error, Some(false));
    let outcome = structured(&result);
    assert_eq!(outcome["status"], "approved");
    assert_eq!(outcome["approved"], true);
    assert_eq!(outcome["arguments"], json!({"invoice": 42, "amount": 900}));
    assert_eq!(outcome["responded_by"], "alice");
    assert!(
        text(&result).contains("edited arguments"),
        "{}",
        text(&result)
    );
}

#[tokio::test]
async fn a_pending_request_is_resumed_by_another_session_after_a_reconnect() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let first = mcp::stdio(&hub.base, &key, &[], Client::new(User::Absent)).await;
    let result = call(
        &first,
        "request_information",
        json!({"question": "Which region should I deploy to?", "wait_seconds": 0}),
    )
    .await;
    let outcome = structured(&result);
    assert_eq!(outcome["status"], "pending");
    assert_eq!(outcome["resume"]["tool"], "check_request");
    assert!(text(&result).contains("check_request"));
    // The client goes away (its process and `ghl mcp` with it); the human answers meanwhile.
    first.cancel().await.unwrap();
    let request_id = outcome["request_id"].as_str().unwrap().to_owned();
    let answered = common::post_json(
        &format!("{}/api/v1/requests/{request_id}/answer", hub.base),
        &key,
        &json!({"text": "eu-west-1"}),
    )
    .await;
    assert_eq!(answered["success"], true, "{answered}");
    let second = mcp::stdio(&hub.base, &key, &[], Client::new(User::Absent)).await;
    let resumed = call(
        &second,
        "check_request",
        Value::Object(outcome["resume"]["arguments"].as_object().unwrap().clone()),
    )
    .await;
    let outcome = structured(&resumed);
    assert_eq!(outcome["status"], "completed");
    assert_eq!(outcome["answer"], "eu-west-1");
    second.cancel().await.unwrap();
}

#[tokio::test]
async fn a_conversation_goes_on_turn_by_turn_and_a_request_can_be_withdrawn() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let session = mcp::stdio(&hub.base, &key, &[], Client::new(User::Absent)).await;
    let started = structured(
        &call(
            &session,
            "start_conversation",
            json!({"message": "Shall we plan the release?", "wait_seconds": 0}),
        )
        .await,
    );
    assert_eq!(started["status"], "pending");
    let conversation = started["conversation_id"].as_str().unwrap().to_owned();
    let first = started["request_id"].as_str().unwrap();
    let replied = common::post_json(
        &format!("{}/api/v1/requests/{first}/reply", hub.base),
        &key,
        &json!({"text": "Yes, Friday."}),
    )
    .await;
    assert_eq!(replied["success"], true, "{replied}");
    let turn = structured(
        &call(
            &session,
            "check_request",
            json!({"conversation_id": conversation, "request_id": first, "wait_seconds": 5}),
        )
        .await,
    );
    assert_eq!(
        (turn["status"].as_str(), turn["answer"].as_str()),
        (Some("inprogress"), Some("Yes, Friday."))
    );
    let next = structured(
        &call(
            &session,
            "continue_conversation",
            json!({"conversation_id": conversation, "message": "Which time?", "wait_seconds": 0}),
        )
        .await,
    );
    assert_eq!(next["conversation_id"], conversation.as_str());
    assert_eq!(next["status"], "pending");
    let withdrawn = structured(
        &call(
            &session,
            "cancel_request",
            json!({"conversation_id": conversation, "request_id": next["request_id"]}),
        )
        .await,
    );
    assert_eq!(withdrawn["status"], "cancelled");
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn http_mcp_takes_only_valid_keys_and_keeps_tenants_apart() {
    let hub = HubProcess::start();
    let acme = hub.key("acme", "agent");
    let globex = hub.key("globex", "agent");
    let refused = mcp::http(&hub.base, "not-a-key", Client::new(User::Absent)).await;
    assert!(refused.is_err(), "a bad key opened a session");
    let session = mcp::http(&hub.base, &acme, Client::new(User::Absent))
        .await
        .unwrap();
    let mine = structured(
        &call(
            &session,
            "request_approval",
            json!({"question": "Delete the staging DB?", "wait_seconds": 0}),
        )
        .await,
    );
    assert_eq!(mine["status"], "pending");
    let other = mcp::http(&hub.base, &globex, Client::new(User::Absent))
        .await
        .unwrap();
    let peek = call(
        &other,
        "check_request",
        json!({"conversation_id": mine["conversation_id"], "request_id": mine["request_id"], "wait_seconds": 0}),
    )
    .await;
    assert_eq!(
        peek.is_error,
        Some(true),
        "another tenant saw the request: {peek:?}"
    );
    let rejected = reject(
        &hub.base,
        &acme,
        mine["request_id"].as_str().unwrap(),
        "not today",
    )
    .await;
    assert_eq!(rejected["success"], true, "{rejected}");
    let seen = structured(
        &call(
            &session,
            "check_request",
            json!({"conversation_id": mine["conversation_id"], "request_id": mine["request_id"]}),
        )
        .await,
    );
    assert_eq!(
        (seen["status"].as_str(), seen["approved"].as_bool()),
        (Some("rejected"), Some(false))
    );
    assert_eq!(seen["answer"], "not today");
    session.cancel().await.unwrap();
    other.cancel().await.unwrap();
}

#[tokio::test]
async fn the_client_user_answers_by_elicitation_first() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let user = User::Answers(json!({"decision": "reject", "reason": "use the sandbox"}));
    let client = Client::new(user);
    let shown = client.shown.clone();
    let session = mcp::stdio(&hub.base, &key, &[], client).await;
    let result = call(
        &session,
        "request_approval",
        json!({"question": "Run the migration on prod?"}),
    )
    .await;
    let outcome = structured(&result);
    assert_eq!(outcome["status"], "rejected");
    assert_eq!(outcome["answer"], "use the sandbox");
    assert_eq!(
        shown.lock().await.as_slice(),
        ["Run the migration on prod?"]
    );
    // Recorded in the hub through its decision path, with its audit.
    let id = outcome["request_id"].as_str().unwrap();
    let audit = common::get_json(&format!("{}/api/v1/requests/{id}/audit", hub.base), &key).await;
    let entries = audit["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.to_string().contains("use the sandbox")),
        "{audit}"
    );
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn the_elicitation_is_withdrawn_when_the_hub_answers_first() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let approver = hub.key("default", "alice");
    let (withdrawn, mut told) = tokio::sync::mpsc::unbounded_channel();
    let session = mcp::stdio(&hub.base, &key, &[], Client::new(User::Waits(withdrawn))).await;
    let asked = tokio::spawn(async move {
        let result = call(
            &session,
            "request_information",
            json!({"question": "Budget code?", "wait_seconds": 60}),
        )
        .await;
        session.cancel().await.unwrap();
        result
    });
    let request = pending_request(&hub.base, &approver).await;
    let id = request["id"].as_str().unwrap();
    let answered = common::post_json(
        &format!("{}/api/v1/requests/{id}/answer", hub.base),
        &approver,
        &json!({"text": "CC-7"}),
    )
    .await;
    assert_eq!(answered["success"], true, "{answered}");
    let outcome = structured(&asked.await.unwrap());
    assert_eq!(
        (outcome["status"].as_str(), outcome["answer"].as_str()),
        (Some("completed"), Some("CC-7"))
    );
    assert_eq!(outcome["responded_by"], "alice");
    let word = tokio::time::timeout(Duration::from_secs(30), told.recv())
        .await
        .unwrap();
    assert_eq!(word.as_deref(), Some("withdrawn"));
}

#[tokio::test]
async fn a_2026_07_28_client_gets_input_required_and_completes_on_retry() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let user = User::Answers(json!({"decision": "approve", "reason": "ok from the IDE"}));
    let lifecycle = || ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    let session = Client::new(user)
        .serve_with_lifecycle(
            rmcp::transport::TokioChildProcess::new({
                let mut c = tokio::process::Command::new(common::GHL);
                c.args(["mcp", "--hub", &hub.base, "--key", &key]);
                c
            })
            .unwrap(),
            lifecycle(),
        )
        .await
        .expect("a 2026-07-28 session");
    let ask = || {
        let arguments = json!({"question": "Ship it?"});
        CallToolRequestParams::new("request_approval")
            .with_arguments(arguments.as_object().unwrap().clone())
    };
    // One round by hand: the server asks for input and seals the request's ids.
    let CallToolResponse::InputRequired(input) = session.call_tool_once(ask()).await.unwrap()
    else {
        panic!("expected input_required")
    };
    let state = input.request_state.clone().expect("a requestState");
    let form = serde_json::to_value(&input.input_requests).unwrap();
    assert_eq!(form["answer"]["method"], "elicitation/create", "{form}");
    // A tampered state is refused, and changes nothing.
    let mut tampered = ask();
    tampered.request_state = Some(format!("{}x", state));
    let refused = session.call_tool_once(tampered).await;
    assert!(
        refused.is_err(),
        "a tampered requestState was taken: {refused:?}"
    );
    // The retry with the user's answer completes.
    let mut retry = ask();
    retry.request_state = Some(state);
    retry.input_responses = Some(
        [("answer".to_owned(), json!({"action": "accept", "content": {"decision": "approve", "reason": "ok from the IDE"}}))]
            .into_iter()
            .collect(),
    );
    let CallToolResponse::Complete(done) = session.call_tool_once(retry).await.unwrap() else {
        panic!("expected a complete result")
    };
    let outcome = structured(&done);
    assert_eq!(
        (outcome["status"].as_str(), outcome["answer"].as_str()),
        (Some("approved"), Some("ok from the IDE"))
    );
    // rmcp's own MRTR loop (fulfil through the handler, retry) gets there too.
    let auto = session.call_tool(ask()).await.unwrap();
    assert_eq!(structured(&auto)["status"], "approved");
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn a_client_with_mcp_tasks_polls_a_task_and_can_cancel_it() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let session = mcp::stdio(&hub.base, &key, &[], Client::polling_tasks()).await;
    let ask = |question: &str| {
        let arguments = json!({"question": question});
        CallToolRequestParams::new("request_approval")
            .with_arguments(arguments.as_object().unwrap().clone())
    };
    let CallToolResponse::Task(created) = session.call_tool_once(ask("Merge PR 7?")).await.unwrap()
    else {
        panic!("expected a task")
    };
    let task_id = created.task.task_id.clone();
    assert_eq!(created.task.poll_interval_ms, Some(2_000));
    let polled = session
        .get_task(GetTaskParams::new(task_id.clone()))
        .await
        .unwrap();
    assert_eq!(polled.task.status(), TaskStatus::Working);
    let request = pending_request(&hub.base, &key).await;
    approve(&hub.base, &key, request["id"].as_str().unwrap(), None).await;
    let done = session.get_task(GetTaskParams::new(task_id)).await.unwrap();
    let TaskPayload::Completed { result } = &done.task.payload else {
        panic!("expected a completed task: {done:?}")
    };
    assert_eq!(result["structuredContent"]["status"], "approved");
    assert_eq!(
        result["structuredContent"]["request_id"],
        request["request_id"]
    );

    let CallToolResponse::Task(second) = session.call_tool_once(ask("Deploy?")).await.unwrap()
    else {
        panic!("expected a task")
    };
    session
        .cancel_task(CancelTaskParams::new(second.task.task_id.clone()))
        .await
        .unwrap();
    let cancelled = session
        .get_task(GetTaskParams::new(second.task.task_id))
        .await
        .unwrap();
    assert_eq!(cancelled.task.status(), TaskStatus::Cancelled);
    let forged = session
        .get_task(GetTaskParams::new("approval:1:nope"))
        .await;
    assert!(forged.is_err());
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_creates_nothing() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let session = mcp::stdio(&hub.base, &key, &[], Client::new(User::Absent)).await;
    let unknown_tool = session
        .call_tool(CallToolRequestParams::new("format_disk").with_arguments(Default::default()))
        .await;
    assert!(unknown_tool
        .unwrap_err()
        .to_string()
        .contains("format_disk"));
    let cases = [
        (
            json!({"question": "x", "colour": "red"}),
            "unknown argument 'colour'",
        ),
        (json!({"question": 42}), "invalid arguments"),
        (json!({}), "missing field `question`"),
        (json!({"question": "x".repeat(300_000)}), "at most 262144"),
    ];
    for (arguments, expected) in cases {
        let result = call(&session, "request_approval", arguments).await;
        assert_eq!(result.is_error, Some(true));
        assert!(
            text(&result).contains(expected),
            "{} lacks {expected}",
            text(&result)
        );
    }
    let listed = common::get_json(&format!("{}/api/v1/requests", hub.base), &key).await;
    assert_eq!(listed["requests"], json!([]), "{listed}");
    session.cancel().await.unwrap();
}
