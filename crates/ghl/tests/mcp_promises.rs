//! Promises of `ghl mcp` and `ghl mcp gateway` (README, "MCP") that the other MCP tests do not
//! hold to: `--no-elicit` turns the elicitation bridge off (the question goes to the hub's
//! channels only); the gateway passes its upstream's resources and prompts through unchanged;
//! a gated call whose approval request expires or is cancelled ends as an `isError` result,
//! and the upstream never sees it.
//!
//! Driven by rmcp's client against a real `ghl serve`; the upstream is
//! `tests/mcp/catalog_server.py`, built with the official Python SDK (`mcp`, in the test venv),
//! which tells which gated calls reached it (its read-only tool `recorded`).

mod common;
mod mcp;

use std::time::Duration;

use common::{get_json, post_json, HubProcess, GHL};
use gohumanloop_testkit::until;
use mcp::{approve, call, structured, text, Client, User};
use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams};
use rmcp::service::{Peer, RunningService, ServiceError};
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};

/// The upstream MCP server of these tests.
const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/catalog_server.py");

/// A bound for waits that end at once when things work (it only bounds a hang).
const BOUND: Duration = Duration::from_secs(60);

/// `ghl mcp gateway --hub … --key … FLAGS -- python catalog_server.py`, with `client`.
async fn gateway(
    hub: &HubProcess,
    key: &str,
    flags: &[&str],
    python: &str,
    client: Client,
) -> RunningService<RoleClient, Client> {
    let mut command = tokio::process::Command::new(GHL);
    command
        .args(["mcp", "gateway", "--hub", &hub.base, "--key", key])
        .args(flags)
        .args(["--", python, CATALOG]);
    let transport = TokioChildProcess::new(command).expect("the gateway starts");
    client
        .serve(transport)
        .await
        .expect("an MCP session with the gateway")
}

/// The catalogue server over stdio, straight (no gateway).
async fn direct(python: &str) -> RunningService<RoleClient, ()> {
    let mut command = tokio::process::Command::new(python);
    command.arg(CATALOG).stderr(std::process::Stdio::null());
    let transport = TokioChildProcess::new(command).expect("the catalogue server starts");
    ().serve(transport)
        .await
        .expect("an MCP session with the catalogue server")
}

/// Every request of the tenant of `key`, whatever its status, newest first.
async fn requests(base: &str, key: &str) -> Vec<Value> {
    let page = get_json(&format!("{base}/api/v1/requests"), key).await;
    page["requests"].as_array().cloned().unwrap_or_default()
}

/// The request whose approved call would pass `arguments`, once the hub has it (bounded).
async fn request_for(base: &str, key: &str, arguments: &Value) -> Value {
    let what = format!("the approval request for {arguments}");
    until(&what, BOUND, || async {
        requests(base, key)
            .await
            .into_iter()
            .find(|r| &r["context"]["function"]["arguments"] == arguments)
    })
    .await
}

