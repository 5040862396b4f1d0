//! The hub's core: the one place where requests are created and change state. The HTTP API,
//! the deadline timer and the channels all call these functions; each one commits to
//! the store first and only then tells waiters and event subscribers.

use std::sync::Arc;
use std::time::Duration;

use gohumanloop::model::{LoopType, Status};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use crate::deadline;
use crate::keys::KeyCache;
use crate::live::Live;
use crate::record::{
    ms_to_rfc3339, now_ms, CreateOutcome, KeyOwner, NewRequest, Outcome, RequestFilter, RequestKey,
    RequestRecord, TenantId, Transition, TransitionOutcome,
};
use crate::store::{Deadline, Store, StoreResult};

/// How many events a slow SSE subscriber may fall behind before it misses some.
const EVENT_BUFFER: usize = 4_096;

/// The error a deadline sets on the requests it expires (the original client's wording).
pub const TIMED_OUT: &str = "Request timed out";

/// A change a tenant's event stream reports.
#[derive(Debug, Clone, Serialize)]
pub struct HubEvent {
    /// The tenant it belongs to (never sent).
    #[serde(skip)]
    pub tenant: TenantId,
    /// `created` or `updated`.
    pub event: &'static str,
    /// The hub's id of the request.
    pub id: String,
    /// The business task.
    pub task_id: String,
    /// The dialogue.
    pub conversation_id: String,
    /// The client's request id.
    pub request_id: String,
    /// The platform.
    pub platform: String,
    /// The kind of interaction.
    pub loop_type: LoopType,
    /// The status now.
    pub status: Status,
    /// The status before (`updated` only).
    pub previous_status: Option<Status>,
    /// Who answered, if someone did.
    pub responded_by: Option<String>,
    /// When the change happened (RFC 3339).
    pub at: String,
}

impl HubEvent {
    fn new(record: &RequestRecord, previous_status: Option<Status>) -> Self {
        Self {
            tenant: record.tenant,
            event: if previous_status.is_some() {
                "updated"
            } else {
                "created"
            },
            id: record.id.clone(),
            task_id: record.task_id.clone(),
            conversation_id: record.conversation_id.clone(),
            request_id: record.request_id.clone(),
            platform: record.platform.clone(),
            loop_type: record.loop_type,
            status: record.status,
            previous_status,
            responded_by: record.responded_by.clone(),
            at: ms_to_rfc3339(now_ms()),
        }
    }
}

pub(crate) struct Core {
    store: Arc<dyn Store>,
    live: Live,
    keys: KeyCache,
    events: broadcast::Sender<HubEvent>,
    deadlines: mpsc::UnboundedSender<Deadline>,
    shutdown: watch::Sender<bool>,
}

/// The hub: cheap to clone, shared by every handler.
#[derive(Clone)]
pub struct Hub {
    core: Arc<Core>,
}

impl Hub {
    /// Starts a hub on a store: arms the deadlines of every pending request (expiring at once
    /// those that passed while the hub was down).
    pub async fn start(store: Arc<dyn Store>) -> StoreResult<Self> {
        let (deadlines, due) = mpsc::unbounded_channel();
        let core = Arc::new(Core {
            store,
            live: Live::default(),
            keys: KeyCache::default(),
            events: broadcast::channel(EVENT_BUFFER).0,
            deadlines,
            shutdown: watch::channel(false).0,
        });
        let hub = Self { core };
        let pending = hub.core.store.deadlines().await?;
        tokio::spawn(deadline::run(Arc::downgrade(&hub.core), due, pending));
        Ok(hub)
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.core.store
    }

    /// Who a key belongs to (`None`: unknown or revoked).
    pub async fn authenticate(&self, key: &str) -> StoreResult<Option<KeyOwner>> {
        self.core.keys.owner(self.core.store.as_ref(), key).await
    }

    /// Stores a request (or recognises an identical repeat) and announces it.
    pub async fn create(&self, request: NewRequest) -> StoreResult<CreateOutcome> {
        let deadline = request.deadline_at;
        let outcome = self.core.store.create(request).await?;
        if let CreateOutcome::Created(record) = &outcome {
            self.core.live.publish(record.key(), record.outcome());
            if let Some(at) = deadline {
                // The timer task outlives every handler; a send fails only at shutdown.
                let _ = self.core.deadlines.send(Deadline {
                    at,
                    tenant: record.tenant,
                    id: record.id.clone(),
                });
            }
            self.announce(record, None);
        }
        Ok(outcome)
    }

