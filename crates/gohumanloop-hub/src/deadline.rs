//! Deadlines held by the hub: a timer task that expires pending requests when their time comes,
//! including, right at start-up, those whose time came while the hub was down.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Weak;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::hub::{Core as HubCore, Hub};
use crate::record::now_ms;
use crate::store::Deadline;

/// How long to wait before trying again an expiry the store refused.
const RETRY: Duration = Duration::from_secs(1);

type Queue = BinaryHeap<Reverse<(i64, i64, String)>>;

/// Runs until the hub is dropped: expires each request at its deadline.
pub(crate) async fn run(
    hub: Weak<HubCore>,
    mut incoming: mpsc::UnboundedReceiver<Deadline>,
    initial: Vec<Deadline>,
) {
    let mut queue: Queue = initial.into_iter().map(entry).collect();
    loop {
        let next_at = queue.peek().map(|Reverse((at, _, _))| *at);
        let sleep = match next_at {
            Some(at) => Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)),
            None => Duration::from_secs(3600),
        };
        tokio::select! {
            added = incoming.recv() => match added {
                Some(d) => queue.push(entry(d)),
                None => return,
            },
            _ = tokio::time::sleep(sleep), if !sleep.is_zero() => {}
            _ = std::future::ready(()), if sleep.is_zero() => {}
        }
        while queue
            .peek()
            .is_some_and(|Reverse((at, _, _))| *at <= now_ms())
        {
            let Some(Reverse((at, tenant, id))) = queue.pop() else {
                break;
            };
            let Some(core) = hub.upgrade() else { return };
            let due = Deadline { at, tenant, id };
            if let Err(e) = Hub::from_core(core).expire(due.clone()).await {
                tracing::warn!("could not expire request {} yet: {e}", due.id);
                queue.push(entry(Deadline {
                    at: now_ms() + RETRY.as_millis() as i64,
                    ..due
                }));
                break;
            }
        }
    }
}

fn entry(d: Deadline) -> Reverse<(i64, i64, String)> {
    Reverse((d.at, d.tenant, d.id))
}
