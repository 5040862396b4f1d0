//! Following the store's change feed: every committed change — from this hub or any other
//! writer whose changes the store's feed carries — updates the live outcomes (waking the agents
//! waiting for it), goes out on the event streams, and tells the deadline timer of new
//! deadlines. The hub does not wake anyone after its own writes: this is the one way news
//! travels. The hub observes the feed ([`FeedObserver`]), so a change is applied before its
//! write is acknowledged: whoever made it reads it back, with no hand-off to another task.

use std::sync::Arc;

use super::{Core, HubEvent};
use crate::store::{Change, FeedObserver};

impl FeedObserver for Core {
    fn observe(&self, change: &Arc<Change>) {
        self.live
            .publish(change.key.clone(), change.outcome.clone());
        if let Some(at) = change.deadline_at {
            // The timer outlives the hub but for shutdown, when nothing needs timing any more.
            let _ = self.deadlines.send(at);
        }
        // Building the event costs allocations: skip it when no stream listens.
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(HubEvent::of(change));
        }
    }
}
