//! Storing a merged task snapshot in the PostgreSQL writer's transaction, if the stored one is
//! still the version it was merged from.

use sqlx::PgConnection;

use crate::record::{now_ms, TaskWrite, TenantId};
use crate::store::StoreResult;

/// Stores `write`; `false` if the stored version is not `write.base`.
pub(crate) async fn put_task(
    conn: &mut PgConnection,
    tenant: TenantId,
    write: &TaskWrite,
) -> StoreResult<bool> {
    let done = match write.base {
        None => {
            sqlx::query(
                "INSERT INTO tasks (tenant_id, task_id, conversations, received_at, updates, \
                 sync_timestamp, sync_metadata, upload_digest) VALUES ($1, $2, $3, $4, 1, $5, $6, $7) \
                 ON CONFLICT (tenant_id, task_id) DO NOTHING",
            )
            .bind(tenant)
            .bind(&write.task_id)
            .bind(write.conversations.as_deref().unwrap_or("[]"))
            .bind(now_ms())
            .bind(&write.timestamp)
            .bind(&write.metadata)
            .bind(&write.digest)
            .execute(&mut *conn)
            .await?
        }
        // No conversations: an unchanged re-send, which keeps the stored ones.
        Some(base) => {
            sqlx::query(
                "UPDATE tasks SET conversations = coalesce($1, conversations), received_at = $2, \
                 updates = updates + 1, sync_timestamp = $3, sync_metadata = $4, upload_digest = $5 \
                 WHERE tenant_id = $6 AND task_id = $7 AND updates = $8",
            )
            .bind(write.conversations.as_deref())
            .bind(now_ms())
            .bind(&write.timestamp)
            .bind(&write.metadata)
            .bind(&write.digest)
            .bind(tenant)
            .bind(&write.task_id)
            .bind(base)
            .execute(&mut *conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}
