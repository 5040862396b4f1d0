//! The store contract (`src/store/mod.rs`) as a suite any backend runs: each check takes a
//! function that opens one more handle on the same database — several handles are several
//! writers, as several hub nodes are.

#![allow(dead_code)]

pub mod inbox;
pub mod nodes;
pub mod policy;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use gohumanloop::model::{LoopType, Status};
use gohumanloop_hub::audit::ChainCheck;
use gohumanloop_hub::record::{
    now_ms, CreateOutcome, NewRequest, RequestKey, TenantId, Transition, TransitionOutcome,
};
use gohumanloop_hub::store::{Attempt, Change, FeedObserver, Store};
use gohumanloop_hub::Hub;
use serde_json::json;

/// The tenant every check writes in (created by its first key).
pub(crate) async fn tenant(store: &dyn Store) -> TenantId {
    let key = store
        .add_key("conformance", "k", "p", "hash")
        .await
        .unwrap();
    let owner = store.key_owner("hash").await.unwrap().unwrap();
    assert_eq!(key.tenant, "conformance");
    owner.tenant
}

pub(crate) fn request(tenant: TenantId, rid: &str, deadline_at: Option<i64>) -> NewRequest {
    NewRequest {
        id: format!("id-{rid}"),
        key: RequestKey {
            tenant,
            conversation_id: "c".into(),
            request_id: rid.into(),
            platform: "p".into(),
        },
        task_id: "t".into(),
        loop_type: LoopType::Approval,
        context: serde_json::Map::new(),
        metadata: serde_json::Map::new(),
        created_at: now_ms(),
        deadline_at,
        actor: "agent".into(),
        channel: "api".into(),
        continues_conversation: false,
        plan: None,
        call_hash: None,
    }
}

pub(crate) fn change(tenant: TenantId, id: &str, to: Status, who: &str) -> Transition {
    Transition {
        tenant,
        id: id.into(),
        from: vec![Status::Pending],
        to,
        response: Some(json!({"by": who})),
        feedback: None,
        actor: who.into(),
        actor_name: None,
        channel: "conformance".into(),
        error: None,
        ballot: None,
        grant: None,
    }
}

pub(crate) async fn create(store: &dyn Store, request: NewRequest) {
    let outcome = store.create(request).await.unwrap();
    assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
}

/// The conditional change: the first wins, a later one is a conflict naming the winner,
/// an unknown request (or another tenant's) is not found.
pub async fn the_first_change_wins<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    let tenant = tenant(store.as_ref()).await;
    create(store.as_ref(), request(tenant, "r", None)).await;
    let first = store
        .transition(change(tenant, "id-r", Status::Approved, "alice"))
        .await
        .unwrap();
    let TransitionOutcome::Changed { before, record } = first else {
        panic!("{first:?}");
    };
    assert_eq!((before, record.status), (Status::Pending, Status::Approved));
    assert_eq!(record.responded_by.as_deref(), Some("alice"));
    let second = store
        .transition(change(tenant, "id-r", Status::Rejected, "bob"))
        .await
        .unwrap();
    let TransitionOutcome::Conflict(winner) = second else {
        panic!("{second:?}");
    };
    assert_eq!(
        (winner.status, winner.responded_by.as_deref()),
        (Status::Approved, Some("alice"))
    );
    for (t, id) in [(tenant, "id-nope"), (tenant + 1000, "id-r")] {
        let outcome = store
            .transition(change(t, id, Status::Rejected, "bob"))
            .await
            .unwrap();
        assert_eq!(outcome, TransitionOutcome::NotFound, "{t} {id}");
    }
}

