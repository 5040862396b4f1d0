//! The library's `ApiProvider` (and `HubProvider`) against a real `ghl serve` over loopback, and
//! against small local servers that behave like the original's Go services and hub.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{get_json, parked_waiters, post_json, HubProcess};
use gohumanloop::providers::api::{ApiOptions, ApiProvider, NO_PLATFORM};
use gohumanloop::providers::hub::HubProvider;
use gohumanloop::{HumanLoopResult, LoopRequest, Manager, Status};
use gohumanloop_testkit::until;
use serde_json::{json, Map, Value};

/// Long enough that only a long-poll can deliver an answer within a test's bounds.
const NEVER: Duration = Duration::from_secs(600);

/// A bound for waits that end at once when things work (it only bounds a hang).
const BOUND: Duration = Duration::from_secs(60);

fn context(question: &str) -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("question".into(), json!(question));
    context
}

/// A manager whose only provider talks to `base` with `key`.
fn manager(base: &str, key: &str, options: impl FnOnce(ApiOptions) -> ApiOptions) -> Manager {
    let options = options(
        ApiOptions::new(format!("{base}/api"))
            .api_key(key)
            .default_platform("rs-test")
            .poll_interval(NEVER),
    );
    let provider = ApiProvider::connect("hub", options).unwrap();
    Manager::with_provider(Arc::new(provider)).unwrap()
}

async fn wait(manager: &Manager, ticket: &gohumanloop::Ticket) -> HumanLoopResult {
    tokio::time::timeout(
        BOUND,
        manager.wait(&ticket.conversation_id, &ticket.request_id),
    )
    .await
    .expect("the result arrives in time")
    .unwrap()
}

/// A human answers through the hub's answering API.
async fn answer(hub: &HubProcess, key: &str, request_id: &str, action: &str, body: Value) {
    let reply: Value = post_json(
        &format!("{}/api/v1/requests/{request_id}/{action}", hub.base),
        key,
        &body,
    )
    .await;
    assert_eq!(reply["success"], true, "{reply}");
}

/// The agent asks; a human answers with `action`/`body`; the agent's wait returns.
async fn asked_and_answered(
    manager: &Manager,
    hub: &HubProcess,
    approver: &str,
    request: LoopRequest,
    action: &str,
    body: Value,
) -> (gohumanloop::Ticket, HumanLoopResult) {
    let ticket = manager.request(request).await.unwrap();
    answer(hub, approver, &ticket.request_id, action, body).await;
    let result = wait(manager, &ticket).await;
    (ticket, result)
}

async fn hub_request(hub: &HubProcess, key: &str, request_id: &str) -> Value {
    let reply: Value = get_json(&format!("{}/api/v1/requests/{request_id}", hub.base), key).await;
    reply["request"].clone()
}

/// Waits (bounded) until the hub shows `status` for a request.
async fn hub_status_becomes(hub: &HubProcess, key: &str, request_id: &str, status: &str) {
    let what = format!("{request_id} to become {status} at the hub");
    until(&what, BOUND, || async {
        (hub_request(hub, key, request_id).await["status"] == status).then_some(())
    })
    .await;
}

