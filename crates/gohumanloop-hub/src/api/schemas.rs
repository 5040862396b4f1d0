//! Schema-only types of the OpenAPI document ([`super::openapi`]): the shapes of replies the
//! handlers build with `json!`, and of the library's wire bodies (`gohumanloop::model`, which
//! does not depend on utoipa). Nothing here is (de)serialised; the unit tests below check the
//! mirrored shapes against the real ones.

#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

pub use crate::record::schema_names::{LoopTypeName, StatusName};
use crate::record::{AuditEntry, RequestRecord};

/// Every failure: `success:false` and an `error` message.
#[derive(ToSchema)]
#[schema(as = Error, example = json!({"success": false, "error": "Request not found: 42"}))]
pub struct ErrorBody {
    /// Always `false`.
    #[schema(value_type = bool, example = false)]
    success: bool,
    /// What went wrong.
    error: String,
}

/// 409: someone answered first; `status`, `responded_by` and `responded_at` name the winner.
#[derive(ToSchema)]
#[schema(as = Conflict)]
pub struct ConflictBody {
    /// Always `false`.
    success: bool,
    /// What went wrong.
    error: String,
    /// The winner's status.
    status: StatusName,
    /// Who answered first.
    responded_by: Option<String>,
    /// When they answered (RFC 3339).
    responded_at: Option<String>,
}

/// The generic reply of the original protocol: `success:true`, or HTTP 200 with
/// `success:false` and `error` for soft failures.
#[derive(ToSchema)]
#[schema(as = Generic, example = json!({"success": true, "error": null}))]
pub struct GenericReply {
    /// `false` for soft failures.
    success: bool,
    /// Why it failed.
    error: Option<String>,
}

/// `POST /api/v1/humanloop/request` (`gohumanloop::model::wire::CreateRequestBody`).
#[derive(ToSchema)]
#[schema(as = CreateRequest, example = json!({"task_id": "deploy", "conversation_id": "c1",
    "request_id": "r1", "loop_type": "approval", "context": {"message": "Deploy to prod?"},
    "platform": "api", "metadata": {}, "timeout": 3600}))]
pub struct CreateRequest {
    /// The business task.
    #[schema(max_length = 255)]
    task_id: String,
    /// The dialogue.
    #[schema(max_length = 255)]
    conversation_id: String,
    /// Client-minted id (UUID4).
    #[schema(max_length = 255)]
    request_id: String,
    /// What kind of interaction.
    loop_type: LoopTypeName,
    /// What the human sees.
    #[schema(value_type = Object)]
    context: Value,
    /// The platform.
    #[schema(max_length = 255)]
    platform: String,
    /// Passed through; `timeout` (seconds) sets a deadline.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    /// Seconds until the hub expires the request (0: none).
    #[schema(minimum = 0, maximum = 31536000)]
    timeout: Option<u64>,
}

/// `POST /api/v1/humanloop/continue` (`gohumanloop::model::wire::ContinueRequestBody`; no
/// `loop_type`: it is always `conversation`).
#[derive(ToSchema)]
#[schema(as = ContinueRequest)]
pub struct ContinueRequest {
    /// The dialogue being continued.
    conversation_id: String,
    /// A new client-minted id for this turn.
    request_id: String,
    /// The task of the conversation's first request.
    task_id: String,
    /// What the human sees.
    #[schema(value_type = Object)]
    context: Value,
    /// The platform.
    platform: String,
    /// Passed through.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    /// Seconds until the hub expires this turn (0: none).
    #[schema(minimum = 0, maximum = 31536000)]
    timeout: Option<u64>,
}

/// `POST /api/v1/humanloop/cancel` (`gohumanloop::model::wire::CancelRequestBody`).
#[derive(ToSchema)]
#[schema(as = CancelRequest)]
pub struct CancelRequest {
    /// The dialogue.
    conversation_id: String,
    /// The request to cancel.
    request_id: String,
    /// The platform stored with that request.
    platform: String,
}

/// `POST /api/v1/humanloop/cancel_conversation`
/// (`gohumanloop::model::wire::CancelConversationBody`).
#[derive(ToSchema)]
#[schema(as = CancelConversation)]
pub struct CancelConversation {
    /// The dialogue to cancel.
    conversation_id: String,
    /// The platform of the conversation's first request.
    platform: String,
}

/// The reply of `GET /api/v1/humanloop/status` (`gohumanloop::model::wire::StatusResponse`).
#[derive(ToSchema)]
#[schema(as = StatusReply, example = json!({"success": true, "status": "approved",
    "response": {"decision": "approved", "reason": "ok"}, "feedback": null,
    "responded_by": "alice", "responded_at": "2026-01-31T12:00:00Z", "error": null}))]
