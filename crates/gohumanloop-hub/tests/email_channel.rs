//! The hub's email channel against a real mail server (Postfix + Dovecot on loopback): requests
//! are mailed with signed one-click links; links answer exactly once and refuse when tampered,
//! expired or aimed at another request; replies by mail answer through the same function; a
//! stranger's reply is ignored.

mod common;
mod web;

use std::time::Duration;

use common::TestHub;
use gohumanloop::providers::email::{Login, Security, ServerSettings};
use gohumanloop_hub::channels::email::mail::{mail_of, MailRecord};
use gohumanloop_hub::channels::email::EmailChannelConfig;
use gohumanloop_hub::store::DeliveryState;
use gohumanloop_testkit::mail::{open, reply, MailServer, Received};
use gohumanloop_testkit::until;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Bounds a wait that ends at once when things work (only against a hang).
const LIMIT: Duration = Duration::from_secs(60);

struct Setup {
    server: MailServer,
    hub: TestHub,
    approver: String,
    /// The hub's own address: replies go there.
    hub_address: String,
}

async fn setup(server: MailServer, imap: bool, link_ttl: Duration) -> Setup {
    let hub_address = server.address("hub");
    let approver = server.address("approver");
    let ops = server.address("ops");
    let cfg_server = server.clone();
    let own_address = hub_address.clone();
    let (hub, _channel) = TestHub::start_with_email(move |base| {
        let smtp = ServerSettings::new(&cfg_server.host, cfg_server.smtp_port)
            .security(Security::StartTls);
        let mut config = EmailChannelConfig::new(smtp, hub_address.clone(), base);
        config.login = Some(Login {
            username: hub_address,
            password: cfg_server.password.clone(),
        });
        config.extra_ca_pem = Some(cfg_server.ca_pem.clone());
        config.link_ttl = link_ttl;
        config.routes = vec![format!("ops={ops}").parse().unwrap()];
        if imap {
            config.imap = Some(
                ServerSettings::new(&cfg_server.host, cfg_server.imaps_port)
                    .security(Security::Tls),
            );
        }
        config
    })
    .await;
    Setup {
        server,
        hub,
        approver,
        hub_address: own_address,
    }
}

fn body(rid: &str, loop_type: &str, to: Option<&str>, extra_meta: Value) -> Value {
    let mut metadata = json!({ "source": "tests" });
    if let Some(to) = to {
        metadata["recipient_email"] = json!(to);
    }
    if let (Some(m), Some(extra)) = (metadata.as_object_mut(), extra_meta.as_object()) {
        m.extend(extra.clone());
    }
    json!({
        "task_id": "deploy-42",
        "conversation_id": format!("c-{rid}"),
        "request_id": rid,
        "loop_type": loop_type,
        "context": {"message": "Ship release 2.3 to production", "question": "May I deploy?"},
        "platform": "test",
        "metadata": metadata,
    })
}

impl Setup {
    async fn create(&self, body: Value) {
        let (status, reply) = self
            .hub
            .post(&self.hub.keys.agent, "/api/v1/humanloop/request", body)
            .await;
        assert_eq!(
            (status, &reply["success"]),
            (StatusCode::OK, &json!(true)),
            "{reply}"
        );
    }

    /// The hub's id of the request `rid` (in conversation `c-{rid}`).
    async fn hub_id(&self, rid: &str) -> String {
        let path = format!("/api/v1/requests?conversation_id=c-{rid}");
        let (_, listed) = self.hub.get(&self.hub.keys.agent, &path).await;
        listed["requests"][0]["id"].as_str().unwrap().to_owned()
    }

    /// The last entry of the audit trail of the request with hub id `hub_id`.
    async fn last_audit_entry(&self, hub_id: &str) -> Value {
        let path = format!("/api/v1/requests/{hub_id}/audit");
        let (_, audit) = self.hub.get(&self.hub.keys.agent, &path).await;
        let last = audit["entries"].as_array().and_then(|e| e.last()).cloned();
        last.unwrap_or_else(|| panic!("no audit entries: {audit}"))
    }

    async fn status(&self, rid: &str) -> Value {
        self.hub
            .status(&self.hub.keys.agent, &format!("c-{rid}"), rid, "")
            .await
            .1
    }

    async fn wait_status(&self, rid: &str, not: &str) -> Value {
        self.wait_status_in(&format!("c-{rid}"), rid, not).await
    }

