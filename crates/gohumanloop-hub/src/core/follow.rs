//! Following the store's change feed: every committed change — from this hub or any other
//! writer of the same store — updates the live outcomes (waking the agents waiting for it),
//! goes out on the event streams, and tells the deadline timer of new deadlines. The hub does
//! not wake anyone after its own writes: this is the one way news travels.

use std::sync::{Arc, Weak};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};

use super::{Core, HubEvent};
use crate::store::Change;

/// Runs until the store's feed closes or the hub is dropped.
pub(crate) async fn run(
    hub: Weak<Core>,
    mut feed: broadcast::Receiver<Arc<Change>>,
    deadlines: mpsc::UnboundedSender<i64>,
    processed: watch::Sender<u64>,
) {
    loop {
        let received = feed.recv().await;
        let Some(core) = hub.upgrade() else { return };
        match received {
            Ok(change) => {
                apply(&core, &change, &deadlines);
                processed.send_replace(change.seq);
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "the change feed ran ahead; reading the store again");
                let published = core.store.published();
                catch_up(&core).await;
                // A deadline may have been among the missed changes.
                let _ = deadlines.send(0);
                processed.send_replace(published);
            }
            Err(RecvError::Closed) => return,
        }
    }
}

fn apply(core: &Core, change: &Change, deadlines: &mpsc::UnboundedSender<i64>) {
    core.live
        .publish(change.key.clone(), change.outcome.clone());
    if let Some(at) = change.deadline_at {
        // The timer outlives this task but for shutdown, when nothing needs timing any more.
        let _ = deadlines.send(at);
    }
    // Building the event costs allocations: skip it when no stream listens.
    if core.events.receiver_count() > 0 {
        let _ = core.events.send(HubEvent::of(change));
    }
}

/// After missed changes: every request someone waits for is read again from the store.
async fn catch_up(core: &Core) {
    for key in core.live.watched() {
        match core.store.find(&key).await {
            Ok(Some(record)) => core.live.publish(key, Arc::new(record.outcome())),
            Ok(None) => {}
            Err(e) => tracing::error!("could not read request {} again: {e}", key.request_id),
        }
    }
}