/// Two writers deciding the same requests at once: exactly one change each, and one audit
/// chain that verifies.
pub async fn two_writers_never_fork_the_chain<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    const N: usize = 40;
    for i in 0..N {
        create(a.as_ref(), request(tenant, &format!("r{i}"), None)).await;
    }
    let mut tasks = Vec::new();
    for i in 0..N {
        for (store, who, to) in [
            (a.clone(), "alice", Status::Approved),
            (b.clone(), "bob", Status::Rejected),
        ] {
            let id = format!("id-r{i}");
            tasks.push(tokio::spawn(async move {
                store
                    .transition(change(tenant, &id, to, who))
                    .await
                    .unwrap()
            }));
        }
        // New requests from the second writer meanwhile.
        let b = b.clone();
        let rid = format!("b{i}");
        tasks.push(tokio::spawn(async move {
            match b.create(request(tenant, &rid, None)).await.unwrap() {
                CreateOutcome::Created(record) => TransitionOutcome::Changed {
                    before: Status::Pending,
                    record,
                },
                other => panic!("{other:?}"),
            }
        }));
    }
    let mut changed = 0;
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            TransitionOutcome::Changed { .. } => changed += 1,
            TransitionOutcome::Conflict(_) => conflicts += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((changed, conflicts), (2 * N, N), "one change per request");
    // N creates, N decisions, N creates by the second writer.
    let entries = 3 * N as u64;
    for store in [&a, &b] {
        assert_eq!(
            store.verify_audit().await.unwrap(),
            ChainCheck::Intact(entries)
        );
    }
}

/// The change feed: every commit, in order, numbered; nothing for a change that did not
/// happen.
pub async fn the_feed_carries_every_commit_in_order<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    let tenant = tenant(store.as_ref()).await;
    let mut feed = store.subscribe();
    let start = store.published();
    let deadline = now_ms() + 60_000;
    create(store.as_ref(), request(tenant, "r1", Some(deadline))).await;
    create(store.as_ref(), request(tenant, "r2", None)).await;
    store
        .transition(change(tenant, "id-r1", Status::Approved, "alice"))
        .await
        .unwrap();
    let conflict = store
        .transition(change(tenant, "id-r1", Status::Rejected, "bob"))
        .await
        .unwrap();
    assert!(matches!(conflict, TransitionOutcome::Conflict(_)));
    let mut seen = Vec::new();
    for _ in 0..3 {
        let change = tokio::time::timeout(Duration::from_secs(5), feed.recv())
            .await
            .expect("a change within 5 s")
            .unwrap();
        seen.push((
            change.seq,
            change.key.request_id.clone(),
            change.before,
            change.outcome.status,
            change.deadline_at,
        ));
    }
    assert_eq!(
        seen,
        [
            (
                start + 1,
                "r1".into(),
                None,
                Status::Pending,
                Some(deadline)
            ),
            (start + 2, "r2".into(), None, Status::Pending, None),
            (
                start + 3,
                "r1".into(),
                Some(Status::Pending),
                Status::Approved,
                None
            ),
        ]
    );
    assert_eq!(store.published(), start + 3);
    assert!(feed.try_recv().is_err(), "a conflict publishes nothing");
}