#[tokio::test]
async fn every_loop_type_through_ghl_serve_by_long_poll() {
    let hub = HubProcess::start();
    let agent = hub.key("a", "agent");
    let alice = hub.key("a", "alice");
    let manager = manager(&hub.base, &agent, |o| o);

    // Approval, approved: with polls 10 minutes apart, only a long-poll brings it in time.
    let ticket = manager
        .request(LoopRequest::approval(context("Deploy?")))
        .await
        .unwrap();
    assert_eq!(
        hub_request(&hub, &agent, &ticket.request_id).await["platform"],
        "rs-test"
    );
    answer(
        &hub,
        &alice,
        &ticket.request_id,
        "approve",
        json!({"reason": "go"}),
    )
    .await;
    let result = wait(&manager, &ticket).await;
    assert_eq!(result.status, Status::Approved);
    assert_eq!(
        result.response,
        json!({"decision": "approved", "reason": "go"})
    );
    assert_eq!(result.responded_by.as_deref(), Some("alice"));
    let at_hub = hub_request(&hub, &agent, &ticket.request_id).await;
    assert_eq!(
        result.responded_at.as_ref(),
        at_hub["responded_at"]
            .as_str()
            .map(|s| s.to_owned())
            .as_ref(),
        "the hub's time"
    );

    // Approval, rejected.
    let (_, result) = asked_and_answered(
        &manager,
        &hub,
        &alice,
        LoopRequest::approval(context("Drop the table?")),
        "reject",
        json!({"reason": "no"}),
    )
    .await;
    assert_eq!(result.status, Status::Rejected);
    assert_eq!(result.response["reason"], "no");

    // Information.
    let (_, result) = asked_and_answered(
        &manager,
        &hub,
        &alice,
        LoopRequest::information(context("Which region?")),
        "answer",
        json!({"text": "eu-west-1"}),
    )
    .await;
    assert_eq!(
        (result.status, result.response),
        (Status::Completed, json!({"information": "eu-west-1"}))
    );

    // A conversation: a reply keeps it going, the next turn goes through `continue`.
    let (first, result) = asked_and_answered(
        &manager,
        &hub,
        &alice,
        LoopRequest::conversation(context("Shall we start?")),
        "reply",
        json!({"text": "yes"}),
    )
    .await;
    assert_eq!(
        (result.status, result.response),
        (Status::InProgress, json!({"message": "yes"}))
    );
    let second = manager
        .continue_conversation(
            LoopRequest::conversation(context("Done. Anything else?"))
                .conversation_id(first.conversation_id.clone()),
        )
        .await
        .unwrap();
    assert_eq!(second.task_id, first.task_id);
    let at_hub = hub_request(&hub, &agent, &second.request_id).await;
    assert_eq!(at_hub["conversation_id"], first.conversation_id.as_str());
    assert_eq!(at_hub["loop_type"], "conversation");
    answer(
        &hub,
        &alice,
        &second.request_id,
        "reply",
        json!({"text": "no, thanks", "complete": true}),
    )
    .await;
    let result = wait(&manager, &second).await;
    assert_eq!(result.status, Status::Completed);
}

#[tokio::test]
async fn cancellations_deadlines_and_refusals_reach_or_come_from_the_hub() {
    let hub = HubProcess::start();
    let agent = hub.key("a", "agent");
    let alice = hub.key("a", "alice");
    let manager = manager(&hub.base, &agent, |o| o);

    let ticket = manager
        .request(LoopRequest::approval(context("Restart?")))
        .await
        .unwrap();
    assert!(manager
        .cancel_request(&ticket.conversation_id, &ticket.request_id)
        .await
        .unwrap());
    assert_eq!(wait(&manager, &ticket).await.status, Status::Cancelled);
    hub_status_becomes(&hub, &agent, &ticket.request_id, "cancelled").await;

    // A whole conversation: the hub cancels every open turn.
    let first = manager
        .request(LoopRequest::conversation(context("Talk?")))
        .await
        .unwrap();
    answer(
        &hub,
        &alice,
        &first.request_id,
        "reply",
        json!({"text": "sure"}),
    )
    .await;
    assert_eq!(wait(&manager, &first).await.status, Status::InProgress);
    let second = manager
        .continue_conversation(
            LoopRequest::conversation(context("More?"))
                .conversation_id(first.conversation_id.clone()),
        )
        .await
        .unwrap();
    assert!(manager
        .cancel_conversation(&first.conversation_id)
        .await
        .unwrap());
    hub_status_becomes(&hub, &agent, &second.request_id, "cancelled").await;

    // A deadline: expired here and at the hub (the provider sends the timeout along).
    let ticket = manager
        .request(LoopRequest::approval(context("Quick?")).timeout(1))
        .await
        .unwrap();
    let result = wait(&manager, &ticket).await;
    assert_eq!(
        (result.status, result.error.as_deref()),
        (Status::Expired, Some("Request timed out"))
    );
    hub_status_becomes(&hub, &agent, &ticket.request_id, "expired").await;

    // No platform anywhere: refused with the original's words, nothing sent.
    let bare = ApiProvider::connect(
        "bare",
        ApiOptions::new(format!("{}/api", hub.base)).api_key(&agent),
    )
    .unwrap();
    let bare = Manager::with_provider(Arc::new(bare)).unwrap();
    let result = bare
        .request_and_wait(LoopRequest::approval(context("?")).request_id("never-sent"))
        .await
        .unwrap();
    assert_eq!(
        (result.status, result.error.as_deref()),
        (Status::Error, Some(NO_PLATFORM))
    );
    assert!(hub_request(&hub, &agent, "never-sent").await.is_null());

    // A revoked or wrong key: the hub's message.
    let wrong = manager_for_key(&hub, "ghl_not_a_key");
    let result = wrong
        .request_and_wait(LoopRequest::approval(context("?")))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Error);
    assert_eq!(result.error.as_deref(), Some("Invalid or revoked API key"));

    // HubProvider reads the original's environment variables.
    std::env::remove_var("GOHUMANLOOP_API_KEY");
    assert!(HubProvider::from_env().is_err());
}

