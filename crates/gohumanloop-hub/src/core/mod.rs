//! The hub's core: the one place where requests are created and change state. The HTTP API,
//! the inbox, the channels and the deadline timer all call these functions; each one commits to
//! the store first and only then tells waiters and event subscribers.
//!
//! A human's action reaches the core as a [`Decision`] by an [`Actor`]; [`Hub::decide`]
//! resolves it for the request's loop type in one table ([`decision`]) and applies it with one
//! conditional write, answering a [`Verdict`].

mod deadline;
pub mod decision;
mod follow;
pub mod intake;
mod live;
mod plan;
pub(crate) mod verdict;

pub use decision::{Action, Actor, Decision, Refusal};
pub(crate) use plan::{escalations, PlanView};
pub use verdict::Verdict;

use std::sync::{Arc, Weak};
use std::time::Duration;

use gohumanloop::model::{LoopType, Status};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use self::live::Live;

use crate::keys::KeyCache;
use crate::record::schema_names::{LoopTypeName, StatusName};
use crate::record::{
    ms_to_rfc3339, now_ms, CreateOutcome, KeyOwner, NewRequest, Outcome, RequestFilter, RequestKey,
    RequestRecord, TenantId, Transition, TransitionOutcome,
};
use crate::store::{Change, Deadline, FeedObserver, Store, StoreResult};

/// How many events a slow SSE subscriber may fall behind before it misses some.
const EVENT_BUFFER: usize = 4_096;

/// The error a deadline sets on the requests it expires (the original client's wording).
pub const TIMED_OUT: &str = "Request timed out";

/// A change a tenant's event stream reports: one server-sent event of `GET /api/v1/events`
/// (`created`, `updated`), as JSON.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HubEvent {
    /// The tenant it belongs to (never sent).
    #[serde(skip)]
    pub tenant: TenantId,
    /// `created` or `updated`.
    #[schema(value_type = String, example = "updated")]
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
    #[schema(value_type = LoopTypeName)]
    pub loop_type: LoopType,
    /// The status now.
    #[schema(value_type = StatusName)]
    pub status: Status,
    /// The status before (`updated` only).
    #[schema(value_type = Option<StatusName>)]
    pub previous_status: Option<Status>,
    /// Who answered, if someone did.
    pub responded_by: Option<String>,
    /// When the change happened (RFC 3339).
    pub at: String,
}

impl HubEvent {
    fn of(change: &Change) -> Self {
        let outcome = &change.outcome;
        Self {
            tenant: change.key.tenant,
            event: if change.before.is_some() {
                "updated"
            } else {
                "created"
            },
            id: outcome.id.clone(),
            task_id: change.task_id.clone(),
            conversation_id: change.key.conversation_id.clone(),
            request_id: change.key.request_id.clone(),
            platform: change.key.platform.clone(),
            loop_type: change.loop_type,
            status: outcome.status,
            previous_status: change.before,
            responded_by: outcome.responded_by.clone(),
            at: ms_to_rfc3339(now_ms()),
        }
    }
}

pub(crate) struct Core {
    store: Arc<dyn Store>,
    /// The rules every new request is planned by.
    policy: crate::policy::Policy,
    /// Tenants' names by id, as the policy's rules match them (a tenant is never renamed).
    tenant_names: std::sync::RwLock<std::collections::HashMap<TenantId, String>>,
    live: Live,
    keys: KeyCache,
    events: broadcast::Sender<HubEvent>,
    /// Tells the deadline timer of a new deadline (Unix ms).
    deadlines: mpsc::UnboundedSender<i64>,
    shutdown: watch::Sender<bool>,
    /// The hub's time after the test clock last moved (Unix ms): timers look again.
    clock: watch::Sender<i64>,
}

/// The hub: cheap to clone, shared by every handler.
#[derive(Clone)]
pub struct Hub {
    core: Arc<Core>,
}

impl Hub {
    /// Starts a hub on a store: follows its change feed, and expires pending requests as
    /// their deadlines come (at once those that passed while the hub was down).
    pub async fn start(store: Arc<dyn Store>) -> StoreResult<Self> {
        Self::start_with_policy(store, crate::policy::Policy::default()).await
    }

    /// [`Hub::start`] with a policy: every new request is planned by its rules.
    pub async fn start_with_policy(
        store: Arc<dyn Store>,
        policy: crate::policy::Policy,
    ) -> StoreResult<Self> {
        let (deadlines, sooner) = mpsc::unbounded_channel();
        let core = Arc::new(Core {
            store,
            policy,
            tenant_names: Default::default(),
            live: Live::default(),
            keys: KeyCache::default(),
            events: broadcast::channel(EVENT_BUFFER).0,
            deadlines,
            shutdown: watch::channel(false).0,
            clock: watch::channel(0).0,
        });
        crate::metrics::install();
        let weak = Arc::downgrade(&core);
        let observer: Weak<dyn FeedObserver> = weak.clone();
        core.store.observe(observer);
        tokio::spawn(deadline::run(weak, sooner));
        Ok(Self { core })
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.core.store
    }