/// A change of a request marks its delivered messages due, in the change's own transaction;
/// a delivery not yet delivered keeps its own schedule, and a conflict marks nothing.
pub async fn a_change_marks_delivered_messages_due<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    let tenant = tenant(store.as_ref()).await;
    create(store.as_ref(), request(tenant, "r1", None)).await;
    let recipients = ["ann".to_owned(), "bob".to_owned()];
    store
        .open_deliveries("id-r1", "chat", &recipients)
        .await
        .unwrap();
    let now = now_ms();
    let claimed = store.claim_due(now, now + 60_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let ann = claimed.iter().find(|d| d.recipient == "ann").unwrap();
    let delivered = Attempt::Delivered {
        reference: "m1".into(),
        shown: Status::Pending,
        data: None,
    };
    store.record_attempt(ann, delivered).await.unwrap();
    let bob = claimed.iter().find(|d| d.recipient == "bob").unwrap();
    let retry_at = now + 3_600_000;
    let failed = Attempt::Failed {
        error: "down".into(),
        retry_at,
    };
    store.record_attempt(bob, failed).await.unwrap();
    // An escalation step's delivery falls due when the step is reached, and a delivery opened
    // before (ann's) is left as it is.
    let step_at = now + 600_000;
    let opening = [("cy".to_owned(), step_at), ("ann".to_owned(), now)];
    store
        .open_deliveries_due("id-r1", "chat", &opening)
        .await
        .unwrap();
    assert_eq!(store.claim_due(now, now + 60_000, 10).await.unwrap(), []);
    let due = |store: Arc<dyn Store>| async move {
        let mut due: Vec<(String, Option<i64>)> = store
            .deliveries_of("id-r1")
            .await
            .unwrap()
            .into_iter()
            .map(|d| (d.recipient, d.due_at))
            .collect();
        due.sort();
        due
    };
    assert_eq!(
        due(store.clone()).await,
        [
            ("ann".to_owned(), None),
            ("bob".to_owned(), Some(retry_at)),
            ("cy".to_owned(), Some(step_at))
        ]
    );
    let before = now_ms();
    store
        .transition(change(tenant, "id-r1", Status::Approved, "alice"))
        .await
        .unwrap();
    let after = due(store.clone()).await;
    let ann_due = after[0]
        .1
        .expect("the delivered message is due after the change");
    assert!(ann_due >= before && ann_due <= now_ms(), "{after:?}");
    assert_eq!(after[1], ("bob".to_owned(), Some(retry_at)));
    assert_eq!(after[2], ("cy".to_owned(), Some(step_at)));
    // Brought up to date, it rests; a change that does not happen marks nothing.
    let updated = store
        .deliveries_of("id-r1")
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.recipient == "ann")
        .unwrap();
    store
        .record_attempt(
            &updated,
            Attempt::Updated {
                shown: Status::Approved,
            },
        )
        .await
        .unwrap();
    store
        .transition(change(tenant, "id-r1", Status::Rejected, "bob"))
        .await
        .unwrap();
    assert_eq!(due(store.clone()).await[0], ("ann".to_owned(), None));
    let at_step = store
        .claim_due(step_at, step_at + 60_000, 10)
        .await
        .unwrap();
    let claimed: Vec<&str> = at_step.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(claimed, ["cy"]);
}

/// A change while an attempt is in flight leaves the claimant's lease as it is (nobody else
/// sends the next update meanwhile); the claimant's record of its attempt, showing the status
/// before the change, leaves the delivery due at once, and the next claim sends the update.
pub async fn a_change_keeps_a_claimants_lease<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    create(a.as_ref(), request(tenant, "r1", None)).await;
    a.open_deliveries("id-r1", "chat", &["ann".to_owned()])
        .await
        .unwrap();
    let now = now_ms();
    let first = a.claim_due(now, now + 60_000, 10).await.unwrap();
    a.record_attempt(
        &first[0],
        Attempt::Delivered {
            reference: "m1".into(),
            shown: Status::Pending,
            data: None,
        },
    )
    .await
    .unwrap();
    // A conversation-like update is in flight on a (it leased the delivery)…
    b.transition(change(tenant, "id-r1", Status::Approved, "alice"))
        .await
        .unwrap();
    let now = now_ms();
    let in_flight = a.claim_due(now, now + 60_000, 10).await.unwrap();
    assert_eq!(in_flight.len(), 1, "the change made the message due");
    b.transition(Transition {
        from: vec![Status::Approved],
        ..change(tenant, "id-r1", Status::Cancelled, "bob")
    })
    .await
    .unwrap();
    // …and a change meanwhile does not hand it to anyone else.
    let now = now_ms();
    assert!(
        b.claim_due(now, now + 60_000, 10).await.unwrap().is_empty(),
        "the lease holds"
    );
    a.record_attempt(
        &in_flight[0],
        Attempt::Updated {
            shown: Status::Approved,
        },
    )
    .await
    .unwrap();
    let now = now_ms();
    let next = b.claim_due(now, now + 60_000, 10).await.unwrap();
    assert_eq!(
        next.len(),
        1,
        "due again: the message shows an older status"
    );
    assert_eq!(next[0].shown_status, Some(Status::Approved));
}

