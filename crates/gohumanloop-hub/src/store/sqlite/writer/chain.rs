//! Appending to the audit log inside the writer's transaction: each new entry is hashed over
//! the previous one, and a batch of entries is written with one statement. The chain's head is
//! read under the transaction's write lock, or checked inside it (see `writer::apply`).

use gohumanloop::model::Status;
use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::audit::{entry_hash, AuditFields, GENESIS};
use crate::record::{ms_to_rfc3339, now_ms, TenantId};
use crate::store::StoreResult;

/// The end of the audit chain the next entry links to.
#[derive(Clone)]
pub(crate) struct ChainHead {
    seq: i64,
    hash: String,
}

impl ChainHead {
    /// Reads the last entry of the log.
    pub async fn load(conn: &mut SqliteConnection) -> StoreResult<Self> {
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *conn)
                .await?;
        Ok(match last {
            Some((seq, hash)) => Self { seq, hash },
            None => Self::genesis(),
        })
    }

    fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_owned(),
        }
    }

    /// Makes the next entry (hashed, linked) and moves the head to it.
    pub fn next(&mut self, e: Entry<'_>) -> AuditRow {
        let seq = self.seq + 1;
        let at = ms_to_rfc3339(now_ms());
        let detail = e.detail.to_string();
        let hash = entry_hash(&AuditFields {
            seq,
            at: &at,
            tenant: e.tenant,
            request: e.request,
            actor: e.actor,
            channel: e.channel,
            old_status: e.old.map(Status::as_str),
            new_status: e.new.as_str(),
            detail: &detail,
            prev_hash: &self.hash,
        });
        let row = AuditRow {
            seq,
            at,
            tenant: e.tenant,
            request: e.request.to_owned(),
            actor: e.actor.to_owned(),
            channel: e.channel.to_owned(),
            old: e.old,
            new: e.new,
            detail,
            prev_hash: std::mem::replace(&mut self.hash, hash.clone()),
            hash,
        };
        self.seq = seq;
        row
    }
}

/// What an entry records.
pub(crate) struct Entry<'a> {
    /// The tenant.
    pub tenant: TenantId,
    /// The hub's request id.
    pub request: &'a str,
    /// Who.
    pub actor: &'a str,
    /// Which way.
    pub channel: &'a str,
    /// Status before (`None` for a create).
    pub old: Option<Status>,
    /// Status after.
    pub new: Status,
    /// The answer or the create's identity.
    pub detail: &'a Value,
}

/// An entry ready to be written.
pub(crate) struct AuditRow {
    seq: i64,
    at: String,
    tenant: TenantId,
    request: String,
    actor: String,
    channel: String,
    old: Option<Status>,
    new: Status,
    detail: String,
    prev_hash: String,
    hash: String,
}

/// Writes entries (one statement per power-of-two chunk).
pub async fn insert(conn: &mut SqliteConnection, rows: Vec<AuditRow>) -> StoreResult<()> {
    for chunk in super::statement_chunks(&rows) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("");
        push_insert(&mut q, "INSERT", chunk);
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// `<verb> INTO audit_log (…) VALUES (…), …` for these entries.
pub(crate) fn push_insert(q: &mut QueryBuilder<Sqlite>, verb: &str, rows: &[AuditRow]) {
    q.push(verb).push(
        " INTO audit_log (seq, at, tenant_id, request, actor, channel, old_status, \
         new_status, detail, prev_hash, hash) ",
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(r.seq)
            .push_bind(r.at.clone())
            .push_bind(r.tenant)
            .push_bind(r.request.clone())
            .push_bind(r.actor.clone())
            .push_bind(r.channel.clone())
            .push_bind(r.old.map(Status::as_str))
            .push_bind(r.new.as_str())
            .push_bind(r.detail.clone())
            .push_bind(r.prev_hash.clone())
            .push_bind(r.hash.clone());
    });
}