    /// Waits (bounded) until the request's status is no longer `not`.
    async fn wait_status_in(&self, cid: &str, rid: &str, not: &str) -> Value {
        until(&format!("{rid} to leave {not}"), LIMIT, || async {
            let status = self.hub.status(&self.hub.keys.agent, cid, rid, "").await.1;
            (status["status"] != not).then_some(status)
        })
        .await
    }

    async fn page(
        &self,
        method: reqwest::Method,
        url: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let response = self
            .hub
            .http
            .request(method, url)
            .form(form)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }
}

/// The links of a mail: `label → url`.
fn links(mail: &Received) -> Vec<(String, String)> {
    mail.text
        .lines()
        .filter_map(|l| l.split_once(": http"))
        .map(|(label, rest)| (label.trim().to_owned(), format!("http{rest}")))
        .filter(|(_, url)| url.contains("/email/"))
        .collect()
}

fn link(mail: &Received, label: &str) -> String {
    links(mail)
        .into_iter()
        .find(|(l, _)| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} link in {:?}", links(mail)))
        .1
}

#[tokio::test]
async fn a_mailed_request_is_answered_once_by_its_signed_link() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, false, Duration::from_secs(3600)).await;
    s.create(body("r1", "approval", Some(&s.approver), json!({})))
        .await;
    let mail = open(&s.server.wait_for(&s.approver, 1).await[0]);
    // The mail shows what the inbox shows, the links and the reply template.
    assert!(
        mail.text.contains("Ship release 2.3 to production"),
        "{}",
        mail.text
    );
    assert!(mail
        .text
        .contains("Decision: [approve/approved/accept/yes|reject/rejected/deny/no]"));
    assert!(
        mail.html.contains("/email/"),
        "the HTML part has the buttons"
    );
    assert!(mail.subject.contains("[#"), "{}", mail.subject);
    let approve = link(&mail, "Approve");

    // Opening the link decides nothing (mail scanners open links); it shows one button.
    let (code, page) = s.page(reqwest::Method::GET, &approve, &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("Ship release 2.3 to production") && page.contains("link-submit"));
    assert_eq!(s.status("r1").await["status"], "pending");
    // A page that decides with one click is never framed, and runs no script of others.
    let shown = s.hub.http.get(&approve).send().await.unwrap();
    assert_eq!(shown.headers()["x-frame-options"], "DENY");
    let csp = shown.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );

    // The button answers, as the recipient.
    let (code, page) = s
        .page(reqwest::Method::POST, &approve, &[("text", "fine by me")])
        .await;
    assert_eq!(code, StatusCode::OK, "{page}");
    assert!(page.contains("Recorded: approved"));
    let status = s.status("r1").await;
    assert_eq!(status["status"], "approved");
    assert_eq!(status["responded_by"], json!(s.approver));
    assert_eq!(
        status["response"],
        json!({"decision": "approved", "reason": "fine by me"})
    );

    // Once only: the same link again, and the other link of the same mail, are refused.
    let (code, page) = s.page(reqwest::Method::POST, &approve, &[]).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert!(page.contains("already been used"), "{page}");
    let (code, page) = s
        .page(reqwest::Method::GET, &link(&mail, "Reject"), &[])
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert!(page.contains("no longer waiting"), "{page}");

    // The audit trail names the channel and the approver.
    let hub_id = s.hub_id("r1").await;
    let last = s.last_audit_entry(&hub_id).await;
    // The web inbox says whom the request was mailed to.
    web::add_user(
        s.hub.store.as_ref(),
        "alice",
        gohumanloop_hub::accounts::Role::Approver,
        &["a"],
    )
    .await;
    let mut browser = web::Browser::signed_in(&s.hub.base, "alice").await;
    let page = browser.get(&format!("/requests/{hub_id}")).await;
    assert!(
        page.body.contains("id=\"mail-state\">Mailed to</span>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&s.approver));
    assert_eq!(
        (&last["channel"], &last["actor"]),
        (&json!("email-link"), &json!(s.approver)),
        "{last}"
    );
}

#[tokio::test]
async fn reject_needs_a_reason_and_routing_rules_pick_recipients() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, false, Duration::from_secs(3600)).await;
    // No recipient_email: the rule for the `ops` platform routes it.
    let mut request = body("r2", "approval", None, json!({}));
    request["platform"] = json!("ops");
    s.create(request).await;
    let hub_id = s.hub_id("r2").await;
    let sent = wait_sent(&s, &hub_id).await;
    assert_eq!(sent.recipients.len(), 1);
    assert!(
        sent.recipients[0].starts_with("ops-"),
        "{:?}",
        sent.recipients
    );
    let mail = open(&s.server.wait_for(&sent.recipients[0], 1).await[0]);
    let reject = link(&mail, "Reject");
    let (code, _) = s
        .page(reqwest::Method::POST, &reject, &[("text", "  ")])
        .await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );
    let (code, page) = s
        .page(reqwest::Method::POST, &reject, &[("text", "not today")])
        .await;
    assert_eq!(code, StatusCode::OK, "{page}");
    let status = s
        .hub
        .get(
            &s.hub.keys.agent,
            "/api/v1/humanloop/status?conversation_id=c-r2&request_id=r2&platform=ops",
        )
        .await
        .1;
    assert_eq!(status["status"], "rejected");
    assert_eq!(status["response"]["reason"], "not today");
    assert_eq!(status["responded_by"], json!(sent.recipients[0]));
}