    /// **The one function that changes a request's state** (answers, cancellations, expiry):
    /// a single conditional write in the store; the first valid change wins and later ones get
    /// [`TransitionOutcome::Conflict`] naming the winner. Waiters wake after the commit.
    pub async fn transition(&self, change: Transition) -> StoreResult<TransitionOutcome> {
        let outcome = self.core.store.transition(change).await?;
        if let TransitionOutcome::Changed { before, record } = &outcome {
            self.core.live.publish(record.key(), record.outcome());
            self.announce(record, Some(*before));
        }
        Ok(outcome)
    }

    fn announce(&self, record: &RequestRecord, before: Option<Status>) {
        // Building the event costs allocations: skip it when no stream listens.
        if self.core.events.receiver_count() > 0 {
            let _ = self.core.events.send(HubEvent::new(record, before));
        }
    }

    /// The current outcome of a request (`None`: the tenant has no such request).
    pub async fn outcome(&self, key: &RequestKey) -> StoreResult<Option<Arc<Outcome>>> {
        if let Some(known) = self.core.live.get(key) {
            return Ok(Some(known));
        }
        Ok(self.watch(key).await?.map(|rx| rx.borrow().clone()))
    }

    /// Waits up to `limit` for a request to leave `pending`, then returns its outcome.
    pub async fn wait(
        &self,
        key: &RequestKey,
        limit: Duration,
    ) -> StoreResult<Option<Arc<Outcome>>> {
        let Some(mut rx) = self.watch(key).await? else {
            return Ok(None);
        };
        let mut shutdown = self.core.shutdown.subscribe();
        tokio::select! {
            _ = rx.wait_for(|o| o.status != Status::Pending) => {}
            _ = tokio::time::sleep(limit) => {}
            _ = shutdown.wait_for(|down| *down) => {}
        }
        let current = rx.borrow().clone();
        Ok(Some(current))
    }

    async fn watch(&self, key: &RequestKey) -> StoreResult<Option<watch::Receiver<Arc<Outcome>>>> {
        loop {
            if let Some(rx) = self.core.live.subscribe(key) {
                return Ok(Some(rx));
            }
            let epoch = self.core.live.epoch();
            let Some(record) = self.core.store.find(key).await? else {
                return Ok(None);
            };
            // `None`: the cache was pruned during the read; read again (pruning is rare).
            if let Some(rx) = self.core.live.fill(key.clone(), record.outcome(), epoch) {
                return Ok(Some(rx));
            }
        }
    }

    /// Cancels every open request of a conversation; `None` if the tenant has no such
    /// conversation, else how many were cancelled.
    pub async fn cancel_conversation(
        &self,
        tenant: TenantId,
        conversation_id: &str,
        actor: &str,
        channel: &str,
    ) -> StoreResult<Option<usize>> {
        let store = &self.core.store;
        let conversation = RequestFilter {
            conversation_id: Some(conversation_id.to_owned()),
            limit: 1,
            ..RequestFilter::default()
        };
        if store.page(tenant, &conversation, None).await?.is_empty() {
            return Ok(None);
        }
        // The open turns a page at a time: a conversation may be long and its turns large.
        let open = RequestFilter {
            statuses: vec![Status::Pending, Status::InProgress],
            limit: 64,
            ..conversation
        };
        let mut cancelled = 0;
        let mut before = None;
        loop {
            let page = store.page(tenant, &open, before).await?;
            let Some((last, _)) = page.last() else {
                break;
            };
            before = Some(*last);
            for (_, request) in page {
                let change = Transition::cancel(tenant, request.id, actor, channel);
                if let TransitionOutcome::Changed { .. } = self.transition(change).await? {
                    cancelled += 1;
                }
            }
        }
        Ok(Some(cancelled))
    }

    /// A receiver of every tenant's events (filter by [`HubEvent::tenant`]).
    pub fn events(&self) -> broadcast::Receiver<HubEvent> {
        self.core.events.subscribe()
    }

    /// A receiver that turns `true` when the hub begins shutting down.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.core.shutdown.subscribe()
    }

    /// Ends long-polls and event streams so that a graceful shutdown does not wait for them.
    pub fn begin_shutdown(&self) {
        self.core.shutdown.send_replace(true);
    }

    /// Expires a request whose deadline came (a no-op if it was answered in time).
    pub(crate) async fn expire(&self, due: Deadline) -> StoreResult<()> {
        // Answered or cancelled in time: the conflict is the normal case, nothing to do.
        self.transition(Transition::expire(due.tenant, due.id))
            .await
            .map(drop)
    }

    pub(crate) fn from_core(core: Arc<Core>) -> Self {
        Self { core }
    }
}
