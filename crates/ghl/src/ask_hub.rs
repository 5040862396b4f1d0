//! `ghl ask --hub`: creates the request on a hub, then long-polls its status until a human
//! (or the hub's deadline) settles it. The hub keeps the request if this process or the hub
//! restarts; this side retries the connection (also while the hub is still starting) for
//! [`Retry::PATIENCE`] before giving up.

use std::time::Duration;

use anyhow::Context;
use gohumanloop::model::wire::{CreateRequestBody, StatusQuery, StatusResponse};
use gohumanloop::model::JsonObject;
use gohumanloop::providers::hub::HubError;
use gohumanloop::{HumanLoopResult, LoopType, Status};
use serde_json::Value;

use crate::ask::{finish, AskArgs};
use crate::client::{answer_text, Retry};
use crate::outcome::ERROR;

/// The platform name `ghl ask` gives its requests.
const PLATFORM: &str = "ghl";
/// How long one long-poll lasts.
const WAIT: Duration = Duration::from_secs(60);

/// Asks on the hub; returns the exit code.
pub async fn ask(args: AskArgs) -> i32 {
    match run(&args).await {
        Ok(result) => {
            let text = answer_text(&result.response);
            finish(&args, &result, &text)
        }
        Err(e) => {
            eprintln!("ghl ask: {e:#}");
            ERROR
        }
    }
}

async fn run(args: &AskArgs) -> anyhow::Result<HumanLoopResult> {
    let client = args.hub.client()?;
    let loop_type = LoopType::from(args.kind);
    let conversation_id = uuid::Uuid::new_v4().to_string();
    let request_id = uuid::Uuid::new_v4().to_string();
    let context = args.context();
    let body = CreateRequestBody {
        task_id: "ghl-ask".into(),
        conversation_id: conversation_id.clone(),
        request_id: request_id.clone(),
        loop_type,
        context,
        platform: PLATFORM.into(),
        metadata: JsonObject::new(),
        timeout: args.timeout,
    };
    // A create repeated with the same ids and body is accepted once, so it is safe to retry
    // while the hub is still starting or restarting.
    let mut retry = Retry::default();
    loop {
        match client.create(&body).await {
            Ok(()) => break,
            Err(e) if e.is_transient() => {
                if !retry.wait().await {
                    return Err(e).context("cannot create the request");
                }
            }
            Err(e) => anyhow::bail!("the hub refused the request: {e}"),
        }
    }
    eprintln!("ghl ask: waiting for a human (request {request_id})");
    let query = StatusQuery {
        conversation_id: conversation_id.clone(),
        request_id: request_id.clone(),
        platform: PLATFORM.into(),
    };
    retry = Retry::default();
    loop {
        match client.status(&query, Some(WAIT)).await {
            Ok(reply) => {
                retry.succeeded();
                if reply.status != Status::Pending {
                    return Ok(result(reply, conversation_id, request_id, loop_type));
                }
            }
            Err(e) if e.is_refusal() => {
                anyhow::bail!("the hub refused the status check: {e}")
            }
            Err(e @ HubError::BadReply { .. }) => anyhow::bail!("the hub sent a bad status: {e}"),
            // Unreachable, 5xx, or the soft "not found" of a hub that lost the request.
            Err(e) => {
                if !retry.wait().await {
                    return Err(e).context("gave up waiting");
                }
            }
        }
    }
}

fn result(
    reply: StatusResponse,
    conversation_id: String,
    request_id: String,
    loop_type: LoopType,
) -> HumanLoopResult {
    let mut result = HumanLoopResult::pending(conversation_id, request_id, loop_type);
    result.status = reply.status;
    result.response = reply.response.unwrap_or(Value::Null);
    result.feedback = reply.feedback.unwrap_or(Value::Null);
    result.responded_by = reply.responded_by;
    result.responded_at = reply.responded_at;
    result.error = reply.error;
    result
}
