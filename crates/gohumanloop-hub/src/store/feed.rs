//! The change feed: every committed change of a request, in commit order, for whoever must
//! react to it (live waiters, event streams, deadlines, channels). A store publishes each
//! change after its commit and before it acknowledges the write: at once to its observers
//! ([`FeedObserver`]: quick, in-memory reactions such as waking waiters), and to its
//! subscribers by a broadcast (slower work, such as a channel's deliveries).

use std::sync::{Arc, PoisonError, RwLock, Weak};

use gohumanloop::model::{LoopType, Status};
use tokio::sync::broadcast;

use crate::record::{Outcome, RequestKey, RequestRecord};

/// How many changes a slow consumer may fall behind before it is told it lagged (and must read
/// the store again).
pub(crate) const FEED_BUFFER: usize = 65_536;

/// One committed change of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Its position in this store's feed: 1, 2, 3, … in commit order.
    pub seq: u64,
    /// The request's protocol identity (with its tenant).
    pub key: RequestKey,
    /// The business task.
    pub task_id: String,
    /// The kind of interaction.
    pub loop_type: LoopType,
    /// The status before (`None`: the request was created).
    pub before: Option<Status>,
    /// Where it stands now, with its answer.
    pub outcome: Arc<Outcome>,
    /// When the hub expires it (Unix ms), if it is pending with a deadline.
    pub deadline_at: Option<i64>,
}

impl Change {
    /// A change of `record`, which had status `before` (`None`: just created).
    pub fn of(record: &RequestRecord, before: Option<Status>, deadline_at: Option<i64>) -> Self {
        Self {
            seq: 0,
            key: record.key(),
            task_id: record.task_id.clone(),
            loop_type: record.loop_type,
            before,
            outcome: Arc::new(record.outcome()),
            deadline_at,
        }
    }
}

/// Reacts to every change the moment it is published — on the publishing writer's task,
/// before the write is acknowledged — so that whoever made a change reads it back at once.
/// It must return at once: no I/O, no waiting, a short lock at most.
pub trait FeedObserver: Send + Sync {
    /// One committed change.
    fn observe(&self, change: &Arc<Change>);
}

/// The change feed aggregate of a store.
pub trait ChangeFeed: Send + Sync {
    /// A receiver of every change committed from now on, each published after its commit and
    /// before its write is acknowledged. A receiver that lags must read the store again.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>>;

    /// Calls `observer` with every change committed from now on, in commit order, before the
    /// write is acknowledged (it cannot lag); until the observer is dropped.
    fn observe(&self, observer: Weak<dyn FeedObserver>);

    /// The `seq` of the last change published (0: none yet).
    fn published(&self) -> u64;
}

/// The sending side a store keeps: its observers, a broadcast of changes and how many were
/// published.
pub(crate) struct FeedSender {
    /// Held while a change is numbered and handed out: a store may publish from more than one
    /// task (its writer, and its feed of other nodes' changes).
    publishing: std::sync::Mutex<()>,
    observers: RwLock<Vec<Weak<dyn FeedObserver>>>,
    tx: broadcast::Sender<Arc<Change>>,
    published: std::sync::atomic::AtomicU64,
}

impl Default for FeedSender {
    fn default() -> Self {
        Self {
            publishing: std::sync::Mutex::default(),
            observers: RwLock::default(),
            tx: broadcast::channel(FEED_BUFFER).0,
            published: Default::default(),
        }
    }
}

impl FeedSender {
    /// Publishes a committed change, numbering it, in the order of the calls (the callers
    /// keep commit order).
    pub(crate) fn publish(&self, mut change: Change) {
        use std::sync::atomic::Ordering;
        let _publishing = self
            .publishing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        change.seq = self.published.load(Ordering::Acquire) + 1;
        let seq = change.seq;
        let change = Arc::new(change);
        let mut gone = false;
        for observer in self
            .observers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            match observer.upgrade() {
                Some(observer) => observer.observe(&change),
                None => gone = true,
            }
        }
        if gone {
            self.observers
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|o| o.strong_count() > 0);
        }
        // No receiver is fine: nobody needs to react (a store used by a CLI command).
        let _ = self.tx.send(change);
        self.published.store(seq, Ordering::Release);
    }

    /// Adds an observer of every change published from now on.
    pub fn observe(&self, observer: Weak<dyn FeedObserver>) {
        self.observers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(observer);
    }

    /// A receiver of every change published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    /// The `seq` of the last change published (0: none yet).
    pub fn published(&self) -> u64 {
        self.published.load(std::sync::atomic::Ordering::Acquire)
    }
}