/// The notes the upstream's `record` got (its read-only `recorded`, which the gateway passes).
async fn seen_upstream(session: &RunningService<RoleClient, Client>) -> String {
    let result = call(session, "recorded", json!({})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    text(&result)
}

/// A client whose user rejects every form at once, with `reason`.
fn rejecting_user(reason: &str) -> Client {
    Client::new(User::Answers(
        json!({"decision": "reject", "reason": reason}),
    ))
}

/// "`--no-elicit` turns it off" (README, MCP: the elicitation bridge), for the gateway: without
/// the flag a gated call asks the client's user (who rejects it here, so it never runs); with
/// it the same user is never asked, and the call waits for the hub, whose approver approves it
/// — and the upstream runs it.
///
/// Checked by making `ghl mcp gateway` ignore the flag (`elicit: true` in
/// `ghl/src/mcp.rs::run_gateway`): fails, the client's user rejects the call before the hub's
/// approver (`approve` gets 409).
#[tokio::test]
async fn the_gateway_without_elicitation_asks_only_the_hub() {
    let Some(python) = common::python_with("mcp") else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let approver = hub.key("default", "alice");

    // Without the flag: the client's user is asked, and decides.
    let client = rejecting_user("not on my shelf");
    let shown = client.shown.clone();
    let session = gateway(&hub, &key, &["--wait", "60"], &python, client).await;
    let result = call(&session, "record", json!({"note": "first"})).await;
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert_eq!(structured(&result)["status"], "rejected", "{result:?}");
    assert!(text(&result).contains("not on my shelf"), "{result:?}");
    assert_eq!(shown.lock().await.len(), 1, "the client's user was asked");
    assert_eq!(seen_upstream(&session).await, "", "a rejected call ran");
    session.cancel().await.unwrap();

    // With --no-elicit: the same user is never asked; the hub's approver decides.
    let client = rejecting_user("not on my shelf");
    let shown = client.shown.clone();
    let flags = ["--wait", "60", "--no-elicit"];
    let session = gateway(&hub, &key, &flags, &python, client).await;
    let asked = tokio::spawn(async move {
        let result = call(&session, "record", json!({"note": "second"})).await;
        (session, result)
    });
    let request = request_for(&hub.base, &approver, &json!({"note": "second"})).await;
    let decided = approve(&hub.base, &approver, request["id"].as_str().unwrap(), None).await;
    assert_eq!(
        decided["success"], true,
        "the hub's approver decided first: {decided}"
    );
    let (session, result) = asked.await.unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert!(text(&result).contains("recorded: second"), "{result:?}");
    assert!(
        shown.lock().await.is_empty(),
        "--no-elicit showed the client's user a form: {:?}",
        shown.lock().await
    );
    assert_eq!(seen_upstream(&session).await, "second");
    session.cancel().await.unwrap();
}

/// "`--no-elicit` turns it off" (README, MCP: the elicitation bridge), for the ask-a-human
/// tools of `ghl mcp`: without the flag the client's user answers `request_approval` by a
/// form; with it the same user is never asked and the hub's approver answers.
///
/// Checked by making `ghl mcp` ignore the flag (`elicit: true` in `ghl/src/mcp.rs::run`):
/// fails, the client's user rejects before the hub's approver (`approve` gets 409).
#[tokio::test]
async fn the_ask_tools_without_elicitation_ask_only_the_hub() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let approver = hub.key("default", "alice");
    let question = |q: &str| json!({"question": q, "wait_seconds": 60});

    // Without the flag: the client's user answers by the form.
    let client = rejecting_user("from the client");
    let shown = client.shown.clone();
    let session = mcp::stdio(&hub.base, &key, &[], client).await;
    let result = call(&session, "request_approval", question("Ship v1?")).await;
    let outcome = structured(&result);
    assert_eq!(outcome["status"], "rejected", "{result:?}");
    assert_eq!(outcome["answer"], "from the client");
    assert_eq!(shown.lock().await.as_slice(), ["Ship v1?"]);
    session.cancel().await.unwrap();

    // With --no-elicit: the hub's approver answers; the client's user sees nothing.
    let client = rejecting_user("from the client");
    let shown = client.shown.clone();
    let session = mcp::stdio(&hub.base, &key, &["--no-elicit"], client).await;
    let asked = tokio::spawn(async move {
        let result = call(&session, "request_approval", question("Ship v2?")).await;
        session.cancel().await.unwrap();
        result
    });
    let request = until("the question in the hub", BOUND, || async {
        requests(&hub.base, &approver)
            .await
            .into_iter()
            .find(|r| r["context"]["question"] == "Ship v2?")
    })
    .await;
    let decided = approve(&hub.base, &approver, request["id"].as_str().unwrap(), None).await;
    assert_eq!(
        decided["success"], true,
        "the hub's approver decided first: {decided}"
    );
    let outcome = structured(&asked.await.unwrap());
    assert_eq!(outcome["status"], "approved", "{outcome:?}");
    assert_eq!(outcome["responded_by"], "alice");
    assert!(
        shown.lock().await.is_empty(),
        "--no-elicit showed the client's user a form: {:?}",
        shown.lock().await
    );
}

