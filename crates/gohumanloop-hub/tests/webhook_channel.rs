//! The webhook channel against a real receiver process on loopback that checks every event
//! with the reference implementation of Standard Webhooks (the `standardwebhooks` package from
//! PyPI, in the venv `scripts/test.sh` makes), and decisions signed by that same package.

mod common;
mod web;

use std::process::Stdio;
use std::time::Duration;

use common::TestHub;
use gohumanloop::model::Status;
use gohumanloop_hub::accounts::Role;
use gohumanloop_hub::audit::ChainCheck;
use gohumanloop_hub::channels::webhook::{WebhookConfig, WebhookSecret};
use gohumanloop_hub::store::{Delivery, DeliveryState};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_c2VjcmV0LW9mLWFub3RoZXItaG9vaw==";
const RECEIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhook/receiver.py");

/// The receiver process and the lines it prints.
struct Receiver {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    url: String,
}

impl Receiver {
    async fn start(python: &str, fail_first: u32) -> Self {
        let mut child = Command::new(python)
            .args([RECEIVER, SECRET, &fail_first.to_string()])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value =
            serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
        let url = format!("http://127.0.0.1:{}/events", first["port"]);
        Self {
            _child: child,
            lines,
            url,
        }
    }

    /// The next POST it received (within 20 s).
    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the receiver is running");
        serde_json::from_str(&line).unwrap()
    }
}

