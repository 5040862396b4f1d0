//! The single writer: every change goes through one connection, and the changes that arrive
//! together are committed together (group commit), so one fsync acknowledges many of them.
//! Nothing is acknowledged before its transaction has committed. The audit chain's head is read
//! under the transaction's write lock, or checked inside it by the log's unique sequence: another
//! writer of the same file cannot fork the chain.

mod chain;
mod create;
mod task;
mod transition;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sqlx::{Connection, SqliteConnection};
use tokio::sync::mpsc;

use crate::record::NewRequest;
use crate::store::feed::FeedSender;
use crate::store::write::chain::ChainHead;
use crate::store::write::{fail, publish, reply, Command, Done, MAX_BATCH};
use crate::store::StoreResult;

/// Runs the writer until every sender is gone.
pub(crate) async fn run(
    mut conn: SqliteConnection,
    mut inbox: mpsc::Receiver<Command>,
    writable: Arc<AtomicBool>,
    feed: Arc<FeedSender>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // The audit chain's head as the last commit left it: a hint, checked inside each
    // transaction (see `apply`); `None` after a failure, and at first.
    let mut head: Option<ChainHead> = None;
    while inbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let started = std::time::Instant::now();
        let result = apply(&mut conn, &mut head, &batch).await;
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
                head = None;
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

/// Applies a batch in one transaction, in order. Runs of plain creates are stored together;
/// anything else (a `continue`, an answer, a task snapshot) first stores the creates before it, so
/// every command sees the effects of the ones before it.
/// The audit chain's head is never trusted from memory alone. A batch of plain creates takes
/// one round trip with the head the last commit left (`known`): its entries' sequence numbers
/// are unique in the log, so if another writer appended meanwhile the insert fails, the whole
/// attempt rolls back, and the batch is done again below. Everything else reads the head under
/// the transaction's write lock (`BEGIN IMMEDIATE`).
async fn apply(
    conn: &mut SqliteConnection,
    known: &mut Option<ChainHead>,
    batch: &[Command],
) -> StoreResult<Vec<Done>> {
    let new_requests: Option<Vec<&NewRequest>> = batch
        .iter()
        .map(|c| match c {
            Command::Create(r, _) if !r.continues_conversation => Some(r),
            _ => None,
        })
        .collect();
    if let (Some(requests), Some(start)) = (new_requests, known.clone()) {
        let mut head = start;
        if let Some(created) = create::create_batch(conn, &mut head, &requests).await? {
            *known = Some(head);
            return Ok(created.into_iter().map(Done::Create).collect());
        }
    }
    *known = None;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut head = chain::load(&mut tx).await?;
    let done = apply_in(&mut tx, &mut head, batch).await?;
    tx.commit().await?;
    *known = Some(head);
    Ok(done)
}

/// Applies a batch inside a transaction, in order (see [`apply`]).
async fn apply_in(
    tx: &mut SqliteConnection,
    head: &mut ChainHead,
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
        let stored = create::create_all(tx, head, &creates).await?;
        done.extend(stored.into_iter().map(Done::Create));
        creates.clear();
        done.push(match command {
            Command::Create(request, _) => {
                Done::Create(create::continue_conversation(tx, head, request).await?)
            }
            Command::Transition(change, _) => {
                Done::Transition(transition::transition(tx, head, change).await?)
            }
            Command::PutTask(tenant, write, _) => {
                Done::PutTask(task::put_task(tx, *tenant, write).await?)
            }
        });
    }
    let stored = create::create_all(tx, head, &creates).await?;
    done.extend(stored.into_iter().map(Done::Create));
    Ok(done)
}