/// The JSON of any serialisable MCP value, for comparing what two servers served.
fn json_of(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("MCP values serialise")
}

/// Resource `uri` as `peer` serves it, as JSON.
async fn read(peer: &Peer<RoleClient>, uri: &str) -> Value {
    let read = peer.read_resource(ReadResourceRequestParams::new(uri));
    json_of(&read.await.unwrap_or_else(|e| panic!("{uri}: {e}")))
}

/// Prompt `name` with `arguments` (an object) as `peer` serves it, as JSON.
async fn prompt(peer: &Peer<RoleClient>, name: &str, arguments: Option<Value>) -> Value {
    let mut params = GetPromptRequestParams::new(name);
    params.arguments = arguments.and_then(|a| a.as_object().cloned());
    let got = peer.get_prompt(params).await;
    json_of(&got.unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// The protocol error of a failed call.
fn mcp_error(error: ServiceError) -> Value {
    match error {
        ServiceError::McpError(e) => {
            json!({"code": e.code.0, "message": e.message, "data": e.data})
        }
        other => panic!("not a protocol error: {other}"),
    }
}

/// "Its tools, resources and prompts pass through unchanged" (README, the gateway): listing
/// the resources, the resource templates and the prompts, reading each resource (text, binary,
/// from a template), getting each prompt and asking for an unknown resource give through the
/// gateway exactly what the upstream gives straight; none of it asks a human.
///
/// Checked by making the gateway's `read_resource` wrap the upstream's error in an internal
/// error instead of relaying it (`gohumanloop-mcp/src/gateway/mod.rs`): fails, the unknown
/// resource's error is -32603 "upstream: …" where the upstream says -32602 "Unknown resource".
#[tokio::test]
async fn the_gateway_passes_resources_and_prompts_through_unchanged() {
    let Some(python) = common::python_with("mcp") else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let theirs = direct(&python).await;
    let ours = gateway(&hub, &key, &[], &python, Client::new(User::Absent)).await;

    let info = ours.peer_info().expect("the gateway introduced itself");
    assert!(
        info.capabilities.resources.is_some() && info.capabilities.prompts.is_some(),
        "the gateway hides the upstream's resources or prompts: {:?}",
        info.capabilities
    );

    let listed = json_of(&theirs.list_all_resources().await.unwrap());
    assert_eq!(json_of(&ours.list_all_resources().await.unwrap()), listed);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["rules", "logo"], "{listed}");
    let templates = json_of(&theirs.list_all_resource_templates().await.unwrap());
    assert_eq!(
        json_of(&ours.list_all_resource_templates().await.unwrap()),
        templates
    );
    assert_eq!(
        templates[0]["uriTemplate"], "catalog://shelves/{shelf}",
        "{templates}"
    );

    for uri in ["catalog://rules", "catalog://logo", "catalog://shelves/a"] {
        let upstream = read(theirs.peer(), uri).await;
        assert_eq!(read(ours.peer(), uri).await, upstream, "{uri}");
        let contents = &upstream["contents"][0];
        let expected = match uri {
            "catalog://rules" => contents["text"]
                .as_str()
                .unwrap()
                .contains("Label every box"),
            "catalog://logo" => contents["blob"] == "iVBORw0KGgoA/w==",
            _ => contents["text"].as_str().unwrap().contains("\"a-2\""),
        };
        assert!(expected, "{uri}: {upstream}");
    }
    let unknown = ReadResourceRequestParams::new("catalog://nothing-here");
    let upstream = mcp_error(theirs.read_resource(unknown.clone()).await.unwrap_err());
    assert_eq!(
        mcp_error(ours.read_resource(unknown).await.unwrap_err()),
        upstream
    );

    let prompts = json_of(&theirs.list_all_prompts().await.unwrap());
    assert_eq!(json_of(&ours.list_all_prompts().await.unwrap()), prompts);
    assert_eq!(prompts.as_array().map(Vec::len), Some(2), "{prompts}");
    let review = json!({"shelf": "b", "strict": "yes"});
    for (name, arguments) in [("review", Some(review)), ("hello", None)] {
        let upstream = prompt(theirs.peer(), name, arguments.clone()).await;
        assert_eq!(
            prompt(ours.peer(), name, arguments).await,
            upstream,
            "{name}"
        );
        assert!(
            !upstream["messages"].as_array().unwrap().is_empty(),
            "{upstream}"
        );
    }
    let review = prompt(ours.peer(), "review", Some(json!({"shelf": "c"}))).await;
    assert_eq!(
        review["messages"][0]["content"]["text"], "Review shelf c. Strict: no.",
        "{review}"
    );

    assert!(
        requests(&hub.base, &key).await.is_empty(),
        "reading resources or prompts asked a human"
    );
    theirs.cancel().await.unwrap();
    ours.cancel().await.unwrap();
}

/// "Rejected, expired or cancelled: an `isError` result saying who and why …; the upstream
/// never sees it" (README, the gateway), for the expiry: a gated call whose request reaches
/// the gateway's `--deadline` (1 s, the promise's own case) unanswered ends as `isError` with
/// status `expired`, and the upstream never got it.
///
/// Checked by letting the gateway forward every settled request but a rejected one
/// (`reply.status == Status::Rejected` for `!= Status::Approved` in
/// `gohumanloop-mcp/src/gateway/mod.rs::decided`): fails, the upstream recorded the call.
#[tokio::test]
async fn an_expired_gated_call_is_an_error_and_never_reaches_the_upstream() {
    let Some(python) = common::python_with("mcp") else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let flags = ["--wait", "60", "--deadline", "1"];
    let session = gateway(&hub, &key, &flags, &python, Client::new(User::Absent)).await;
    let result = call(&session, "record", json!({"note": "too late"})).await;
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert_eq!(structured(&result)["status"], "expired", "{result:?}");
    let said = text(&result);
    assert!(said.contains("before its deadline"), "{said}");
    assert!(said.contains("will not help"), "{said}");
    let asked = requests(&hub.base, &key).await;
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["status"], "expired", "{asked:?}");
    assert_eq!(
        seen_upstream(&session).await,
        "",
        "the upstream got an expired call"
    );
    session.cancel().await.unwrap();
}

