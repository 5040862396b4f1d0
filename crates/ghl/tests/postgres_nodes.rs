//! Several `ghl serve` nodes on one PostgreSQL database, as real processes over real HTTP on
//! loopback: one decision wins whichever nodes the answers reach, an answer on one node wakes
//! an agent waiting on another (also when the NOTIFY was lost while the waiter's node could not
//! reach the database), a deadline fires once — also when the node that took the request is
//! gone, each webhook event is delivered once by the three nodes (retries included), a node
//! killed under load loses nothing it acknowledged, and so does a restart of PostgreSQL.
//!
//! Real PostgreSQL: the server at `GHL_TEST_POSTGRES` (`scripts/test.sh` sets it from
//! `scripts/pg-server.sh`); each test makes a database of its own there, dropped at its end.
//! Reported skipped when it is not set. The PostgreSQL restart test also needs `GHL_TEST_PG_CTL`
//! (`scripts/test.sh` sets it). A skip fails `scripts/test.sh`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::nodes::{server, Api, Database, Node};
use common::parked_waiters;
use futures_util::StreamExt;
use gohumanloop_hub::channels::webhook::{signature, WebhookSecret};
use gohumanloop_testkit::until;
use serde_json::Value;

/// The tests share the test server; the PostgreSQL restart test has it to itself.
static SERVER_SHARED: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Waits until `done` holds (the test kit's wait); panics with `what` after `limit`.
async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    gohumanloop_testkit::until(what, limit, || std::future::ready(done().then_some(()))).await
}

