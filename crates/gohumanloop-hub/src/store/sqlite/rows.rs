//! Reading SQLite rows back into the hub's records.

use gohumanloop::model::{LoopType, Status};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::record::{ms_to_rfc3339, AuditEntry, KeyInfo, RequestRecord, TaskRecord};
use crate::store::{StoreError, StoreResult};

/// The columns [`request`] reads, as a literal to `concat!` into a `SELECT`.
macro_rules! request_columns {
    () => {
        "id, tenant_id, task_id, conversation_id, request_id, platform, loop_type, context, \
         metadata, status, response, feedback, responded_by, responded_at, error, created_at, \
         updated_at, deadline_at"
    };
}
pub(crate) use request_columns;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn json(text: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|e| corrupt("JSON column", e))
}

fn optional_json(text: Option<String>) -> StoreResult<Option<Value>> {
    text.as_deref().map(json).transpose()
}

/// A stored status string.
pub fn status(text: &str) -> StoreResult<Status> {
    text.parse().map_err(|e| corrupt("status", e))
}

/// A stored loop type string.
pub fn loop_type(text: &str) -> StoreResult<LoopType> {
    text.parse().map_err(|e| corrupt("loop_type", e))
}

/// A `requests` row.
pub fn request(row: &SqliteRow) -> StoreResult<RequestRecord> {
    let loop_type: String = row.try_get("loop_type")?;
    let status_text: String = row.try_get("status")?;
    let context: String = row.try_get("context")?;
    let metadata: String = row.try_get("metadata")?;
    let deadline: Option<i64> = row.try_get("deadline_at")?;
    Ok(RequestRecord {
        id: row.try_get("id")?,
        tenant: row.try_get("tenant_id")?,
        task_id: row.try_get("task_id")?,
        conversation_id: row.try_get("conversation_id")?,
        request_id: row.try_get("request_id")?,
        platform: row.try_get("platform")?,
        loop_type: self::loop_type(&loop_type)?,
        context: json(&context)?,
        metadata: json(&metadata)?,
        status: status(&status_text)?,
        response: optional_json(row.try_get("response")?)?,
        feedback: optional_json(row.try_get("feedback")?)?,
        responded_by: row.try_get("responded_by")?,
        responded_at: row.try_get("responded_at")?,
        error: row.try_get("error")?,
        created_at: ms_to_rfc3339(row.try_get("created_at")?),
        updated_at: ms_to_rfc3339(row.try_get("updated_at")?),
        deadline_at: deadline.map(ms_to_rfc3339),
    })
}

/// An `audit_log` row.
pub fn audit(row: &SqliteRow) -> StoreResult<AuditEntry> {
    let old: Option<String> = row.try_get("old_status")?;
    let new: String = row.try_get("new_status")?;
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        tenant: row.try_get("tenant_id")?,
        request: row.try_get("request")?,
        actor: row.try_get("actor")?,
        channel: row.try_get("channel")?,
        old_status: old.as_deref().map(status).transpose()?,
        new_status: status(&new)?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// An `api_keys` row joined with its tenant's name.
pub fn key(row: &SqliteRow) -> StoreResult<KeyInfo> {
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    Ok(KeyInfo {
        id: row.try_get("id")?,
        tenant: row.try_get("tenant")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_at: ms_to_rfc3339(row.try_get("created_at")?),
        revoked_at: revoked.map(ms_to_rfc3339),
    })
}

/// A `tasks` row.
pub fn task(row: &SqliteRow) -> StoreResult<TaskRecord> {
    let task_id: String = row.try_get("task_id")?;
    let conversations: String = row.try_get("conversations")?;
    let metadata: String = row.try_get("sync_metadata")?;
    let timestamp: String = row.try_get("sync_timestamp")?;
    Ok(TaskRecord {
        data: serde_json::json!({
            "task_id": task_id,
            "conversations": json(&conversations)?,
            "timestamp": timestamp,
            "metadata": json(&metadata)?,
        }),
        task_id,
        received_at: ms_to_rfc3339(row.try_get("received_at")?),
        updates: row.try_get("updates")?,
    })
}
