//! The part of the store contract that a backend for several hub nodes keeps on top (the
//! PostgreSQL store): each node's feed also carries the other nodes' commits, even those made
//! while its connection was down, and deliveries are claimed by one node at a time.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use gohumanloop::model::Status;
use gohumanloop_hub::record::{now_ms, RequestKey};
use gohumanloop_hub::store::{FeedObserver, Store};
use gohumanloop_hub::Hub;

use super::{change, create, request, tenant, Recorder};

/// Waits until `done` holds (the test kit's wait: a bound only against hangs).
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    gohumanloop_testkit::until(what, Duration::from_secs(60), || {
        std::future::ready(done().then_some(()))
    })
    .await
}

/// A node's feed carries the other nodes' creates and changes (once each, in commit order),
/// and its own only once.
pub async fn other_nodes_commits_reach_the_feed<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(b.as_ref()).await;
    let recorder = Arc::new(Recorder::default());
    let observer: std::sync::Weak<dyn FeedObserver> = Arc::downgrade(&recorder) as _;
    a.observe(observer);
    let mut feed = a.subscribe();
    create(b.as_ref(), request(tenant, "on-b", Some(now_ms() + 60_000))).await;
    create(a.as_ref(), request(tenant, "on-a", None)).await;
    b.transition(change(tenant, "id-on-b", Status::Approved, "bob"))
        .await
        .unwrap();
    eventually("three changes on a's feed", || recorder.seen().len() >= 3).await;
    let mut seen: Vec<(String, Status)> = recorder
        .seen()
        .into_iter()
        .map(|(_, rid, status)| (rid, status))
        .collect();
    // a's own create is published at its commit, b's as a's feed reads them: the two orders
    // are both possible, b's two changes keep theirs.
    let own = seen
        .iter()
        .position(|(rid, _)| rid == "on-a")
        .expect("a's own create");
    seen.remove(own);
    assert_eq!(seen.len(), 2, "{:?}", recorder.seen());
    assert_eq!(seen[0].0, "on-b");
    assert_eq!(seen[1], ("on-b".to_owned(), Status::Approved));
    let mut received = Vec::new();
    for _ in 0..3 {
        let change = tokio::time::timeout(Duration::from_secs(5), feed.recv())
            .await
            .expect("a change within 5 s")
            .unwrap();
        received.push((change.key.request_id.clone(), change.before));
    }
    assert!(
        received.contains(&("on-b".to_owned(), None)),
        "b's create is a create on a's feed: {received:?}"
    );
    assert!(received.contains(&("on-b".to_owned(), Some(Status::Pending))));
    assert!(received.contains(&("on-a".to_owned(), None)));
    assert!(feed.try_recv().is_err(), "nothing twice: {received:?}");
}

/// An agent waiting on one node's hub wakes when another node decides.
pub async fn a_waiter_wakes_when_another_node_decides<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    let hub = Hub::start(a.clone()).await.unwrap();
    create(a.as_ref(), request(tenant, "r", None)).await;
    let key = RequestKey {
        tenant,
        conversation_id: "c".into(),
        request_id: "r".into(),
        platform: "p".into(),
    };
    let waiter = tokio::spawn(async move { hub.wait(&key, Duration::from_secs(30)).await });
    b.transition(change(tenant, "id-r", Status::Rejected, "bob"))
        .await
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiter wakes")
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(outcome.status, Status::Rejected);
    assert_eq!(outcome.responded_by.as_deref(), Some("bob"));
}

/// Changes committed while a node's feed had lost its connection reach the feed once it is
/// back. `open` opens the node that is cut off (`false`) or the other (`true`); `cut` ends the
/// first node's connections to the database and keeps it from reconnecting (the other node
/// goes on working), `restore` lets it reconnect.
pub async fn the_feed_reads_what_it_missed<F, Fut, C, CFut, R, RFut>(open: F, cut: C, restore: R)
where
    F: Fn(bool) -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
    C: FnOnce() -> CFut,
    CFut: Future<Output = ()>,
    R: FnOnce() -> RFut,
    RFut: Future<Output = ()>,
{
    let (a, b) = (open(false).await, open(true).await);
    let tenant = tenant(b.as_ref()).await;
    let recorder = Arc::new(Recorder::default());
    let observer: std::sync::Weak<dyn FeedObserver> = Arc::downgrade(&recorder) as _;
    a.observe(observer);
    // Wait until a's feed listens (it sees a first change), then cut it off.
    create(b.as_ref(), request(tenant, "first", None)).await;
    eventually("the first change", || recorder.seen().len() == 1).await;
    cut().await;
    const N: usize = 20;
    for i in 0..N {
        create(b.as_ref(), request(tenant, &format!("r{i}"), None)).await;
    }
    assert_eq!(recorder.seen().len(), 1, "the feed was cut off");
    // Nothing is committed after it is back: only reading what it missed can show them.
    restore().await;
    eventually("every change made meanwhile", || {
        recorder.seen().len() == N + 1
    })
    .await;
    let ids: HashSet<String> = recorder.seen().into_iter().map(|(_, rid, _)| rid).collect();
    assert_eq!(ids.len(), N + 1, "each once");
}

/// Several nodes claiming at once never take the same delivery; a claimant's lease runs out
/// and another node takes its deliveries over.
pub async fn each_delivery_is_claimed_by_one_node<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let nodes = [open().await, open().await, open().await];
    let tenant = tenant(nodes[0].as_ref()).await;
    create(nodes[0].as_ref(), request(tenant, "r", None)).await;
    let recipients: Vec<String> = (0..60).map(|i| format!("person{i}")).collect();
    nodes[1]
        .open_deliveries("id-r", "chat", &recipients)
        .await
        .unwrap();
    let now = now_ms();
    let mut claims = Vec::new();
    for i in 0..9 {
        let node = nodes[i % nodes.len()].clone();
        claims.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = node.claim_due(now, now + 60_000, 4).await.unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|d| d.recipient));
            }
        }));
    }
    let mut all = Vec::new();
    for claim in claims {
        all.extend(claim.await.unwrap());
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), recipients.len(), "each claimed once: {all:?}");
    assert_eq!(unique.len(), recipients.len());
    // Nobody takes a leased delivery before its lease ends; anyone after.
    assert!(nodes[2]
        .claim_due(now + 59_000, now + 120_000, 100)
        .await
        .unwrap()
        .is_empty());
    let taken_over = nodes[2]
        .claim_due(now + 60_000, now + 120_000, 100)
        .await
        .unwrap();
    assert_eq!(taken_over.len(), recipients.len());
}