    /// Who a key belongs to (`None`: unknown or revoked).
    pub(crate) async fn authenticate(&self, key: &str) -> StoreResult<Option<KeyOwner>> {
        self.core.keys.owner(self.core.store.as_ref(), key).await
    }

    /// Stores a request (or recognises an identical repeat) and announces it.
    /// A `continue` also settles the conversation's earlier `inprogress` turns as `completed`
    /// (their answers kept, audited): the agent has moved on, and a client polling such a
    /// turn would otherwise wait for ever.
    pub async fn create(&self, mut request: NewRequest) -> StoreResult<CreateOutcome> {
        self.plan_request(&mut request).await?;
        let settle = request
            .continues_conversation
            .then(|| (request.key.clone(), request.actor.clone()));
        let channel = request.channel.clone();
        let outcome = match self.core.store.create(request).await? {
            CreateOutcome::Created(record) => {
                crate::metrics::created(record.loop_type.as_str(), &channel);
                match record.plan {
                    Some(_) => {
                        CreateOutcome::Created(Box::new(self.settle_at_create(*record).await?))
                    }
                    None => CreateOutcome::Created(record),
                }
            }
            other => other,
        };
        if let (CreateOutcome::Created(record), Some((key, actor))) = (&outcome, settle) {
            self.settle_turns(&key, &record.id, &actor).await?;
        }
        Ok(outcome)
    }

    /// Settles the `inprogress` turns of `key`'s conversation other than `current`.
    async fn settle_turns(&self, key: &RequestKey, current: &str, actor: &str) -> StoreResult<()> {
        let open = RequestFilter {
            conversation_id: Some(key.conversation_id.clone()),
            statuses: vec![Status::InProgress],
            limit: 64,
            ..RequestFilter::default()
        };
        let mut before = None;
        loop {
            let page = self.core.store.page(key.tenant, &open, before).await?;
            let Some((last, _)) = page.last() else {
                return Ok(());
            };
            before = Some(*last);
            for (_, turn) in page.into_iter().filter(|(_, t)| t.id != current) {
                let change = Transition {
                    tenant: key.tenant,
                    id: turn.id,
                    from: vec![Status::InProgress],
                    to: Status::Completed,
                    response: None,
                    feedback: None,
                    actor: actor.to_owned(),
                    actor_name: None,
                    channel: "continue".into(),
                    error: None,
                    ballot: None,
                    grant: None,
                };
                // A conflict: someone ended that turn meanwhile; nothing left to settle.
                self.transition(change).await?;
            }
        }
    }

    /// **The one entry point for a human's decision**, from any channel: resolves it for the
    /// request's loop type in the one table ([`decision`]) and applies it with one conditional
    /// write. The first valid decision wins; later ones get [`Verdict::Conflict`] naming the
    /// winner, invalid ones [`Verdict::Refused`] saying why (nothing recorded). Waiters wake
    /// after the commit.
    pub async fn decide(
        &self,
        tenant: TenantId,
        id: &str,
        decision: Decision,
        actor: &Actor,
    ) -> StoreResult<Verdict> {
        let Some(record) = self.core.store.by_id(id).await? else {
            return Ok(Verdict::NotFound);
        };
        if record.tenant != tenant {
            return Ok(Verdict::NotFound);
        }
        self.decide_on(&record, decision, actor).await
    }

    /// [`Hub::decide`] on a request the caller has just read (and may see): its type does not
    /// change, so it need not be read again; its status is checked by the write itself.
    pub async fn decide_on(
        &self,
        record: &RequestRecord,
        decision: Decision,
        actor: &Actor,
    ) -> StoreResult<Verdict> {
        let tenant = record.tenant;
        let asked = record.context.pointer("/function/arguments");
        let mut resolution = match decision::resolve_for(record.loop_type, asked, &decision) {
            Ok(resolution) => resolution,
            Err(refusal) => return Ok(Verdict::Refused(refusal)),
        };
        let ballot = match self.judge(record, &decision, actor) {
            plan::Judged::Apply => None,
            plan::Judged::Vote(ballot) => Some(ballot),
            plan::Judged::Refuse(refusal) => return Ok(Verdict::Refused(refusal)),
        };
        if let (Status::Approved, Some(response)) = (resolution.to, resolution.response.as_mut()) {
            bind_to_call(record, response);
        }
        let feedback = resolution.response.as_ref().and(decision.feedback);
        let change = Transition {
            tenant,
            id: record.id.clone(),
            from: decision::sources(record.loop_type, resolution.to),
            to: resolution.to,
            response: resolution.response,
            feedback,
            actor: actor.identity.clone(),
            actor_name: actor.display_name.clone(),
            channel: actor.channel.clone(),
            error: None,
            ballot,
            grant: None,
        };
        Ok(match self.transition(change).await? {
            TransitionOutcome::Changed { before, record } => Verdict::Changed { before, record },
            TransitionOutcome::Conflict(winner) => Verdict::Conflict(winner),
            TransitionOutcome::NotFound => Verdict::NotFound,
            TransitionOutcome::Voted { record, tally } => Verdict::Voted { record, tally },
            TransitionOutcome::AlreadyVoted(_) => Verdict::Refused(Refusal::AlreadyVoted {
                identity: actor.identity.clone(),
            }),
            // A human's decision relies on no grant.
            TransitionOutcome::GrantEnded(record) => Verdict::Conflict(record),
        })
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
        let _waiting = crate::metrics::waiting();
        let mut shutdown = self.core.shutdown.subscribe();
        tokio::select! {
            _ = rx.wait_for(|o| o.status != Status::Pending) => {}
            _ = tokio::time::sleep(limit) => {}
            _ = shutdown.wait_for(|down| *down) => {}
        }
        let current = rx.borrow().clone();
        Ok(Some(current))
    }

