//! What an agent asks: `HumanLoopRequest`, plus the JSON-object aliases for context and metadata.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::LoopType;

/// A JSON object: what the human sees (`context`) or routing data (`metadata`).
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// One request to a human, as the manager hands it to callbacks.
///
/// Field names and defaults are the original's (`metadata` `{}`, `request_id`, `timeout` and
/// `created_at` absent). Unlike the original, the manager always fills in `request_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanLoopRequest {
    /// The business task this request belongs to.
    pub task_id: String,
    /// The dialogue this request is a turn of.
    pub conversation_id: String,
    /// What kind of interaction.
    pub loop_type: LoopType,
    /// What the human sees: `message`, `question`, `additional`, `function`, or anything else.
    pub context: JsonObject,
    /// Routing data (`platform`, `recipient_email`, …), passed through unchanged.
    #[serde(default)]
    pub metadata: JsonObject,
    /// The client-minted request id (UUID4).
    #[serde(default)]
    pub request_id: Option<String>,
    /// Seconds until the request expires; `None` or `0` means never.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// When the request was made (RFC 3339 on the wire).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
}

impl HumanLoopRequest {
    /// A request with empty metadata and no id, timeout or creation time.
    pub fn new(
        task_id: impl Into<String>,
        conversation_id: impl Into<String>,
        loop_type: LoopType,
        context: JsonObject,
    ) -> Self {
        Self {
            task_id: task_id.into(),
            conversation_id: conversation_id.into(),
            loop_type,
            context,
            metadata: JsonObject::new(),
            request_id: None,
            timeout: None,
            created_at: None,
        }
    }

    /// The effective timeout: `None` when absent or zero (the original tests truthiness).
    pub fn effective_timeout(&self) -> Option<std::time::Duration> {
        self.timeout
            .filter(|&secs| secs > 0)
            .map(std::time::Duration::from_secs)
    }
}

/// A fresh UUID4 string, the form the original uses for every id it mints.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The current time as RFC 3339 text (UTC), the form `responded_at` takes.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
