//! What a tool tells the agent about a request: the structured result (with its schema) and a
//! sentence for clients that show only text.

use gohumanloop::model::wire::StatusResponse;
use gohumanloop::{LoopType, Status};
use rmcp::model::{CallToolResult, ContentBlock};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::humans::Ids;

/// Where a request stands, as every asking tool returns it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Outcome {
    /// `pending` (no answer yet: resume with `check_request`), `approved`, `rejected`,
    /// `completed` (information given; conversation ended), `inprogress` (the human replied and
    /// the conversation goes on), `expired`, `cancelled` or `error`.
    pub(crate) status: String,
    /// `approval`, `information` or `conversation`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) loop_type: Option<String>,
    /// The conversation (pass it to `check_request`, `continue_conversation`).
    pub(crate) conversation_id: String,
    /// The request (pass it to `check_request`, `cancel_request`).
    pub(crate) request_id: String,
    /// For an approval that is settled: whether the call may go ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) approved: Option<bool>,
    /// The human's words: the information, the reply, or the reason of a decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) answer: Option<String>,
    /// For an approval: the arguments as the human edited them (use these, not your own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) arguments: Option<Value>,
    /// Who answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) responded_by: Option<String>,
    /// When (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) responded_at: Option<String>,
    /// The hub's whole response, any JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response: Option<Value>,
    /// Why the request ended without an answer, or what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// For `pending`: what to call to go on waiting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resume: Option<Resume>,
}

/// The call that resumes a wait.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Resume {
    /// Always `check_request`.
    pub(crate) tool: String,
    /// Its arguments.
    pub(crate) arguments: Map<String, Value>,
}

impl Outcome {
    /// The outcome of `ids` from the hub's status reply.
    pub(crate) fn new(ids: &Ids, reply: StatusResponse) -> Self {
        let response = reply.response.filter(|r| !r.is_null());
        let text = |key: &str| {
            response
                .as_ref()
                .and_then(|r| r.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        // A request named by a caller (check_request) is an approval if it was decided as one.
        let approval = ids.loop_type == Some(LoopType::Approval)
            || (ids.loop_type.is_none()
                && response
                    .as_ref()
                    .is_some_and(|r| r.get("decision").is_some()));
        let approved = approval
            .then_some(reply.status)
            .and_then(|status| match status {
                Status::Approved => Some(true),
                Status::Pending | Status::InProgress => None,
                _ => Some(false),
            });
        let answer = text("information")
            .or_else(|| text("message"))
            .or_else(|| text("reason"))
            .or_else(|| response.as_ref().and_then(Value::as_str).map(str::to_owned));
        let arguments = response.as_ref().and_then(|r| r.get("arguments")).cloned();
        let resume = (reply.status == Status::Pending).then(|| Resume {
            tool: "check_request".into(),
            arguments: [
                ("conversation_id", &ids.conversation_id),
                ("request_id", &ids.request_id),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.clone())))
            .collect(),
        });
        Self {
            status: reply.status.to_string(),
            loop_type: ids.loop_type.map(|t| t.as_str().to_owned()),
            conversation_id: ids.conversation_id.clone(),
            request_id: ids.request_id.clone(),
            approved,
            answer,
            arguments,
            responded_by: reply.responded_by,
            responded_at: reply.responded_at,
            response,
            error: reply.error,
            resume,
        }
    }

    /// One sentence for the model to read.
    pub(crate) fn sentence(&self) -> String {
        let by = self
            .responded_by
            .as_deref()
            .map(|who| format!(" by {who}"))
            .unwrap_or_default();
        let words = self
            .answer
            .as_deref()
            .map(|a| format!(": {a}"))
            .unwrap_or_default();
        match self.status.as_str() {
            "pending" => format!(
                "No answer yet; the request stays open and the human can still answer. To keep \
                 waiting call check_request with conversation_id \"{}\" and request_id \"{}\".",
                self.conversation_id, self.request_id
            ),
            "approved" if self.arguments.is_some() => {
                format!("Approved{by}, with edited arguments (use them){words}")
            }
            "approved" => format!("Approved{by}{words}"),
            "rejected" => format!("Rejected{by}{words}"),
            "completed" | "inprogress" => format!("Answered{by}{words}"),
            "expired" => "Nobody answered before the deadline (expired).".into(),
            "cancelled" => "The request was cancelled.".into(),
            other => format!(
                "The request ended as {other}: {}",
                self.error.as_deref().unwrap_or("no reason given")
            ),
        }
    }

    /// The tool result: structured content and the sentence.
    pub(crate) fn result(&self) -> CallToolResult {
        let mut result = CallToolResult::success(vec![ContentBlock::text(self.sentence())]);
        result.structured_content = serde_json::to_value(self).ok();
        result
    }
}