fn manager_for_key(hub: &HubProcess, key: &str) -> Manager {
    manager(&hub.base, key, |o| o.max_retries(1))
}

#[tokio::test]
async fn a_hub_killed_mid_wait_is_ridden_out_or_ends_the_request() {
    let mut hub = HubProcess::start();
    let agent = hub.key("a", "agent");
    let alice = hub.key("a", "alice");
    let addr = hub.addr();
    // Killed and back within the grace time (far longer than any restart takes): the answer
    // still arrives.
    let manager = manager(&hub.base, &agent, |o| {
        o.poll_interval(Duration::from_millis(200))
            .give_up_after(BOUND)
            .max_retries(1)
    });
    let ticket = manager
        .request(LoopRequest::approval(context("Survive a restart?")))
        .await
        .unwrap();
    // Its long-poll is parked at the hub: the kill surely breaks a wait in progress.
    until("the agent's long-poll parked at the hub", BOUND, || async {
        (parked_waiters(&hub.base).await? >= 1).then_some(())
    })
    .await;
    hub.kill();
    hub.spawn(&addr);
    answer(&hub, &alice, &ticket.request_id, "approve", json!({})).await;
    assert_eq!(wait(&manager, &ticket).await.status, Status::Approved);

    // Gone for good: `error` after the grace time, never an endless `pending`.
    let manager = manager_for_grace(&hub, &agent, Duration::from_secs(3));
    let ticket = manager
        .request(LoopRequest::approval(context("Anyone?")))
        .await
        .unwrap();
    hub.kill();
    let result = wait(&manager, &ticket).await;
    assert_eq!(result.status, Status::Error);
    let error = result.error.unwrap_or_default();
    assert!(
        error.starts_with("Lost track of the request at the server for 3 s"),
        "{error}"
    );
}

fn manager_for_grace(hub: &HubProcess, key: &str, grace: Duration) -> Manager {
    manager(&hub.base, key, |o| {
        o.poll_interval(Duration::from_millis(200))
            .give_up_after(grace)
            .max_retries(1)
    })
}

// --- servers that behave like the original's ---------------------------------------------------

/// What a fake server saw.
#[derive(Default)]
struct Seen {
    status_calls: AtomicUsize,
    misspelt_cancel: AtomicUsize,
    /// Status polls held unanswered that the client dropped (closed their connection).
    dropped_polls: AtomicUsize,
}

