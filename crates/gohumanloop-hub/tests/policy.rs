//! The policy at work in a hub served over HTTP, on SQLite and (second pass) on PostgreSQL:
//! auto-decisions, approvers, quorum votes from two channels (the answering API and the web
//! inbox), escalation and the default decision at the deadline on the hub's clock (moved, never
//! slept), grants (exact and pattern, revoked) and the reject-loop protection. Every decision
//! is read back through the original protocol's status endpoint, as the Python client reads it.
//!
//! The hub's clock is one per process: only `the_clock_brings_escalation_and_the_default_decision`
//! moves it, by 40 minutes at most, which no other test here depends on (their repeat window is
//! an hour, and they have no deadlines).

mod common;
mod web;

use common::{add_key, TestHub};
use gohumanloop_hub::policy::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};

const POLICY: &str = r#"
[policy.groups]
finance = ["alice", "bob", "carol"]
oncall = ["dave"]

[[policy.rule]]
name = "deny-rm-rf-root"
when.function = "shell"
when.arguments = { "/command" = "rm -rf /*" }
decide = "reject"
reason = "recursive deletes of / are never allowed"

[[policy.rule]]
name = "read-only"
when.function = ["get_*", "list_*"]
when.loop_type = "approval"
decide = "approve"
reason = "read-only calls need no human"

[[policy.rule]]
name = "payments"
when.function = "pay"
when.loop_type = "approval"
approvers = ["finance"]
quorum = { approvals = 2 }

[[policy.rule]]
name = "deploys"
when.function = "deploy"
when.loop_type = "approval"
approvers = ["alice"]
deadline = "30m"
at_deadline = "reject"
escalate = [{ after = "10m", to = ["oncall"] }]

[[policy.rule]]
name = "grantable"
when.function = ["send_mail", "resize_disk"]
when.loop_type = "approval"
approvers = ["finance"]
grants = true

[[policy.rule]]
name = "no-pestering"
when.function = "drop_table"
when.loop_type = "approval"
approvers = ["finance"]
on_repeat = "refuse"

[[policy.rule]]
name = "escalate-repeats"
when.function = "reboot"
when.loop_type = "approval"
approvers = ["alice"]
escalate = [{ after = "1h", to = ["oncall"] }]
on_repeat = "escalate"
"#;

fn policy() -> Policy {
    let file: toml::Value = toml::from_str(POLICY).unwrap();
    Policy::from_toml(&file["policy"]).unwrap()
}

/// A hub with the policy, web accounts (alice, bob, carol, dave in tenant "a") and API keys
/// named after them.
struct PolicyHub {
    t: TestHub,
    bob: String,
    carol: String,
    dave: String,
}

impl PolicyHub {
    async fn start() -> Self {
        let t = TestHub::start_with_policy(policy()).await;
        let store = t.store.as_ref();
        for name in ["alice", "bob"] {
            web::add_user(
                store,
                name,
                gohumanloop_hub::accounts::Role::Approver,
                &["a"],
            )
            .await;
        }
        Self {
            bob: add_key(store, "a", "bob").await,
            carol: add_key(store, "a", "carol").await,
            dave: add_key(store, "a", "dave").await,
            t,
        }
    }

    /// Asks about `function(arguments)` as the agent; the hub's id.
    async fn ask(&self, rid: &str, function: &str, arguments: Value, metadata: Value) -> String {
        let body = json!({
            "task_id": "t",
            "conversation_id": format!("c-{rid}"),
            "request_id": rid,
            "loop_type": "approval",
            "platform": "test",
            "context": {
                "message": format!("Function: {function}"),
                "question": "Approve?",
                "function": {"function_name": function, "arguments": arguments},
            },
            "metadata": metadata,
        });
        let (status, reply) = self
            .t
            .post(&self.t.keys.agent, "/api/v1/humanloop/request", body)
            .await;
        assert_eq!(
            (status, &reply["success"]),
            (StatusCode::OK, &json!(true)),
            "{reply}"
        );
        self.t.hub_id(rid).await
    }

