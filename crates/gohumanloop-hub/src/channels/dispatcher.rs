//! The dispatcher: routes new requests to channels, and works every due delivery — first
//! deliveries, retries, updates after a change — recording each attempt in the store.
//!
//! It follows the store's change feed: a created request is routed (one delivery opened per
//! channel and recipient), a changed one already had its deliveries marked due by the store.
//! Work is claimed from the store for a lease (see [`crate::store::deliveries`]), so a
//! delivery is never worked twice at once, and one whose worker died is taken up again when
//! its lease ends. At start it routes the pending requests that have no delivery yet (created
//! while it was not running) and resumes whatever was left due.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, Semaphore};

use super::schedule::jittered;
use super::{Channel, Delivered, DeliveryError};
use crate::core::{escalations, Hub};
use crate::record::{now_ms, RequestRecord};
use crate::store::{Attempt, Delivery, DeliveryState, StoreResult};

/// How long a claimed delivery is held before another worker may take it up.
const LEASE: Duration = Duration::from_secs(120);

/// The longest the worker sleeps without looking at the store.
const IDLE: Duration = Duration::from_secs(30);

/// How many deliveries are claimed at a time.
const CLAIM: u32 = 32;

/// How many attempts run at once on one channel. Each channel has its own share, so a channel
/// whose receiver hangs (or answers slowly) holds up its own deliveries only.
const PARALLEL_PER_CHANNEL: usize = 16;

/// How long to wait before trying again after the store failed.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// Whom a request goes to on a channel, and when (Unix ms): the channel's routes decide, at
/// once; then, as each escalation step of its plan is reached, the people it adds whom the
/// channel can reach by name (each recipient once, at the earliest) — within the channels the
/// agent named in `metadata.channels` (a list, or one comma-separated text, of channel names
/// such as `slack:ops`, or kinds such as `slack`), when it named any.
fn recipients(name: &str, channel: &dyn Channel, record: &RequestRecord) -> Vec<(String, i64)> {
    if !named_by_agent(name, &record.metadata) {
        return Vec::new();
    }
    let now = now_ms();
    let mut all: Vec<(String, i64)> = channel
        .recipients(record)
        .into_iter()
        .map(|to| (to, now))
        .collect();
    for (at, people) in escalations(record) {
        for to in channel.escalation_recipients(record, &people) {
            if !all.iter().any(|(known, _)| *known == to) {
                all.push((to, at));
            }
        }
    }
    all
}

/// Whether the agent's `metadata.channels`, if it gave one, names this channel or its kind.
fn named_by_agent(name: &str, metadata: &Value) -> bool {
    let kind = name.split(':').next().unwrap_or(name);
    let names: Vec<&str> = match metadata.get("channels") {
        None | Some(Value::Null) => return true,
        Some(Value::String(text)) => text.split(',').map(str::trim).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(_) => return true,
    };
    names.iter().any(|n| *n == name || *n == kind)
}

/// The running dispatcher of a hub's channels.
pub struct Dispatcher {
    hub: Hub,
    channels: HashMap<String, Arc<dyn Channel>>,
    work: Notify,
    /// Each channel's share of attempts at once, by channel name.
    attempts: HashMap<String, Arc<Semaphore>>,
}

impl Dispatcher {
    /// Starts dispatching to `channels` (names must differ: a later one of the same name is
    /// refused with an error naming it).
    pub fn start(hub: Hub, channels: Vec<Arc<dyn Channel>>) -> Result<Arc<Self>, String> {
        let mut by_name = HashMap::new();
        for channel in channels {
            let name = channel.name().to_owned();
            if by_name.insert(name.clone(), channel).is_some() {
                return Err(format!("two channels are named '{name}'"));
            }
        }
        let attempts = by_name
            .keys()
            .map(|name| (name.clone(), Arc::new(Semaphore::new(PARALLEL_PER_CHANNEL))))
            .collect();
        let dispatcher = Arc::new(Self {
            hub,
            channels: by_name,
            work: Notify::new(),
            attempts,
        });
        if !dispatcher.channels.is_empty() {
            tokio::spawn(dispatcher.clone().follow());
            tokio::spawn(dispatcher.clone().work());
        }
        Ok(dispatcher)
    }

