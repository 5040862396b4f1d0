//! The results a gated call ends with when it is not forwarded, written for the model: what
//! happened, who decided, and whether trying again could help.

use gohumanloop::model::wire::StatusResponse;
use gohumanloop::providers::hub::HubError;
use gohumanloop::Status;
use rmcp::model::{CallToolResult, ContentBlock, ErrorData};
use serde_json::{json, Value};

use crate::humans::Ids;

/// An `isError` result with `text` and structured detail.
fn error(text: String, detail: Value) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(detail);
    result
}

/// Rejected, expired, cancelled or failed: the upstream never saw the call.
pub(crate) fn refused(tool: &str, reply: &StatusResponse) -> CallToolResult {
    let reason = reply
        .response
        .as_ref()
        .and_then(|r| r.get("reason"))
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty());
    let by = reply.responded_by.as_deref();
    let what = match reply.status {
        Status::Rejected => format!(
            "A human ({}) rejected the call of `{tool}`{}.",
            by.unwrap_or("an approver"),
            reason.map(|r| format!(": {r}")).unwrap_or_default()
        ),
        Status::Expired => format!("Nobody approved the call of `{tool}` before its deadline."),
        Status::Cancelled => format!("The approval request for `{tool}` was cancelled."),
        other => format!(
            "The approval request for `{tool}` ended as {other}: {}",
            reply.error.as_deref().unwrap_or("no reason given")
        ),
    };
    let text = format!(
        "{what} The call was not made. Retrying the same call will not help: change the plan \
         or ask the user."
    );
    let detail = json!({
        "status": reply.status.to_string(),
        "tool": tool,
        "responded_by": by,
        "reason": reason,
        "error": reply.error,
    });
    error(text, detail)
}

/// The wait ended with no decision: the request stays open.
pub(crate) fn still_waiting(tool: &str, ids: &Ids) -> CallToolResult {
    let text = format!(
        "The call of `{tool}` is waiting for a human's approval (request {}); it has not been \
         made. Make the same call again (same arguments) to keep waiting: it runs once approved.",
        ids.request_id
    );
    let detail = json!({
        "status": "pending",
        "tool": tool,
        "conversation_id": ids.conversation_id,
        "request_id": ids.request_id,
    });
    error(text, detail)
}

/// The approver's edited arguments are not an object.
pub(crate) fn bad_edit(tool: &str) -> CallToolResult {
    let text = format!(
        "The approval of `{tool}` came with edited arguments that are not a JSON object; the \
         call was not made."
    );
    error(text, json!({"status": "error", "tool": tool}))
}

/// The hub could not take the approval request (or be reached): nothing was forwarded.
pub(crate) fn hub_failed(tool: &str, e: &HubError) -> CallToolResult {
    let text = format!(
        "The call of `{tool}` needs a human's approval, but the hub could not take the request: \
         {e}. The call was not made."
    );
    error(text, json!({"status": "error", "tool": tool}))
}

/// The upstream server failed (crashed, hung, or cannot be started).
pub(crate) fn upstream_failed(tool: &str, why: &str) -> CallToolResult {
    let text = format!("The MCP server behind the gateway could not run `{tool}`: {why}.");
    error(text, json!({"status": "error", "tool": tool, "error": why}))
}

/// The upstream refused the call with a protocol error (e.g. an unknown tool).
pub(crate) fn upstream_refused(tool: &str, e: &ErrorData) -> CallToolResult {
    let text = format!(
        "The MCP server behind the gateway refused `{tool}`: {}",
        e.message
    );
    error(
        text,
        json!({"status": "error", "tool": tool, "error": e.message}),
    )
}