/// The `audit log intact: N entries` count of `ghl audit verify`.
fn audit_entries(db: &Database) -> u64 {
    let report = db.audit_verify();
    report
        .strip_prefix("audit log intact: ")
        .and_then(|r| r.strip_suffix(" entries"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an intact audit log: {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_100_concurrent_decisions_wins_across_three_nodes() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    // One human key per node: the winner's `responded_by` names the node whose call won.
    let humans: Vec<Api> = (0..3)
        .map(|n| Api::new(&db.key("a", &format!("human-{n}"))))
        .collect();
    let nodes: Vec<Node> = (0..3).map(|_| Node::start(&db.url, &[])).collect();

    let r = agent
        .create(&nodes[0].base, "contested", None)
        .await
        .unwrap();
    assert_eq!(r["success"], true, "{r}");

    let calls: Vec<_> = (0..100)
        .map(|i| {
            let n = i % 3;
            let (human, base) = (humans[n].clone(), nodes[n].base.clone());
            let action = if i % 2 == 0 { "approve" } else { "reject" };
            tokio::spawn(async move {
                let reason = format!("call {i} on node {n}");
                let (code, reply) = human
                    .decide(&base, "contested", action, &reason)
                    .await
                    .unwrap();
                (i, code, reply)
            })
        })
        .collect();
    let mut replies = Vec::new();
    for call in calls {
        replies.push(call.await.unwrap());
    }
    let mut codes = BTreeMap::new();
    for (_, code, _) in &replies {
        *codes.entry(*code).or_insert(0) += 1;
    }
    assert_eq!(
        codes,
        BTreeMap::from([(200, 1), (409, 99)]),
        "one 200 and 99 conflicts: {replies:?}"
    );
    let (winner_call, _, won) = replies.iter().find(|(_, code, _)| *code == 200).unwrap();
    let winner = &won["request"];
    let status = winner["status"].as_str().unwrap();
    let by = winner["responded_by"].as_str().unwrap();
    let reason = winner["response"]["reason"].as_str().unwrap();
    assert_eq!(
        status,
        if winner_call % 2 == 0 {
            "approved"
        } else {
            "rejected"
        }
    );
    assert_eq!(by, format!("human-{}", winner_call % 3));
    assert_eq!(
        reason,
        format!("call {winner_call} on node {}", winner_call % 3)
    );
    for (i, code, reply) in &replies {
        if *code == 409 {
            assert_eq!(reply["status"], status, "call {i}: {reply}");
            assert_eq!(reply["responded_by"], by, "call {i}: {reply}");
            assert_eq!(reply["responded_at"], winner["responded_at"], "{reply}");
        }
    }
    for node in &nodes {
        let s = agent.status(&node.base, "contested", 0.0).await.unwrap();
        assert_eq!(s["status"], status, "{}: {s}", node.base);
        assert_eq!(s["responded_by"], by, "{s}");
        assert_eq!(s["response"]["reason"], reason, "{s}");
    }
    assert_eq!(audit_entries(&db), 2, "the create and the one decision");
    println!("call {winner_call} won ({status} by {by}); 99 conflicts named it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_on_one_node_wakes_a_waiter_on_another() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let human = Api::new(&db.key("a", "alice"));
    let nodes = [Node::start(&db.url, &[]), Node::start(&db.url, &[])];
    let mut wake_ups = Vec::new();
    // Round 0 waits on A and answers on B, round 1 the other way round, and so on.
    for round in 0..6 {
        let (wait_on, answer_on) = (&nodes[round % 2], &nodes[(round + 1) % 2]);
        let rid = format!("wake-{round}");
        let r = agent.create(&wait_on.base, &rid, None).await.unwrap();
        assert_eq!(r["success"], true, "{r}");
        let waiter = {
            let (agent, base, rid) = (agent.clone(), wait_on.base.clone(), rid.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let reply = agent.status(&base, &rid, 30.0).await.unwrap();
                (reply, started, Instant::now())
            })
        };
        // The answer comes once the waiter is parked on its node (that node's waiter gauge).
        until("the waiter parked", Duration::from_secs(60), || async {
            (parked_waiters(&wait_on.base).await? >= 1).then_some(())
        })
        .await;

        let sent = Instant::now();
        let reason = format!("go ahead {round}");
        let (code, reply) = human
            .decide(&answer_on.base, &rid, "approve", &reason)
            .await
            .unwrap();
        let replied = Instant::now();
        assert_eq!(code, 200, "{reply}");
        let (woke, started, returned) = waiter.await.unwrap();
        assert_eq!(woke["status"], "approved", "{woke}");
        assert_eq!(woke["response"]["reason"], reason, "{woke}");
        assert_eq!(woke["responded_by"], "alice", "{woke}");
        assert!(started < sent, "the waiter was waiting before the answer");
        let after_reply_ms = if returned >= replied {
            returned.duration_since(replied).as_secs_f64() * 1e3
        } else {
            -(replied.duration_since(returned).as_secs_f64() * 1e3)
        };
        let after_send = returned.saturating_duration_since(sent);
        println!(
            "round {round}: waiter on {} woke {after_reply_ms:.1} ms after the approve's reply \
             from {} ({:.1} ms after it was sent; the approve took {:.1} ms)",
            wait_on.base,
            answer_on.base,
            after_send.as_secs_f64() * 1e3,
            replied.duration_since(sent).as_secs_f64() * 1e3
        );
        assert!(
            after_send < Duration::from_secs(20),
            "woke {after_send:?} after the answer: well within the 30 s wait, not at its end"
        );
        wake_ups.push(after_reply_ms);
    }
    wake_ups.sort_by(f64::total_cmp);
    println!(
        "cross-node wake-up after the approve's reply: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        wake_ups[0],
        wake_ups[wake_ups.len() / 2],
        wake_ups[wake_ups.len() - 1]
    );
}

/// Sign-ins, keys and caches agree across nodes: a session made on one node is good on the
/// other; signing out on one ends it on the other at once; a key used on both nodes (so cached
/// by both) is refused by both 2 s after its revocation — each node trusts a check of a key
/// for 2 s at most. The event awaited is those 2 s themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_revoked_keys_agree_on_every_node() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let key = db.key("a", "agent");
    let password = common::last_line(common::ghl(
        &[
            "users", "create", "--db", &db.url, "--role", "approver", "--tenant", "a", "alice",
        ],
        &[],
    ));
    let nodes = [Node::start(&db.url, &[]), Node::start(&db.url, &[])];

    let cookie = common::web_sign_in(&nodes[0].base, "alice", &password).await;
    for node in &nodes {
        assert_eq!(
            common::inbox_status(&node.base, &cookie).await,
            200,
            "signed in on {}",
            node.base
        );
    }
    let page = reqwest::Client::new()
        .get(format!("{}/inbox", nodes[1].base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = page[start..].split('"').next().unwrap();
    let signed_out = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/logout", nodes[1].base))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303);
    for node in &nodes {
        assert_ne!(
            common::inbox_status(&node.base, &cookie).await,
            200,
            "signed out on {} at once",
            node.base
        );
    }

    let agent = Api::new(&key);
    for (i, node) in nodes.iter().enumerate() {
        let r = agent
            .create(&node.base, &format!("before-{i}"), None)
            .await
            .unwrap();
        assert_eq!(r["success"], true, "{r}");
    }
    let prefix = gohumanloop_hub::keys::prefix(&key);
    let revoke = common::ghl(&["keys", "revoke", "--db", &db.url, &prefix], &[]);
    assert!(
        revoke.status.success(),
        "{}",
        String::from_utf8_lossy(&revoke.stderr)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (i, node) in nodes.iter().enumerate() {
        let refused = agent.create(&node.base, &format!("after-{i}"), None).await;
        let status = refused.as_ref().err().and_then(reqwest::Error::status);
        assert_eq!(
            status.map(|s| s.as_u16()),
            Some(403),
            "{} still takes the key 2 s after its revocation: {refused:?}",
            node.base
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_fires_on_another_node_when_the_first_is_killed() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let mut a = Node::start(&db.url, &[]);
    let b = Node::start(&db.url, &[]);

    let created = Instant::now();
    let r = agent.create(&a.base, "doomed", Some(2)).await.unwrap();
    assert_eq!(r["success"], true, "{r}");
    a.kill();

    let s = agent.status(&b.base, "doomed", 30.0).await.unwrap();
    let took = created.elapsed();
    assert_eq!(s["status"], "expired", "{s}");
    assert_eq!(s["error"], "Request timed out", "{s}");
    assert!(
        took >= Duration::from_millis(1_900),
        "not before its deadline: {took:?}"
    );
    // Well within the 30 s wait: not its end.
    assert!(
        took < Duration::from_secs(25),
        "expired {took:?} after the create"
    );
    println!("expired on the surviving node {took:?} after the create (deadline 2 s)");

    let entries = agent.audit(&b.base, "doomed").await;
    let expiries: Vec<&Value> = entries
        .iter()
        .filter(|e| e["new_status"] == "expired")
        .collect();
    assert_eq!(expiries.len(), 1, "exactly one expiry: {entries:?}");
    assert_eq!(expiries[0]["channel"], "deadline", "{entries:?}");
    assert_eq!(expiries[0]["actor"], "hub", "{entries:?}");
    assert_eq!(entries.len(), 2, "the create and the expiry: {entries:?}");
    assert_eq!(audit_entries(&db), 2);
}

/// With three live nodes, every node's timer sees every deadline: each request still expires
/// exactly once, and every node reports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_fire_once_with_three_live_nodes() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let nodes: Vec<Node> = (0..3).map(|_| Node::start(&db.url, &[])).collect();
    const N: usize = 12;
    for i in 0..N {
        let r = agent
            .create(&nodes[i % 3].base, &format!("soon-{i}"), Some(1))
            .await
            .unwrap();
        assert_eq!(r["success"], true, "{r}");
    }
    for i in 0..N {
        let rid = format!("soon-{i}");
        // Waiting on another node than the one that took it.
        let s = agent
            .status(&nodes[(i + 1) % 3].base, &rid, 30.0)
            .await
            .unwrap();
        assert_eq!(s["status"], "expired", "{s}");
        assert_eq!(s["error"], "Request timed out", "{s}");
        let entries = agent.audit(&nodes[(i + 2) % 3].base, &rid).await;
        let expiries = entries
            .iter()
            .filter(|e| e["new_status"] == "expired")
            .count();
        assert_eq!(expiries, 1, "{rid}: {entries:?}");
        assert_eq!(entries.len(), 2, "{rid}: {entries:?}");
    }
    assert_eq!(audit_entries(&db) as usize, 2 * N);
}

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What a webhook receiver saw of one event (one `webhook-id`).
#[derive(Debug, Default)]
struct Seen {
    /// POSTs of it.
    attempts: u32,
    /// POSTs answered 2xx.
    accepted: u32,
    /// `type` of the event; the client's `request_id`, the hub's id and the status it reports.
    kind: String,
    request_id: String,
    id: String,
    status: String,
    /// Whether a retry differed from the first POST in type, request or status.
    changed: bool,
}

#[derive(Debug, Default)]
struct Receiver {
    events: HashMap<String, Seen>,
    /// Answer 500 to the first POST of every event id.
    fail_first: bool,
    /// Hold the answer to an event reporting `inprogress` until an event reporting
    /// `completed` comes (or 3 s have passed).
    hold_inprogress: bool,
    release: Arc<tokio::sync::Notify>,
    /// POSTs not answered yet, by the hub's id of the request.
    in_flight: HashMap<String, u32>,
    /// Events (`webhook-id`) POSTed while another POST of the same request was in flight.
    overlaps: Vec<String>,
    /// POSTs whose signature did not verify.
    forged: Vec<String>,
}

type Shared = Arc<Mutex<Receiver>>;

/// The receiver's one route: checks the Standard Webhooks signature, counts by `webhook-id`.
async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let id = header("webhook-id");
    let secret: WebhookSecret = WEBHOOK_SECRET.parse().unwrap();
    let verified = signature::verify(
        &[secret],
        &id,
        &header("webhook-timestamp"),
        &header("webhook-signature"),
        &body,
        gohumanloop_hub::record::now_ms() / 1000,
    );
    let event: Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let (kind, request_id) = (text(&event["type"]), text(&event["request"]["request_id"]));
    let (hub_id, status) = (
        text(&event["request"]["id"]),
        text(&event["request"]["status"]),
    );
    // On arrival: counted, and checked against the POSTs of the request still in flight.
    let hold = {
        let mut receiver = shared.lock().unwrap();
        if let Err(e) = verified {
            receiver.forged.push(format!("{id}: {e}"));
            return StatusCode::UNAUTHORIZED;
        }
        let in_flight = receiver.in_flight.entry(hub_id.clone()).or_default();
        *in_flight += 1;
        if *in_flight > 1 {
            receiver.overlaps.push(id.clone());
        }
        if status == "completed" {
            receiver.release.notify_waiters();
        }
        let seen = receiver.events.entry(id.clone()).or_default();
        seen.attempts += 1;
        if seen.attempts == 1 {
            (seen.kind, seen.request_id, seen.id) = (kind, request_id, hub_id.clone());
            seen.status = status.clone();
        } else if (
            seen.kind.as_str(),
            seen.request_id.as_str(),
            seen.id.as_str(),
        ) != (kind.as_str(), request_id.as_str(), hub_id.as_str())
            || seen.status != status
        {
            seen.changed = true;
        }
        (receiver.hold_inprogress && status == "inprogress").then(|| receiver.release.clone())
    };
    if let Some(release) = hold {
        let _ = tokio::time::timeout(Duration::from_secs(3), release.notified()).await;
    }
    // The answer.
    let mut receiver = shared.lock().unwrap();
    *receiver.in_flight.get_mut(&hub_id).unwrap() -= 1;
    let fail_first = receiver.fail_first;
    let seen = receiver.events.get_mut(&id).unwrap();
    if fail_first && seen.attempts == 1 {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    seen.accepted += 1;
    StatusCode::NO_CONTENT
}

/// A webhook receiver on a free loopback port: its URL and what it saw.
async fn webhook_receiver() -> (String, Shared) {
    let shared = Shared::default();
    let app = axum::Router::new()
        .route("/events", axum::routing::post(receive))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

/// How many events of requests whose client id starts with `prefix`, of type `kind`, were
/// accepted at least once.
fn accepted(shared: &Shared, prefix: &str, kind: &str) -> usize {
    let receiver = shared.lock().unwrap();
    receiver
        .events
        .values()
        .filter(|s| s.accepted > 0 && s.kind == kind && s.request_id.starts_with(prefix))
        .count()
}

/// Waits (bounded) until no delivery is due or leased: nothing more is on its way.
async fn deliveries_settle(db: &Database) {
    let mut conn = db.connect().await;
    let start = Instant::now();
    loop {
        let busy: i64 =
            sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        if busy == 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{busy} deliveries still due after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One round of the webhook test: `N` requests created round-robin on the nodes, each decided
/// on the next node once its `request.created` event was received; every event id ends up
/// accepted exactly once (after `attempts` POSTs).
async fn webhook_round(
    nodes: &[Node],
    db: &Database,
    agent: &Api,
    human: &Api,
    shared: &Shared,
    prefix: &str,
    attempts: u32,
) {
    const N: usize = 20;
    let limit = Duration::from_secs(30);
    for i in 0..N {
        let rid = format!("{prefix}{i}");
        let r = agent.create(&nodes[i % 3].base, &rid, None).await.unwrap();
        assert_eq!(r["success"], true, "{r}");
    }
    // Decided only once created is out: else the first event may already show the decision
    // (the event reports the request as it is when sent) and no update follows.
    wait_until("every request.created event", limit, || {
        accepted(shared, prefix, "request.created") == N
    })
    .await;
    for i in 0..N {
        let rid = format!("{prefix}{i}");
        let base = &nodes[(i + 1) % 3].base;
        let (action, reason) = if i % 2 == 0 {
            ("approve", "fine")
        } else {
            ("reject", "not now")
        };
        let (code, reply) = human.decide(base, &rid, action, reason).await.unwrap();
        assert_eq!(code, 200, "{reply}");
    }
    wait_until("every request.updated event", limit, || {
        accepted(shared, prefix, "request.updated") == N
    })
    .await;
    deliveries_settle(db).await;

    let receiver = shared.lock().unwrap();
    assert!(receiver.forged.is_empty(), "{:?}", receiver.forged);
    assert!(
        receiver.overlaps.is_empty(),
        "sent while another POST of the request was in flight: {:?}",
        receiver.overlaps
    );
    let ours: Vec<(&String, &Seen)> = receiver
        .events
        .iter()
        .filter(|(_, s)| s.request_id.starts_with(prefix))
        .collect();
    assert_eq!(
        ours.len(),
        2 * N,
        "created and decided, per request: {ours:#?}"
    );
    for (id, seen) in &ours {
        assert_eq!(seen.accepted, 1, "{id} accepted once: {seen:?}");
        assert_eq!(seen.attempts, attempts, "{id}: {seen:?}");
        assert!(
            !seen.changed,
            "a retry of {id} carried another event: {seen:?}"
        );
        let i: usize = seen.request_id[prefix.len()..].parse().unwrap();
        let (want_id, want_status) = match seen.kind.as_str() {
            "request.created" => (format!("msg_{}_created", seen.id), "pending"),
            "request.updated" if i.is_multiple_of(2) => {
                (format!("msg_{}_approved", seen.id), "approved")
            }
            "request.updated" => (format!("msg_{}_rejected", seen.id), "rejected"),
            other => panic!("an event of type {other}: {seen:?}"),
        };
        assert_eq!(**id, want_id, "{seen:?}");
        assert_eq!(seen.status, want_status, "{seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_deliver_each_webhook_event_once() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let human = Api::new(&db.key("a", "alice"));
    let (url, shared) = webhook_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = webhook_config(dir.path(), &url);
    let nodes: Vec<Node> = (0..3)
        .map(|_| Node::start(&db.url, &["--config", &config]))
        .collect();

    // Every POST accepted: one POST per event.
    webhook_round(&nodes, &db, &agent, &human, &shared, "first-", 1).await;
    // The first POST of every event refused with 500: the retry carries the same id, and is the
    // one accepted.
    shared.lock().unwrap().fail_first = true;
    webhook_round(&nodes, &db, &agent, &human, &shared, "retried-", 2).await;

    {
        let receiver = shared.lock().unwrap();
        let first = receiver
            .events
            .values()
            .filter(|s| s.request_id.starts_with("first-"))
            .all(|s| s.attempts == 1 && s.accepted == 1);
        assert!(first, "nothing of the first round was sent again");
        println!(
            "{} events, each accepted once; {} POSTs in all",
            receiver.events.len(),
            receiver.events.values().map(|s| s.attempts).sum::<u32>()
        );
    }
}

/// A webhook config file for `url` (the one secret, short retries); returns its path.
fn webhook_config(dir: &std::path::Path, url: &str) -> String {
    let config = dir.join("ghl.toml");
    std::fs::write(
        &config,
        format!(
            "[[webhook]]\nname = \"ops\"\nurl = \"{url}\"\nsecret = \"{WEBHOOK_SECRET}\"\n\
             retry = [\"100ms\", \"200ms\", \"400ms\", \"1s\", \"2s\"]\ntimeout = \"5s\"\n"
        ),
    )
    .unwrap();
    config.display().to_string()
}

/// A delivery is worked by one attempt at a time: a conversation turn answered (`inprogress`)
/// and then ended (`completed`, on the other node) while the receiver still holds the
/// `inprogress` POST. The `completed` event must wait for that attempt and then go out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_while_an_update_is_in_flight_is_sent_once() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let human = Api::new(&db.key("a", "alice"));
    let (url, shared) = webhook_receiver().await;
    shared.lock().unwrap().hold_inprogress = true;
    let dir = tempfile::tempdir().unwrap();
    let config = webhook_config(dir.path(), &url);
    let nodes: Vec<Node> = (0..2)
        .map(|_| Node::start(&db.url, &["--config", &config]))
        .collect();

    let body = common::nodes::create_body_of("conversation", "conv", None);
    let (code, r) = agent
        .post(&nodes[0].base, "/api/v1/humanloop/request", &body)
        .await
        .unwrap();
    assert_eq!((code, &r["success"]), (200, &Value::Bool(true)), "{r}");
    let limit = Duration::from_secs(20);
    wait_until("the request.created event", limit, || {
        accepted(&shared, "conv", "request.created") == 1
    })
    .await;
    let reply = serde_json::json!({"text": "turn 1"});
    let path = "/api/v1/requests/conv/reply";
    let (code, r) = human.post(&nodes[0].base, path, &reply).await.unwrap();
    assert_eq!(code, 200, "{r}");
    wait_until("the inprogress event is being POSTed", limit, || {
        let receiver = shared.lock().unwrap();
        receiver.events.values().any(|s| s.status == "inprogress")
    })
    .await;
    let done = serde_json::json!({"text": "done", "complete": true});
    let (code, r) = human.post(&nodes[1].base, path, &done).await.unwrap();
    assert_eq!(code, 200, "{r}");
    wait_until("the completed event", limit, || {
        accepted(&shared, "conv", "request.updated") == 2
    })
    .await;
    deliveries_settle(&db).await;

    {
        let receiver = shared.lock().unwrap();
        let mut seen: Vec<(&String, u32, u32)> = receiver
            .events
            .iter()
            .map(|(id, s)| (id, s.attempts, s.accepted))
            .collect();
        seen.sort();
        println!(
            "events (id, POSTs, accepted): {seen:?}; overlapping: {:?}",
            receiver.overlaps
        );
        assert!(
            receiver.overlaps.is_empty(),
            "POSTed while the inprogress event was in flight: {:?}",
            receiver.overlaps
        );
        for (id, attempts, accepted) in &seen {
            assert_eq!((attempts, accepted), (&1, &1), "{id}: {seen:?}");
        }
        assert_eq!(seen.len(), 3, "created, inprogress, completed: {seen:?}");
    }
}

/// The NOTIFY of an answer is lost while the waiter's node cannot listen (every connection of
/// its own cut, its role refused new ones): once it can connect again, its change feed reads
/// the log past what it saw, and the waiter wakes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_given_while_the_waiters_node_cannot_listen_still_wakes_it() {
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let mut db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let human = Api::new(&db.key("a", "alice"));
    // Node A connects as a role of its own.
    let (role_a, url_a) = db.role().await;
    let nodes = [Node::start(&url_a, &[]), Node::start(&db.url, &[])];
    for rid in ["cut", "other"] {
        let r = agent.create(&nodes[0].base, rid, None).await.unwrap();
        assert_eq!(r["success"], true, "{r}");
    }
    let waiter = {
        let (agent, base) = (agent.clone(), nodes[0].base.clone());
        tokio::spawn(async move {
            let reply = agent.status(&base, "cut", 30.0).await.unwrap();
            (reply, Instant::now())
        })
    };
    until(
        "the waiter parked on A",
        Duration::from_secs(60),
        || async { (parked_waiters(&nodes[0].base).await? >= 1).then_some(()) },
    )
    .await;

    let mut admin = db.connect_server().await;
    let login = |on: bool| {
        let sql = format!(
            "ALTER ROLE {role_a} {}",
            if on { "LOGIN" } else { "NOLOGIN" }
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
    };
    login(false).execute(&mut admin).await.unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = $1 AND usename = $2",
    )
    .bind(&db.name)
    .bind(&role_a)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    // Its pool's too: the listener would reconnect on a pooled connection.
    assert!(
        cut >= 2,
        "node A's connections cut (its listener's and its pool's): {cut}"
    );

    let (code, r) = human
        .decide(&nodes[1].base, "cut", "approve", "while cut off")
        .await
        .unwrap();
    assert_eq!(code, 200, "{r}");
    // Half a second more with A unable to listen (a long-poll on B of another request).
    let idle = agent.status(&nodes[1].base, "other", 0.5).await.unwrap();
    assert_eq!(idle["status"], "pending", "{idle}");
    let woke_early = waiter.is_finished();
    let allowed = Instant::now();
    login(true).execute(&mut admin).await.unwrap();
    let (woke, at) = waiter.await.unwrap();
    assert_eq!(woke["status"], "approved", "{woke}");
    assert_eq!(woke["response"]["reason"], "while cut off", "{woke}");
    let after = at.saturating_duration_since(allowed);
    assert!(
        !woke_early,
        "the waiter on A woke while A had no connection to the database: {woke}"
    );
    println!("the waiter on A woke {after:?} after A could connect again");
    // Well within the waiter's 30 s wait: not its end.
    assert!(after < Duration::from_secs(20), "woke {after:?} after");
    // A's own writes work again.
    let (code, r) = human
        .decide(&nodes[0].base, "other", "reject", "after")
        .await
        .unwrap();
    assert_eq!(code, 200, "{r}");
    drop(admin);
}

/// What the load of the kill test got acknowledged.
#[derive(Default)]
struct Acknowledged {
    /// Creates that got `success: true`: (request_id, the node that took it).
    created: Vec<(String, usize)>,
    /// Approvals that got 200.
    approved: Vec<String>,
    /// Calls that got no reply (the killed node).
    failed: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_node_under_load_loses_nothing_acknowledged() {
    const WRITERS: usize = 8;
    /// Creates acknowledged before the kill, and after it (on the survivor).
    const BEFORE_KILL: usize = 100;
    const AFTER_KILL: usize = 100;
    /// Agents long-polling on the node that is killed.
    const WAITERS: usize = 10;
    let Some(server) = server() else { return };
    let _shared = SERVER_SHARED.read().await;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let human = Api::new(&db.key("a", "alice"));
    let mut a = Node::start(&db.url, &[]);
    let b = Node::start(&db.url, &[]);
    let bases = [a.base.clone(), b.base.clone()];

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (agent, human, bases) = (agent.clone(), human.clone(), bases.clone());
            let (acked, count, stop) = (acked.clone(), count.clone(), stop.clone());
            tokio::spawn(async move {
                // Bounded: until told to stop, at most 1,000 creates each.
                for i in 0..1_000 {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let rid = format!("w{w}-{i}");
                    let node = (w + i) % 2;
                    match agent.create(&bases[node], &rid, None).await {
                        Ok(r) if r["success"] == true => {
                            acked.lock().unwrap().created.push((rid.clone(), node));
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => panic!("{rid}: {r}"),
                        Err(_) => {
                            acked.lock().unwrap().failed += 1;
                            continue;
                        }
                    }
                    // Every other one is approved, on the other node; the rest wait.
                    if i % 2 == 0 {
                        let reason = format!("ok {rid}");
                        match human
                            .decide(&bases[1 - node], &rid, "approve", &reason)
                            .await
                        {
                            Ok((200, _)) => acked.lock().unwrap().approved.push(rid),
                            Ok((code, r)) => panic!("approve {rid}: {code} {r}"),
                            Err(_) => acked.lock().unwrap().failed += 1,
                        }
                    }
                }
            })
        })
        .collect();

    wait_until("the load runs", Duration::from_secs(60), || {
        count.load(Ordering::SeqCst) >= BEFORE_KILL
    })
    .await;
    // Agents waiting on node A for requests no one has answered.
    let pending: Vec<String> = acked
        .lock()
        .unwrap()
        .created
        .iter()
        .filter(|(rid, _)| rid.rsplit('-').next().unwrap().parse::<usize>().unwrap() % 2 == 1)
        .take(WAITERS + 1)
        .map(|(rid, _)| rid.clone())
        .collect();
    assert_eq!(pending.len(), WAITERS + 1, "enough waiting requests");
    let waiters: Vec<_> = pending[..WAITERS]
        .iter()
        .map(|rid| {
            let (agent, bases, rid) = (agent.clone(), bases.clone(), rid.clone());
            tokio::spawn(async move {
                let on_a = agent.status(&bases[0], &rid, 30.0).await;
                // The agent reconnects to the other node and waits on (bounded).
                for _ in 0..10 {
                    if let Ok(s) = agent.status(&bases[1], &rid, 30.0).await {
                        if s["status"] != "pending" {
                            return (on_a, s);
                        }
                    }
                }
                panic!("no answer for {rid} on the surviving node");
            })
        })
        .collect();
    // By the time a half-second long-poll on A ends, the waiters are parked there too.
    let idle = agent
        .status(&bases[0], &pending[WAITERS], 0.5)
        .await
        .unwrap();
    assert_eq!(idle["status"], "pending", "{idle}");

    a.kill();
    let at_kill = count.load(Ordering::SeqCst);
    wait_until(
        "the load goes on on node B",
        Duration::from_secs(60),
        || count.load(Ordering::SeqCst) >= at_kill + AFTER_KILL,
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }

    // The waiters' requests are answered on B: each waiter, cut off from A, gets it there.
    for rid in &pending[..WAITERS] {
        let (code, r) = human
            .decide(&bases[1], rid, "reject", "after the kill")
            .await
            .unwrap();
        assert_eq!(code, 200, "{r}");
    }
    for waiter in waiters {
        let (on_a, answer) = waiter.await.unwrap();
        assert!(
            on_a.is_err(),
            "the long-poll on the killed node failed: {on_a:?}"
        );
        assert_eq!(answer["status"], "rejected", "{answer}");
        assert_eq!(answer["response"]["reason"], "after the kill", "{answer}");
    }

    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let on_a = acked.created.iter().filter(|(_, n)| *n == 0).count();
    assert!(on_a > 0, "node A acknowledged creates before the kill");
    let approved: std::collections::HashSet<&String> = acked.approved.iter().collect();
    let checks = futures_util::stream::iter(acked.created.iter())
        .map(|(rid, _)| {
            let (agent, base) = (&agent, &bases[1]);
            async move { (rid, agent.status(base, rid, 0.0).await.unwrap()) }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    for (rid, s) in &checks {
        assert_eq!(
            s["success"], true,
            "acknowledged create {rid} was lost: {s}"
        );
        if approved.contains(rid) {
            assert_eq!(
                s["status"], "approved",
                "acknowledged approval of {rid} was lost"
            );
            assert_eq!(s["response"]["reason"], format!("ok {rid}"), "{s}");
        }
    }
    let entries = audit_entries(&db);
    println!(
        "{} creates ({on_a} on node A) and {} approvals acknowledged, {} calls unanswered \
         (the kill came after {at_kill} creates); all present on node B; audit log intact: \
         {entries} entries",
        acked.created.len(),
        acked.approved.len(),
        acked.failed
    );
}

/// `GHL_TEST_PG_CTL`: a command prefix that stops and starts the server at
/// `GHL_TEST_POSTGRES` — `sh -c "$GHL_TEST_PG_CTL stop"` and `… start` (waiting until it is
/// stopped and started, as `pg_ctl -w` does). A fast or smart stop: an immediate one may lose
/// what the test server acknowledged (it runs with `fsync=off`).
fn pg_ctl() -> Option<String> {
    std::env::var("GHL_TEST_PG_CTL")
        .ok()
        .filter(|c| !c.trim().is_empty())
}

async fn run_pg_ctl(ctl: &str, action: &str) {
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{ctl} {action}"))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{ctl} {action}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The HTTP status of `GET {base}{path}` (no key), `None` without a reply.
async fn probe(base: &str, path: &str) -> Option<u16> {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

/// Waits (bounded) until `GET {base}{path}` answers `code` on every node.
async fn wait_for_probe(bases: &[String], path: &str, code: u16, limit: Duration) -> Duration {
    let start = Instant::now();
    for base in bases {
        loop {
            if probe(base, path).await == Some(code) {
                break;
            }
            assert!(
                start.elapsed() < limit,
                "{base}{path} does not answer {code} within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    start.elapsed()
}

/// PostgreSQL stopped and started under two loaded nodes: while it is down they answer JSON
/// 503s (`/health` and `/ready` too); they recover by themselves; nothing acknowledged is lost;
/// an agent long-polling on A across the restart gets the answer given on B after it; the
/// chain stays intact. Needs `GHL_TEST_PG_CTL`; it has the server to itself meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_under_load() {
    let Some(server) = server() else { return };
    let Some(ctl) = pg_ctl() else {
        gohumanloop_testkit::skip(
            "GHL_TEST_PG_CTL is not set (a command prefix: `$GHL_TEST_PG_CTL stop` and \
             `$GHL_TEST_PG_CTL start` stop and start the server at GHL_TEST_POSTGRES; \
             scripts/test.sh sets it)",
        );
        return;
    };
    let _alone = SERVER_SHARED.write().await;
    const WRITERS: usize = 4;
    let db = Database::create(&server).await;
    let agent = Api::new(&db.key("a", "agent"));
    let human = Api::new(&db.key("a", "alice"));
    let nodes = [Node::start(&db.url, &[]), Node::start(&db.url, &[])];
    let bases = [nodes[0].base.clone(), nodes[1].base.clone()];

    let r = agent.create(&bases[0], "across", None).await.unwrap();
    assert_eq!(r["success"], true, "{r}");
    // An agent waiting on A through the restart: it long-polls again after an error.
    let waiter = {
        let (agent, base) = (agent.clone(), bases[0].clone());
        tokio::spawn(async move {
            let mut errors = 0;
            for _ in 0..1_000 {
                match agent.status(&base, "across", 30.0).await {
                    Ok(s) if s["status"] != "pending" => return (s, errors),
                    Ok(_) => {}
                    Err(_) => {
                        errors += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            panic!("no answer for the waiter on A");
        })
    };

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (agent, human, bases) = (agent.clone(), human.clone(), bases.clone());
            let (acked, count, stop) = (acked.clone(), count.clone(), stop.clone());
            tokio::spawn(async move {
                // Bounded: until told to stop, at most 5,000 rounds each; a pause after a
                // failure.
                for i in 0..5_000 {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let rid = format!("w{w}-{i}");
                    let node = (w + i) % 2;
                    let body = common::nodes::create_body(&rid, None);
                    let path = "/api/v1/humanloop/request";
                    match agent.post(&bases[node], path, &body).await {
                        Ok((200, r)) if r["success"] == true => {
                            acked.lock().unwrap().created.push((rid.clone(), node));
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((503, r)) if r["success"] == false => {
                            acked.lock().unwrap().failed += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                        Ok((code, r)) => panic!("create {rid}: {code} {r}"),
                        Err(_) => {
                            acked.lock().unwrap().failed += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    }
                    if i % 2 == 0 {
                        let reason = format!("ok {rid}");
                        match human
                            .decide(&bases[1 - node], &rid, "approve", &reason)
                            .await
                        {
                            Ok((200, _)) => acked.lock().unwrap().approved.push(rid),
                            Ok((503, r)) if r["success"] == false => {
                                acked.lock().unwrap().failed += 1;
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            Ok((code, r)) => panic!("approve {rid}: {code} {r}"),
                            Err(_) => {
                                acked.lock().unwrap().failed += 1;
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        }
                    }
                }
            })
        })
        .collect();

    wait_until("the load runs", Duration::from_secs(60), || {
        count.load(Ordering::SeqCst) >= 100
    })
    .await;
    run_pg_ctl(&ctl, "stop").await;
    let stopped = Instant::now();
    let before_stop = count.load(Ordering::SeqCst);
    let limit = Duration::from_secs(30);
    let health_down = wait_for_probe(&bases, "/health", 503, limit).await;
    let ready_down = wait_for_probe(&bases, "/ready", 503, limit).await;
    let body = common::nodes::create_body("while-down", None);
    let mut refusals = Vec::new();
    for base in &bases {
        let asked = Instant::now();
        let (code, r) = agent
            .post(base, "/api/v1/humanloop/request", &body)
            .await
            .unwrap();
        refusals.push(asked.elapsed());
        assert_eq!(code, 503, "a create while the database is down: {r}");
        assert_eq!(r["success"], false, "{r}");
        assert!(r["error"].is_string(), "{r}");
    }

    run_pg_ctl(&ctl, "start").await;
    let started = Instant::now();
    let recovered = wait_for_probe(&bases, "/ready", 200, Duration::from_secs(60)).await;
    let after_start = count.load(Ordering::SeqCst);
    wait_until("the load goes on", Duration::from_secs(60), || {
        count.load(Ordering::SeqCst) >= after_start + 100
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }

    let (code, r) = human
        .decide(&bases[1], "across", "approve", "after the restart")
        .await
        .unwrap();
    assert_eq!(code, 200, "{r}");
    let (answer, errors) = waiter.await.unwrap();
    assert_eq!(answer["status"], "approved", "{answer}");
    assert_eq!(
        answer["response"]["reason"], "after the restart",
        "{answer}"
    );

    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let approved: std::collections::HashSet<&String> = acked.approved.iter().collect();
    let checks = futures_util::stream::iter(acked.created.iter())
        .map(|(rid, _)| {
            let (agent, base) = (&agent, &bases[0]);
            async move { (rid, agent.status(base, rid, 0.0).await.unwrap()) }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    for (rid, s) in &checks {
        assert_eq!(
            s["success"], true,
            "acknowledged create {rid} was lost: {s}"
        );
        if approved.contains(rid) {
            assert_eq!(
                s["status"], "approved",
                "acknowledged approval of {rid} was lost"
            );
        }
    }
    let entries = audit_entries(&db);
    println!(
        "{} creates and {} approvals acknowledged ({before_stop} creates before the stop), {} \
         refused or unanswered; /health said 503 {health_down:?} and /ready {ready_down:?} \
         after the stop, a create was refused in {refusals:?}; down for {:?}; both nodes \
         ready {recovered:?} after the start; the waiter on A saw {errors} errors and got its \
         answer; audit log intact: {entries} entries",
        acked.created.len(),
        acked.approved.len(),
        acked.failed,
        started.duration_since(stopped),
    );
}
