//! What comes back: `HumanLoopResult`, and the history entries of a conversation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{LoopType, Status};

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// The outcome (or current state) of one request.
///
/// `response` and `feedback` are arbitrary JSON: the terminal answers with a string, servers
/// send objects or strings. Both default to `{}` as in the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanLoopResult {
    /// The dialogue the request belongs to.
    pub conversation_id: String,
    /// The request (`""` when a conversation was not found).
    pub request_id: String,
    /// What kind of interaction.
    pub loop_type: LoopType,
    /// Where the request stands.
    pub status: Status,
    /// The human's answer.
    #[serde(default = "empty_object")]
    pub response: Value,
    /// Extra remarks from the human or the channel.
    #[serde(default = "empty_object")]
    pub feedback: Value,
    /// Who answered.
    #[serde(default)]
    pub responded_by: Option<String>,
    /// When they answered (ISO 8601 text, as servers send it).
    #[serde(default)]
    pub responded_at: Option<String>,
    /// What went wrong, for `error` and `expired`.
    #[serde(default)]
    pub error: Option<String>,
}

impl HumanLoopResult {
    /// A `pending` result with empty answer fields.
    pub fn pending(
        conversation_id: impl Into<String>,
        request_id: impl Into<String>,
        loop_type: LoopType,
    ) -> Self {
        Self {
            conversation_id: conversation_id.into(),
            request_id: request_id.into(),
            loop_type,
            status: Status::Pending,
            response: empty_object(),
            feedback: empty_object(),
            responded_by: None,
            responded_at: None,
            error: None,
        }
    }

    /// An `error` result carrying `message`.
    pub fn error(
        conversation_id: impl Into<String>,
        request_id: impl Into<String>,
        loop_type: LoopType,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status: Status::Error,
            error: Some(message.into()),
            ..Self::pending(conversation_id, request_id, loop_type)
        }
    }

    /// The response as text: the string itself, or compact JSON for anything else.
    pub fn response_text(&self) -> String {
        match &self.response {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        }
    }
}

/// One turn of a conversation as `conversation_history` lists it (the original's keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The turn's request id.
    pub request_id: String,
    /// Where that turn stands.
    pub status: Status,
    /// What the human was shown.
    pub context: super::JsonObject,
    /// The human's answer.
    pub response: Value,
    /// Who answered.
    pub responded_by: Option<String>,
    /// When they answered.
    pub responded_at: Option<String>,
}
