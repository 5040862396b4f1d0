//! The HTTP wire bodies of the original protocol (`/api/v1/humanloop/*`), key for key.
//!
//! Shared by the API client providers and the hub so that both sides agree on one definition.
//! See the protocol reference, §2.3 (client), §4.3 (task sync) and §8 (cheat-sheet).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{JsonObject, LoopType, Status};

/// A response header of `GET …/status` on servers that honour the `wait` query parameter
/// (our extension: `wait=SECONDS` returns as soon as the request leaves `pending`). Clients
/// long-poll only where they saw it; other servers are polled at the original cadence.
pub const LONG_POLL_HEADER: &str = "x-ghl-long-poll";

/// `POST /api/v1/humanloop/request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateRequestBody {
    /// The business task.
    pub task_id: String,
    /// The dialogue.
    pub conversation_id: String,
    /// Client-minted UUID4.
    pub request_id: String,
    /// What kind of interaction.
    pub loop_type: LoopType,
    /// What the human sees.
    pub context: JsonObject,
    /// `metadata.platform`, else the client's default platform.
    pub platform: String,
    /// The caller's metadata exactly as given.
    #[serde(default)]
    pub metadata: JsonObject,
    /// Seconds until the hub moves the request to `expired` (our extension; the original never
    /// sends it, and clients that cannot add fields may put it in `metadata.timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// `POST /api/v1/humanloop/continue` (no `loop_type`: it is always `conversation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContinueRequestBody {
    /// The dialogue being continued.
    pub conversation_id: String,
    /// A new client-minted UUID4 for this turn.
    pub request_id: String,
    /// The task of the conversation's first request.
    pub task_id: String,
    /// What the human sees.
    pub context: JsonObject,
    /// The platform.
    pub platform: String,
    /// The caller's metadata.
    #[serde(default)]
    pub metadata: JsonObject,
    /// Seconds until the hub expires this turn (our extension, as in [`CreateRequestBody`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// `POST /api/v1/humanloop/cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelRequestBody {
    /// The dialogue.
    pub conversation_id: String,
    /// The request to cancel.
    pub request_id: String,
    /// The platform stored with that request.
    pub platform: String,
}

/// `POST /api/v1/humanloop/resume` (the hub's, not the original's): claims the one resume of an
/// answered request, waiting up to `wait` seconds for the answer first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeRequestBody {
    /// The dialogue.
    pub conversation_id: String,
    /// The request to resume from.
    pub request_id: String,
    /// The platform stored with that request.
    pub platform: String,
    /// Seconds (0–300) to wait for an answer before replying `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<u64>,
}

/// The reply of `POST /api/v1/humanloop/resume`: the request's state, and whether this call
/// claimed its resume (`true` once per answered request, for whoever asks first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeResponse {
    /// Where the request stands, as `/status` says it.
    #[serde(flatten)]
    pub state: StatusResponse,
    /// `true` for the one call that claimed the resume; `false` while the request is pending
    /// and for every call after the first.
    #[serde(default)]
    pub claimed: bool,
}

/// `POST /api/v1/humanloop/cancel_conversation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelConversationBody {
    /// The dialogue to cancel.
    pub conversation_id: String,
    /// The platform of the conversation's first request.
    pub platform: String,
}

/// The query of `GET /api/v1/humanloop/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusQuery {
    /// The dialogue.
    pub conversation_id: String,
    /// The request.
    pub request_id: String,
    /// The platform.
    pub platform: String,
}

/// The generic reply of every POST endpoint: `{"success": …, "error": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse {
    /// Must be `true` for the client to count the call as a success (absent means `false`).
    #[serde(default)]
    pub success: bool,
    /// Shown to the user when `success` is false.
    #[serde(default)]
    pub error: Option<String>,
}

/// The reply of `GET /api/v1/humanloop/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// `false` for soft failures such as an unknown request.
    #[serde(default)]
    pub success: bool,
    /// Where the request stands (absent means `pending`).
    #[serde(default = "pending")]
    pub status: Status,
    /// The human's answer, any JSON.
    #[serde(default)]
    pub response: Option<Value>,
    /// Extra remarks, any JSON.
    #[serde(default)]
    pub feedback: Option<Value>,
    /// Who answered (a string on the wire).
    #[serde(default)]
    pub responded_by: Option<String>,
    /// When they answered (ISO text).
    #[serde(default)]
    pub responded_at: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub error: Option<String>,
}

fn pending() -> Status {
    Status::Pending
}

/// `POST /api/v1/humanloop/tasks/sync`: a snapshot of one task, sent again and again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSync {
    /// The task.
    pub task_id: String,
    /// Its conversations.
    pub conversations: Vec<SyncConversation>,
    /// When the snapshot was taken (the original sends naive local ISO time).
    pub timestamp: String,
    /// Where the snapshot comes from.
    pub metadata: SyncMetadata,
}

/// One conversation in a task snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncConversation {
    /// The dialogue.
    pub conversation_id: String,
    /// The provider the conversation is pinned to (the original client sometimes sends `null`
    /// for cancelled conversations; the original hub refused those uploads).
    #[serde(default)]
    pub provider_id: Option<String>,
    /// Its requests.
    pub requests: Vec<SyncRequest>,
}

/// One request in a task snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The request.
    pub request_id: String,
    /// Where it stands.
    pub status: Status,
    /// What kind of interaction.
    pub loop_type: LoopType,
    /// The answer (`{}` when none yet).
    pub response: Value,
    /// Extra remarks.
    #[serde(default)]
    pub feedback: Option<Value>,
    /// Who answered.
    #[serde(default)]
    pub responded_by: Option<String>,
    /// When they answered.
    #[serde(default)]
    pub responded_at: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub error: Option<String>,
}

/// The `metadata` of a task snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncMetadata {
    /// `gohumanloop-<version>`.
    pub source: String,
    /// The client's local IP address.
    pub client_ip: String,
    /// `<OS> <release>`.
    pub user_agent: String,
}