    /// Every channel's inbound routes, to merge into the hub's router.
    pub fn routes(&self) -> Router {
        self.channels
            .values()
            .filter_map(|c| c.routes())
            .fold(Router::new(), Router::merge)
    }

    /// Routes new requests as the change feed reports them.
    async fn follow(self: Arc<Self>) {
        let mut feed = self.hub.store().subscribe();
        let mut shutdown = self.hub.shutdown_signal();
        self.route_undelivered().await;
        loop {
            let change = tokio::select! {
                change = feed.recv() => change,
                _ = shutdown.wait_for(|down| *down) => return,
            };
            match change {
                Ok(change) if change.before.is_none() => {
                    if let Err(e) = self.route(&change.outcome.id).await {
                        tracing::warn!("could not route request {}: {e}", change.outcome.id);
                    }
                }
                // A change marked the request's deliveries due.
                Ok(_) => self.work.notify_one(),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the dispatcher fell behind; routing again");
                    self.route_undelivered().await;
                }
                Err(RecvError::Closed) => return,
            }
        }
    }

    /// Opens the deliveries of a new request on every channel it is routed to.
    async fn route(&self, id: &str) -> StoreResult<()> {
        let Some(record) = self.hub.store().by_id(id).await? else {
            return Ok(());
        };
        for (name, channel) in &self.channels {
            let recipients = recipients(name, channel.as_ref(), &record);
            if !recipients.is_empty() {
                self.hub
                    .store()
                    .open_deliveries_due(&record.id, name, &recipients)
                    .await?;
            }
        }
        self.work.notify_one();
        Ok(())
    }

    /// Routes every pending request that a channel has no delivery of yet.
    async fn route_undelivered(&self) {
        for (name, channel) in &self.channels {
            let mut after = None;
            loop {
                let page = match self.hub.store().undelivered(name, after, 256).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::warn!(channel = %name, "could not look for undelivered requests: {e}");
                        break;
                    }
                };
                let Some((last, _)) = page.last() else { break };
                after = Some(*last);
                for (_, record) in page {
                    let recipients = recipients(name, channel.as_ref(), &record);
                    if recipients.is_empty() {
                        continue;
                    }
                    let opened = self
                        .hub
                        .store()
                        .open_deliveries_due(&record.id, name, &recipients)
                        .await;
                    if let Err(e) = opened {
                        tracing::warn!(channel = %name, "could not route request {}: {e}", record.id);
                    }
                }
            }
        }
        self.work.notify_one();
    }

    /// Works due deliveries until the hub shuts down.
    async fn work(self: Arc<Self>) {
        let mut shutdown = self.hub.shutdown_signal();
        let mut clock = self.hub.clock_moved();
        loop {
            let wait = match self.claim_and_start().await {
                Ok(true) => Duration::ZERO,
                Ok(false) => self.until_next_due().await,
                Err(e) => {
                    tracing::warn!("could not claim deliveries: {e}");
                    STORE_RETRY
                }
            };
            if wait.is_zero() {
                continue;
            }
            tokio::select! {
                _ = self.work.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                // Deliveries due later (escalations) may be due on the test clock's new time.
                _ = clock.changed() => {}
                _ = shutdown.wait_for(|down| *down) => return,
            }
        }
    }

    /// Claims a batch and starts an attempt on each; `true` if the batch was full (more may
    /// be due).
    async fn claim_and_start(self: &Arc<Self>) -> StoreResult<bool> {
        let now = now_ms();
        let lease_until = now + LEASE.as_millis() as i64;
        let claimed = self.hub.store().claim_due(now, lease_until, CLAIM).await?;
        let full = claimed.len() == CLAIM as usize;
        let claimed_at = Instant::now();
        for delivery in claimed {
            let share = self.attempts.get(&delivery.channel).cloned();
            let dispatcher = self.clone();
            tokio::spawn(async move {
                // A delivery of a channel that is not configured here is given up at once.
                let permit = match share {
                    Some(share) => match share.acquire_owned().await {
                        Ok(permit) => Some(permit),
                        Err(_) => return,
                    },
                    None => None,
                };
                // Past half its lease, a delivery that waited for its channel's share is left
                // to whichever worker claims it when the lease ends: never two attempts at once.
                if claimed_at.elapsed() > LEASE / 2 {
                    return;
                }
                if let Err(e) = dispatcher.attempt(&delivery).await {
                    tracing::warn!(channel = %delivery.channel, request = %delivery.request_id,
                        "could not record a delivery attempt: {e}");
                }
                drop(permit);
                // Its next due time (a retry) may be sooner than the worker's sleep.
                dispatcher.work.notify_one();
            });
        }
        Ok(full)
    }

    async fn until_next_due(&self) -> Duration {
        match self.hub.store().next_delivery_due().await {
            Ok(Some(at)) => Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0))
                .max(Duration::from_millis(1))
                .min(IDLE),
            Ok(None) => IDLE,
            Err(e) => {
                tracing::warn!("could not read the next delivery: {e}");
                STORE_RETRY
            }
        }
    }

    /// One attempt on one delivery, and its record.
    async fn attempt(&self, delivery: &Delivery) -> StoreResult<()> {
        let store = self.hub.store();
        let record = store.by_id(&delivery.request_id).await?;
        let (Some(channel), Some(record)) = (self.channels.get(&delivery.channel), record) else {
            let error = "the channel is not configured on this hub".to_owned();
            return store
                .record_attempt(delivery, Attempt::GaveUp { error })
                .await;
        };
        let attempt = match delivery.state {
            DeliveryState::Pending => match channel.deliver(&record, delivery).await {
                Ok(Delivered::Sent { reference, data }) => Attempt::Delivered {
                    reference,
                    shown: record.status,
                    data,
                },
                Ok(Delivered::Skipped(reason)) => Attempt::Skipped { reason },
                Err(e) => self.failed(channel.as_ref(), delivery, e),
            },
            // A pending request's message also shows its votes, which change within `pending`.
            DeliveryState::Delivered
                if delivery.shown_status == Some(record.status)
                    && record.open_tally().is_none() =>
            {
                Attempt::Updated {
                    shown: record.status,
                }
            }
            DeliveryState::Delivered => match channel.update(&record, delivery).await {
                Ok(()) => Attempt::Updated {
                    shown: record.status,
                },
                Err(e) => self.failed(channel.as_ref(), delivery, e),
            },
            // Nothing more to do; clear what made it due.
            DeliveryState::Skipped | DeliveryState::GaveUp => Attempt::Idle,
        };
        if let Attempt::Failed { error, .. } | Attempt::GaveUp { error } = &attempt {
            tracing::warn!(channel = %delivery.channel, request = %delivery.request_id,
                recipient = %delivery.recipient, "delivery failed: {error}");
        }
        if let Some(outcome) = attempt.outcome() {
            crate::metrics::delivery(&delivery.channel, outcome);
        }
        store.record_attempt(delivery, attempt).await
    }

    fn failed(&self, channel: &dyn Channel, delivery: &Delivery, error: DeliveryError) -> Attempt {
        match error {
            DeliveryError::Retry(error) => match channel.retry_delay(delivery.attempts + 1) {
                Some(delay) => Attempt::Failed {
                    error,
                    retry_at: now_ms() + jittered(delay).as_millis() as i64,
                },
                None => Attempt::GaveUp { error },
            },
            DeliveryError::Permanent(error) => Attempt::GaveUp { error },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::named_by_agent;
    use serde_json::json;

    #[test]
    fn an_agent_narrows_its_request_to_the_channels_it_names() {
        assert!(named_by_agent("slack:ops", &json!({})));
        assert!(named_by_agent(
            "slack:ops",
            &json!({"channels": ["email", "slack:ops"]})
        ));
        assert!(named_by_agent(
            "slack:ops",
            &json!({"channels": "feishu:cn, slack"})
        ));
        assert!(!named_by_agent(
            "slack:ops",
            &json!({"channels": ["slack:dev", "email"]})
        ));
        assert!(!named_by_agent("email", &json!({"channels": []})));
    }
}
