//! Push wake-up (long-poll `wait=` and the SSE stream) and deadlines held by the hub.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestHub;
use gohumanloop_testkit::http::{read_sse, read_to_end};
use gohumanloop_testkit::until;
use serde_json::{json, Value};

/// Upper bound for anything these tests wait for; the tests fail instead of hanging.
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_long_poll_returns_when_the_answer_arrives_not_when_the_wait_ends() {
    let t = Arc::new(TestHub::start().await);
    t.create(&t.keys.agent, "c", "r").await;
    let waiters: Vec<_> = (0..50)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { t.status(&t.keys.agent, "c", "r", "&wait=300").await })
        })
        .collect();
    until("the 50 agents parked", LIMIT, || async {
        (t.hub.waiters() >= 50).then_some(())
    })
    .await;
    let answered = Instant::now();
    t.post(&t.keys.alice, "/api/v1/requests/r/approve", json!({}))
        .await;
    for w in waiters {
        let (_, reply) = tokio::time::timeout(LIMIT, w).await.unwrap().unwrap();
        assert_eq!(reply["status"], "approved");
    }
    // "As soon as": the answer wakes them (within milliseconds: the answer's own durable
    // commit included), not a timer — a hub that looked again every second or more, or at the
    // end of the wait, fails here. The bound is still some hundred times the usual figure, so
    // that a loaded machine does not reach it; the latency itself is measured by `ghl bench`
    // (answer → waiter p50/p99), not asserted.
    let woken = answered.elapsed();
    assert!(
        woken < Duration::from_secs(1),
        "woken {woken:?} after the answer, with wait=300"
    );
    assert_eq!(t.hub.waiters(), 0, "every waiter is gone");
}

#[tokio::test]
async fn a_long_poll_without_an_answer_ends_at_its_wait_with_pending() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c", "r").await;
    let (_, reply) = t.status(&t.keys.agent, "c", "r", "&wait=0.3").await;
    assert_eq!(
        (reply["success"].clone(), reply["status"].clone()),
        (json!(true), json!("pending"))
    );
    t.stop().await;
}

/// Reads server-sent events until `done` says stop; returns the `data` of each event.
async fn read_events(
    response: &mut reqwest::Response,
    mut done: impl FnMut(&[Value]) -> bool,
) -> Vec<Value> {
    let (mut buffer, mut blocks, mut events) = (String::new(), Vec::new(), Vec::new());
    while !done(&events) {
        assert!(
            read_sse(response, &mut buffer, &mut blocks, LIMIT).await,
            "the stream stays open"
        );
        for data in blocks.drain(..).filter_map(|b| b.data) {
            events.push(serde_json::from_str(&data).unwrap());
        }
    }
    events
}

#[tokio::test]
async fn the_event_stream_reports_the_tenants_creates_and_answers_only() {
    let t = TestHub::start().await;
    let mut stream = t
        .http
        .get(format!("{}/api/v1/events", t.base))
        .bearer_auth(&t.keys.alice)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    t.create(&t.keys.other, "c", "theirs").await;
    t.create(&t.keys.agent, "c", "ours").await;
    t.post(&t.keys.alice, "/api/v1/requests/ours/approve", json!({}))
        .await;
    let events = read_events(&mut stream, |e| e.len() >= 2).await;
    assert_eq!(events[0]["event"], "created");
    assert_eq!(
        events[0]["request_id"], "ours",
        "tenant b's request is not shown"
    );
    assert_eq!(events[1]["event"], "updated");
    assert_eq!(
        (
            events[1]["previous_status"].as_str(),
            events[1]["status"].as_str()
        ),
        (Some("pending"), Some("approved"))
    );
    assert_eq!(events[1]["responded_by"], "alice");
    t.stop().await;
}

#[tokio::test]
async fn a_deadline_expires_the_request_and_wakes_its_waiters() {
    let t = TestHub::start().await;
    let mut body = common::create_body("c", "r");
    body["timeout"] = json!(1);
    t.post(&t.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    let mut via_metadata = common::create_body("c", "m");
    via_metadata["metadata"]["timeout"] = json!(1);
    t.post(&t.keys.agent, "/api/v1/humanloop/request", via_metadata)
        .await;
    for rid in ["r", "m"] {
        let (_, reply) = t.status(&t.keys.agent, "c", rid, "&wait=15").await;
        assert_eq!(reply["status"], "expired", "{rid}");
        assert_eq!(reply["error"], "Request timed out");
    }
    let (status, reply) = t
        .post(&t.keys.alice, "/api/v1/requests/r/approve", json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::CONFLICT, "too late: {reply}");
    let (_, audit) = t.get(&t.keys.alice, "/api/v1/requests/r/audit").await;
    assert_eq!(audit["entries"][1]["channel"], "deadline");
    assert_eq!(audit["entries"][1]["actor"], "hub");
    t.stop().await;
}

#[tokio::test]
async fn an_answer_before_the_deadline_wins_and_the_deadline_does_nothing() {
    let t = TestHub::start().await;
    // An hour's deadline, so that the answer is surely before it however slow this machine is;
    // then the hub's (test) clock jumps past it. A request with the same deadline, left
    // unanswered, tells when the hub has acted on that deadline.
    for rid in ["r", "sentinel"] {
        let mut body = common::create_body("c", rid);
        body["timeout"] = json!(3600);
        t.post(&t.keys.agent, "/api/v1/humanloop/request", body)
            .await;
    }
    let (status, _) = t
        .post(&t.keys.alice, "/api/v1/requests/r/approve", json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    // The clock only moves forward and is the process's: the other tests here only see
    // their own deadlines come sooner, which they expect anyway.
    t.hub.advance_clock(3_601_000);
    let (_, sentinel) = t.status(&t.keys.agent, "c", "sentinel", "&wait=15").await;
    assert_eq!(sentinel["status"], "expired", "the deadline came");
    let (_, reply) = t.status(&t.keys.agent, "c", "r", "").await;
    assert_eq!(reply["status"], "approved");
    let (_, audit) = t.get(&t.keys.alice, "/api/v1/requests/r/audit").await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2);
    t.stop().await;
}

/// Reads a stream to its end (or its break); `false` if it is still open after [`LIMIT`].
async fn ends(response: &mut reqwest::Response) -> bool {
    tokio::time::timeout(LIMIT, read_to_end(response))
        .await
        .is_ok()
}

#[tokio::test]
async fn the_event_stream_ends_when_its_key_is_revoked() {
    let t = TestHub::start().await;
    let mut stream = t
        .http
        .get(format!("{}/api/v1/events", t.base))
        .bearer_auth(&t.keys.alice)
        .send()
        .await
        .unwrap();
    t.create(&t.keys.agent, "c", "seen").await;
    let events = read_events(&mut stream, |e| !e.is_empty()).await;
    assert_eq!(events[0]["request_id"], "seen");
    let prefix = gohumanloop_hub::keys::prefix(&t.keys.alice);
    assert!(t.store.revoke_key(&prefix).await.unwrap());
    let revoked = Instant::now();
    assert!(ends(&mut stream).await, "the stream outlived its key");
    // "Within about 4 s": the stream checks its key every 2 s, through the key cache (2 s).
    // The bound leaves a loaded machine a second; it catches a stream that only ends at its
    // next event or its client's going, or that checks its key less often.
    let took = revoked.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "ended {took:?} after the revocation"
    );
    t.stop().await;
}