    /// The status as the original client reads it.
    async fn status(&self, rid: &str) -> Value {
        let (status, body) = self
            .t
            .status(&self.t.keys.agent, &format!("c-{rid}"), rid, "")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn decide(&self, key: &str, id: &str, action: &str, body: Value) -> (StatusCode, Value) {
        self.t
            .post(key, &format!("/api/v1/requests/{id}/{action}"), body)
            .await
    }

    async fn audit_actors(&self, id: &str) -> Vec<(String, String, String)> {
        let (_, body) = self
            .t
            .get(&self.t.keys.agent, &format!("/api/v1/requests/{id}/audit"))
            .await;
        body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap_or_default().to_owned(),
                    e["channel"].as_str().unwrap_or_default().to_owned(),
                    e["new_status"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn rules_deny_and_allow_at_once_with_their_reason_and_name() {
    let p = PolicyHub::start().await;
    let denied = p
        .ask("rm", "shell", json!({"command": "rm -rf /var"}), json!({}))
        .await;
    let status = p.status("rm").await;
    assert_eq!(status["status"], "rejected", "{status}");
    assert_eq!(status["response"]["decided_by"], "policy");
    assert_eq!(status["response"]["rule"], "deny-rm-rf-root");
    assert_eq!(status["response"]["when"], "at_create");
    assert_eq!(
        status["response"]["reason"],
        "recursive deletes of / are never allowed"
    );
    assert_eq!(status["responded_by"], "policy:deny-rm-rf-root");
    let actors = p.audit_actors(&denied).await;
    assert!(
        actors.contains(&(
            "policy:deny-rm-rf-root".into(),
            "policy".into(),
            "rejected".into()
        )),
        "{actors:?}"
    );
    // Another command does not match the rule: it waits for a human (no rule plans it).
    p.ask("ls", "shell", json!({"command": "ls /var"}), json!({}))
        .await;
    assert_eq!(p.status("ls").await["status"], "pending");

    p.ask("get", "get_invoice", json!({"id": 7}), json!({}))
        .await;
    let status = p.status("get").await;
    assert_eq!(status["status"], "approved", "{status}");
    assert_eq!(status["response"]["rule"], "read-only");
    // An approval by policy is bound to the call it approved.
    assert_eq!(
        status["response"]["call_hash"],
        gohumanloop::model::call_hash("get_invoice", &json!({"id": 7}))
    );
    p.t.stop().await;
}

#[tokio::test]
async fn a_quorum_needs_two_distinct_approvers_from_two_channels_never_the_requester() {
    let p = PolicyHub::start().await;
    // carol asks (the agent acts for her): she may not approve her own payment.
    let id = p
        .ask(
            "pay",
            "pay",
            json!({"to": "acme", "amount": 1200}),
            json!({"requester": "carol"}),
        )
        .await;
    let (status, body) = p.decide(&p.carol, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("asked for this request"),
        "{body}"
    );
    // dave is no approver of payments: refused, nothing recorded.
    let (status, body) = p.decide(&p.dave, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not among the approvers"),
        "{body}"
    );
    assert_eq!(
        p.audit_actors(&id).await.len(),
        1,
        "only the create is audited"
    );

    // alice votes through the answering API: pending, 1 of 2.
    let (status, body) = p.decide(&p.t.keys.alice, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["vote"]["pending"]["approvals"], 1, "{body}");
    assert_eq!(body["vote"]["pending"]["needed"], 2, "{body}");
    assert_eq!(p.status("pay").await["status"], "pending");
    // Her second vote is refused.
    let (status, body) = p.decide(&p.t.keys.alice, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("already voted"),
        "{body}"
    );

    // The count is kept with the request: the API and the inbox's row show it.
    let (_, detail) =
        p.t.get(&p.t.keys.alice, &format!("/api/v1/requests/{id}"))
            .await;
    assert_eq!(
        detail["request"]["tally"],
        json!({"pending": {"approvals": 1, "rejections": 0, "needed": 2}}),
        "{detail}"
    );
    let mut bob = web::Browser::signed_in(&p.t.base, "bob").await;
    let inbox = bob.get("/inbox").await;
    assert!(
        inbox
            .body
            .contains(r#"<span class="votes">1/2 approvals</span>"#),
        "{}",
        inbox.body
    );

    // bob votes in the web inbox: the quorum is reached, in the same transaction.
    let page = bob.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = bob
        .act(
            &format!("/requests/{id}/approve"),
            &[("reason", "ok"), ("then", "list")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let status = p.status("pay").await;
    assert_eq!(status["status"], "approved", "{status}");
    assert_eq!(status["responded_by"], "bob");
    let inbox = bob.get("/inbox").await;
    assert!(!inbox.body.contains(r#"class="votes""#), "{}", inbox.body);
    let actors = p.audit_actors(&id).await;
    let votes: Vec<_> = actors
        .iter()
        .map(|(a, c, s)| (a.as_str(), c.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        votes[1..],
        [("alice", "api", "pending"), ("bob", "web", "approved")],
        "{actors:?}"
    );
    p.t.stop().await;
}

#[tokio::test]
async fn a_rejection_vetoes_a_quorum() {
    let p = PolicyHub::start().await;
    let id = p
        .ask("pay2", "pay", json!({"to": "x", "amount": 5}), json!({}))
        .await;
    let (status, _) = p.decide(&p.t.keys.alice, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = p
        .decide(&p.bob, &id, "reject", json!({"reason": "not this vendor"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let status = p.status("pay2").await;
    assert_eq!(status["status"], "rejected", "{status}");
    assert_eq!(status["response"]["reason"], "not this vendor");
    p.t.stop().await;
}

#[tokio::test]
async fn an_exact_grant_covers_the_same_call_once_and_not_other_arguments() {
    let p = PolicyHub::start().await;
    let args = json!({"to": "ops@example.com", "subject": "weekly report"});
    let first = p.ask("m1", "send_mail", args.clone(), json!({})).await;
    let (status, body) = p
        .decide(
            &p.t.keys.alice,
            &first,
            "approve",
            json!({"reason": "fine", "grant": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grant = body["grant"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["grant"]["single_use"], true);

    // Other arguments: not covered, a human is asked.
    p.ask(
        "m2",
        "send_mail",
        json!({"to": "all@example.com", "subject": "weekly report"}),
        json!({}),
    )
    .await;
    assert_eq!(p.status("m2").await["status"], "pending");
    // The same call (keys in another order): approved by the grant, which is used up.
    let covered = p
        .ask(
            "m3",
            "send_mail",
            json!({"subject": "weekly report", "to": "ops@example.com"}),
            json!({}),
        )
        .await;
    let status = p.status("m3").await;
    assert_eq!(status["status"], "approved", "{status}");
    assert_eq!(status["response"]["grant_id"], grant.as_str());
    assert_eq!(status["responded_by"], format!("grant:{grant}"));
    assert!(p.audit_actors(&covered).await.contains(&(
        format!("grant:{grant}"),
        "grant".into(),
        "approved".into()
    )));
    p.ask("m4", "send_mail", args, json!({})).await;
    assert_eq!(
        p.status("m4").await["status"],
        "pending",
        "a single-use grant is spent"
    );
    p.t.stop().await;
}

#[tokio::test]
async fn a_pattern_grant_covers_calls_until_it_is_revoked() {
    let p = PolicyHub::start().await;
    let first = p
        .ask("d1", "resize_disk", json!({"gb": 20}), json!({}))
        .await;
    // A pattern that does not cover the call it comes with (as edited: 60 GB) is refused
    // before anything is recorded.
    let narrow =
        json!({"function": "resize_disk", "arguments": {"/gb": {"le": 50}}, "duration_secs": 3600});
    let edited = json!({"grant": narrow, "arguments": {"gb": 60}});
    let (status, body) = p.decide(&p.t.keys.alice, &first, "approve", edited).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("must cover the call"),
        "{body}"
    );
    assert_eq!(
        p.status("d1").await["status"],
        "pending",
        "nothing recorded"
    );
    let grant =
        json!({"function": "resize_disk", "arguments": {"/gb": {"le": 50}}, "duration_secs": 3600});
    let (status, body) = p
        .decide(&p.t.keys.alice, &first, "approve", json!({"grant": grant}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grant_id = body["grant"]["id"].as_str().unwrap().to_owned();
    p.ask("d2", "resize_disk", json!({"gb": 40}), json!({}))
        .await;
    assert_eq!(p.status("d2").await["status"], "approved");
    p.ask("d3", "resize_disk", json!({"gb": 80}), json!({}))
        .await;
    assert_eq!(
        p.status("d3").await["status"],
        "pending",
        "outside the pattern"
    );

    let (status, body) = p.t.get(&p.t.keys.alice, "/api/v1/grants").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["grants"][0]["id"], grant_id.as_str());
    assert_eq!(body["grants"][0]["live"], true);
    // alice sees it in the inbox's grants page and revokes it there.
    let mut alice = web::Browser::signed_in(&p.t.base, "alice").await;
    let page = alice.get("/grants").await;
    assert!(
        page.body
            .contains(&format!(r#"data-grant-id="{grant_id}" data-live="true""#)),
        "{}",
        page.body
    );
    let revoked = alice
        .act(&format!("/grants/a/{grant_id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let page = alice.get("/grants").await;
    assert!(page
        .body
        .contains(&format!(r#"data-grant-id="{grant_id}" data-live="false""#)));
    let (status, _) =
        p.t.post(
            &p.t.keys.alice,
            &format!("/api/v1/grants/{grant_id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "revoked already");
    let (_, body) = p.t.get(&p.t.keys.alice, "/api/v1/grants").await;
    assert_eq!(body["grants"][0]["live"], false);
    p.ask("d4", "resize_disk", json!({"gb": 40}), json!({}))
        .await;
    assert_eq!(
        p.status("d4").await["status"],
        "pending",
        "a revoked grant covers nothing"
    );
    // Another tenant never sees it.
    let (_, body) = p.t.get(&p.t.keys.other, "/api/v1/grants").await;
    assert_eq!(body["grants"], json!([]));
    // A rule without `grants = true` refuses a grant, and records nothing.
    let pay = p.ask("pay3", "pay", json!({"amount": 1}), json!({})).await;
    let (status, body) = p
        .decide(&p.t.keys.alice, &pay, "approve", json!({"grant": {}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(p.audit_actors(&pay).await.len(), 1);
    p.t.stop().await;
}

#[tokio::test]
async fn a_call_rejected_by_a_human_is_not_asked_again_or_goes_to_the_escalation() {
    let p = PolicyHub::start().await;
    let args = json!({"table": "customers"});
    let first = p.ask("t1", "drop_table", args.clone(), json!({})).await;
    let (status, _) = p
        .decide(
            &p.t.keys.alice,
            &first,
            "reject",
            json!({"reason": "never"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    p.ask("t2", "drop_table", args.clone(), json!({})).await;
    let status = p.status("t2").await;
    assert_eq!(status["status"], "rejected", "{status}");
    assert_eq!(status["response"]["when"], "repeat");
    assert!(status["response"]["reason"]
        .as_str()
        .unwrap()
        .contains("alice rejected the same call"));
    // Another table is another call: asked as usual.
    p.ask("t3", "drop_table", json!({"table": "tmp"}), json!({}))
        .await;
    assert_eq!(p.status("t3").await["status"], "pending");

    // With on_repeat = "escalate", the repeat goes to the escalation's people at once.
    let first = p
        .ask("r1", "reboot", json!({"host": "db1"}), json!({}))
        .await;
    let (status, body) = p.decide(&p.dave, &first, "approve", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "dave is not asked at first: {body}"
    );
    p.decide(
        &p.t.keys.alice,
        &first,
        "reject",
        json!({"reason": "not now"}),
    )
    .await;
    let repeat = p
        .ask("r2", "reboot", json!({"host": "db1"}), json!({}))
        .await;
    assert_eq!(p.status("r2").await["status"], "pending");
    let (status, body) = p.decide(&p.dave, &repeat, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(p.status("r2").await["status"], "approved");
    p.t.stop().await;
}

#[tokio::test]
async fn the_clock_brings_escalation_and_the_default_decision() {
    let p = PolicyHub::start().await;
    let early = p
        .ask("dep1", "deploy", json!({"version": "2.0"}), json!({}))
        .await;
    let late = p
        .ask("dep2", "deploy", json!({"version": "2.1"}), json!({}))
        .await;
    // The plan gave them a deadline and shows in the API.
    let (_, body) =
        p.t.get(&p.t.keys.agent, &format!("/api/v1/requests/{early}"))
            .await;
    assert_eq!(body["request"]["plan"]["rule"], "deploys", "{body}");
    assert!(body["request"]["deadline_at"].is_string(), "{body}");
    // Before T, dave (on call) may not decide.
    let (status, _) = p.decide(&p.dave, &early, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    p.t.hub.advance_clock(11 * 60 * 1000);
    let (status, body) = p.decide(&p.dave, &early, "approve", json!({})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "escalated to on call at 10 minutes: {body}"
    );

    // At the deadline the plan's default applies: rejected by policy, not expired.
    p.t.hub.advance_clock(20 * 60 * 1000);
    let status = wait_for_final(&p, "dep2").await;
    assert_eq!(status["status"], "rejected", "{status}");
    assert_eq!(
        status["response"]["reason"],
        "rejected by policy at the deadline (rule deploys)"
    );
    assert_eq!(status["response"]["when"], "at_deadline");
    assert_eq!(status["responded_by"], "policy:deploys");
    assert!(p.audit_actors(&late).await.contains(&(
        "policy:deploys".into(),
        "deadline".into(),
        "rejected".into()
    )));
    p.t.stop().await;
}

/// Waits (a long-poll of the original API, at most 30 s) until the request has left `pending`.
async fn wait_for_final(p: &PolicyHub, rid: &str) -> Value {
    for _ in 0..30 {
        let (status, body) =
            p.t.status(&p.t.keys.agent, &format!("c-{rid}"), rid, "&wait=1")
                .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["status"] != "pending" {
            return body;
        }
    }
    panic!("{rid} stayed pending");
}
