//! The task snapshots aggregate: merged `tasks/sync` uploads.

use async_trait::async_trait;

use super::StoreResult;
use crate::record::{TaskRecord, TaskSummary, TaskVersion, TaskWrite, TenantId};

/// The task snapshots aggregate: merged `tasks/sync` uploads.
#[async_trait]
pub trait Tasks: Send + Sync {
    /// The version of a task snapshot, without its contents (cheap).
    async fn task_version(
        &self,
        tenant: TenantId,
        task_id: &str,
    ) -> StoreResult<Option<TaskVersion>>;

    /// A task snapshot's conversations (a JSON array) and their version, to merge into.
    async fn task_conversations(
        &self,
        tenant: TenantId,
        task_id: &str,
    ) -> StoreResult<Option<(TaskVersion, String)>>;

    /// Stores a merged task snapshot if the stored one is still `write.base` (a new task: if
    /// there is none yet), bumping its version; `false` if another merge came first (merge
    /// again from the new version). Either way nothing else changes.
    async fn put_task(&self, tenant: TenantId, write: TaskWrite) -> StoreResult<bool>;

    /// Up to `limit` of the tenant's task snapshots whose ids sort after `after`, by id.
    async fn task_page(
        &self,
        tenant: TenantId,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<TaskRecord>>;

    /// The summaries of the tenant's `limit` most recently uploaded tasks, newest first, and
    /// how many tasks the tenant has in all (the snapshots themselves are not read out).
    async fn task_summaries(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> StoreResult<(Vec<TaskSummary>, u64)>;

    /// One task snapshot.
    async fn task(&self, tenant: TenantId, task_id: &str) -> StoreResult<Option<TaskRecord>>;
}