#[tokio::test]
async fn tampered_foreign_and_expired_links_are_refused() {
    let Some(server) = MailServer::get() else {
        return;
    };
    // Links without a deadline live 20 minutes here; the hub's clock moves instead of the test
    // sleeping. The clock is the process's: this file's other tests give their links an hour
    // and their requests no deadline, so the 20 minutes change nothing for them.
    let s = setup(server, false, Duration::from_secs(1200)).await;
    s.create(body("a", "approval", Some(&s.approver), json!({})))
        .await;
    s.create(body("b", "approval", Some(&s.approver), json!({})))
        .await;
    let mails = s.server.wait_for(&s.approver, 2).await;
    let (first, second) = (open(&mails[0]), open(&mails[1]));
    let approve_a = link(&first, "Approve");
    let approve_b = link(&second, "Approve");
    let token = |url: &str| url.rsplit_once("/email/").unwrap().1.to_owned();
    let base = approve_a.rsplit_once("/email/").unwrap().0.to_owned();
    let (ta, tb) = (token(&approve_a), token(&approve_b));
    let id_b = tb.split('.').next().unwrap();
    let id_a = ta.split('.').next().unwrap();

    let forged = [
        ta.replacen(".approve.", ".reject.", 1),   // another action
        ta.replacen(id_a, id_b, 1),                // another request
        tamper_seal(&ta),                          // a changed seal
        ta.replacen(".approve.", ".approve.9", 1), // a later expiry
        "not-a-token".to_owned(),
    ];
    for bad in &forged {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let (code, page) = s
                .page(method, &format!("{base}/email/{bad}"), &[("text", "x")])
                .await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{bad}");
            assert!(page.contains("not valid"), "{page}");
        }
    }
    assert_eq!(s.status("a").await["status"], "pending");
    assert_eq!(s.status("b").await["status"], "pending");

    // A request with a deadline: its links expire with it.
    s.create(json!({
        "task_id": "t", "conversation_id": "c-d", "request_id": "d", "loop_type": "information",
        "context": {"question": "Which host?"}, "platform": "test", "timeout": 600,
        "metadata": {"recipient_email": s.approver},
    }))
    .await;
    let with_deadline = open(&s.server.wait_for(&s.approver, 3).await[2]);
    let answer_d = link(&with_deadline, "Answer");

    // Past the deadline: its link has expired, one without a deadline still opens.
    s.hub.hub.advance_clock(601_000);
    let (code, _) = s.page(reqwest::Method::GET, &answer_d, &[]).await;
    assert_eq!(code, StatusCode::GONE);
    let (code, page) = s.page(reqwest::Method::GET, &approve_a, &[]).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    // Past `link_ttl`.
    s.hub.hub.advance_clock(600_000);
    let (code, page) = s.page(reqwest::Method::POST, &approve_a, &[]).await;
    assert_eq!(code, StatusCode::GONE, "{page}");
    assert!(page.contains("expired"));
    assert_eq!(
        s.status("a").await["status"],
        "pending",
        "an expired link changes nothing"
    );
}

