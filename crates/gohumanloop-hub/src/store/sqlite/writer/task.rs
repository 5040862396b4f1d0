//! Merging a `tasks/sync` upload into the stored snapshot.

use gohumanloop::model::wire::TaskSync;
use sqlx::SqliteConnection;

use crate::record::{now_ms, TenantId};
use crate::store::{StoreError, StoreResult};
use crate::tasks::merge_snapshot;

/// Merges the upload; `true` if the task was known before.
pub async fn sync_task(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    snapshot: &TaskSync,
) -> StoreResult<bool> {
    let stored: Option<(String, i64)> =
        sqlx::query_as("SELECT data, updates FROM tasks WHERE tenant_id = ? AND task_id = ?")
            .bind(tenant)
            .bind(&snapshot.task_id)
            .fetch_optional(&mut *conn)
            .await?;
    let known = stored.is_some();
    let (data, updates) = match stored {
        Some((text, updates)) => (
            Some(serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            updates,
        ),
        None => (None, 0),
    };
    let merged = merge_snapshot(data, snapshot);
    sqlx::query(
        "INSERT INTO tasks (tenant_id, task_id, data, received_at, updates) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (tenant_id, task_id) DO UPDATE SET data = excluded.data, \
         received_at = excluded.received_at, updates = excluded.updates",
    )
    .bind(tenant)
    .bind(&snapshot.task_id)
    .bind(merged.to_string())
    .bind(now_ms())
    .bind(updates + 1)
    .execute(&mut *conn)
    .await?;
    Ok(known)
}
