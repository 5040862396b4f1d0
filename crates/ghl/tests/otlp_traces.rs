//! `ghl serve --otlp-endpoint URL`: a real `ghl serve` process sends a span per HTTP request,
//! with the warnings logged while it was served, to an OpenTelemetry collector over OTLP/HTTP
//! (protobuf) — here a fake collector on loopback that keeps what it is sent.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use common::{get_json, post_json, web_sign_in_attempt, HubProcess};
use serde_json::json;

/// What the collector was sent: (content type, body) per export.
type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

/// A collector on loopback taking `POST /v1/traces`: its base URL and what it receives.
async fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let kept = kept.clone();
            async move {
                let kind = headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                kept.lock().unwrap().push((kind, body));
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/x-protobuf")],
                    Bytes::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Checked for the warnings by exporting only `ERROR` events (`ghl/src/telemetry.rs`): the
/// sign-in's warning never reached the collector and this failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_a_span_sent_to_the_collector() {
    let (base, received) = collector().await;
    // The collector's base URL: the hub adds `/v1/traces`. Batches every 100 ms, not 5 s.
    let hub = HubProcess::start_with(
        &["--otlp-endpoint", &base],
        &[("OTEL_BSP_SCHEDULE_DELAY", "100")],
    );
    let key = hub.key("t", "agent");
    let body = json!({"task_id": "t", "conversation_id": "c", "request_id": "rid-7f3a9",
                      "loop_type": "approval", "context": {"message": "?"}, "platform": "p"});
    let created = post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &body,
    )
    .await;
    assert_eq!(created["success"], true, "{created}");
    let id = created["request_id"]
        .as_str()
        .unwrap_or("rid-7f3a9")
        .to_owned();
    let got = get_json(&format!("{}/api/v1/requests/{id}", hub.base), &key).await;
    assert_eq!(got["success"], true, "{got}");
    let health = reqwest::get(format!("{}/health", hub.base)).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    // A warning logged while a request is served (a failed sign-in) goes with its span.
    hub.user("alice", "approver", &["t"]);
    let (status, _) = web_sign_in_attempt(&hub.base, "alice", "not her password").await;
    assert_eq!(status, 401);

    let wanted = [
        // The spans' names: the method and the route, never an id.
        "POST /api/v1/humanloop/request",
        "GET /api/v1/requests/{id}",
        "GET /health",
        "POST /login",
        // The warning, as an event of the sign-in's span (events outside a span are not sent).
        "failed sign-in to the web inbox",
        // Their attributes and the service.
        "http.route",
        "http.response.status_code",
        "service.name",
        "ghl",
    ];
    let everything = || -> Vec<u8> {
        received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, body)| body.to_vec())
            .collect()
    };
    let limit = Duration::from_secs(60);
    // The kit's wait, bounded from outside so that the failure shows what came.
    let found = tokio::time::timeout(
        limit,
        gohumanloop_testkit::until("", 2 * limit, || async {
            let all = everything();
            wanted.iter().all(|w| contains(&all, w)).then_some(all)
        }),
    )
    .await;
    let everything = found.unwrap_or_else(|_| {
        panic!(
            "the collector got no such spans: {}",
            String::from_utf8_lossy(&everything())
        )
    });
    assert!(
        !contains(&everything, "rid-7f3a9") && !contains(&everything, &id),
        "no request's id in the spans"
    );
    for (kind, _) in received.lock().unwrap().iter() {
        assert_eq!(kind, "application/x-protobuf");
    }
}
