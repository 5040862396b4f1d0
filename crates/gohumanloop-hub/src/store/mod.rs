//! Where the hub keeps everything: the [`Store`] trait and its backends.
//!
//! A store acknowledges a write only once it is committed. Every status change goes through
//! [`Store::transition`], a single conditional write, and is appended to the audit log in the
//! same transaction.

mod accounts;
pub mod deliveries;
pub mod email;
pub mod feed;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::audit::ChainCheck;
use crate::record::{
    AuditEntry, ConversationWindow, CreateOutcome, KeyInfo, KeyOwner, NewRequest, RequestFilter,
    RequestKey, RequestRecord, StatusCount, TaskRecord, TaskSummary, TaskVersion, TaskWrite,
    TenantId, Transition, TransitionOutcome,
};

pub use accounts::Accounts;
pub use deliveries::{Attempt, Deliveries, Delivery, DeliveryState};
pub use email::{LinkUse, MailLog, MailRecord, SendOutcome};
pub use feed::Change;
pub use sqlite::SqliteStore;

/// A store failure: the database could not be reached or refused the operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back, or the database failed its integrity check.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database cannot take writes now (a read-only file, a full disk, an I/O error); the
    /// message holds the details, for the operator's log.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database URL names no backend this build has.
    #[error("unsupported database URL '{0}' (use sqlite://PATH)")]
    UnsupportedUrl(String),
    /// The store's writer has stopped (the hub is shutting down).
    #[error("the store is shutting down")]
    Closed,
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A request that is waiting for its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// When (Unix ms).
    pub at: i64,
    /// The owning tenant.
    pub tenant: TenantId,
    /// The hub's id of the request.
    pub id: String,
}

/// Durable storage for requests, keys, task snapshots, the audit log and (through
/// [`Accounts`]) the web inbox's accounts and (through [`MailLog`]) the email channel's mails.
#[async_trait]
pub trait Store: Accounts + MailLog + Deliveries + Send + Sync + 'static {
    // --- health ---------------------------------------------------------------------------

    /// Checks the database before it is served: its structure is intact (a quick integrity
    /// check: [`StoreError::Corrupt`]) and it can be written ([`StoreError::Unavailable`]).
    async fn verify(&self) -> StoreResult<()>;

    /// Whether writes go through: `false` after a write failed, until one succeeds again.
    fn writable(&self) -> bool;

    // --- requests -------------------------------------------------------------------------

    /// Stores a new request (idempotent for an identical repeat; see [`CreateOutcome`]).
    async fn create(&self, request: NewRequest) -> StoreResult<CreateOutcome>;

    /// Changes a request's status if, and only if, its current status may become `to`
    /// (one conditional write; the first change wins, later ones get `Conflict`).
    async fn transition(&self, change: Transition) -> StoreResult<TransitionOutcome>;

    /// A request by its protocol identity.
    async fn find(&self, key: &RequestKey) -> StoreResult<Option<RequestRecord>>;

    /// The turns of a conversation around the request with the hub's id `around` (not it): up
    /// to `each_side` turns before and after it (oldest first), and how many turns lie beyond
    /// them. Empty if the tenant has no such request.
    async fn conversation_window(
        &self,
        tenant: TenantId,
        conversation_id: &str,
        around: &str,
        each_side: u32,
    ) -> StoreResult<ConversationWindow>;

    /// A request by the hub's id, or by its client `request_id` when that is unambiguous.
    async fn get(&self, tenant: TenantId, id: &str) -> StoreResult<Vec<RequestRecord>>;

    /// Requests matching a filter, newest first.
    async fn list(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
    ) -> StoreResult<Vec<RequestRecord>>;

    /// A page of requests matching a filter, newest first, that arrived before the position
    /// `before` (from an earlier page; `None`: from the newest), skipping `offset` of them
    /// first. Each comes with its own position, to ask for the next page with. With an
    /// `offset` of 0 the cost does not grow with how deep the page is.
    async fn page(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
        before: Option<i64>,
    ) -> StoreResult<Vec<(i64, RequestRecord)>>;

    /// How many requests these tenants have together, per status and type.
    async fn counts(&self, tenants: &[TenantId]) -> StoreResult<Vec<StatusCount>>;

    /// A request by the hub's id alone, whatever its tenant (the caller checks who may see it).
    async fn by_id(&self, id: &str) -> StoreResult<Option<RequestRecord>>;

    /// Up to `limit` `pending` requests whose deadline is at or before `now` (Unix ms),
    /// earliest first. Deadlines are read as they fall due, never held in memory.
    async fn due(&self, now: i64, limit: u32) -> StoreResult<Vec<Deadline>>;

    /// The earliest deadline of any `pending` request (Unix ms).
    async fn next_deadline(&self) -> StoreResult<Option<i64>>;

    // --- change feed ----------------------------------------------------------------------

    /// A receiver of every change committed from now on ([`feed`]), each published after its
    /// commit and before its write is acknowledged. A receiver that lags must read the store
    /// again.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>>;

    /// The `seq` of the last change published (0: none yet).
    fn published(&self) -> u64;

    // --- audit ----------------------------------------------------------------------------

    /// The audit entries of one request, oldest first.
    async fn audit_trail(&self, tenant: TenantId, id: &str) -> StoreResult<Vec<AuditEntry>>;

    /// Checks the whole audit chain.
    async fn verify_audit(&self) -> StoreResult<ChainCheck>;

    // --- task snapshots -------------------------------------------------------------------

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

    // --- keys -----------------------------------------------------------------------------

    /// Stores a key (by its hash) for a tenant, creating the tenant if needed.
    async fn add_key(
        &self,
        tenant: &str,
        name: &str,
        prefix: &str,
        key_hash: &str,
    ) -> StoreResult<KeyInfo>;

    /// Every key, revoked ones included.
    async fn keys(&self) -> StoreResult<Vec<KeyInfo>>;

    /// Revokes a key by id or prefix; `false` if none matched or it was already revoked.
    async fn revoke_key(&self, id_or_prefix: &str) -> StoreResult<bool>;

    /// The owner of a live key with this hash.
    async fn key_owner(&self, key_hash: &str) -> StoreResult<Option<KeyOwner>>;
}

/// When a committed change is safe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// On disk before it is acknowledged: survives a crash of the machine or a power loss.
    #[default]
    Full,
    /// Written to the database before it is acknowledged and on disk soon after: survives a
    /// crash of the hub (kill -9); a power loss may undo the last moments (SQLite WAL with
    /// `synchronous=NORMAL`).
    Normal,
}

/// How to open a store.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOptions {
    /// When a committed change is safe.
    pub durability: Durability,
}

/// Opens the store a URL names (`sqlite://PATH`, created if missing), schema up to date.
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    open_with(url, StoreOptions::default()).await
}

/// [`open`] with options.
pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url, options).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