pub struct StatusReply {
    /// `false` for soft failures such as an unknown request (then `status` is `pending`).
    success: bool,
    /// Where the request stands.
    status: StatusName,
    /// The human's answer, any JSON.
    response: Option<Value>,
    /// Extra remarks, any JSON.
    feedback: Option<Value>,
    /// Who answered.
    responded_by: Option<String>,
    /// When they answered (RFC 3339).
    responded_at: Option<String>,
    /// What went wrong.
    error: Option<String>,
}

/// `POST /api/v1/humanloop/resume` (`gohumanloop::model::wire::ResumeRequestBody`).
#[derive(ToSchema)]
#[schema(as = ResumeRequest, example = json!({"conversation_id": "c1", "request_id": "r1",
    "platform": "api", "wait": 60}))]
pub struct ResumeRequest {
    /// The dialogue.
    conversation_id: String,
    /// The request to resume from.
    request_id: String,
    /// The platform stored with that request.
    platform: String,
    /// Seconds (0–300) to wait for an answer first.
    #[schema(minimum = 0, maximum = 300)]
    wait: Option<u64>,
}

/// The reply of `POST /api/v1/humanloop/resume` (`gohumanloop::model::wire::ResumeResponse`).
#[derive(ToSchema)]
#[schema(as = ResumeReply, example = json!({"success": true, "status": "approved",
    "response": {"decision": "approved"}, "feedback": null, "responded_by": "alice",
    "responded_at": "2026-01-31T12:00:00Z", "error": null, "claimed": true}))]
pub struct ResumeReply {
    /// `false` for an unknown request.
    success: bool,
    /// Where the request stands.
    status: StatusName,
    /// The human's answer, any JSON.
    response: Option<Value>,
    /// Extra remarks, any JSON.
    feedback: Option<Value>,
    /// Who answered.
    responded_by: Option<String>,
    /// When they answered (RFC 3339).
    responded_at: Option<String>,
    /// What went wrong.
    error: Option<String>,
    /// `true` for the one call that claimed the resume.
    claimed: bool,
}

/// `POST /api/v1/humanloop/tasks/sync`: a snapshot of one task
/// (`gohumanloop::model::wire::TaskSync`).
#[derive(ToSchema)]
#[schema(as = TaskSync)]
pub struct TaskSyncBody {
    /// The task.
    task_id: String,
    /// Its conversations: `{conversation_id, provider_id, requests: [{request_id, status,
    /// loop_type, response, feedback, responded_by, responded_at, error}]}`, merged by id.
    #[schema(value_type = Vec<Object>)]
    conversations: Vec<Value>,
    /// When the snapshot was taken.
    timestamp: String,
    /// Where the snapshot comes from: `{source, client_ip, user_agent}`.
    #[schema(value_type = Object)]
    metadata: Value,
}

/// 201 of `tasks/sync`.
#[derive(ToSchema)]
pub struct SyncReply {
    /// `true`.
    success: bool,
    /// `null`.
    error: Option<String>,
    /// The task merged, and whether the stored snapshot changed.
    data: SyncData,
}

/// What a sync merged.
#[derive(ToSchema)]
pub struct SyncData {
    /// The task.
    task_id: String,
    /// Whether the stored snapshot changed.
    updated: bool,
}

/// A stored task snapshot as the API shows it.
#[derive(ToSchema)]
pub struct TaskEntry {
    /// The merged snapshot.
    #[schema(value_type = Object)]
    data: Value,
    /// When the last upload arrived (RFC 3339).
    received_at: String,
    /// How many uploads were merged.
    updates: i64,
}

/// `GET /api/v1/humanloop/tasks`: snapshots by task id.
#[derive(ToSchema)]
pub struct TaskList {
    /// `true`.
    success: bool,
    /// `null`.
    error: Option<String>,
    /// task_id → snapshot.
    tasks: std::collections::BTreeMap<String, TaskEntry>,
    /// How many snapshots this reply holds.
    count: u64,
    /// Pass as `after` for the next reply; `null`: the list is complete.
    next: Option<String>,
}

/// `GET /api/v1/humanloop/tasks/{task_id}`.
#[derive(ToSchema)]
pub struct TaskReply {
    /// `true` (`false` with `error` for an unknown task).
    success: bool,
    /// Why it failed.
    error: Option<String>,
    /// The snapshot.
    task: Option<TaskEntry>,
}

/// `GET /api/v1/requests`: requests, newest first.
#[derive(ToSchema)]
pub struct RequestList {
    /// `true`.
    success: bool,
    /// `null`.
    error: Option<String>,
    /// The requests.
    requests: Vec<RequestRecord>,
    /// How many requests this reply holds.
    count: u64,
    /// Pass as `before` for the next reply; `null`: the list is complete.
    next: Option<String>,
}

