//! What the hub knows right now about requests it has seen: their latest outcome, and the
//! agents waiting for it. Every committed change is published here, and every waiter is woken
//! by that publication, so an answer reaches all waiters at once.
//!
//! Coherence rule: a committed change always overwrites (`publish`); a value read from the
//! store only fills a gap (`fill`). A stale read can therefore never hide a newer change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::record::{Outcome, RequestKey};

/// How many entries are kept before finished, unwatched ones are dropped.
const SOFT_CAPACITY: usize = 200_000;

/// The latest outcome of each request seen, and a watch channel per request for its waiters.
#[derive(Default)]
pub struct Live {
    entries: Mutex<HashMap<RequestKey, watch::Sender<Arc<Outcome>>>>,
}

impl Live {
    fn lock(&self) -> MutexGuard<'_, HashMap<RequestKey, watch::Sender<Arc<Outcome>>>> {
        // A panic while holding this lock cannot leave the map half-updated.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest known outcome, if the request was seen.
    pub fn get(&self, key: &RequestKey) -> Option<Arc<Outcome>> {
        self.lock().get(key).map(|tx| tx.borrow().clone())
    }

    /// Records a committed change and wakes every waiter of that request.
    pub fn publish(&self, key: RequestKey, outcome: Outcome) {
        let outcome = Arc::new(outcome);
        let mut entries = self.lock();
        match entries.get(&key) {
            Some(tx) => {
                tx.send_replace(outcome);
            }
            None => {
                if entries.len() >= SOFT_CAPACITY {
                    entries.retain(|_, tx| {
                        !tx.borrow().status.is_terminal() || tx.receiver_count() > 0
                    });
                }
                entries.insert(key, watch::channel(outcome).0);
            }
        }
    }

    /// Records what the store said unless a change was published meanwhile; returns the
    /// outcome now current and a receiver for the next changes.
    pub fn fill(&self, key: RequestKey, outcome: Outcome) -> watch::Receiver<Arc<Outcome>> {
        self.lock()
            .entry(key)
            .or_insert_with(|| watch::channel(Arc::new(outcome)).0)
            .subscribe()
    }

    /// A receiver for a seen request's changes.
    pub fn subscribe(&self, key: &RequestKey) -> Option<watch::Receiver<Arc<Outcome>>> {
        self.lock().get(key).map(watch::Sender::subscribe)
    }

    /// How many requests are tracked.
    pub fn count(&self) -> usize {
        self.lock().len()
    }
}
