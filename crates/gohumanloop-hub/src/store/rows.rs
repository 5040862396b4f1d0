//! Reading stored rows back into the hub's records, on every backend: both keep the same
//! columns with the same meaning (text, JSON as text, times as Unix ms in 64-bit integers).

use gohumanloop::model::{LoopType, Status};
use serde_json::Value;
use sqlx::Row;

use crate::record::{ms_to_rfc3339, AuditEntry, KeyInfo, RequestRecord, TaskRecord};
use crate::store::deliveries::{Delivery, DeliveryState};
use crate::store::{StoreError, StoreResult};

/// A backend's row, read by column name.
pub(crate) trait StoredRow {
    /// A text column.
    fn text(&self, column: &str) -> StoreResult<String>;
    /// A nullable text column.
    fn maybe_text(&self, column: &str) -> StoreResult<Option<String>>;
    /// An integer column.
    fn int(&self, column: &str) -> StoreResult<i64>;
    /// A nullable integer column.
    fn maybe_int(&self, column: &str) -> StoreResult<Option<i64>>;
}

macro_rules! stored_row {
    ($row:ty) => {
        impl StoredRow for $row {
            fn text(&self, column: &str) -> StoreResult<String> {
                Ok(self.try_get(column)?)
            }
            fn maybe_text(&self, column: &str) -> StoreResult<Option<String>> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> StoreResult<i64> {
                Ok(self.try_get(column)?)
            }
            fn maybe_int(&self, column: &str) -> StoreResult<Option<i64>> {
                Ok(self.try_get(column)?)
            }
        }
    };
}

stored_row!(sqlx::sqlite::SqliteRow);
#[cfg(feature = "postgres")]
stored_row!(sqlx::postgres::PgRow);

/// The columns [`request`] reads, as a literal to `concat!` into a `SELECT`.
macro_rules! request_columns {
    () => {
        "id, tenant_id, task_id, conversation_id, request_id, platform, loop_type, context, \
         metadata, status, response, feedback, responded_by, responded_at, error, created_at, \
         updated_at, deadline_at, plan, tally"
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
pub(crate) fn status(text: &str) -> StoreResult<Status> {
    text.parse().map_err(|e| corrupt("status", e))
}

/// A stored loop type string.
pub(crate) fn loop_type(text: &str) -> StoreResult<LoopType> {
    text.parse().map_err(|e| corrupt("loop_type", e))
}

/// A `requests` row.
pub(crate) fn request(row: &impl StoredRow) -> StoreResult<RequestRecord> {
    Ok(RequestRecord {
        id: row.text("id")?,
        tenant: row.int("tenant_id")?,
        task_id: row.text("task_id")?,
        conversation_id: row.text("conversation_id")?,
        request_id: row.text("request_id")?,
        platform: row.text("platform")?,
        loop_type: self::loop_type(&row.text("loop_type")?)?,
        context: json(&row.text("context")?)?,
        metadata: json(&row.text("metadata")?)?,
        status: status(&row.text("status")?)?,
        response: optional_json(row.maybe_text("response")?)?,
        feedback: optional_json(row.maybe_text("feedback")?)?,
        responded_by: row.maybe_text("responded_by")?,
        responded_at: row.maybe_text("responded_at")?,
        error: row.maybe_text("error")?,
        created_at: ms_to_rfc3339(row.int("created_at")?),
        updated_at: ms_to_rfc3339(row.int("updated_at")?),
        deadline_at: row.maybe_int("deadline_at")?.map(ms_to_rfc3339),
        plan: optional_json(row.maybe_text("plan")?)?,
        tally: row
            .maybe_text("tally")?
            .map(|text| serde_json::from_str(&text).map_err(|e| corrupt("tally", e)))
            .transpose()?,
    })
}

/// An `audit_log` row.
pub(crate) fn audit(row: &impl StoredRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        seq: row.int("seq")?,
        at: row.text("at")?,
        tenant: row.int("tenant_id")?,
        request: row.text("request")?,
        actor: row.text("actor")?,
        channel: row.text("channel")?,
        old_status: row
            .maybe_text("old_status")?
            .as_deref()
            .map(status)
            .transpose()?,
        new_status: status(&row.text("new_status")?)?,
        detail: row.text("detail")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}

/// An `api_keys` row joined with its tenant's name (`tenant`).
pub(crate) fn key(row: &impl StoredRow) -> StoreResult<KeyInfo> {
    Ok(KeyInfo {
        id: row.int("id")?,
        tenant: row.text("tenant")?,
        name: row.text("name")?,
        prefix: row.text("prefix")?,
        created_at: ms_to_rfc3339(row.int("created_at")?),
        revoked_at: row.maybe_int("revoked_at")?.map(ms_to_rfc3339),
    })
}

/// A `tasks` row.
pub(crate) fn task(row: &impl StoredRow) -> StoreResult<TaskRecord> {
    let task_id = row.text("task_id")?;
    Ok(TaskRecord {
        data: serde_json::json!({
            "task_id": task_id,
            "conversations": json(&row.text("conversations")?)?,
            "timestamp": row.text("sync_timestamp")?,
            "metadata": json(&row.text("sync_metadata")?)?,
        }),
        task_id,
        received_at: ms_to_rfc3339(row.int("received_at")?),
        updates: row.int("updates")?,
    })
}

/// The columns [`delivery`] reads.
pub(crate) const DELIVERY_COLUMNS: &str = "request_id, channel, recipient, state, reference, \
     shown_status, attempts, due_at, last_error, data, delivered_at";

/// A `deliveries` row.
pub(crate) fn delivery(row: &impl StoredRow) -> StoreResult<Delivery> {
    let state = row.text("state")?;
    Ok(Delivery {
        request_id: row.text("request_id")?,
        channel: row.text("channel")?,
        recipient: row.text("recipient")?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery state '{state}'")))?,
        reference: row.maybe_text("reference")?,
        shown_status: row
            .maybe_text("shown_status")?
            .as_deref()
            .map(status)
            .transpose()?,
        attempts: u32::try_from(row.int("attempts")?).unwrap_or(u32::MAX),
        due_at: row.maybe_int("due_at")?,
        last_error: row.maybe_text("last_error")?,
        data: row
            .maybe_text("data")?
            .map(|d| serde_json::from_str(&d))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("delivery data: {e}")))?,
        delivered_at: row.maybe_int("delivered_at")?,
    })
}