/// Counts a held poll as dropped once its handler is (hyper drops it with its connection).
struct Held(Arc<Seen>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.dropped_polls.fetch_add(1, Ordering::SeqCst);
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// Like the Go Feishu / WeCom services: string answers, a zero time while unanswered, no
/// `continue`, the misspelt cancel route (the right one is Beego's plain-text 404), no long-poll.
fn go_service(seen: Arc<Seen>) -> Router {
    let ok = || async { Json(json!({"success": true})) };
    Router::new()
        .route("/api/v1/humanloop/request", post(ok))
        .route(
            "/api/v1/humanloop/status",
            get(|State(seen): State<Arc<Seen>>| async move {
                let n = seen.status_calls.fetch_add(1, Ordering::SeqCst);
                if n < 3 {
                    Json(
                        json!({"success": true, "status": "pending", "response": "", "feedback": "",
                                "responded_at": "0001-01-01T00:00:00Z"}),
                    )
                } else {
                    Json(
                        json!({"success": true, "status": "approved", "response": "同意",
                                "feedback": "looks fine", "responded_by": "zhangsan",
                                "responded_at": "2026-11-25T10:00:00+08:00"}),
                    )
                }
            }),
        )
        .route(
            "/api/v1/humanloop/continue",
            post(|| async {
                Json(json!({"success": false, "error": "ContinueHumanLoop not supported"}))
            }),
        )
        .route(
            "/api/v1/humanloop/cancel_conversation",
            post(|| async { (StatusCode::NOT_FOUND, "Not Found") }),
        )
        .route(
            "/api/v1/humanloop/cancel_converstation",
            post(|State(seen): State<Arc<Seen>>| async move {
                seen.misspelt_cancel.fetch_add(1, Ordering::SeqCst);
                Json(json!({"success": true}))
            }),
        )
        .with_state(seen)
}

#[tokio::test]
async fn a_go_service_is_polled_at_the_original_cadence_and_its_answers_read() {
    let seen = Arc::new(Seen::default());
    let base = serve(go_service(seen.clone())).await;
    let manager = manager(&base, "uuid-key", |o| {
        o.poll_interval(Duration::from_millis(200))
    });
    let ticket = manager
        .request(LoopRequest::approval(context("审批?")))
        .await
        .unwrap();
    let result = wait(&manager, &ticket).await;
    assert_eq!(result.status, Status::Approved);
    assert_eq!(result.response, json!("同意"));
    assert_eq!(result.feedback, json!("looks fine"));
    assert_eq!(result.responded_by.as_deref(), Some("zhangsan"));
    assert_eq!(
        result.responded_at.as_deref(),
        Some("2026-11-25T10:00:00+08:00")
    );
    // Four polls answered it: polled, not hammered, and no long-poll was assumed.
    assert_eq!(seen.status_calls.load(Ordering::SeqCst), 4);

    let turn = manager
        .continue_and_wait(
            LoopRequest::conversation(context("more?"))
                .conversation_id(ticket.conversation_id.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        (turn.status, turn.error.as_deref()),
        (Status::Error, Some("ContinueHumanLoop not supported"))
    );

    let open = manager
        .request(LoopRequest::approval(context("cancel me")))
        .await
        .unwrap();
    assert!(manager
        .cancel_conversation(&open.conversation_id)
        .await
        .unwrap());
    assert_eq!(
        seen.misspelt_cancel.load(Ordering::SeqCst),
        1,
        "the misspelt route after the 404"
    );
}

/// Like the original hub: `404 {"detail": …}` for a request it does not know.
fn original_hub() -> Router {
    Router::new()
        .route(
            "/api/v1/humanloop/request",
            post(|| async { Json(json!({"success": true, "error": null})) }),
        )
        .route(
            "/api/v1/humanloop/status",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    Json(json!({"detail": "Request not found"})),
                )
            }),
        )
}

