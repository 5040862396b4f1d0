//! `ghl ask --hub`: creates the request on a hub, then long-polls its status until a human
//! (or the hub's deadline) settles it. The hub keeps the request if this process or the hub
//! restarts; this side retries the connection (also while the hub is still starting) for
//! [`Retry::PATIENCE`] before giving up.

use gohumanloop::{HumanLoopResult, LoopType, Status};
use reqwest::Method;
use serde_json::{json, Value};

use crate::ask::{report, AskArgs};
use crate::client::{answer_text, HubClient, Reply, Retry};
use crate::outcome::ERROR;

/// The platform name `ghl ask` gives its requests.
const PLATFORM: &str = "ghl";
/// How long one long-poll lasts.
const WAIT_SECS: &str = "60";

/// Asks on the hub; returns the exit code.
pub async fn ask(args: AskArgs) -> i32 {
    match run(&args).await {
        Ok(result) => {
            let text = answer_text(&result.response);
            report(&result, args.json, &text)
        }
        Err(e) => {
            eprintln!("ghl ask: {e:#}");
            ERROR
        }
    }
}

async fn run(args: &AskArgs) -> anyhow::Result<HumanLoopResult> {
    let client = HubClient::new(&args.hub)?;
    let loop_type = LoopType::from(args.kind);
    let conversation_id = uuid::Uuid::new_v4().to_string();
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut body = json!({
        "task_id": "ghl-ask",
        "conversation_id": conversation_id,
        "request_id": request_id,
        "loop_type": loop_type,
        "context": {"message": args.text},
        "platform": PLATFORM,
        "metadata": {},
    });
    if let Some(secs) = args.timeout {
        body["timeout"] = json!(secs);
    }
    // A create repeated with the same ids and body is accepted once, so it is safe to retry
    // while the hub is still starting or restarting.
    let mut retry = Retry::default();
    let created = loop {
        match client
            .call(Method::POST, "/api/v1/humanloop/request", &[], Some(&body))
            .await
        {
            Ok(reply) if !reply.status.is_server_error() => break reply,
            failed => {
                if !retry.wait().await {
                    anyhow::bail!("cannot create the request: {}", failure(failed));
                }
            }
        }
    };
    if !created.succeeded() {
        anyhow::bail!("the hub refused the request: {}", created.error());
    }
    eprintln!("ghl ask: waiting for a human (request {request_id})");
    let query = [
        ("conversation_id", conversation_id.clone()),
        ("request_id", request_id.clone()),
        ("platform", PLATFORM.to_owned()),
        ("wait", WAIT_SECS.to_owned()),
    ];
    retry = Retry::default();
    loop {
        match client
            .call(Method::GET, "/api/v1/humanloop/status", &query, None)
            .await
        {
            Ok(reply) if reply.succeeded() => {
                retry.succeeded();
                let status = parse_status(&reply)?;
                if status != Status::Pending {
                    return Ok(result(
                        &reply,
                        conversation_id,
                        request_id,
                        loop_type,
                        status,
                    ));
                }
            }
            Ok(reply) if reply.status.is_client_error() => {
                anyhow::bail!("the hub refused the status check: {}", reply.error())
            }
            failed => {
                if !retry.wait().await {
                    anyhow::bail!("gave up waiting: {}", failure(failed));
                }
            }
        }
    }
}

/// Why a call failed: the hub's error, or why it could not be reached.
fn failure(failed: anyhow::Result<Reply>) -> String {
    match failed {
        Ok(reply) => reply.error(),
        Err(e) => format!("{e:#}"),
    }
}

fn parse_status(reply: &Reply) -> anyhow::Result<Status> {
    let text = reply
        .body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("");
    text.parse()
        .map_err(|e| anyhow::anyhow!("the hub sent a bad status: {e}"))
}

fn result(
    reply: &Reply,
    conversation_id: String,
    request_id: String,
    loop_type: LoopType,
    status: Status,
) -> HumanLoopResult {
    let text = |k: &str| reply.body.get(k).and_then(Value::as_str).map(str::to_owned);
    let value = |k: &str| reply.body.get(k).cloned().unwrap_or(Value::Null);
    let mut result = HumanLoopResult::pending(conversation_id, request_id, loop_type);
    result.status = status;
    result.response = value("response");
    result.feedback = value("feedback");
    result.responded_by = text("responded_by");
    result.responded_at = text("responded_at");
    result.error = text("error");
    result
}