/// Records what the feed's observer is shown.
#[derive(Default)]
pub(crate) struct Recorder(std::sync::Mutex<Vec<(u64, String, Status)>>);

impl FeedObserver for Recorder {
    fn observe(&self, change: &Arc<Change>) {
        self.0.lock().unwrap().push((
            change.seq,
            change.key.request_id.clone(),
            change.outcome.status,
        ));
    }
}

impl Recorder {
    pub(crate) fn seen(&self) -> Vec<(u64, String, Status)> {
        self.0.lock().unwrap().clone()
    }
}

/// The feed's observers are shown each change before its write is acknowledged (so whoever
/// made it reads it back), in order; nothing for a change that did not happen; a dropped
/// observer is no longer called.
pub async fn observers_see_each_change_before_it_is_acknowledged<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    let tenant = tenant(store.as_ref()).await;
    let recorder = Arc::new(Recorder::default());
    let observer: std::sync::Weak<dyn FeedObserver> = Arc::downgrade(&recorder) as _;
    store.observe(observer);
    let start = store.published();
    create(store.as_ref(), request(tenant, "r1", None)).await;
    assert_eq!(
        recorder.seen(),
        [(start + 1, "r1".to_owned(), Status::Pending)],
        "seen when the create returns"
    );
    store
        .transition(change(tenant, "id-r1", Status::Approved, "alice"))
        .await
        .unwrap();
    assert_eq!(
        recorder.seen().last(),
        Some(&(start + 2, "r1".to_owned(), Status::Approved)),
        "seen when the change returns"
    );
    let conflict = store
        .transition(change(tenant, "id-r1", Status::Rejected, "bob"))
        .await
        .unwrap();
    assert!(matches!(conflict, TransitionOutcome::Conflict(_)));
    assert_eq!(recorder.seen().len(), 2, "a conflict shows nothing");
    drop(recorder);
    create(store.as_ref(), request(tenant, "r2", None)).await;
    assert_eq!(store.published(), start + 3);
}

/// Deadlines are read as they fall due: only pending requests, earliest first.
pub async fn deadlines_are_read_as_they_fall_due<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    let tenant = tenant(store.as_ref()).await;
    let now = now_ms();
    for (rid, at) in [
        ("late", Some(now - 1_000)),
        ("later", Some(now - 2_000)),
        ("answered", Some(now - 3_000)),
        ("future", Some(now + 60_000)),
        ("none", None),
    ] {
        create(store.as_ref(), request(tenant, rid, at)).await;
    }
    store
        .transition(change(tenant, "id-answered", Status::Approved, "alice"))
        .await
        .unwrap();
    let due: Vec<(String, i64)> = store
        .due(now, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.id, d.at))
        .collect();
    assert_eq!(
        due,
        [
            ("id-later".into(), now - 2_000),
            ("id-late".into(), now - 1_000)
        ]
    );
    assert_eq!(store.due(now, 1).await.unwrap().len(), 1, "the limit holds");
    assert_eq!(store.next_deadline().await.unwrap(), Some(now - 2_000));
}

/// A hub on one handle expires what another writer left overdue, at start-up.
pub async fn a_hub_expires_what_another_writer_left_overdue<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(b.as_ref()).await;
    create(b.as_ref(), request(tenant, "overdue", Some(now_ms() - 10))).await;
    let hub = Hub::start(a).await.unwrap();
    let key = RequestKey {
        tenant,
        conversation_id: "c".into(),
        request_id: "overdue".into(),
        platform: "p".into(),
    };
    let outcome = hub
        .wait(&key, Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.status, Status::Expired);
    assert_eq!(outcome.error.as_deref(), Some(gohumanloop_hub::TIMED_OUT));
}