/// `GET /api/v1/requests/{id}`: the request and the newest turns of its conversation.
#[derive(ToSchema)]
pub struct RequestDetail {
    /// `true`.
    success: bool,
    /// `null`.
    error: Option<String>,
    /// The request.
    request: RequestRecord,
    /// The conversation's newest turns, oldest first (this request included).
    history: Vec<RequestRecord>,
    /// Where the older turns continue; `null`: the history is complete.
    history_before: Option<String>,
}

/// `GET /api/v1/requests/{id}/audit`.
#[derive(ToSchema)]
pub struct AuditReply {
    /// `true`.
    success: bool,
    /// `null`.
    error: Option<String>,
    /// The request's audit entries, oldest first.
    entries: Vec<AuditEntry>,
}

/// An answer recorded: the request as it is now.
#[derive(ToSchema)]
pub struct Recorded {
    /// `true`.
    success: bool,
    /// `null`.
    error: Option<String>,
    /// The request after the answer.
    request: RequestRecord,
}

/// `GET /health` and `GET /ready`.
#[derive(ToSchema)]
#[schema(example = json!({"status": "ok", "database": "reachable"}))]
pub struct Health {
    /// `ok` (`/health`) or `ready` (`/ready`); `unavailable` (503, with `success:false` and
    /// `error`) while the database does not answer or does not take writes.
    #[schema(value_type = String, example = "ok")]
    status: String,
    /// `/health` only: `reachable` or `unreachable` (one round trip, at most 2 s).
    database: Option<String>,
    /// 503 only: `false`.
    success: Option<bool>,
    /// 503 only: why.
    error: Option<String>,
}

#[cfg(test)]
pub(crate) mod tests {
    use gohumanloop::model::wire::{
        CancelConversationBody, CancelRequestBody, ContinueRequestBody, CreateRequestBody,
        ResumeRequestBody, ResumeResponse, StatusResponse, SyncMetadata, TaskSync,
    };
    use gohumanloop::model::{JsonObject, LoopType, Status};
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::RefOr;

    use super::*;

    /// The property names of a schema, sorted.
    fn properties<T: ToSchema>() -> Vec<String> {
        match T::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            _ => panic!("{} is not an object", T::name()),
        }
    }

    /// The keys of a value serialised, sorted.
    pub(crate) fn keys(value: impl serde::Serialize) -> Vec<String> {
        let mut keys: Vec<String> = serde_json::to_value(value)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_mirrored_wire_bodies_have_the_librarys_keys() {
        let s = String::new;
        let create = CreateRequestBody {
            task_id: s(),
            conversation_id: s(),
            request_id: s(),
            loop_type: LoopType::Approval,
            context: JsonObject::new(),
            platform: s(),
            metadata: JsonObject::new(),
            timeout: Some(1),
        };
        assert_eq!(keys(&create), properties::<CreateRequest>());
        let next = ContinueRequestBody {
            conversation_id: s(),
            request_id: s(),
            task_id: s(),
            context: JsonObject::new(),
            platform: s(),
            metadata: JsonObject::new(),
            timeout: Some(1),
        };
        assert_eq!(keys(&next), properties::<ContinueRequest>());
        let cancel = CancelRequestBody {
            conversation_id: s(),
            request_id: s(),
            platform: s(),
        };
        assert_eq!(keys(&cancel), properties::<CancelRequest>());
        let cancel = CancelConversationBody {
            conversation_id: s(),
            platform: s(),
        };
        assert_eq!(keys(&cancel), properties::<CancelConversation>());
        let status = StatusResponse {
            success: true,
            status: Status::Pending,
            response: None,
            feedback: None,
            responded_by: None,
            responded_at: None,
            error: None,
        };
        assert_eq!(keys(&status), properties::<StatusReply>());
        let resume = ResumeRequestBody {
            conversation_id: s(),
            request_id: s(),
            platform: s(),
            wait: Some(1),
        };
        assert_eq!(keys(&resume), properties::<ResumeRequest>());
        let resumed = ResumeResponse {
            state: status,
            claimed: true,
        };
        assert_eq!(keys(&resumed), properties::<ResumeReply>());
        let sync = TaskSync {
            task_id: s(),
            conversations: Vec::new(),
            timestamp: s(),
            metadata: SyncMetadata {
                source: s(),
                client_ip: s(),
                user_agent: s(),
            },
        };
        assert_eq!(keys(&sync), properties::<TaskSyncBody>());
    }
}
