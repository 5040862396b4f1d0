//! What an operator, a load balancer and Prometheus ask a node — `/health`, `/ready`,
//! `/metrics` — over real HTTP on loopback. The metrics recorder is one per process: the
//! metric checks are one test, so that no other test of this binary moves the counts meanwhile.
//! A hung database is PostgreSQL (`GHL_TEST_POSTGRES`) behind a proxy that stops passing bytes.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode as AxumStatus;
use common::TestHub;
use gohumanloop_hub::channels::webhook::{WebhookConfig, WebhookSecret};
use reqwest::StatusCode;
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The value of a metric line `name{labels}` (labels as Prometheus writes them, in order), 0 if
/// absent.
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn metrics(t: &TestHub) -> String {
    let reply = t
        .http
        .get(format!("{}/metrics", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let kind = reply.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    reply.text().await.unwrap()
}

/// Reads `/metrics` until `done` holds (the test kit's wait: a bound only against hangs).
async fn metrics_until(t: &TestHub, what: &str, done: impl Fn(&str) -> bool) -> String {
    gohumanloop_testkit::until(what, Duration::from_secs(60), || async {
        let text = metrics(t).await;
        done(&text).then_some(text)
    })
    .await
}

fn create_body(rid: &str) -> Value {
    json!({"task_id": "t", "conversation_id": "c", "request_id": rid, "loop_type": "approval",
           "context": {"message": "metrics"}, "platform": "test"})
}

/// A webhook receiver on loopback that fails each event's first attempt (500) and takes the
/// second: the count of attempts it saw.
async fn flaky_receiver() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                    AxumStatus::INTERNAL_SERVER_ERROR
                } else {
                    AxumStatus::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_creates_decisions_waiters_deliveries_and_database_time() {
    let (url, attempts) = flaky_receiver().await;
    let mut webhook = WebhookConfig::new("ops", &url, SECRET.parse::<WebhookSecret>().unwrap());
    webhook.retry = vec![Duration::from_millis(50); 3];
    let t = TestHub::start_with_webhooks(vec![webhook]).await;
    let before = metrics(&t).await;
    let created = "ghl_requests_created_total{loop_type=\"approval\",channel=\"api\"}";
    let approved = "ghl_decisions_total{status=\"approved\",channel=\"api\"}";
    let expired = "ghl_decisions_total{status=\"expired\",channel=\"deadline\"}";
    let latency = "ghl_decision_latency_seconds_count{loop_type=\"approval\"}";
    let delivered = "ghl_deliveries_total{channel=\"webhook:ops\",outcome=\"delivered\"}";
    let failed = "ghl_deliveries_total{channel=\"webhook:ops\",outcome=\"failed\"}";

    let (status, body) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/request",
            create_body("m1"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // An agent waits for the answer: the gauge counts it while it waits.
    let waiter = {
        let (http, url, key) = (
            t.http.clone(),
            format!(
                "{}/api/v1/humanloop/status?conversation_id=c&request_id=m1&platform=test&wait=30",
                t.base
            ),
            t.keys.agent.clone(),
        );
        tokio::spawn(async move {
            let reply = http.get(url).bearer_auth(key).send().await.unwrap();
            reply.json::<Value>().await.unwrap()
        })
    };
    metrics_until(&t, "the waiting agent is counted", |text| {
        metric(text, "ghl_waiters") == metric(&before, "ghl_waiters") + 1.0
    })
    .await;
    let (status, body) = t
        .post(
            &t.keys.alice,
            "/api/v1/requests/m1/approve",
            json!({"reason": "fine"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(waiter.await.unwrap()["status"], "approved");
    // A deadline decides too: its channel is `deadline`.
    let mut body = create_body("m2");
    body["timeout"] = json!(1);
    let (status, body) = t
        .post(&t.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, reply) = t.status(&t.keys.agent, "c", "m2", "&wait=15").await;
    assert_eq!(reply["status"], "expired");
    // The webhook's first attempt fails and its retry is taken. Counters move just after what
    // they count is visible (the expiry's is taken after its write wakes the waiter): wait for
    // every one of them, then check each moved by exactly what happened.
    let after = metrics_until(&t, "the webhook retry and every decision counted", |text| {
        metric(text, delivered) - metric(&before, delivered) >= 1.0
            && metric(text, created) - metric(&before, created) >= 2.0
            && metric(text, approved) - metric(&before, approved) >= 1.0
            && metric(text, expired) - metric(&before, expired) >= 1.0
            && metric(text, latency) - metric(&before, latency) >= 2.0
            && metric(text, "ghl_waiters") == metric(&before, "ghl_waiters")
    })
    .await;
    assert!(attempts.load(Ordering::SeqCst) >= 2);
    assert_eq!(metric(&after, created) - metric(&before, created), 2.0);
    assert_eq!(metric(&after, approved) - metric(&before, approved), 1.0);
    assert_eq!(metric(&after, expired) - metric(&before, expired), 1.0);
    assert_eq!(metric(&after, latency) - metric(&before, latency), 2.0);
    // The expiry came a second or more after its creation.
    assert!(
        metric(
            &after,
            "ghl_decision_latency_seconds_sum{loop_type=\"approval\"}"
        ) - metric(
            &before,
            "ghl_decision_latency_seconds_sum{loop_type=\"approval\"}"
        ) >= 1.0,
        "{after}"
    );
    assert_eq!(
        metric(&after, "ghl_waiters"),
        metric(&before, "ghl_waiters")
    );
    assert!(
        metric(&after, failed) - metric(&before, failed) >= 1.0,
        "{after}"
    );
    assert!(
        metric(&after, "ghl_db_seconds_count{op=\"write_batch\"}")
            > metric(&before, "ghl_db_seconds_count{op=\"write_batch\"}"),
        "{after}"
    );
    t.stop().await;
}

#[tokio::test]
async fn health_and_ready_say_the_database_answers() {
    let t = TestHub::start().await;
    let (status, health) = t.get(&t.keys.agent, "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health, json!({"status": "ok", "database": "reachable"}));
    for path in ["/ready", "/api/ready"] {
        let reply = t
            .http
            .get(format!("{}{path}", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK, "{path}");
        assert_eq!(
            reply.json::<Value>().await.unwrap(),
            json!({"status": "ready"})
        );
    }
    // A node that has begun shutting down is taken out of the balancer's rotation.
    t.hub.begin_shutdown();
    let reply = t
        .http
        .get(format!("{}/ready", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["error"], "the node is shutting down");
    t.stop().await;
}

/// The PostgreSQL server of the tests (`GHL_TEST_POSTGRES`); `None` (the test reports itself
/// skipped) without one.
fn postgres_server() -> Option<String> {
    gohumanloop_testkit::env_or_skip("GHL_TEST_POSTGRES", "bash scripts/pg-server.sh start")
}

/// `GET base/path` without a key: the status, the JSON body and how long it took.
async fn probe(base: &str, path: &str) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let reply = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = reply.status();
    (status, reply.json().await.unwrap(), started.elapsed())
}

/// A database that stops answering without closing anything (PostgreSQL behind a proxy that
/// freezes): `/health` and `/ready` still answer, within their 2 s limit on the database's
/// round trip, and say it is unreachable; once it answers again, so do they.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_database_is_unreachable_for_health_and_ready_within_their_limit() {
    let Some(server) = postgres_server() else {
        return;
    };
    let url = common::postgres_schema(&server).await;
    // postgres://USER@HOST:PORT/DB?…: the same database through the proxy.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (host_port, path) = rest.split_once('/').unwrap();
    let proxy = gohumanloop_testkit::proxy::Proxy::start(host_port.to_owned()).await;
    let through = format!("{scheme_user}@{}/{path}", proxy.addr);
    let store = gohumanloop_hub::store::open(&through).await.unwrap();
    let hub = gohumanloop_hub::Hub::start(store).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = gohumanloop_hub::api::router(hub.clone());
    let server = tokio::spawn(gohumanloop_hub::server::serve(listener, app, async move {
        let _ = stopped.await;
    }));

    let (status, health, _) = probe(&base, "/health").await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["database"], "reachable");

    proxy.freeze();
    let (status, health, took) = probe(&base, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(health["status"], "unavailable");
    assert_eq!(health["database"], "unreachable");
    assert_eq!(health["success"], false);
    assert!(health["error"].is_string(), "{health}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "the database's 2 s limit bounds the check: {took:?}"
    );
    let (status, ready, took) = probe(&base, "/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["error"], "the node cannot reach its database");
    assert!(took < Duration::from_secs(20), "{took:?}");

    proxy.thaw();
    let health =
        gohumanloop_testkit::until("health back to 200", Duration::from_secs(60), || async {
            let (status, health, _) = probe(&base, "/health").await;
            (status == StatusCode::OK).then_some(health)
        })
        .await;
    assert_eq!(health["database"], "reachable");
    let (status, ready, _) = probe(&base, "/ready").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    hub.begin_shutdown();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
