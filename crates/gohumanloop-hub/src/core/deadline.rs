//! Deadlines: a timer task that expires pending requests when their time comes. It reads them
//! from the store as they fall due — nothing is loaded at start-up or held in memory — so a
//! request created by any writer of the store, or left overdue while the hub was down, expires
//! on time. The change feed tells it of new deadlines sooner than it planned to look.

use std::sync::Weak;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Core, Hub};
use crate::record::now_ms;
use crate::store::StoreResult;

/// How long to wait before trying again after the store failed.
const RETRY: Duration = Duration::from_secs(1);

/// The longest the timer sleeps without looking at the store (other writers' deadlines).
const IDLE: Duration = Duration::from_secs(60);

/// How many due requests are read at a time.
const BATCH: u32 = 256;

/// Runs until the hub is dropped: expires each request at its deadline.
pub(crate) async fn run(hub: Weak<Core>, mut sooner: mpsc::UnboundedReceiver<i64>) {
    let mut wake = now_ms();
    loop {
        let wait = Duration::from_millis(u64::try_from(wake - now_ms()).unwrap_or(0));
        tokio::select! {
            added = sooner.recv() => match added {
                Some(at) => {
                    wake = wake.min(at);
                    continue;
                }
                None => return,
            },
            _ = tokio::time::sleep(wait) => {}
        }
        let Some(core) = hub.upgrade() else { return };
        let hub = Hub::from_core(core);
        let now = now_ms();
        wake = match expire_due(&hub, now).await {
            Ok(next) => next.unwrap_or(i64::MAX).min(now + IDLE.as_millis() as i64),
            Err(e) => {
                tracing::warn!("could not expire requests yet: {e}");
                now + RETRY.as_millis() as i64
            }
        };
    }
}

/// Expires every request due by `now`; the next deadline after them.
async fn expire_due(hub: &Hub, now: i64) -> StoreResult<Option<i64>> {
    let store = hub.store();
    loop {
        let due = store.due(now, BATCH).await?;
        let full = due.len() == BATCH as usize;
        for deadline in due {
            hub.expire(deadline).await?;
        }
        if !full {
            return store.next_deadline().await;
        }
    }
}