    /// How many agents wait on this hub now ([`Hub::wait`], long-polls included): once it
    /// counts an agent, an answer is sure to wake it. Walks every request the hub tracks, so
    /// it is for tests and benchmarks that must know agents are parked before they act, not
    /// for a hot path (the `ghl_waiters` gauge is that).
    pub fn waiters(&self) -> usize {
        self.core.live.receivers()
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
        actor: &Actor,
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
                let cancel = Decision::new(Action::Cancel, "");
                if let Verdict::Changed { .. } = self.decide_on(&request, cancel, actor).await? {
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
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.core.shutdown.subscribe()
    }

    /// Changes each time the test clock moves ([`Hub::advance_clock`]): a timer that planned
    /// by the clock looks again.
    pub(crate) fn clock_moved(&self) -> watch::Receiver<i64> {
        self.core.clock.subscribe()
    }

    /// Ends long-polls and event streams so that a graceful shutdown does not wait for them.
    pub fn begin_shutdown(&self) {
        self.core.shutdown.send_replace(true);
    }

    /// Expires a request whose deadline came (a no-op if it was answered in time).
    pub(crate) async fn expire(&self, due: Deadline) -> StoreResult<()> {
        // The plan stored with the request decides, whatever this node's configuration says.
        let record = self.core.store.by_id(&due.id).await?;
        let (to, response, actor, error) = match self.at_deadline(record.as_ref()) {
            Some((to, response, actor)) => (to, Some(response), actor, None),
            None => (Status::Expired, None, "hub".into(), Some(TIMED_OUT.into())),
        };
        // Answered or cancelled in time: the conflict is the normal case, nothing to do.
        let change = Transition {
            tenant: due.tenant,
            id: due.id,
            from: vec![Status::Pending],
            to,
            response,
            feedback: None,
            actor,
            actor_name: None,
            channel: "deadline".into(),
            error,
            ballot: None,
            grant: None,
        };
        self.transition(change).await.map(drop)
    }

    /// Every change the core makes, counted once it is applied.
    async fn transition(&self, change: Transition) -> StoreResult<TransitionOutcome> {
        let channel = change.channel.clone();
        let outcome = self.core.store.transition(change).await?;
        if let TransitionOutcome::Changed { record, .. } = &outcome {
            let age = crate::record::rfc3339_to_ms(&record.created_at)
                .map(|created| now_ms().saturating_sub(created))
                .and_then(|ms| u64::try_from(ms).ok())
                .unwrap_or(0);
            crate::metrics::decided(
                record.status.as_str(),
                &channel,
                record.loop_type.as_str(),
                Duration::from_millis(age),
            );
        }
        Ok(outcome)
    }

    pub(crate) fn from_core(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The policy new requests are planned by.
    pub fn policy(&self) -> &crate::policy::Policy {
        &self.core.policy
    }

    /// A tenant's name, as the policy's rules match it.
    async fn tenant_name(&self, tenant: TenantId) -> StoreResult<String> {
        if let Some(name) = self.known_tenant(tenant) {
            return Ok(name);
        }
        let tenants = self.core.store.tenants().await?;
        if let Ok(mut names) = self.core.tenant_names.write() {
            names.extend(tenants.into_iter().map(|t| (t.id, t.name)));
        }
        Ok(self.known_tenant(tenant).unwrap_or_default())
    }

    fn known_tenant(&self, tenant: TenantId) -> Option<String> {
        self.core.tenant_names.read().ok()?.get(&tenant).cloned()
    }

    /// Moves the hub's clock forward by `ms` and looks at the deadlines again (tests only:
    /// `ghl serve --test-clock`); the hub's time afterwards (Unix ms).
    pub fn advance_clock(&self, ms: i64) -> i64 {
        let now = crate::record::advance_clock(ms);
        // The timers wake at once and read what is due on the new clock.
        let _ = self.core.deadlines.send(now);
        self.core.clock.send_replace(now);
        now
    }
}

/// Stamps an approval of a function call with the hash of the call it approves (the edited
/// arguments, if the approver edited them): a guard about to run the call checks it.
fn bind_to_call(record: &RequestRecord, response: &mut serde_json::Value) {
    let Some((function, asked)) = plan::function_of(&record.context) else {
        return;
    };
    let approved = response.get("arguments").unwrap_or(asked);
    let hash = gohumanloop::model::call_hash(function, approved);
    if let Some(fields) = response.as_object_mut() {
        fields.insert("call_hash".into(), serde_json::Value::from(hash));
    }
}
