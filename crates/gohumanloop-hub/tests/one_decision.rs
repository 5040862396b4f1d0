//! One decision path: the same decision made on any channel — the answering API, the web
//! inbox, an email link, a signed webhook — gives the same status and the same response, the
//! same refusal, and, when made on all of them at once, exactly one change.
//!
//! (Mail replies go through the same path too, but record the mail itself as the response, as
//! the original's email provider does; `email_channel.rs` tests them against a mail server.)

mod common;
mod web;

use std::sync::Arc;

use common::TestHub;
use gohumanloop::providers::email::ServerSettings;
use gohumanloop_hub::accounts::Role;
use gohumanloop_hub::audit::ChainCheck;
use gohumanloop_hub::channels::email::links::{Action as LinkAction, Link};
use gohumanloop_hub::channels::email::{EmailChannel, EmailChannelConfig};
use gohumanloop_hub::channels::webhook::{signature, WebhookConfig, WebhookSecret};
use gohumanloop_hub::record::now_ms;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The channels a decision can come through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Api,
    Inbox,
    EmailLink,
    Webhook,
}

const ALL: [Via; 4] = [Via::Api, Via::Inbox, Via::EmailLink, Via::Webhook];

struct Hub {
    t: TestHub,
    email: Arc<EmailChannel>,
    secret: WebhookSecret,
}

/// A hub with every channel: an email channel that mails nobody (no routes: only its links
/// are used) and a webhook channel of tenant "a" whose receiver is never reached.
async fn hub() -> Hub {
    let mut ops = WebhookConfig::new(
        "ops",
        "http://127.0.0.1:9/unused",
        SECRET.parse::<WebhookSecret>().unwrap(),
    );
    ops.tenant = Some("a".into());
    ops.retry = Vec::new();
    let (t, email) = TestHub::start_with_email_and_webhooks(
        |base| EmailChannelConfig::new(ServerSettings::new("127.0.0.1", 9), "hub@ghl.test", base),
        vec![ops],
    )
    .await;
    web::add_user(t.store.as_ref(), "alice", Role::Approver, &["a"]).await;
    Hub {
        t,
        email,
        secret: SECRET.parse().unwrap(),
    }
}

impl Hub {
    async fn create(&self, rid: &str, loop_type: &str) -> String {
        let body = json!({
            "task_id": "t", "conversation_id": format!("c-{rid}"), "request_id": rid,
            "loop_type": loop_type, "context": {"message": "May I?"}, "platform": "test",
            "metadata": {},
        });
        let (_, reply) = self
            .t
            .post(&self.t.keys.agent, "/api/v1/humanloop/request", body)
            .await;
        assert_eq!(reply["success"], true, "{reply}");
        let (_, got) = self
            .t
            .get(&self.t.keys.alice, &format!("/api/v1/requests/{rid}"))
            .await;
        got["request"]["id"].as_str().unwrap().to_owned()
    }

    fn link(&self, id: &str, action: LinkAction, recipient: &str) -> String {
        self.email.signer().sign(&Link {
            request_id: id.to_owned(),
            action,
            expires_at: now_ms() / 1000 + 3600,
            recipient: recipient.to_owned(),
        })
    }