/// The reference implementation's `webhook-signature` for a message.
async fn python_sign(python: &str, secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut child = Command::new(python)
        .args([RECEIVER, "--sign", secret, id, &timestamp.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(body).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn config(name: &str, url: &str) -> WebhookConfig {
    let mut config = WebhookConfig::new(name, url, SECRET.parse::<WebhookSecret>().unwrap());
    config.retry = vec![Duration::from_millis(50); 3];
    config
}

/// The hub's id of a request of tenant "a".
async fn hub_id(t: &TestHub, request_id: &str) -> String {
    let (_, got) = t
        .get(&t.keys.alice, &format!("/api/v1/requests/{request_id}"))
        .await;
    got["request"]["id"].as_str().unwrap().to_owned()
}

/// The request's deliveries once nothing is due for them any more (bounded wait).
async fn settled(t: &TestHub, id: &str) -> Vec<Delivery> {
    let what = format!("the deliveries of {id} to settle");
    gohumanloop_testkit::until(&what, Duration::from_secs(60), || async {
        let deliveries = t.store.deliveries_of(id).await.unwrap();
        (!deliveries.is_empty() && deliveries.iter().all(|d| d.due_at.is_none()))
            .then_some(deliveries)
    })
    .await
}

#[tokio::test]
async fn events_pass_an_independent_verifier_and_follow_a_decision_in_the_inbox() {
    let Some(python) = common::python() else {
        return;
    };
    let mut receiver = Receiver::start(&python, 0).await;
    let t = TestHub::start_with_webhooks(vec![config("ops", &receiver.url)]).await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let id = hub_id(&t, "r1").await;
    let created = receiver.next().await;
    assert_eq!(
        created,
        json!({"id": format!("msg_{id}_created"), "verified": true, "type": "request.created",
               "status": "pending", "request": id, "answered": 204})
    );
    web::add_user(t.store.as_ref(), "alice", Role::Approver, &["a"]).await;
    let mut browser = web::Browser::signed_in(&t.base, "alice").await;
    browser.get(&format!("/requests/{id}")).await;
    let page = browser
        .act(&format!("/requests/{id}/approve"), &[("reason", "ok")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let updated = receiver.next().await;
    assert_eq!(
        updated,
        json!({"id": format!("msg_{id}_approved"), "verified": true, "type": "request.updated",
               "status": "approved", "request": id, "answered": 204})
    );
    let deliveries = settled(&t, &id).await;
    assert_eq!(
        deliveries
            .iter()
            .map(|d| (
                d.channel.as_str(),
                d.state,
                d.shown_status,
                d.reference.clone()
            ))
            .collect::<Vec<_>>(),
        [(
            "webhook:ops",
            DeliveryState::Delivered,
            Some(Status::Approved),
            Some(format!("msg_{id}_created"))
        )]
    );
    t.stop().await;
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_again_with_the_same_id_and_a_refusal_is_kept() {
    let Some(python) = common::python() else {
        return;
    };
    let mut receiver = Receiver::start(&python, 2).await;
    // The second webhook points at a path the hub itself answers 404: not worth retrying.
    let t = TestHub::start_with_webhooks(vec![config("flaky", &receiver.url)]).await;
    let gone = format!("{}/no-such-receiver", t.base);
    let t2 = TestHub::start_with_webhooks(vec![config("gone", &gone)]).await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let id = hub_id(&t, "r1").await;
    let answers: Vec<(Value, Value)> = [
        receiver.next().await,
        receiver.next().await,
        receiver.next().await,
    ]
    .into_iter()
    .map(|e| (e["id"].clone(), e["answered"].clone()))
    .collect();
    let expected_id = json!(format!("msg_{id}_created"));
    assert_eq!(
        answers,
        [
            (expected_id.clone(), json!(503)),
            (expected_id.clone(), json!(503)),
            (expected_id, json!(204))
        ]
    );
    let delivered = settled(&t, &id).await;
    assert_eq!(delivered[0].state, DeliveryState::Delivered);
    assert_eq!(
        delivered[0].attempts, 0,
        "the count starts again after a success"
    );

    t2.create(&t2.keys.agent, "c1", "r1").await;
    let id2 = hub_id(&t2, "r1").await;
    let refused = settled(&t2, &id2).await;
    assert_eq!(refused[0].state, DeliveryState::GaveUp);
    assert_eq!(refused[0].attempts, 1, "a 404 is not tried again");
    let error = refused[0].last_error.clone().unwrap_or_default();
    assert!(error.starts_with("gave up: HTTP 404"), "{error}");
    // The request's page shows why.
    web::add_user(t2.store.as_ref(), "alice", Role::Approver, &["a"]).await;
    let mut browser = web::Browser::signed_in(&t2.base, "alice").await;
    let page = browser.get(&format!("/requests/{id2}")).await;
    assert!(
        page.body
            .contains("webhook:gone</strong>: <span class=\"delivery-state\">Given up"),
        "{}",
        page.body
    );
    assert!(page.body.contains("gave up: HTTP 404"), "{}", page.body);
    t.stop().await;
    t2.stop().await;
}

/// Posts a decision as a receiver would, signed by the reference implementation.
async fn post_decision(
    t: &TestHub,
    python: &str,
    secret: &str,
    message: (&str, i64),
    body: &[u8],
) -> (StatusCode, Value) {
    let (id, timestamp) = message;
    let signature = python_sign(python, secret, id, timestamp, body).await;
    send_decision(t, Some((id, timestamp, signature.as_str())), body).await
}

async fn send_decision(
    t: &TestHub,
    headers: Option<(&str, i64, &str)>,
    body: &[u8],
) -> (StatusCode, Value) {
    let mut request = t
        .http
        .post(format!("{}/channels/webhook/ops/decisions", t.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some((id, timestamp, signature)) = headers {
        request = request
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn signed_decisions_go_through_the_one_decision_path_and_nothing_else_gets_in() {
    let Some(python) = common::python() else {
        return;
    };
    let mut ops = config("ops", "http://127.0.0.1:9/unused");
    ops.tenant = Some("a".into());
    let t = TestHub::start_with_webhooks(vec![ops]).await;
    t.create(&t.keys.agent, "c1", "r1").await;
    t.create(&t.keys.agent, "c1", "r3").await;
    t.create(&t.keys.other, "c1", "r2").await;
    let now = || gohumanloop_hub::record::now_ms() / 1000;
    let approve = serde_json::to_vec(
        &json!({"request_id": "r1", "decision": "approve", "text": "fine", "actor": "bot-7",
            "actor_name": "Release Bot 7"}),
    )
    .unwrap();

    // Refused before anything is read: unsigned, another secret, out of the window.
    let (status, reply) = send_decision(&t, None, &approve).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reply}");
    assert_eq!(reply["error"], "the webhook-id header is missing");
    for (secret, at, why) in [
        (OTHER_SECRET, now(), "no valid signature"),
        (SECRET, now() - 600, "more than five minutes"),
    ] {
        let (status, reply) =
            post_decision(&t, &python, secret, ("msg_refused", at), &approve).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{reply}");
        assert!(reply["error"].as_str().unwrap().contains(why), "{reply}");
    }
    assert_eq!(
        t.status(&t.keys.agent, "c1", "r1", "").await.1["status"],
        "pending"
    );

    // A valid one decides, once.
    let message = ("msg_approve_1", now());
    let (status, reply) = post_decision(&t, &python, SECRET, message, &approve).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        (&reply["success"], &reply["status"]),
        (&json!(true), &json!("approved"))
    );
    let (_, seen) = t.status(&t.keys.agent, "c1", "r1", "").await;
    assert_eq!(
        (&seen["status"], &seen["responded_by"]),
        (&json!("approved"), &json!("bot-7"))
    );
    let (_, audit) = t.get(&t.keys.agent, "/api/v1/requests/r1/audit").await;
    let last = audit["entries"].as_array().and_then(|e| e.last()).cloned();
    let last = last.unwrap_or_else(|| panic!("no audit entries: {audit}"));
    let detail: Value = serde_json::from_str(last["detail"].as_str().unwrap_or("{}")).unwrap();
    assert_eq!(
        (&last["actor"], &last["channel"], &detail["actor_name"]),
        (
            &json!("bot-7"),
            &json!("webhook:ops"),
            &json!("Release Bot 7")
        ),
        "{audit}"
    );
    let (status, reply) = post_decision(&t, &python, SECRET, message, &approve).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a replay: {reply}");
    let reject = serde_json::to_vec(
        &json!({"request_id": "r1", "decision": "reject", "text": "no", "actor": "bot-8"}),
    )
    .unwrap();
    let (status, reply) =
        post_decision(&t, &python, SECRET, ("msg_reject_1", now()), &reject).await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(
        (&reply["status"], &reply["responded_by"]),
        (&json!("approved"), &json!("bot-7"))
    );

    // Signed but wrong: not JSON, another tenant's request, a rejection without a reason.
    let (status, reply) =
        post_decision(&t, &python, SECRET, ("msg_garbage", now()), b"{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    let (_, theirs) = t.get(&t.keys.other, "/api/v1/requests/r2").await;
    let theirs = theirs["request"]["id"].as_str().unwrap().to_owned();
    let foreign =
        serde_json::to_vec(&json!({"request_id": theirs, "decision": "approve"})).unwrap();
    let (status, reply) =
        post_decision(&t, &python, SECRET, ("msg_foreign", now()), &foreign).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{reply}");
    let bare = serde_json::to_vec(&json!({"request_id": "r3", "decision": "reject"})).unwrap();
    let (status, reply) = post_decision(&t, &python, SECRET, ("msg_bare", now()), &bare).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert_eq!(reply["error"], "a rejection needs a reason");

    // Nothing else was recorded: r3 and tenant b's request still wait; one chain.
    assert_eq!(
        t.status(&t.keys.agent, "c1", "r3", "").await.1["status"],
        "pending"
    );
    assert_eq!(
        t.status(&t.keys.other, "c1", "r2", "").await.1["status"],
        "pending"
    );
    assert_eq!(t.store.verify_audit().await.unwrap(), ChainCheck::Intact(4));
    t.stop().await;
}
