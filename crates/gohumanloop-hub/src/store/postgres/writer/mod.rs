//! The node's writer: every change of this node goes through one task, and the changes that
//! arrive together are committed in one transaction (group commit: one WAL flush acknowledges
//! them all). Nothing is acknowledged before its transaction committed.
//!
//! The audit entries of a batch are appended last: the writer locks the chain's head row
//! (`audit_head … FOR UPDATE`, which returns it as the previous holder committed it) and holds
//! it until the commit, so writers on several nodes cannot fork the chain, and the chain's order
//! is the commit order. The schema's trigger moves the head and sends the NOTIFY that wakes the
//! other nodes. Request rows are locked before the head and never after it, so the head cannot
//! be part of a deadlock; two batches that lock the same requests in opposite orders can
//! deadlock each other, which PostgreSQL breaks by failing one: that batch is done again.

mod create;
mod task;
mod transition;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gohumanloop::model::Status;
use serde_json::Value;
use sqlx::postgres::PgPool;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use tokio::sync::mpsc;

use crate::record::{NewRequest, TenantId};
use crate::store::feed::FeedSender;
use crate::store::write::chain::{audit_push_insert, ChainHead, Entry};
use crate::store::write::{fail, publish, reply, statement_chunks, Command, Done, MAX_BATCH};
use crate::store::StoreResult;

/// How often a batch that lost a deadlock or a serialization race is done again.
const RETRIES: usize = 5;

/// Where the writer writes: the node's connections (each carries the node's name as its
/// `ghl.node` setting, which its audit entries record).
pub(crate) struct Writer {
    /// The node's connections.
    pub pool: PgPool,
}

/// An audit entry to append when the batch's changes are made.
pub(crate) struct Pending {
    tenant: TenantId,
    request: String,
    actor: String,
    channel: String,
    old: Option<Status>,
    new: Status,
    detail: Value,
}

impl Pending {
    /// Keeps what `entry` records.
    pub(crate) fn of(entry: Entry<'_>) -> Self {
        Self {
            tenant: entry.tenant,
            request: entry.request.to_owned(),
            actor: entry.actor.to_owned(),
            channel: entry.channel.to_owned(),
            old: entry.old,
            new: entry.new,
            detail: entry.detail.clone(),
        }
    }

    fn entry(&self) -> Entry<'_> {
        Entry {
            tenant: self.tenant,
            request: &self.request,
            actor: &self.actor,
            channel: &self.channel,
            old: self.old,
            new: self.new,
            detail: &self.detail,
        }
    }
}

/// Runs the writer until every sender is gone.
pub(crate) async fn run(
    writer: Writer,
    mut inbox: mpsc::Receiver<Command>,
    writable: Arc<AtomicBool>,
    feed: Arc<FeedSender>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while inbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let started = std::time::Instant::now();
        let result = apply(&writer, &batch).await;
        crate::metrics::db_time("write_batch", started.elapsed());
        match result {
            Ok(done) => {
                writable.store(true, Ordering::Relaxed);
                tracing::debug!(size = batch.len(), took = ?started.elapsed(), "committed a batch");
                for (command, done) in batch.drain(..).zip(done) {
                    publish(&feed, &command, &done);
                    reply(command, done);
                }
            }
            Err(e) => {
                writable.store(false, Ordering::Relaxed);
                tracing::error!("a write batch of {} failed: {e}", batch.len());
                let message = e.to_string();
                for command in batch.drain(..) {
                    fail(command, &message);
                }
            }
        }
    }
}

/// Applies a batch in one transaction, again after a lost deadlock.
async fn apply(writer: &Writer, batch: &[Command]) -> StoreResult<Vec<Done>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match apply_once(writer, batch).await {
            Err(crate::store::StoreError::Database(sqlx::Error::Database(e)))
                if attempt < RETRIES && matches!(e.code().as_deref(), Some("40P01" | "40001")) =>
            {
                tracing::debug!(attempt, "a write batch lost a race ({e}); doing it again");
            }
            other => return other,
        }
    }
}

async fn apply_once(writer: &Writer, batch: &[Command]) -> StoreResult<Vec<Done>> {
    let mut tx = writer.pool.begin().await?;
    let mut audit = Vec::new();
    let done = apply_in(&mut tx, &mut audit, batch).await?;
    if !audit.is_empty() {
        append(&mut tx, &audit).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Applies a batch inside a transaction, in order: runs of plain creates are stored together;
/// anything else first stores the creates before it, so every command sees the effects of the
/// ones before it.
async fn apply_in(
    tx: &mut PgConnection,
    audit: &mut Vec<Pending>,
    batch: &[Command],
) -> StoreResult<Vec<Done>> {
    let mut done = Vec::with_capacity(batch.len());
    let mut creates: Vec<&NewRequest> = Vec::new();
    for command in batch {
        if let Command::Create(request, _) = command {
            if !request.continues_conversation {
                creates.push(request);
                continue;
            }
        }
        let stored = create::create_all(tx, audit, &creates).await?;
        done.extend(stored.into_iter().map(Done::Create));
        creates.clear();
        done.push(match command {
            Command::Create(request, _) => {
                Done::Create(create::continue_conversation(tx, audit, request).await?)
            }
            Command::Transition(change, _) => {
                Done::Transition(transition::transition(tx, audit, change).await?)
            }
            Command::PutTask(tenant, write, _) => {
                Done::PutTask(task::put_task(tx, *tenant, write).await?)
            }
        });
    }
    let stored = create::create_all(tx, audit, &creates).await?;
    done.extend(stored.into_iter().map(Done::Create));
    Ok(done)
}

/// Appends the batch's audit entries to the one chain, its head locked until the commit.
async fn append(tx: &mut PgConnection, audit: &[Pending]) -> StoreResult<()> {
    let (seq, hash): (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    let mut head = ChainHead::after((seq > 0).then_some((seq, hash)));
    let rows: Vec<_> = audit.iter().map(|p| head.next(p.entry())).collect();
    for chunk in statement_chunks(&rows) {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new("");
        push_insert(&mut q, "INSERT", chunk);
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

audit_push_insert!(Postgres);
