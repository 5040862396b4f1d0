//! The embedded store: one SQLite file in WAL mode. Reads use a small pool; all writes go through
//! one writer task that commits them in groups (see `writer`).

mod accounts;
mod deliveries;
mod grants;
mod links;
mod triage;
mod writer;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, QueryBuilder, Row, Sqlite};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::feed::ChangeFeed;
use super::feed::{Change, FeedObserver, FeedSender};
use super::rows::{self, request_columns};
use super::write::Command;
use super::{
    Audit, Cursor, Deadline, Durability, Keys, Requests, Store, StoreError, StoreOptions,
    StoreResult, Tasks, Urgency,
};
use crate::audit::{ChainCheck, ChainVerifier};
use crate::record::{
    ms_to_rfc3339, now_ms, AuditEntry, ConversationWindow, CreateOutcome, KeyInfo, KeyOwner,
    NewRequest, RequestFilter, RequestKey, RequestRecord, StatusCount, TaskRecord, TaskSummary,
    TaskVersion, TaskWrite, TenantId, Transition, TransitionOutcome,
};

/// How many audit entries `verify_audit` reads at a time.
const AUDIT_PAGE: i64 = 2_000;

/// The SQLite store. Cheap to share behind an `Arc`; the writer task ends when it is dropped.
pub struct SqliteStore {
    pool: SqlitePool,
    writer: mpsc::Sender<Command>,
    /// Set by the writer after each batch: whether it committed.
    writable: Arc<AtomicBool>,
    /// Where the writer publishes what it committed.
    feed: Arc<FeedSender>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH`) and brings its
    /// schema up to date.
    pub async fn open(url: &str, store: StoreOptions) -> StoreResult<Self> {
        let synchronous = match store.durability {
            // The WAL is fsynced by every commit, before the hub acknowledges it.
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Statement journals and sorts in memory: on disk, every write batch created,
            // opened and unlinked a temporary file (four system calls and a file of its own).
            .pragma("temp_store", "memory")
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let connection = options.connect().await?;
        let (writer, inbox) = mpsc::channel(4096);
        let writable = Arc::new(AtomicBool::new(true));
        let feed = Arc::new(FeedSender::default());
        tokio::spawn(writer::run(
            connection,
            inbox,
            writable.clone(),
            feed.clone(),
        ));
        Ok(Self {
            pool,
            writer,
            writable,
            feed,
        })
    }

    async fn write<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> Command,
    ) -> StoreResult<T> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(command(tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn verify(&self) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        let findings: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| StoreError::Corrupt(format!("the integrity check failed: {e}")))?;
        if findings != ["ok"] {
            return Err(StoreError::Corrupt(format!(
                "the integrity check failed: {}",
                findings.join("; ")
            )));
        }
        // A write that is rolled back: in WAL mode even a read-only file lets a transaction
        // begin, and only the first write says "readonly".
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        let probe = sqlx::query("CREATE TABLE ghl_write_probe (x)")
            .execute(&mut *conn)
            .await;
        sqlx::query("ROLLBACK").execute(&mut *conn).await?;
        probe.map_err(|e| StoreError::Unavailable(format!("it cannot be written: {e}")))?;
        Ok(())
    }

    fn writable(&self) -> bool {
        self.writable.load(Ordering::Relaxed)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("the database does not answer: {e}")))?;
        Ok(())
    }
}

#[async_trait]
impl Requests for SqliteStore {
    async fn create(&self, request: NewRequest) -> StoreResult<CreateOutcome> {
        self.write(|tx| Command::Create(request, tx)).await
    }

    async fn transition(&self, change: Transition) -> StoreResult<TransitionOutcome> {
        self.write(|tx| Command::Transition(change, tx)).await
    }

    async fn conversation_window(
        &self,
        tenant: TenantId,
        conversation_id: &str,
        around: &str,
        each_side: u32,
    ) -> StoreResult<ConversationWindow> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT rowid FROM requests WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(around)
                .fetch_optional(&self.pool)
                .await?;
        let Some(position) = position else {
            return Ok(ConversationWindow::default());
        };
        let side = |comparison: &'static str, order: &'static str, limit: u32| {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT rowid AS seq, ");
            q.push(request_columns!())
                .push(" FROM requests WHERE tenant_id = ")
                .push_bind(tenant)
                .push(" AND conversation_id = ")
                .push_bind(conversation_id.to_owned())
                .push(" AND rowid ")
                .push(comparison)
                .push_bind(position)
                .push(" ORDER BY rowid ")
                .push(order)
                .push(" LIMIT ")
                .push_bind(i64::from(limit));
            q
        };
        let older = side("< ", "DESC", each_side)
            .build()
            .fetch_all(&self.pool)
            .await?;
        let newer = side("> ", "ASC", each_side)
            .build()
            .fetch_all(&self.pool)
            .await?;
        let seq = |row: Option<&SqliteRow>| -> StoreResult<i64> {
            Ok(row
                .map(|r| r.try_get("seq"))
                .transpose()?
                .unwrap_or(position))
        };
        let beyond = |sql: &'static str, seq: i64| async move {
            let count: i64 = sqlx::query_scalar(sql)
                .bind(tenant)
                .bind(conversation_id)
                .bind(seq)
                .fetch_one(&self.pool)
                .await?;
            StoreResult::Ok(u64::try_from(count).unwrap_or(0))
        };
        let earlier = beyond(
            "SELECT count(*) FROM requests WHERE tenant_id = ? AND conversation_id = ? \
             AND rowid < ?",
            seq(older.last())?,
        )
        .await?;
        let later = beyond(
            "SELECT count(*) FROM requests WHERE tenant_id = ? AND conversation_id = ? \
             AND rowid > ?",
            seq(newer.last())?,
        )
        .await?;
        Ok(ConversationWindow {
            before: older
                .iter()
                .rev()
                .map(rows::request)
                .collect::<StoreResult<_>>()?,
            after: newer
                .iter()
                .map(rows::request)
                .collect::<StoreResult<_>>()?,
            earlier,
            later,
        })
    }

    async fn find(&self, key: &RequestKey) -> StoreResult<Option<RequestRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE tenant_id = ? AND conversation_id = ? AND request_id = ? \
             AND platform = ?"
        ))
        .bind(key.tenant)
        .bind(&key.conversation_id)
        .bind(&key.request_id)
        .bind(&key.platform)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::request).transpose()
    }

    async fn get(&self, tenant: TenantId, id: &str) -> StoreResult<Vec<RequestRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE tenant_id = ? AND id = ? \
             UNION ALL SELECT ",
            request_columns!(),
            " FROM requests WHERE tenant_id = ? AND request_id = ? AND id <> ? LIMIT 5"
        ))
        .bind(tenant)
        .bind(id)
        .bind(tenant)
        .bind(id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut found: Vec<RequestRecord> =
            rows.iter().map(rows::request).collect::<Result<_, _>>()?;
        // An exact hub id wins over client request ids that happen to be equal to it.
        if found.first().is_some_and(|r| r.id == id) {
            found.truncate(1);
        }
        Ok(found)
    }

    async fn list(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
    ) -> StoreResult<Vec<RequestRecord>> {
        let mut q = filtered("", tenant, filter, None);
        q.push(triage::newest_first(filter))
            .push(" LIMIT ")
            .push_bind(i64::from(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(rows::request).collect()
    }

    async fn page(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
        before: Option<Cursor>,
    ) -> StoreResult<Vec<(Cursor, RequestRecord)>> {
        let mut q = filtered(
            "rowid AS seq, ",
            tenant,
            filter,
            before.map(Cursor::position),
        );
        q.push(triage::newest_first(filter))
            .push(" LIMIT ")
            .push_bind(i64::from(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    Cursor::at(sqlx::Row::try_get(row, "seq")?),
                    rows::request(row)?,
                ))
            })
            .collect()
    }

    async fn pending_by_urgency(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
        after: Option<Urgency>,
    ) -> StoreResult<Vec<(Urgency, RequestRecord)>> {
        triage::pending_by_urgency(&self.pool, tenant, filter, after).await
    }

    async fn search(&self, tenant: TenantId, words: &[String]) -> StoreResult<Vec<String>> {
        triage::search(&self.pool, tenant, words).await
    }

    async fn turn_counts(
        &self,
        tenant: TenantId,
        conversations: &[String],
    ) -> StoreResult<Vec<(String, i64)>> {
        triage::turn_counts(&self.pool, tenant, conversations).await
    }

    async fn counts(&self, tenants: &[TenantId]) -> StoreResult<Vec<StatusCount>> {
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT status, loop_type, sum(n) FROM request_counts WHERE n > 0 AND tenant_id IN (",
        );
        let mut list = q.separated(", ");
        for tenant in tenants {
            list.push_bind(*tenant);
        }
        q.push(") GROUP BY status, loop_type");
        let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(status, loop_type, n)| {
                Ok(StatusCount {
                    status: rows::status(&status)?,
                    loop_type: rows::loop_type(&loop_type)?,
                    n,
                })
            })
            .collect()
    }

    async fn by_id(&self, id: &str) -> StoreResult<Option<RequestRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::request).transpose()
    }

    async fn due(&self, now: i64, limit: u32) -> StoreResult<Vec<Deadline>> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT deadline_at, tenant_id, id FROM requests \
             WHERE deadline_at IS NOT NULL AND status = 'pending' AND deadline_at <= ? \
             ORDER BY deadline_at LIMIT ?",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, tenant, id)| Deadline { at, tenant, id })
            .collect())
    }

    async fn next_deadline(&self) -> StoreResult<Option<i64>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT deadline_at FROM requests \
             WHERE deadline_at IS NOT NULL AND status = 'pending' ORDER BY deadline_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(next)
    }
}

impl ChangeFeed for SqliteStore {
    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.feed.subscribe()
    }

    fn published(&self) -> u64 {
        self.feed.published()
    }

    fn observe(&self, observer: Weak<dyn FeedObserver>) {
        self.feed.observe(observer);
    }
}

#[async_trait]
impl Audit for SqliteStore {
    async fn audit_trail(&self, tenant: TenantId, id: &str) -> StoreResult<Vec<AuditEntry>> {
        let rows =
            sqlx::query("SELECT * FROM audit_log WHERE request = ? AND tenant_id = ? ORDER BY seq")
                .bind(id)
                .bind(tenant)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn verify_audit(&self) -> StoreResult<ChainCheck> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0_i64;
        loop {
            let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(after)
                .bind(AUDIT_PAGE)
                .fetch_all(&self.pool)
                .await?;
            let Some(last) = rows.last() else {
                return Ok(verifier.finish());
            };
            after = sqlx::Row::try_get(last, "seq")?;
            for row in &rows {
                if let Err(broken) = verifier.check(&rows::audit(row)?) {
                    return Ok(broken);
                }
            }
        }
    }
}

#[async_trait]
impl Tasks for SqliteStore {
    async fn task_version(
        &self,
        tenant: TenantId,
        task_id: &str,
    ) -> StoreResult<Option<TaskVersion>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT updates, upload_digest FROM tasks WHERE tenant_id = ? AND task_id = ?",
        )
        .bind(tenant)
        .bind(task_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(updates, digest)| TaskVersion { updates, digest }))
    }

    async fn task_conversations(
        &self,
        tenant: TenantId,
        task_id: &str,
    ) -> StoreResult<Option<(TaskVersion, String)>> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT updates, upload_digest, conversations FROM tasks \
             WHERE tenant_id = ? AND task_id = ?",
        )
        .bind(tenant)
        .bind(task_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(updates, digest, conversations)| {
            (TaskVersion { updates, digest }, conversations)
        }))
    }

    async fn put_task(&self, tenant: TenantId, write: TaskWrite) -> StoreResult<bool> {
        self.write(|tx| Command::PutTask(tenant, Box::new(write), tx))
            .await
    }

    async fn task_page(
        &self,
        tenant: TenantId,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<TaskRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM tasks WHERE tenant_id = ? AND task_id > ? ORDER BY task_id LIMIT ?",
        )
        .bind(tenant)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::task).collect()
    }

    async fn task_summaries(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> StoreResult<(Vec<TaskSummary>, u64)> {
        // SQLite counts inside the snapshots: they never leave the database.
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT task_id, json_array_length(conversations), \
             (SELECT coalesce(sum(json_array_length(value, '$.requests')), 0) \
              FROM json_each(tasks.conversations)), updates, received_at \
             FROM tasks WHERE tenant_id = ? ORDER BY received_at DESC LIMIT ?",
        )
        .bind(tenant)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE tenant_id = ?")
            .bind(tenant)
            .fetch_one(&self.pool)
            .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let tasks = rows
            .into_iter()
            .map(
                |(task_id, conversations, requests, updates, received)| TaskSummary {
                    task_id,
                    conversations: count(conversations),
                    requests: count(requests),
                    updates,
                    received_at: ms_to_rfc3339(received),
                },
            )
            .collect();
        Ok((tasks, count(total)))
    }

    async fn task(&self, tenant: TenantId, task_id: &str) -> StoreResult<Option<TaskRecord>> {
        let row = sqlx::query("SELECT * FROM tasks WHERE tenant_id = ? AND task_id = ?")
            .bind(tenant)
            .bind(task_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::task).transpose()
    }
}

#[async_trait]
impl Keys for SqliteStore {
    async fn add_key(
        &self,
        tenant: &str,
        name: &str,
        prefix: &str,
        key_hash: &str,
    ) -> StoreResult<KeyInfo> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tenants (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(tenant)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO api_keys (tenant_id, name, prefix, key_hash, created_at) \
             SELECT id, ?, ?, ?, ? FROM tenants WHERE name = ? RETURNING id",
        )
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(now)
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let row = sqlx::query(
            "SELECT k.*, t.name AS tenant FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
             WHERE k.id = ?",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        rows::key(&row)
    }

    async fn keys(&self) -> StoreResult<Vec<KeyInfo>> {
        let rows = sqlx::query(
            "SELECT k.*, t.name AS tenant FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
             ORDER BY k.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::key).collect()
    }

    async fn revoke_key(&self, id_or_prefix: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL \
             AND (CAST(id AS TEXT) = ? OR prefix = ?)",
        )
        .bind(now_ms())
        .bind(id_or_prefix)
        .bind(id_or_prefix)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn key_owner(&self, key_hash: &str) -> StoreResult<Option<KeyOwner>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT tenant_id, name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(tenant, name)| KeyOwner { tenant, name }))
    }
}

crate::store::filter::filtered_requests!(Sqlite, "rowid", triage::push_search, "+tenant_id");