#[tokio::test]
async fn replies_by_mail_answer_and_strangers_are_ignored() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, true, Duration::from_secs(3600)).await;

    // Approval in English; a stranger answers first and is ignored.
    s.create(body("p", "approval", Some(&s.approver), json!({})))
        .await;
    let mail = open(&s.server.wait_for(&s.approver, 1).await[0]);
    let mallory = s.server.address("mallory");
    s.server
        .send(&mallory, reply(&mail, &mallory, "Decision: approve"))
        .await;
    // Mallory's reply is in the hub's mailbox before the approver's: the hub reads its mails in
    // mailbox order, so the approver's answer below comes after mallory's was read, and a
    // stranger's reply taken would have decided first.
    s.server.wait_for(&s.hub_address, 1).await;
    let named = format!("Ann Approver <{}>", s.approver);
    s.server
        .send(
            &s.approver,
            reply(&mail, &named, "Decision: reject\nReason: wrong version"),
        )
        .await;
    let done = s.wait_status("p", "pending").await;
    assert_eq!(done["status"], "rejected");
    assert_eq!(done["response"]["reason"], "wrong version");
    assert_eq!(done["responded_by"], json!(s.approver));
    // The audit entry keeps how the mail named its sender beside the address.
    let last = s.last_audit_entry(&s.hub_id("p").await).await;
    let detail: Value = serde_json::from_str(last["detail"].as_str().unwrap_or("{}")).unwrap();
    assert_eq!(
        (&last["actor"], &detail["actor_name"]),
        (&json!(s.approver), &json!(named)),
        "{last}"
    );
    // First answer wins: the mail's link now finds the request closed.
    let (code, _) = s
        .page(reqwest::Method::POST, &link(&mail, "Approve"), &[])
        .await;
    assert_eq!(code, StatusCode::CONFLICT);

    // Information in Chinese (metadata.language).
    s.create(body(
        "i",
        "information",
        Some(&s.approver),
        json!({"language": "zh"}),
    ))
    .await;
    let mail = open(&s.server.wait_for(&s.approver, 2).await[1]);
    assert!(
        mail.text.contains("信息：[Your information]"),
        "{}",
        mail.text
    );
    s.server
        .send(&s.approver, reply(&mail, &s.approver, "信息：db.internal"))
        .await;
    let done = s.wait_status("i", "pending").await;
    assert_eq!(
        (
            done["status"].clone(),
            done["response"]["information"].clone()
        ),
        (json!("completed"), json!("db.internal"))
    );

    // Three turns of a conversation: one thread, the reply to each turn answers that turn.
    let turn = |rid: &str, first: bool| {
        let mut b = body(rid, "conversation", Some(&s.approver), json!({}));
        b["conversation_id"] = json!("c-talk");
        if !first {
            b.as_object_mut().unwrap().remove("loop_type");
        }
        b
    };
    let mut previous: Option<Received> = None;
    for (n, (rid, words, ends)) in [
        ("t1", "hello", false),
        ("t2", "go on", false),
        ("t3", "bye [END CONVERSATION]", true),
    ]
    .into_iter()
    .enumerate()
    {
        if n == 0 {
            s.create(turn(rid, true)).await;
        } else {
            let (status, r) = s
                .hub
                .post(
                    &s.hub.keys.agent,
                    "/api/v1/humanloop/continue",
                    turn(rid, false),
                )
                .await;
            assert_eq!(
                (status, &r["success"]),
                (StatusCode::OK, &json!(true)),
                "{r}"
            );
        }
        let mail = open(&s.server.wait_for(&s.approver, 3 + n).await[2 + n]);
        if let Some(before) = &previous {
            assert_eq!(
                mail.in_reply_to.as_deref(),
                Some(before.message_id.as_str()),
                "turn {n} threads"
            );
        }
        s.server
            .send(&s.approver, reply(&mail, &s.approver, words))
            .await;
        let done = s.wait_status_in("c-talk", rid, "pending").await;
        assert_eq!(
            done["status"],
            if ends { "completed" } else { "inprogress" },
            "{done}"
        );
        assert_eq!(done["response"]["user_content"], words);
        previous = Some(mail);
    }
}

#[tokio::test]
async fn requests_accepted_while_the_channel_was_off_are_mailed_when_it_starts() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let approver = server.address("approver");
    let plain = TestHub::start().await;
    let (status, r) = plain
        .post(
            &plain.keys.agent,
            "/api/v1/humanloop/request",
            body("late", "approval", Some(&approver), json!({})),
        )
        .await;
    assert_eq!(
        (status, &r["success"]),
        (StatusCode::OK, &json!(true)),
        "{r}"
    );
    let url = plain.url.clone();
    let _dir = plain.stop_keeping_data().await;

    // The same database, now with the email channel.
    let store = gohumanloop_hub::store::open(&url).await.unwrap();
    let hub = gohumanloop_hub::Hub::start(store).await.unwrap();
    let sender = server.address("hub");
    let smtp = ServerSettings::new(&server.host, server.smtps_port).security(Security::Tls);
    let mut config = EmailChannelConfig::new(smtp, sender.clone(), "http://127.0.0.1:1");
    config.login = Some(Login {
        username: sender,
        password: server.password.clone(),
    });
    config.extra_ca_pem = Some(server.ca_pem.clone());
    let channel = gohumanloop_hub::channels::email::EmailChannel::start(hub.clone(), config)
        .await
        .unwrap();
    let _dispatcher =
        gohumanloop_hub::channels::Dispatcher::start(hub.clone(), vec![channel]).unwrap();
    let mail = open(&server.wait_for(&approver, 1).await[0]);
    assert!(mail.text.contains("Ship release 2.3 to production"));
    hub.begin_shutdown();
}

