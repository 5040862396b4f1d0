//! [`Requests`], [`Audit`], [`Tasks`] and [`Keys`] on PostgreSQL: the reads straight from the
//! pool, the writes of requests and tasks through the node's writer.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::PgStore;
use crate::audit::{ChainCheck, ChainVerifier};
use crate::record::{
    ms_to_rfc3339, now_ms, AuditEntry, ConversationWindow, CreateOutcome, KeyInfo, KeyOwner,
    NewRequest, RequestFilter, RequestKey, RequestRecord, StatusCount, TaskRecord, TaskSummary,
    TaskVersion, TaskWrite, TenantId, Transition, TransitionOutcome,
};
use crate::store::rows::{self, request_columns};
use crate::store::write::Command;
use crate::store::{Audit, Cursor, Deadline, Keys, Requests, StoreResult, Tasks, Urgency};

/// How many audit entries `verify_audit` reads at a time.
const AUDIT_PAGE: i64 = 2_000;

#[async_trait]
impl Requests for PgStore {
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
            sqlx::query_scalar("SELECT seq FROM requests WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(around)
                .fetch_optional(&self.pool)
                .await?;
        let Some(position) = position else {
            return Ok(ConversationWindow::default());
        };
        let side = |comparison: &'static str, order: &'static str| {
            let mut q: QueryBuilder<Postgres> = QueryBuilder::new("SELECT ");
            q.push(request_columns!())
                .push(", seq FROM requests WHERE tenant_id = ")
                .push_bind(tenant)
                .push(" AND conversation_id = ")
                .push_bind(conversation_id.to_owned())
                .push(" AND seq ")
                .push(comparison)
                .push_bind(position)
                .push(" ORDER BY seq ")
                .push(order)
                .push(" LIMIT ")
                .push_bind(i64::from(each_side));
            q
        };
        let older = side("< ", "DESC").build().fetch_all(&self.pool).await?;
        let newer = side("> ", "ASC").build().fetch_all(&self.pool).await?;
        let seq = |row: Option<&PgRow>| -> StoreResult<i64> {
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
            "SELECT count(*) FROM requests WHERE tenant_id = $1 AND conversation_id = $2 \
             AND seq < $3",
            seq(older.last())?,
        )
        .await?;
        let later = beyond(
            "SELECT count(*) FROM requests WHERE tenant_id = $1 AND conversation_id = $2 \
             AND seq > $3",
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
            " FROM requests WHERE tenant_id = $1 AND conversation_id = $2 AND request_id = $3 \
             AND platform = $4"
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
            " FROM requests WHERE tenant_id = $1 AND (id = $2 OR request_id = $2) \
             ORDER BY (id = $2) DESC, seq LIMIT 5"
        ))
        .bind(tenant)
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
        q.push(" ORDER BY seq DESC LIMIT ")
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
        let mut q = filtered("seq, ", tenant, filter, before.map(Cursor::position));
        q.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok((Cursor::at(row.try_get("seq")?), rows::request(row)?)))
            .collect()
    }

    async fn pending_by_urgency(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
        after: Option<Urgency>,
    ) -> StoreResult<Vec<(Urgency, RequestRecord)>> {
        super::triage::pending_by_urgency(&self.pool, tenant, filter, after).await
    }

    async fn search(&self, tenant: TenantId, words: &[String]) -> StoreResult<Vec<String>> {
        super::triage::search(&self.pool, tenant, words).await
    }

    async fn turn_counts(
        &self,
        tenant: TenantId,
        conversations: &[String],
    ) -> StoreResult<Vec<(String, i64)>> {
        super::triage::turn_counts(&self.pool, tenant, conversations).await
    }

    async fn counts(&self, tenants: &[TenantId]) -> StoreResult<Vec<StatusCount>> {
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT status, loop_type, count(*) FROM requests WHERE tenant_id = ANY($1) \
             GROUP BY status, loop_type",
        )
        .bind(tenants)
        .fetch_all(&self.pool)
        .await?;
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
            " FROM requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::request).transpose()
    }

    async fn due(&self, now: i64, limit: u32) -> StoreResult<Vec<Deadline>> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT deadline_at, tenant_id, id FROM requests \
             WHERE deadline_at IS NOT NULL AND status = 'pending' AND deadline_at <= $1 \
             ORDER BY deadline_at LIMIT $2",
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
        Ok(sqlx::query_scalar(
            "SELECT deadline_at FROM requests \
             WHERE deadline_at IS NOT NULL AND status = 'pending' ORDER BY deadline_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }
}

#[async_trait]
impl Audit for PgStore {
    async fn audit_trail(&self, tenant: TenantId, id: &str) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE request = $1 AND tenant_id = $2 ORDER BY seq",
        )
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
            let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(AUDIT_PAGE)
                .fetch_all(&self.pool)
                .await?;
            let Some(last) = rows.last() else {
                return Ok(verifier.finish());
            };
            after = last.try_get("seq")?;
            for row in &rows {
                if let Err(broken) = verifier.check(&rows::audit(row)?) {
                    return Ok(broken);
                }
            }
        }
    }
}

#[async_trait]
impl Tasks for PgStore {
    async fn task_version(
        &self,
        tenant: TenantId,
        task_id: &str,
    ) -> StoreResult<Option<TaskVersion>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT updates, upload_digest FROM tasks WHERE tenant_id = $1 AND task_id = $2",
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
             WHERE tenant_id = $1 AND task_id = $2",
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
            "SELECT * FROM tasks WHERE tenant_id = $1 AND task_id COLLATE \"C\" > $2 \
             ORDER BY task_id COLLATE \"C\" LIMIT $3",
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
        // Counted inside the database: the snapshots never leave it.
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT task_id, json_array_length(conversations::json)::BIGINT, \
             (SELECT coalesce(sum(CASE WHEN json_typeof(c -> 'requests') = 'array' \
               THEN json_array_length(c -> 'requests') ELSE 0 END), 0)::BIGINT \
              FROM json_array_elements(conversations::json) AS c), updates, received_at \
             FROM tasks WHERE tenant_id = $1 ORDER BY received_at DESC LIMIT $2",
        )
        .bind(tenant)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE tenant_id = $1")
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
        let row = sqlx::query("SELECT * FROM tasks WHERE tenant_id = $1 AND task_id = $2")
            .bind(tenant)
            .bind(task_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::task).transpose()
    }
}

#[async_trait]
impl Keys for PgStore {
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
            "INSERT INTO tenants (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(tenant)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "WITH k AS (INSERT INTO api_keys (tenant_id, name, prefix, key_hash, created_at) \
             SELECT id, $1, $2, $3, $4 FROM tenants WHERE name = $5 RETURNING *) \
             SELECT k.*, $5 AS tenant FROM k",
        )
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(now)
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
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
            "UPDATE api_keys SET revoked_at = $1 WHERE revoked_at IS NULL \
             AND (CAST(id AS TEXT) = $2 OR prefix = $2)",
        )
        .bind(now_ms())
        .bind(id_or_prefix)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn key_owner(&self, key_hash: &str) -> StoreResult<Option<KeyOwner>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT tenant_id, name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(tenant, name)| KeyOwner { tenant, name }))
    }
}

crate::store::filter::filtered_requests!(Postgres, "seq", super::triage::push_search, "tenant_id");