    /// Makes `action` with `text` on request `id` through `via`; the HTTP status it got.
    async fn decide(
        &self,
        via: Via,
        browser: &mut web::Browser,
        id: &str,
        action: &str,
        text: &str,
        who: &str,
    ) -> StatusCode {
        match via {
            Via::Api => {
                let (path_action, body) = match action {
                    "approve" | "reject" => (action, json!({"reason": text})),
                    "complete" => ("reply", json!({"text": text, "complete": true})),
                    "cancel" => (action, json!({})),
                    _ => (action, json!({"text": text})),
                };
                let path = format!("/api/v1/requests/{id}/{path_action}");
                self.t.post(&self.t.keys.alice, &path, body).await.0
            }
            Via::Inbox => {
                let (path_action, fields): (&str, Vec<(&str, &str)>) = match action {
                    "approve" | "reject" => (action, vec![("reason", text)]),
                    "complete" => ("reply", vec![("text", text), ("complete", "on")]),
                    "cancel" => (action, vec![]),
                    _ => (action, vec![("text", text)]),
                };
                browser
                    .act(&format!("/requests/{id}/{path_action}"), &fields)
                    .await
                    .status
            }
            Via::EmailLink => {
                let (link_action, end) = match action {
                    "approve" => (LinkAction::Approve, false),
                    "reject" => (LinkAction::Reject, false),
                    "answer" => (LinkAction::Answer, false),
                    "reply" => (LinkAction::Reply, false),
                    "complete" => (LinkAction::Reply, true),
                    other => panic!("no email link does {other}"),
                };
                let token = self.link(id, link_action, who);
                let mut form = vec![("text", text)];
                if end {
                    form.push(("end", "on"));
                }
                self.t
                    .http
                    .post(format!("{}/email/{token}", self.t.base))
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
            Via::Webhook => {
                let body = serde_json::to_vec(
                    &json!({"request_id": id, "decision": action, "text": text, "actor": who}),
                )
                .unwrap();
                let message = format!("msg_{}", uuid::Uuid::new_v4().simple());
                let at = now_ms() / 1000;
                let signature =
                    signature::sign(std::slice::from_ref(&self.secret), &message, at, &body);
                self.t
                    .http
                    .post(format!("{}/channels/webhook/ops/decisions", self.t.base))
                    .header("webhook-id", message)
                    .header("webhook-timestamp", at.to_string())
                    .header("webhook-signature", signature)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        }
    }

    /// What the agent reads of a request: its status and response.
    async fn outcome(&self, rid: &str) -> (Value, Value) {
        let (_, s) = self
            .t
            .status(&self.t.keys.agent, &format!("c-{rid}"), rid, "")
            .await;
        (s["status"].clone(), s["response"].clone())
    }
}

#[tokio::test]
async fn every_channel_gives_the_same_status_and_response() {
    let h = hub().await;
    let mut browser = web::Browser::signed_in(&h.t.base, "alice").await;
    let table = [
        (
            "approval",
            "approve",
            "looks fine",
            "approved",
            json!({"decision": "approved", "reason": "looks fine"}),
        ),
        (
            "approval",
            "reject",
            "too risky",
            "rejected",
            json!({"decision": "rejected", "reason": "too risky"}),
        ),
        ("approval", "cancel", "", "cancelled", json!(null)),
        (
            "information",
            "answer",
            "42",
            "completed",
            json!({"information": "42"}),
        ),
        (
            "information",
            "reject",
            "I cannot say",
            "rejected",
            json!({"decision": "rejected", "reason": "I cannot say"}),
        ),
        (
            "conversation",
            "reply",
            "go on",
            "inprogress",
            json!({"message": "go on"}),
        ),
        (
            "conversation",
            "complete",
            "that is all",
            "completed",
            json!({"message": "that is all"}),
        ),
        ("conversation", "cancel", "", "cancelled", json!(null)),
    ];
    let mut n = 0;
    for (loop_type, action, text, status, response) in table {
        for via in ALL {
            if via == Via::EmailLink && action == "cancel" {
                continue; // mails carry no cancel link
            }
            n += 1;
            let rid = format!("r{n}");
            let id = h.create(&rid, loop_type).await;
            browser.get(&format!("/requests/{id}")).await;
            let code = h
                .decide(via, &mut browser, &id, action, text, "alice")
                .await;
            assert!(
                code.is_success() || code == StatusCode::SEE_OTHER,
                "{via:?} {loop_type} {action}: {code}"
            );
            assert_eq!(
                h.outcome(&rid).await,
                (json!(status), response.clone()),
                "{via:?} {loop_type} {action}"
            );
        }
    }
    h.t.stop().await;
}

#[tokio::test]
async fn every_channel_refuses_the_same_decisions_and_records_nothing() {
    let h = hub().await;
    let mut browser = web::Browser::signed_in(&h.t.base, "alice").await;
    let refused = [
        ("approval", "reject", ""),
        ("information", "answer", ""),
        ("conversation", "reply", "  "),
    ];
    let mut n = 0;
    for (loop_type, action, text) in refused {
        for via in ALL {
            n += 1;
            let rid = format!("r{n}");
            let id = h.create(&rid, loop_type).await;
            browser.get(&format!("/requests/{id}")).await;
            let code = h
                .decide(via, &mut browser, &id, action, text, "alice")
                .await;
            assert_eq!(
                code,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{via:?} {loop_type} {action}"
            );
            assert_eq!(
                h.outcome(&rid).await.0,
                "pending",
                "{via:?} {loop_type} {action}"
            );
        }
    }
    // An action another loop type takes is refused too (no email link exists for it).
    let id = h.create("info", "information").await;
    for via in [Via::Api, Via::Webhook] {
        let code = h
            .decide(via, &mut browser, &id, "approve", "", "alice")
            .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{via:?}");
    }
    assert_eq!(
        h.t.store.verify_audit().await.unwrap(),
        ChainCheck::Intact(n + 1),
        "only the creates were recorded"
    );
    h.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_decisions_on_every_channel_at_once_change_the_request_once() {
    let h = Arc::new(hub().await);
    let id = h.create("race", "approval").await;
    let session = web::Browser::signed_in(&h.t.base, "alice").await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let h = h.clone();
        let id = id.clone();
        let via = ALL[i % ALL.len()];
        let mut tab = session.fork();
        tasks.push(tokio::spawn(async move {
            let action = if i % 2 == 0 { "approve" } else { "reject" };
            let who = format!("approver-{i}");
            let code = h
                .decide(via, &mut tab, &id, action, &format!("answer {i}"), &who)
                .await;
            (via, code)
        }));
    }
    let mut won = Vec::new();
    let mut lost = Vec::new();
    for task in tasks {
        let (via, code) = task.await.unwrap();
        match code {
            StatusCode::OK | StatusCode::SEE_OTHER => won.push(via),
            StatusCode::CONFLICT => lost.push(via),
            other => panic!("{via:?}: {other}"),
        }
    }
    assert_eq!(
        (won.len(), lost.len()),
        (1, 99),
        "exactly one change: {won:?}"
    );
    for via in ALL {
        assert!(lost.contains(&via), "{via:?} lost at least once");
    }
    let (_, reply) = h.t.get(&h.t.keys.alice, "/api/v1/requests/race").await;
    let winner = reply["request"]["responded_by"]
        .as_str()
        .unwrap()
        .to_owned();
    // A later decision is told who won, on every channel.
    let (code, body) =
        h.t.post(
            &h.t.keys.alice,
            &format!("/api/v1/requests/{id}/reject"),
            json!({"reason": "late"}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(body["responded_by"], json!(winner));
    let mut tab = session.fork();
    let page = tab
        .act(&format!("/requests/{id}/reject"), &[("reason", "late")])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains(&winner), "the inbox names the winner");
    let token = h.link(&id, LinkAction::Reject, "late@ghl.test");
    let page =
        h.t.http
            .post(format!("{}/email/{token}", h.t.base))
            .form(&[("text", "late")])
            .send()
            .await
            .unwrap();
    assert_eq!(page.status(), StatusCode::CONFLICT);
    assert!(
        page.text().await.unwrap().contains(&winner),
        "the link page names the winner"
    );
    assert_eq!(
        h.t.store.verify_audit().await.unwrap(),
        ChainCheck::Intact(2)
    );
}