/// "Rejected, expired or cancelled: an `isError` result …; the upstream never sees it"
/// (README, the gateway), for a cancellation: a gated call whose request is cancelled in the
/// hub while the call waits ends as `isError` with status `cancelled`, and the upstream never
/// got it.
///
/// Checked as the expiry's test (forward all but rejections in `decided`): fails, the upstream
/// recorded the call.
#[tokio::test]
async fn a_cancelled_gated_call_is_an_error_and_never_reaches_the_upstream() {
    let Some(python) = common::python_with("mcp") else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let approver = hub.key("default", "alice");
    let session = gateway(
        &hub,
        &key,
        &["--wait", "60"],
        &python,
        Client::new(User::Absent),
    )
    .await;
    let arguments = json!({"note": "withdrawn"});
    let sent = arguments.clone();
    let asked = tokio::spawn(async move {
        let result = call(&session, "record", sent).await;
        (session, result)
    });
    let request = request_for(&hub.base, &approver, &arguments).await;
    let id = request["id"].as_str().unwrap();
    let cancelled = post_json(
        &format!("{}/api/v1/requests/{id}/cancel", hub.base),
        &approver,
        &json!({}),
    )
    .await;
    assert_eq!(cancelled["success"], true, "{cancelled}");
    let (session, result) = asked.await.unwrap();
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert_eq!(structured(&result)["status"], "cancelled", "{result:?}");
    let said = text(&result);
    assert!(said.contains("was cancelled"), "{said}");
    assert!(said.contains("will not help"), "{said}");
    assert_eq!(
        seen_upstream(&session).await,
        "",
        "the upstream got a cancelled call"
    );
    session.cancel().await.unwrap();
}
