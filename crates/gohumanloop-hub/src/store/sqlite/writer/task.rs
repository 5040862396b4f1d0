//! Storing a merged task snapshot, if the stored one is still the version it was merged from.
//! The merge itself happens before, off the writer (see `crate::tasks`): here only the bytes
//! are written.

use sqlx::SqliteConnection;

use crate::record::{now_ms, TaskWrite, TenantId};
use crate::store::StoreResult;

/// Stores `write`; `false` if the stored version is not `write.base`.
pub async fn put_task(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    write: &TaskWrite,
) -> StoreResult<bool> {
    let done =
        match (write.base, &write.conversations) {
            (None, conversations) => {
                sqlx::query(
                    "INSERT INTO tasks (tenant_id, task_id, conversations, received_at, updates, \
                 sync_timestamp, sync_metadata, upload_digest) VALUES (?, ?, ?, ?, 1, ?, ?, ?) \
                 ON CONFLICT (tenant_id, task_id) DO NOTHING",
                )
                .bind(tenant)
                .bind(&write.task_id)
                .bind(conversations.as_deref().unwrap_or("[]"))
                .bind(now_ms())
                .bind(&write.timestamp)
                .bind(&write.metadata)
                .bind(&write.digest)
                .execute(&mut *conn)
                .await?
            }
            // No conversations: an unchanged re-send, which keeps the stored ones.
            (Some(base), conversations) => sqlx::query(
                "UPDATE tasks SET conversations = coalesce(?, conversations), received_at = ?, \
                 updates = updates + 1, sync_timestamp = ?, sync_metadata = ?, upload_digest = ? \
                 WHERE tenant_id = ? AND task_id = ? AND updates = ?",
            )
            .bind(conversations.as_deref())
            .bind(now_ms())
            .bind(&write.timestamp)
            .bind(&write.metadata)
            .bind(&write.digest)
            .bind(tenant)
            .bind(&write.task_id)
            .bind(base)
            .execute(&mut *conn)
            .await?,
        };
    Ok(done.rows_affected() == 1)
}
