//! What every backend's writer shares: the commands it takes, how it tells the change feed and
//! its callers what it committed, the audit chain's arithmetic, and new requests made ready to
//! store. Only the SQL differs between backends.

pub(crate) mod ballot;
pub(crate) mod chain;
pub(crate) mod change;
pub(crate) mod grant_use;
pub(crate) mod new_request;

use tokio::sync::oneshot;

use crate::record::{
    CreateOutcome, NewRequest, TaskWrite, TenantId, Transition, TransitionOutcome,
};
use crate::store::feed::{Change, FeedSender};
use crate::store::{StoreError, StoreResult};

/// How many changes one transaction takes at most.
pub(crate) const MAX_BATCH: usize = 512;

/// Splits rows for multi-row statements into power-of-two chunks (at most 256 rows), so that
/// a handful of distinct statements covers every batch size and each stays prepared.
pub(crate) fn statement_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let size = 1 << rows.len().min(256).ilog2();
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// A change waiting for the writer, with where to send its outcome.
pub(crate) enum Command {
    /// Store a request.
    Create(NewRequest, oneshot::Sender<StoreResult<CreateOutcome>>),
    /// Change a request's status.
    Transition(Transition, oneshot::Sender<StoreResult<TransitionOutcome>>),
    /// Store a merged task snapshot.
    PutTask(TenantId, Box<TaskWrite>, oneshot::Sender<StoreResult<bool>>),
}

/// What a command did once committed.
pub(crate) enum Done {
    /// A create's outcome.
    Create(CreateOutcome),
    /// A change's outcome.
    Transition(TransitionOutcome),
    /// Whether a task snapshot was stored.
    PutTask(bool),
}

/// Tells the change feed what a committed command changed (before its caller hears of it).
pub(crate) fn publish(feed: &FeedSender, command: &Command, done: &Done) {
    match (command, done) {
        (Command::Create(request, _), Done::Create(CreateOutcome::Created(record))) => {
            feed.publish(Change::of(record, None, request.deadline_at));
        }
        (
            Command::Transition(..),
            Done::Transition(TransitionOutcome::Changed { before, record }),
        ) => {
            feed.publish(Change::of(record, Some(*before), None));
        }
        // A vote leaves the request in its status but changes its count: channels show it
        // (as another node reads the vote's audit entry: a change from `pending` to `pending`).
        (Command::Transition(..), Done::Transition(TransitionOutcome::Voted { record, .. })) => {
            feed.publish(Change::of(record, Some(record.status), None));
        }
        _ => {}
    }
}

/// Sends a committed command its outcome.
pub(crate) fn reply(command: Command, done: Done) {
    // A caller that went away no longer needs its outcome; the change is committed anyway.
    match (command, done) {
        (Command::Create(_, tx), Done::Create(o)) => drop(tx.send(Ok(o))),
        (Command::Transition(_, tx), Done::Transition(o)) => drop(tx.send(Ok(o))),
        (Command::PutTask(_, _, tx), Done::PutTask(o)) => drop(tx.send(Ok(o))),
        (command, _) => fail(command, "internal error: outcome of the wrong kind"),
    }
}

/// Sends every caller of a failed batch the error.
pub(crate) fn fail(command: Command, message: &str) {
    let error = || StoreError::Unavailable(format!("write failed: {message}"));
    match command {
        Command::Create(_, tx) => drop(tx.send(Err(error()))),
        Command::Transition(_, tx) => drop(tx.send(Err(error()))),
        Command::PutTask(_, _, tx) => drop(tx.send(Err(error()))),
    }
}

#[cfg(test)]
mod tests {
    use super::statement_chunks;

    #[test]
    fn chunks_are_powers_of_two_and_cover_every_row() {
        let rows: Vec<usize> = (0..300).collect();
        let sizes: Vec<usize> = statement_chunks(&rows).map(<[usize]>::len).collect();
        assert_eq!(sizes, [256, 32, 8, 4]);
        let sizes: Vec<usize> = statement_chunks(&rows[..13]).map(<[usize]>::len).collect();
        assert_eq!(sizes, [8, 4, 1]);
        assert_eq!(statement_chunks::<usize>(&[]).count(), 0);
    }
}