/// The token with one character of its seal changed.
fn tamper_seal(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = chars.len() - 5;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn each_recipient_gets_a_mail_with_links_of_their_own() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, false, Duration::from_secs(3600)).await;
    let bob = s.server.address("bob");
    let both = format!("{}, {bob}", s.approver);
    s.create(body("two", "approval", Some(&both), json!({})))
        .await;
    let for_alice = open(&s.server.wait_for(&s.approver, 1).await[0]);
    let for_bob = open(&s.server.wait_for(&bob, 1).await[0]);
    // One thread (the same Message-ID), but each mail's links answer in its reader's name.
    assert_eq!(for_alice.message_id, for_bob.message_id);
    assert_ne!(link(&for_alice, "Approve"), link(&for_bob, "Approve"));
    let named = |mail: &Received| {
        use base64::Engine;
        let url = link(mail, "Approve");
        let token = url.rsplit('/').next().unwrap().to_owned();
        let part = token.split('.').nth(3).unwrap().to_owned();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert_eq!(
        (named(&for_alice), named(&for_bob)),
        (s.approver.clone(), bob.clone())
    );
    let (code, page) = s
        .page(reqwest::Method::POST, &link(&for_bob, "Approve"), &[])
        .await;
    assert_eq!(code, StatusCode::OK, "{page}");
    let status = s.status("two").await;
    assert_eq!(
        status["responded_by"],
        json!(bob),
        "bob's link answers as bob"
    );
    let (code, _) = s
        .page(reqwest::Method::GET, &link(&for_alice, "Reject"), &[])
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "first answer wins");
}

#[tokio::test]
async fn addresses_refused_for_good_are_not_tried_again() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, false, Duration::from_secs(3600)).await;
    // One that cannot be written into a mail, one the server refuses (550: another domain).
    s.create(body("bad", "approval", Some("not an address"), json!({})))
        .await;
    s.create(body(
        "far",
        "approval",
        Some("someone@elsewhere.test"),
        json!({}),
    ))
    .await;
    for rid in ["bad", "far"] {
        let hub_id = s.hub_id(rid).await;
        let record = until(&format!("{rid}: the mail given up"), LIMIT, || async {
            let record = mail_of(s.hub.store.as_ref(), &hub_id).await.unwrap();
            record.filter(|r| r.gave_up)
        })
        .await;
        assert!(record.sent_at.is_none());
        assert!(record.last_error.is_some_and(|e| !e.is_empty()));
    }
    for rid in ["bad", "far"] {
        let hub_id = s.hub_id(rid).await;
        // The dispatcher records the attempt just after the channel gave up.
        let deliveries = until(&format!("{rid}: deliveries given up"), LIMIT, || async {
            let deliveries = s.hub.store.deliveries_of(&hub_id).await.unwrap();
            deliveries
                .iter()
                .all(|d| d.state == DeliveryState::GaveUp)
                .then_some(deliveries)
        })
        .await;
        let states: Vec<_> = deliveries
            .iter()
            .map(|d| (d.channel.as_str(), d.state, d.due_at))
            .collect();
        assert_eq!(
            states,
            [("email", DeliveryState::GaveUp, None)],
            "given-up mails are not retried: {deliveries:?}"
        );
    }
    // The requests themselves still wait: another channel may answer them.
    assert_eq!(s.status("bad").await["status"], "pending");
    // The web inbox shows why the mail did not go.
    web::add_user(
        s.hub.store.as_ref(),
        "alice",
        gohumanloop_hub::accounts::Role::Approver,
        &["a"],
    )
    .await;
    let mut browser = web::Browser::signed_in(&s.hub.base, "alice").await;
    let far = s.hub_id("far").await;
    let page = browser.get(&format!("/requests/{far}")).await;
    assert!(
        page.body.contains("Not sent: the mail was refused"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"mail-error\""));
}

async fn wait_sent(s: &Setup, hub_id: &str) -> MailRecord {
    until(&format!("{hub_id} mailed"), LIMIT, || async {
        let found = mail_of(s.hub.store.as_ref(), hub_id).await.ok()??;
        found.sent_at.is_some().then_some(found)
    })
    .await
}
