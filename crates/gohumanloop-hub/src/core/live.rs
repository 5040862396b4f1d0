//! What the hub knows right now about requests it has seen: their latest outcome, and the
//! agents waiting for it. Every committed change is published here, and every waiter is woken
//! by that publication, so an answer reaches all waiters at once.
//!
//! Coherence rules: a committed change overwrites (`publish`) unless it would move the status
//! backwards (publications of concurrent commits may arrive out of order, and statuses only
//! move forward); a value read from the store only fills a gap (`fill`), and only if no entries
//! were pruned since the read began — otherwise the pruned entry might have been a newer
//! change, and the reader must read again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::record::{Outcome, RequestKey};

/// How many entries are kept before the unwatched ones are dropped (they are only a cache:
/// the store fills them again on the next read).
const SOFT_CAPACITY: usize = 20_000;

#[derive(Default)]
struct Entries {
    map: HashMap<RequestKey, watch::Sender<Arc<Outcome>>>,
    /// How many times entries were pruned.
    prunes: u64,
}

/// The latest outcome of each request seen, and a watch channel per request for its waiters.
#[derive(Default)]
pub(crate) struct Live {
    entries: Mutex<Entries>,
}

impl Live {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding this lock cannot leave the map half-updated.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest known outcome, if the request is tracked.
    pub fn get(&self, key: &RequestKey) -> Option<Arc<Outcome>> {
        self.lock().map.get(key).map(|tx| tx.borrow().clone())
    }

    /// Records a committed change and wakes every waiter of that request.
    pub(crate) fn publish(&self, key: RequestKey, outcome: Arc<Outcome>) {
        let mut entries = self.lock();
        if let Some(tx) = entries.map.get(&key) {
            tx.send_if_modified(|current| {
                let forward =
                    current.status == outcome.status || current.status.can_become(outcome.status);
                if forward {
                    *current = outcome;
                }
                forward
            });
            return;
        }
        if entries.map.len() >= SOFT_CAPACITY {
            entries.map.retain(|_, tx| tx.receiver_count() > 0);
            entries.prunes += 1;
        }
        entries.map.insert(key, watch::channel(outcome).0);
    }

    /// A token to pass to [`Live::fill`]: take it before reading the store.
    pub(crate) fn epoch(&self) -> u64 {
        self.lock().prunes
    }

    /// Records what the store said (read after `epoch` was taken) unless a change was
    /// published meanwhile; returns a receiver of the current outcome and its changes, or
    /// `None` if entries were pruned since `epoch` (read the store again).
    pub fn fill(
        &self,
        key: RequestKey,
        outcome: Outcome,
        epoch: u64,
    ) -> Option<watch::Receiver<Arc<Outcome>>> {
        let mut entries = self.lock();
        if let Some(tx) = entries.map.get(&key) {
            return Some(tx.subscribe());
        }
        if entries.prunes != epoch {
            return None;
        }
        let tx = watch::channel(Arc::new(outcome)).0;
        let rx = tx.subscribe();
        entries.map.insert(key, tx);
        Some(rx)
    }

    /// How many receivers of requests' changes exist now: the agents waiting (each holds one
    /// while it waits), and for an instant a reader of a request's outcome. Walks every entry.
    pub(crate) fn receivers(&self) -> usize {
        self.lock()
            .map
            .values()
            .map(watch::Sender::receiver_count)
            .sum()
    }

    /// A receiver for a tracked request's changes.
    pub fn subscribe(&self, key: &RequestKey) -> Option<watch::Receiver<Arc<Outcome>>> {
        self.lock().map.get(key).map(watch::Sender::subscribe)
    }
}

#[cfg(test)]
mod tests {
    use gohumanloop::model::Status;

    use super::*;

    fn key() -> RequestKey {
        RequestKey {
            tenant: 1,
            conversation_id: "c".into(),
            request_id: "r".into(),
            platform: "p".into(),
        }
    }

    fn outcome(status: Status) -> Outcome {
        Outcome {
            id: "id".into(),
            status,
            response: None,
            feedback: None,
            responded_by: None,
            responded_at: None,
            error: None,
        }
    }

    #[test]
    fn a_late_publication_never_moves_a_status_backwards() {
        let live = Live::default();
        let mut rx = live
            .fill(key(), outcome(Status::Pending), live.epoch())
            .unwrap();
        live.publish(key(), Arc::new(outcome(Status::Approved)));
        assert!(rx.has_changed().unwrap());
        assert_eq!(rx.borrow_and_update().status, Status::Approved);
        // The create's own publication, arriving after the answer's.
        live.publish(key(), Arc::new(outcome(Status::Pending)));
        assert!(
            !rx.has_changed().unwrap(),
            "waiters are not woken by a stale value"
        );
        assert_eq!(live.get(&key()).unwrap().status, Status::Approved);
    }

    #[test]
    fn a_fill_after_pruning_must_read_again() {
        let live = Live::default();
        let epoch = live.epoch();
        live.lock().prunes += 1;
        assert!(live.fill(key(), outcome(Status::Pending), epoch).is_none());
        assert!(live
            .fill(key(), outcome(Status::Pending), live.epoch())
            .is_some());
    }
}
