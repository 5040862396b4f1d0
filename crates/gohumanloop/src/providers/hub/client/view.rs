//! A request as the answering API shows it, one with its conversation, and its audit entries.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{LoopType, Status};

/// A request as the hub shows it (`GET /api/v1/requests…` and every answer's reply). Times are
/// RFC 3339 text, UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    /// The hub's id (what `ghl respond` and the answering API take).
    pub id: String,
    /// The business task.
    pub task_id: String,
    /// The dialogue.
    pub conversation_id: String,
    /// The client-minted request id.
    pub request_id: String,
    /// The platform the client named.
    pub platform: String,
    /// What kind of interaction.
    pub loop_type: LoopType,
    /// What the human sees.
    pub context: Value,
    /// Routing and pass-through data.
    pub metadata: Value,
    /// Where it stands.
    pub status: Status,
    /// The human's answer.
    #[serde(default)]
    pub response: Option<Value>,
    /// Extra remarks.
    #[serde(default)]
    pub feedback: Option<Value>,
    /// Who answered.
    #[serde(default)]
    pub responded_by: Option<String>,
    /// When they answered.
    #[serde(default)]
    pub responded_at: Option<String>,
    /// What went wrong, or why it ended without an answer.
    #[serde(default)]
    pub error: Option<String>,
    /// When it arrived.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// When the hub expires it, if it has a deadline.
    #[serde(default)]
    pub deadline_at: Option<String>,
}

/// `GET /api/v1/requests/{id}`: the request and the newest turns of its conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    /// The request.
    pub request: RequestView,
    /// The newest turns of its conversation (at most 100), oldest first.
    pub history: Vec<RequestView>,
    /// Where the older turns continue, if there are any: list them with
    /// [`ListFilter::conversation`](super::ListFilter::conversation) and this as `before`.
    #[serde(default)]
    pub history_before: Option<String>,
}

/// One entry of a request's audit trail (`GET /api/v1/requests/{id}/audit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the hub's log.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// The hub's id of the request.
    pub request: String,
    /// Who made the change (a key's, account's or address's name; `hub` for a deadline).
    pub actor: String,
    /// Which way it came (`api`, `web`, `email`, `compat`, `deadline`, …).
    pub channel: String,
    /// The status before (`None` for the create).
    #[serde(default)]
    pub old_status: Option<Status>,
    /// The status after.
    pub new_status: Status,
    /// The answer or reason, as compact JSON.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}
