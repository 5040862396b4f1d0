//! The ask-a-human tools' inputs, with the JSON Schemas MCP clients see. Unknown fields are
//! refused against the schema (see [`crate::ask::checked`]): serde cannot deny them next to a
//! flattened field.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

/// How long the human has and how long this call waits (shared by every asking tool).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub(crate) struct Timing {
    /// Seconds this call waits for the answer before it returns `pending` (the request stays
    /// open: resume with `check_request`). Default: the server's; at most its maximum.
    #[schemars(range(min = 0, max = 3600))]
    pub(crate) wait_seconds: Option<u64>,
    /// Seconds the human has before the request expires. Default: no deadline.
    #[schemars(range(min = 1, max = 31_536_000))]
    pub(crate) timeout_seconds: Option<u64>,
    /// Routing and pass-through data for the hub, e.g. `{"channels": ["slack"]}`.
    pub(crate) metadata: Option<Map<String, Value>>,
}

/// `request_approval`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ApprovalParams {
    /// What the human is asked to approve, as one clear sentence.
    #[schemars(length(min = 1, max = 10_000))]
    pub(crate) question: String,
    /// More detail for the human: why, what could go wrong.
    pub(crate) context: Option<String>,
    /// The function (tool) that will run once approved, shown to the human.
    pub(crate) function_name: Option<String>,
    /// Its arguments, shown to the human, who may edit them: use the approved `arguments`.
    pub(crate) arguments: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub(crate) timing: Timing,
}

/// `request_information`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct InformationParams {
    /// The question for the human.
    #[schemars(length(min = 1, max = 10_000))]
    pub(crate) question: String,
    /// More detail for the human.
    pub(crate) context: Option<String>,
    #[serde(flatten)]
    pub(crate) timing: Timing,
}

/// `start_conversation`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct StartParams {
    /// The agent's first message to the human.
    #[schemars(length(min = 1, max = 10_000))]
    pub(crate) message: String,
    #[serde(flatten)]
    pub(crate) timing: Timing,
}

/// `continue_conversation`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ContinueParams {
    /// The conversation, as `start_conversation` returned it.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) conversation_id: String,
    /// The agent's next message.
    #[schemars(length(min = 1, max = 10_000))]
    pub(crate) message: String,
    #[serde(flatten)]
    pub(crate) timing: Timing,
}

/// `check_request`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct CheckParams {
    /// The conversation of the request.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) conversation_id: String,
    /// The request.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) request_id: String,
    /// Seconds to wait for an answer if there is none yet (0: just look). Default: the
    /// server's; at most its maximum.
    #[schemars(range(min = 0, max = 3600))]
    pub(crate) wait_seconds: Option<u64>,
}

/// `cancel_request`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct CancelParams {
    /// The conversation of the request.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) conversation_id: String,
    /// The request to withdraw.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) request_id: String,
}

/// What the user did in the MCP Apps view.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ViewAction {
    /// Approve (approval requests).
    Approve,
    /// Reject, with the reason in `text`.
    Reject,
    /// Answer (information requests), with the answer in `text`.
    Answer,
    /// Reply (conversations), with the reply in `text`.
    Reply,
    /// Reply and end the conversation.
    Complete,
}

/// `answer_request` (the MCP Apps view's own tool).
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct AnswerParams {
    /// The conversation of the request.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) conversation_id: String,
    /// The request.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) request_id: String,
    /// What the user did.
    pub(crate) action: ViewAction,
    /// The reason, answer or reply.
    #[serde(default)]
    pub(crate) text: String,
}