#[tokio::test]
async fn a_404_on_status_ends_in_error_not_an_endless_pending() {
    let base = serve(original_hub()).await;
    let manager = manager(&base, "k", |o| {
        o.poll_interval(Duration::from_millis(100))
            .give_up_after(Duration::from_secs(1))
            .max_retries(1)
    });
    let result = manager
        .request_and_wait(LoopRequest::approval(context("?")))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Error);
    let error = result.error.unwrap_or_default();
    assert!(error.contains("API request failed: 404"), "{error}");

    // With a deadline shorter than the grace time, the deadline ends it.
    let manager = manager_with(&base, |o| {
        o.poll_interval(Duration::from_millis(100)).max_retries(1)
    });
    let result = manager
        .request_and_wait(LoopRequest::approval(context("?")).timeout(1))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Expired);
}

fn manager_with(base: &str, options: impl FnOnce(ApiOptions) -> ApiOptions) -> Manager {
    manager(base, "k", options)
}

#[tokio::test]
async fn slow_and_non_json_servers_give_clear_errors() {
    let slow = serve(Router::new().route(
        "/api/v1/humanloop/request",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(json!({"success": true}))
        }),
    ))
    .await;
    let manager = manager_with(&slow, |o| {
        o.request_timeout(Duration::from_millis(300)).max_retries(2)
    });
    let result = manager
        .request_and_wait(LoopRequest::approval(context("?")))
        .await
        .unwrap();
    assert_eq!(
        (result.status, result.error.as_deref()),
        (Status::Error, Some("API request timed out"))
    );

    let html = serve(Router::new().route(
        "/api/v1/humanloop/request",
        post(|| async { (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response() }),
    ))
    .await;
    let manager = manager_with(&html, |o| o.max_retries(1));
    let result = manager
        .request_and_wait(LoopRequest::approval(context("?")))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Error);
    assert_eq!(
        result.error.as_deref(),
        Some("API request failed: 502 Bad Gateway (the reply is not JSON)")
    );

    let refused = serve(Router::new().route(
        "/api/v1/humanloop/request",
        post(|| async { Json(json!({"success": false})) }),
    ))
    .await;
    let manager = manager_with(&refused, |o| o);
    let result = manager
        .request_and_wait(LoopRequest::approval(context("?")))
        .await
        .unwrap();
    assert_eq!(
        result.error.as_deref(),
        Some("API request failed without error message")
    );
    assert!(ApiProvider::connect("x", ApiOptions::new("ftp://host/api")).is_err());
}

#[tokio::test]
async fn a_forgotten_request_is_no_longer_followed() {
    let seen = Arc::new(Seen::default());
    let router = Router::new()
        .route(
            "/api/v1/humanloop/request",
            post(|| async { Json(json!({"success": true})) }),
        )
        .route(
            "/api/v1/humanloop/status",
            get(|State(seen): State<Arc<Seen>>| async move {
                let n = seen.status_calls.fetch_add(1, Ordering::SeqCst) + 1;
                if n >= 2 {
                    // From the second poll on, no answer: the poll stays in flight until the
                    // client lets go of it.
                    let _held = Held(seen.clone());
                    std::future::pending::<()>().await;
                }
                Json(json!({"success": true, "status": "pending"}))
            }),
        )
        .with_state(seen.clone());
    let base = serve(router).await;
    let manager = manager_with(&base, |o| o.poll_interval(Duration::from_millis(50)));
    let ticket = manager
        .request(LoopRequest::approval(context("?")))
        .await
        .unwrap();
    until("it is polled twice", BOUND, || async {
        (seen.status_calls.load(Ordering::SeqCst) >= 2).then_some(())
    })
    .await;
    manager.forget_conversation(&ticket.conversation_id).await;
    // The poll loop ends by dropping the poll it had in flight (its connection closes); it
    // polls one at a time, so nothing was sent since, and after it nothing is sent again.
    until("the poll in flight dropped", BOUND, || async {
        (seen.dropped_polls.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    assert_eq!(seen.status_calls.load(Ordering::SeqCst), 2, "no more polls");
}
