//! The web inbox over real HTTP on loopback, on a real SQLite file: sign-in, sessions, CSRF,
//! tenant walls, every action, conflicts, keys, paging and filters, escaping. (The same flows in
//! a real browser are in `crates/ghl/tests/web_browser.rs`.)

mod common;
mod web;

use std::time::Duration;

use common::{create_body, TestHub};
use gohumanloop_hub::accounts::Role;
use gohumanloop_testkit::until;
use reqwest::StatusCode;
use serde_json::{json, Value};
use web::{add_user, hub_with_accounts, Browser, PASSWORD};

/// Bounds a wait that ends at once when things work (only against a hang).
const LIMIT: Duration = Duration::from_secs(60);

async fn request_json(hub: &TestHub, id: &str) -> Value {
    let (_, body) = hub
        .get(&hub.keys.agent, &format!("/api/v1/requests/{id}"))
        .await;
    body["request"].clone()
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_wrong_passwords_are_refused() {
    let hub = hub_with_accounts().await;
    let mut browser = Browser::new(&hub.base);
    let wrong = browser.sign_in("alice", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong name or password"));
    let unknown = browser.sign_in("nobody", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.body.contains("Wrong name or password"));
    // The sign-in form's own CSRF token must match its cookie.
    let mut forged = Browser::new(&hub.base);
    let page = forged
        .post(
            "/login",
            &[("name", "alice"), ("password", PASSWORD), ("csrf", "guess")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // Five wrong passwords pause the name, but the right one still gets in from an address
    // that is not paused itself (the lockout and spraying tests below show the rest).
    for _ in 0..5 {
        let wrong = browser.sign_in("bob", "guess").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let owner = browser.sign_in("bob", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.body);
    let ok = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/inbox");
    let session = ok
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("ghl_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Max-Age=43200"), "{session}");
    // The token is 256 bits of hex, and the database keeps only its hash.
    let token = session["ghl_session=".len()..].split(';').next().unwrap();
    assert_eq!(token.len(), 64);
    let stored = common::text_rows(&hub.url, "SELECT token_hash FROM web_sessions").await;
    assert!(stored.iter().all(|h| h != token));
    assert_eq!(browser.get("/inbox").await.status, StatusCode::OK);
    // Going back where the approver was headed, but never to another site.
    let mut b = Browser::new(&hub.base);
    let form = b.get("/login?next=/tasks").await;
    let csrf = form.csrf();
    let page = b
        .post(
            "/login",
            &[
                ("name", "root"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/inbox");
    // A tab (which browsers drop: `/\t/evil` reads `//evil`), line breaks and DEL are refused
    // too, with a redirect to the inbox, never a server error.
    for next in [
        "/\t/evil.example",
        "/\n/x",
        "/inbox\r\nSet-Cookie: a=b",
        "/\u{7f}",
    ] {
        let mut b = Browser::new(&hub.base);
        let form = b.get(&format!("/login?next={}", urlencode(next))).await;
        assert_eq!(form.status, StatusCode::OK, "{next:?}");
        let csrf = form.csrf();
        let page = b
            .post(
                "/login",
                &[
                    ("name", "root"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{next:?}: {}",
            page.body
        );
        assert_eq!(page.location(), "/inbox", "{next:?}");
    }
    hub.stop().await;
}

#[tokio::test]
async fn pages_and_actions_need_a_session() {
    let hub = hub_with_accounts().await;
    hub.create(&hub.keys.agent, "c1", "r1").await;
    let id = hub.hub_id("r1").await;
    let mut anonymous = Browser::new(&hub.base);
    let page = anonymous.get("/inbox").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=%2Finbox");
    for path in [format!("/requests/{id}"), "/tasks".into(), "/keys".into()] {
        let page = anonymous.get(&path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().starts_with("/login?next="), "{path}");
    }
    let events = anonymous.get("/inbox/events").await;
    assert_eq!(events.status, StatusCode::SEE_OTHER);
    // A forged session cookie is no session.
    anonymous
        .cookies
        .push(("ghl_session".into(), "0".repeat(64)));
    let page = anonymous
        .post(&format!("/requests/{id}/approve"), &[("csrf", "x")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(request_json(&hub, &id).await["status"], "pending");
    hub.stop().await;
}

#[tokio::test]
async fn actions_need_the_sessions_csrf_token() {
    let hub = hub_with_accounts().await;
    hub.create(&hub.keys.agent, "c1", "r1").await;
    let id = hub.hub_id("r1").await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let bob = Browser::signed_in(&hub.base, "bob").await;
    let path = format!("/requests/{id}/approve");
    let wrong = alice
        .post(&path, &[("csrf", "0".repeat(64).as_str())])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.body.contains("You may not do that"));
    // Another session's token does not work in this one.
    let others = alice.post(&path, &[("csrf", bob.csrf.as_str())]).await;
    assert_eq!(others.status, StatusCode::FORBIDDEN);
    let missing = alice.post(&path, &[("reason", "no token")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("csrf"), "{}", missing.body);
    let logout = alice.post("/logout", &[("csrf", "nope")]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert_eq!(request_json(&hub, &id).await["status"], "pending");
    let page = alice.act(&path, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(request_json(&hub, &id).await["status"], "approved");
    hub.stop().await;
}

#[tokio::test]
async fn other_tenants_requests_are_invisible_and_untouchable() {
    let hub = hub_with_accounts().await;
    hub.create(&hub.keys.agent, "c1", "secret-request").await;
    let id = hub.hub_id("secret-request").await;
    let mut mallory = Browser::signed_in(&hub.base, "mallory").await;
    let inbox = mallory.get("/inbox").await;
    assert!(!inbox.body.contains(&id));
    assert!(!inbox.body.contains("Approve?"));
    assert!(
        !inbox.body.contains("count-pending"),
        "counts are per tenant"
    );
    let page = mallory.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("May I deploy"));
    // The client's request id does not open it either.
    let page = mallory.get("/requests/secret-request").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    for action in ["approve", "reject", "cancel"] {
        let page = mallory
            .act(&format!("/requests/{id}/{action}"), &[("reason", "mine")])
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(
        mallory.get("/tasks/a/task-1").await.status,
        StatusCode::NOT_FOUND
    );
    let tasks = mallory.get("/tasks").await;
    assert!(!tasks.body.contains("task-1"));
    let request = request_json(&hub, &id).await;
    assert_eq!(request["status"], "pending");
    // The admin sees every tenant.
    let mut root = Browser::signed_in(&hub.base, "root").await;
    assert_eq!(
        root.get(&format!("/requests/{id}")).await.status,
        StatusCode::OK
    );
    hub.stop().await;
}

#[tokio::test]
async fn approve_with_edited_arguments_reaches_the_waiting_agent() {
    let hub = hub_with_accounts().await;
    let mut body = create_body("c1", "r1");
    body["context"]["function"] =
        json!({"function_name": "deploy", "arguments": {"env": "staging", "replicas": 2}});
    let (_, reply) = hub
        .post(&hub.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    assert_eq!(reply["success"], true);
    let id = hub.hub_id("r1").await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let page = alice.get(&format!("/requests/{id}")).await;
    // A per-field editor: an input `arg.env` holding the agent's value.
    let field = page
        .body
        .split("data-arg=\"env\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_else(|| panic!("an input for env: {}", page.body));
    assert!(field.contains("value=\"staging\""), "{field}");
    assert!(page.body.contains("name=\"arg.env\""));
    let path = format!("/requests/{id}/approve");
    // Not a number where the agent sent one: refused, what was typed is kept, nothing recorded.
    let bad = alice
        .act(
            &path,
            &[
                ("arg.env", "prod"),
                ("arg.replicas", "five"),
                ("reason", "ok"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("is not a number"), "{}", bad.body);
    assert!(bad.body.contains("value=\"five\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"prod\""), "{}", bad.body);
    // The whole arguments as JSON (the older form): not JSON, refused.
    let bad = alice
        .act(&path, &[("arguments", "{\"env\": prod}"), ("reason", "ok")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not valid JSON"));
    assert_eq!(request_json(&hub, &id).await["status"], "pending");
    // Rejecting needs a reason.
    let no_reason = alice
        .act(&format!("/requests/{id}/reject"), &[("reason", "  ")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);

    let waiter = {
        let hub_base = hub.base.clone();
        let key = hub.keys.agent.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .get(format!(
                    "{hub_base}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=test&wait=30"
                ))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    };
    until("the agent's long-poll parked", LIMIT, || async {
        (hub.hub.waiters() >= 1).then_some(())
    })
    .await;
    let edited = "{\n  \"env\": \"prod\",\n  \"replicas\": 5\n}";
    let done = alice
        .act(&path, &[("arguments", edited), ("reason", "ship it")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    // Nothing else is pending: back to the list, which says what was decided.
    assert_eq!(done.location(), format!("/inbox?done={id}"));
    let seen = tokio::time::timeout(LIMIT, waiter).await.unwrap().unwrap();
    assert_eq!(seen["status"], "approved");
    assert_eq!(
        seen["response"],
        json!({"decision": "approved", "reason": "ship it", "arguments": {"env": "prod", "replicas": 5},
            "edited": true, "edited_keys": ["env", "replicas"],
            // Bound to the call as edited.
            "call_hash": gohumanloop::model::call_hash("deploy", &json!({"env": "prod", "replicas": 5}))})
    );
    assert_eq!(seen["responded_by"], "alice");
    let list = alice.get(&format!("/inbox?done={id}")).await;
    let notice = list
        .body
        .split("id=\"notice\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_else(|| panic!("a notice: {}", list.body));
    assert!(notice.contains("Approved: Approve?"), "{notice}");
    assert!(
        notice.contains(&format!("href=\"/requests/{id}\" id=\"decided-link\"")),
        "{notice}"
    );
    let after = alice.get(&format!("/requests/{id}?done={id}")).await;
    assert!(after.body.contains("id=\"notice\""));
    assert!(!after.body.contains("Your answer was recorded"));
    assert!(
        !after.body.contains("id=\"approve-form\""),
        "no more actions"
    );
    // The diff of the edit.
    assert!(after.body.contains("id=\"edit-diff\""));
    assert!(after.body.contains("<tr data-key=\"env\">"));
    assert!(after.body.contains("<tr data-key=\"replicas\">"));
    // The audit trail on the page names the approver and the channel.
    let trail = after
        .body
        .split("id=\"audit-trail\"")
        .nth(1)
        .and_then(|rest| rest.split("</ol>").next())
        .unwrap_or_else(|| panic!("an audit trail: {}", after.body));
    assert!(
        trail
            .split("<li>")
            .any(|item| item.contains(">alice</span>")
                && item.contains(">web</span>")
                && item.contains(">Approved")),
        "{trail}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn every_action_by_type() {
    let hub = hub_with_accounts().await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let create = |rid: &str, loop_type: &str| {
        let mut body = create_body(&format!("conv-{rid}"), rid);
        body["loop_type"] = json!(loop_type);
        body
    };
    for (rid, loop_type) in [
        ("i1", "information"),
        ("v1", "conversation"),
        ("x1", "approval"),
    ] {
        let (_, reply) = hub
            .post(
                &hub.keys.agent,
                "/api/v1/humanloop/request",
                create(rid, loop_type),
            )
            .await;
        assert_eq!(reply["success"], true);
    }
    let info = hub.hub_id("i1").await;
    let conv = hub.hub_id("v1").await;
    let other = hub.hub_id("x1").await;
    // An action of another type is refused.
    let wrong = alice.act(&format!("/requests/{info}/approve"), &[]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let empty = alice
        .act(&format!("/requests/{info}/answer"), &[("text", " ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    alice
        .act(&format!("/requests/{info}/answer"), &[("text", "42")])
        .await;
    let r = request_json(&hub, &info).await;
    assert_eq!(
        (r["status"].clone(), r["response"].clone()),
        (json!("completed"), json!({"information": "42"}))
    );
    alice
        .act(&format!("/requests/{conv}/reply"), &[("text", "go on")])
        .await;
    let r = request_json(&hub, &conv).await;
    assert_eq!(
        (r["status"].clone(), r["response"].clone()),
        (json!("inprogress"), json!({"message": "go on"}))
    );
    alice.act(&format!("/requests/{other}/cancel"), &[]).await;
    let r = request_json(&hub, &other).await;
    assert_eq!(
        (r["status"].clone(), r["responded_by"].clone()),
        (json!("cancelled"), Value::Null)
    );
    let page = alice.act(&format!("/requests/{other}/dance"), &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    hub.stop().await;
}

#[tokio::test]
async fn a_second_approver_is_told_who_answered_and_what() {
    let hub = hub_with_accounts().await;
    hub.create(&hub.keys.agent, "c1", "r1").await;
    let id = hub.hub_id("r1").await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let mut bob = Browser::signed_in(&hub.base, "bob").await;
    let first = alice
        .act(
            &format!("/requests/{id}/approve"),
            &[("reason", "fine by me")],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let late = bob
        .act(&format!("/requests/{id}/reject"), &[("reason", "no way")])
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(
        late.body.contains("Someone answered first"),
        "{}",
        late.body
    );
    assert!(late.body.contains("Approved · alice"), "{}", late.body);
    assert!(
        late.body.contains("fine by me"),
        "the winning answer is shown"
    );
    let r = request_json(&hub, &id).await;
    assert_eq!(r["status"], "approved");
    assert_eq!(r["responded_by"], "alice");
    hub.stop().await;
}

#[tokio::test]
async fn sign_out_password_change_and_disabling_end_sessions() {
    let hub = hub_with_accounts().await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let stolen = alice.cookies.clone();
    let csrf = alice.csrf.clone();
    let out = alice.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/login");
    assert_eq!(alice.get("/inbox").await.status, StatusCode::SEE_OTHER);
    // The old cookie is dead on the server too.
    let mut replay = Browser::new(&hub.base);
    replay.cookies = stolen;
    assert_eq!(replay.get("/inbox").await.status, StatusCode::SEE_OTHER);

    let mut bob = Browser::signed_in(&hub.base, "bob").await;
    assert!(hub.store.set_disabled("bob", true).await.unwrap());
    assert_eq!(bob.get("/inbox").await.status, StatusCode::SEE_OTHER);
    let again = bob.sign_in("bob", PASSWORD).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);

    // A session past its expiry is no session.
    let alice_id = hub
        .store
        .credentials("alice")
        .await
        .unwrap()
        .unwrap()
        .user_id;
    let token = "e".repeat(64);
    let token_hash = gohumanloop_hub::audit::sha256_hex(token.as_bytes());
    let past = gohumanloop_hub::record::now_ms() - 1;
    hub.store
        .start_session(&token_hash, alice_id, "csrf", past)
        .await
        .unwrap();
    let mut expired = Browser::new(&hub.base);
    expired.cookies.push(("ghl_session".into(), token));
    assert_eq!(expired.get("/inbox").await.status, StatusCode::SEE_OTHER);

    let mut root = Browser::signed_in(&hub.base, "root").await;
    let hash = gohumanloop_hub::accounts::hash_password("another long password").unwrap();
    assert!(hub.store.set_password("root", &hash).await.unwrap());
    assert_eq!(root.get("/inbox").await.status, StatusCode::SEE_OTHER);
    hub.stop().await;
}

#[tokio::test]
async fn keys_page_is_for_admins_and_shows_a_new_key_once() {
    let hub = hub_with_accounts().await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    assert_eq!(alice.get("/keys").await.status, StatusCode::FORBIDDEN);
    let page = alice
        .act("/keys", &[("tenant", "a"), ("name", "sneaky")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!alice.get("/inbox").await.body.contains("href=\"/keys\""));

    let mut root = Browser::signed_in(&hub.base, "root").await;
    let page = root.get("/keys").await;
    assert!(page.body.contains("mallory"), "every tenant's keys");
    let made = root
        .act("/keys", &[("tenant", "a"), ("name", "ci-bot")])
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let start = made.body.find("id=\"new-key\">").unwrap() + 13;
    let key = made.body[start..].split('<').next().unwrap().to_owned();
    assert!(key.starts_with("ghl_") && key.len() == 68, "{key}");
    // It works against the API at once, and is never shown again.
    let (status, _) = hub.get(&key, "/api/v1/requests").await;
    assert_eq!(status, StatusCode::OK);
    let again = root.get("/keys").await;
    assert!(!again.body.contains(&key));
    assert!(again.body.contains("ci-bot"));
    let id = hub
        .store
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.name == "ci-bot")
        .unwrap()
        .id;
    let revoked = root.act(&format!("/keys/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    // Key checks are cached for two seconds.
    until("the revoked key refused", LIMIT, || async {
        (hub.get(&key, "/api/v1/requests").await.0 == StatusCode::FORBIDDEN).then_some(())
    })
    .await;
    hub.stop().await;
}

/// The day (UTC) the hub made the request `rid` of the agent's.
async fn created_day(hub: &TestHub, rid: &str) -> time::Date {
    let created = request_json(hub, &hub.hub_id(rid).await).await["created_at"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{rid} has no created_at"));
    time::OffsetDateTime::parse(&created, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{created}: {e}"))
        .to_offset(time::UtcOffset::UTC)
        .date()
}

/// The ids of the inbox page's requests, in order.
fn listed(body: &str) -> Vec<String> {
    body.split("<li class=\"req ")
        .skip(1)
        .map(|part| {
            let start = part.find("data-id=\"").unwrap() + 9;
            part[start..].split('"').next().unwrap().to_owned()
        })
        .collect()
}

fn next_link(body: &str) -> Option<String> {
    let at = body.find("id=\"older\"")?;
    let before = &body[..at];
    let start = before.rfind("href=\"")? + 6;
    Some(
        before[start..]
            .split('"')
            .next()?
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

#[tokio::test]
async fn the_inbox_pages_pending_first_and_lists_every_request_once() {
    let hub = hub_with_accounts().await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    // 130 requests in tenant a (every third answered), 5 in tenant b.
    for i in 0..130 {
        let mut body = create_body("c", &format!("r{i:03}"));
        body["task_id"] = json!(if i % 2 == 0 { "even" } else { "odd" });
        if i % 10 == 0 {
            body["loop_type"] = json!("information");
        }
        hub.post(&hub.keys.agent, "/api/v1/humanloop/request", body)
            .await;
    }
    for i in 0..5 {
        hub.create(&hub.keys.other, "c", &format!("b{i}")).await;
    }
    let mut answered = Vec::new();
    for i in (0..130).step_by(3) {
        let id = hub.hub_id(&format!("r{i:03}")).await;
        alice
            .act(&format!("/requests/{id}/reject"), &[("reason", "no")])
            .await;
        answered.push(id);
    }
    let mut seen = Vec::new();
    let mut path = Some("/inbox".to_owned());
    let mut pages = 0;
    while let Some(p) = path {
        let page = alice.get(&p).await;
        assert_eq!(page.status, StatusCode::OK, "{p}");
        let ids = listed(&page.body);
        assert!(ids.len() <= 50);
        seen.extend(ids);
        path = next_link(&page.body);
        pages += 1;
        assert!(pages < 10, "paging ends");
    }
    assert_eq!(seen.len(), 130, "every request of the visible tenant, once");
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 130);
    // Pending first (86 of them), then the answered ones.
    let first_answered = seen.iter().position(|id| answered.contains(id)).unwrap();
    assert_eq!(first_answered, 130 - answered.len());
    assert!(seen[first_answered..]
        .iter()
        .all(|id| answered.contains(id)));
    // The pending part by urgency: none has a deadline, so the oldest first (r000 was
    // answered); the answered part newest first (r129).
    assert_eq!(seen[0], hub.hub_id("r001").await);
    assert_eq!(seen[first_answered - 1], hub.hub_id("r128").await);
    assert_eq!(seen[first_answered], hub.hub_id("r129").await);

    let inbox = alice.get("/inbox").await;
    assert!(
        inbox.body.contains("Pending <b>86</b>"),
        "counts per status"
    );
    assert!(inbox.body.contains("Rejected <b>44</b>"));
    assert!(
        inbox.body.contains("Information <b>13</b>"),
        "counts per type"
    );
    let info = alice.get("/inbox?type=information&status=pending").await;
    assert_eq!(listed(&info.body).len(), 13 - (0..130).step_by(30).count());
    let even = alice.get("/inbox?task=even&status=rejected").await;
    assert_eq!(listed(&even.body).len(), (0..130).step_by(6).count());
    // The days the requests were made, by the hub's clock (not the test's: a run may cross
    // midnight).
    let first_day = created_day(&hub, "r000").await;
    let last_day = created_day(&hub, "r129").await;
    let future = alice
        .get(&format!(
            "/inbox?from={}",
            last_day + time::Duration::days(1)
        ))
        .await;
    assert!(listed(&future.body).is_empty());
    let now = alice
        .get(&format!("/inbox?from={first_day}&to={last_day}"))
        .await;
    assert_eq!(listed(&now.body).len(), 50);
    let bad = alice.get("/inbox?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not a date"));
    let bad = alice.get("/inbox?status=maybe").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    hub.stop().await;
}

#[tokio::test]
async fn markup_in_a_request_is_escaped_and_pages_forbid_inline_script() {
    let hub = hub_with_accounts().await;
    let mut body = create_body("c1", "r1");
    body["context"] = json!({
        "question": "<img src=x onerror=\"alert(1)\">",
        "message": "<script>alert('message')</script>",
        "additional": {"<b>key</b>": "</pre><script>alert(2)</script>"},
    });
    hub.post(&hub.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    let id = hub.hub_id("r1").await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    for path in ["/inbox".to_owned(), format!("/requests/{id}")] {
        let page = alice.get(&path).await;
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(!page.body.contains("<b>key"), "{path}");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        assert_eq!(page.headers["x-frame-options"], "DENY");
    }
    let page = alice.get(&format!("/requests/{id}")).await;
    assert!(page
        .body
        .contains("&#60;script&#62;alert(&#39;message&#39;)&#60;/script&#62;"));
    hub.stop().await;
}

#[tokio::test]
async fn the_language_follows_the_switch_or_the_browser() {
    let hub = hub_with_accounts().await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    assert!(alice.get("/inbox").await.body.contains(">Inbox<"));
    let switch = alice.get("/lang/zh").await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    let page = alice.get("/inbox").await;
    assert!(page.body.contains(">收件箱<"), "Chinese after the switch");
    assert!(page.body.contains("lang=\"zh-CN\""));
    let http = reqwest::Client::new();
    let login = http
        .get(format!("{}/login", hub.base))
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("登录"));
    hub.stop().await;
}

#[tokio::test]
async fn tasks_with_any_id_are_listed_and_linked() {
    let hub = hub_with_accounts().await;
    let task = "release 4/2?β&x";
    let mut body = create_body("c1", "r1");
    body["task_id"] = json!(task);
    hub.post(&hub.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    let (_, synced) = hub
        .post(
            &hub.keys.agent,
            "/api/v1/humanloop/tasks/sync",
            json!({
                "task_id": task,
                "conversations": [{"conversation_id": "c1", "provider_id": "hub", "requests": [
                    {"request_id": "r1", "status": "pending", "loop_type": "approval", "response": {}}
                ]}],
                "timestamp": "2026-11-25T10:00:00",
                "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux"}
            }),
        )
        .await;
    assert_eq!(synced["success"], true, "{synced}");
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let list = alice.get("/tasks").await;
    let start = list.body.find("href=\"/tasks/a/").expect("a task link") + 6;
    let href = list.body[start..].split('"').next().unwrap().to_owned();
    assert_eq!(href, "/tasks/a/release%204%2F2%3F%CE%B2%26x");
    let page = alice.get(&href).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("release 4/2?β&amp;x") || page.body.contains("release 4/2?β&#38;x"));
    let id = hub.hub_id("r1").await;
    assert!(
        page.body.contains(&format!("href=\"/requests/{id}\"")),
        "linked to the hub's copy"
    );
    let request = alice.get(&format!("/requests/{id}")).await;
    assert!(
        request.body.contains(&href),
        "the request page links its task"
    );
    hub.stop().await;
}

/// `text` percent-encoded for a query string.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_inbox_stream_ends_with_its_session() {
    let hub = hub_with_accounts().await;
    let open = |browser: &Browser| {
        let cookies = browser
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        reqwest::Client::new()
            .get(format!("{}/inbox/events", hub.base))
            .header(reqwest::header::COOKIE, cookies)
            .send()
    };
    let ends = |mut response: reqwest::Response| async move {
        let drained = async { while let Ok(Some(_)) = response.chunk().await {} };
        tokio::time::timeout(LIMIT, drained).await.is_ok()
    };

    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let stream = open(&alice).await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let csrf = alice.csrf.clone();
    let out = alice.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(ends(stream).await, "signing out ends the open stream");

    let bob = Browser::signed_in(&hub.base, "bob").await;
    let stream = open(&bob).await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(hub.store.set_disabled("bob", true).await.unwrap());
    assert!(
        ends(stream).await,
        "disabling the account ends the open stream"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_form_over_the_limit_is_refused_as_too_large() {
    let hub = hub_with_accounts().await;
    let mut browser = Browser::new(&hub.base);
    let form = browser.get("/login").await;
    let csrf = form.csrf();
    let huge = "x".repeat(1_100_000);
    let page = browser
        .post(
            "/login",
            &[("name", "root"), ("password", &huge), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert!(page.body.contains("The form is too large"), "{}", page.body);
    hub.stop().await;
}

/// `items` chains of `depth` nested arrays around a number: about 242 bytes of JSON each.
fn nested(items: usize, depth: usize) -> Value {
    let chain = (0..depth).fold(json!(1), |inner, _| Value::Array(vec![inner]));
    Value::Array(vec![chain; items])
}

#[tokio::test]
async fn a_huge_context_is_folded_on_its_page_and_downloaded_whole() {
    let hub = hub_with_accounts().await;
    let context = json!({
        "question": "May I import these?",
        "function": {"function_name": "import", "arguments": {"rows": nested(2_000, 120)}},
        "data": nested(2_000, 120),
    });
    let mut body = create_body("c-big", "r-big");
    body["context"] = context.clone();
    assert!(
        body.to_string().len() > 950_000,
        "{}",
        body.to_string().len()
    );
    hub.post(&hub.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    let id = hub.hub_id("r-big").await;
    // The answer is big too, and shown on the page as well.
    let (status, reply) = hub
        .post(
            &hub.keys.agent,
            &format!("/api/v1/requests/{id}/approve"),
            json!({"reason": "ok", "response": {"rows": nested(2_000, 100)}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let page = alice.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.len() < 2_000_000, "{} bytes", page.body.len());
    assert!(page.body.contains("May I import these?"));
    assert!(
        page.body.contains(" more items</span>"),
        "folds say how much"
    );
    let link = format!("href=\"/requests/{id}/context.json\" download");
    assert!(page.body.contains(&link), "links the raw context");

    let download = alice.get(&format!("/requests/{id}/context.json")).await;
    assert_eq!(download.status, StatusCode::OK);
    let header = |name: &str| {
        download.headers[name]
            .to_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    assert!(header("content-disposition").starts_with("attachment;"));
    let whole: Value = serde_json::from_str(&download.body).unwrap();
    assert_eq!(whole, context, "the stored JSON, whole");

    // The same walls as the page: a session, and the request's tenant.
    let path = format!("/requests/{id}/context.json");
    let mut mallory = Browser::signed_in(&hub.base, "mallory").await;
    assert_eq!(mallory.get(&path).await.status, StatusCode::NOT_FOUND);
    let anonymous = Browser::new(&hub.base).get(&path).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.location().starts_with("/login"));
    hub.stop().await;
}

#[tokio::test]
async fn a_huge_task_snapshot_renders_a_bounded_page() {
    let hub = hub_with_accounts().await;
    let conversations: Vec<Value> = (0..5_000)
        .map(|i| {
            json!({"conversation_id": format!("conversation-{i:05}"), "provider_id": "hub", "requests": [
                {"request_id": format!("request-{i:05}"), "status": "pending", "loop_type": "approval", "response": {}}
            ]})
        })
        .collect();
    let (_, synced) = hub
        .post(
            &hub.keys.agent,
            "/api/v1/humanloop/tasks/sync",
            json!({"task_id": "big", "conversations": conversations, "timestamp": "2026-11-25T10:00:00",
                "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux"}}),
        )
        .await;
    assert_eq!(synced["success"], true, "{synced}");
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let page = alice.get("/tasks/a/big").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.len() < 2_000_000, "{} bytes", page.body.len());
    assert!(page.body.contains("conversation-00000"));
    assert!(!page.body.contains("conversation-04999"));
    let notice = page
        .body
        .split("id=\"more-conversations\">")
        .nth(1)
        .unwrap();
    assert!(notice.starts_with("… ") && notice.contains(" more conversations</p>"));
    assert!(alice.get("/tasks").await.body.contains("5000"));
    hub.stop().await;
}

#[tokio::test]
async fn knowing_a_name_is_not_enough_to_lock_its_owner_out() {
    // Behind a trusted proxy on 127.0.0.1, X-Forwarded-For tells the two clients apart.
    let hub = TestHub::start_behind(vec!["127.0.0.1".parse().unwrap()]).await;
    add_user(hub.store.as_ref(), "bob", Role::Approver, &["a"]).await;
    let mut attacker = Browser::new(&hub.base);
    attacker.forwarded_for = Some("198.51.100.66".into());
    let mut guesses = 0;
    loop {
        let page = attacker.sign_in("bob", &format!("guess {guesses}")).await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        guesses += 1;
        assert!(guesses < 50, "the guessing address is never paused");
    }
    // Five free failures, then three more guesses at the paused name.
    assert_eq!(guesses, 8);
    let refused = attacker.sign_in("bob", PASSWORD).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker is refused"
    );
    assert!(refused.body.contains("Too many failed sign-ins"));
    // The owner, from another address, gets in with the right password.
    let mut owner = Browser::new(&hub.base);
    owner.forwarded_for = Some("192.0.2.10".into());
    let page = owner.sign_in("bob", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(owner.get("/inbox").await.status, StatusCode::OK);
    hub.stop().await;
}

#[tokio::test]
async fn a_client_that_is_no_proxy_cannot_spray_names_by_claiming_other_addresses() {
    let hub = hub_with_accounts().await;
    let mut sprayer = Browser::new(&hub.base);
    for i in 0..30 {
        sprayer.forwarded_for = Some(format!("10.0.0.{i}"));
        let page = sprayer.sign_in(&format!("user-{i}"), "guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    sprayer.forwarded_for = Some("10.0.1.1".into());
    let page = sprayer.sign_in("alice", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    hub.stop().await;
}

#[tokio::test]
async fn a_long_conversation_shows_a_window_of_turns_around_the_one_on_the_page() {
    let hub = hub_with_accounts().await;
    for i in 0..80 {
        hub.create(&hub.keys.agent, "long", &format!("turn{i:02}"))
            .await;
    }
    let id = hub.hub_id("turn10").await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let page = alice.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // Turn 10 with the 10 before it and 25 after it; the 44 newer ones are left out.
    assert!(page.body.contains("44 more turns"), "{}", page.body);
    assert_eq!(
        page.body.matches("more turns").count(),
        1,
        "nothing older is left out"
    );
    let newest = hub.hub_id("turn79").await;
    let page = alice.get(&format!("/requests/{newest}")).await;
    assert!(
        page.body.contains("54 more turns"),
        "25 before it are shown"
    );
    assert_eq!(page.body.matches("more turns").count(), 1);
    hub.stop().await;
}
