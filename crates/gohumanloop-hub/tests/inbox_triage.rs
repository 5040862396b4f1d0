//! The approver's inbox over real HTTP (no browser): the pending requests by urgency, the pending
//! count in the title, text search and substring filters kept in the URL, one row per
//! conversation, assignment and the "assigned to me" view, the notice after a decision.

mod common;
mod web;

use common::{create_body, TestHub};
use reqwest::StatusCode;
use serde_json::{json, Value};
use web::{hub_with_accounts, Browser};

async fn ask(hub: &TestHub, rid: &str, change: impl FnOnce(&mut Value)) {
    let mut body = create_body(&format!("c-{rid}"), rid);
    change(&mut body);
    let (status, reply) = hub
        .post(&hub.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["success"], true, "{reply}");
}

/// The hub ids of the inbox's rows, in order.
fn listed(page: &str) -> Vec<String> {
    page.split("<li class=\"req ")
        .skip(1)
        .filter_map(|row| row.split("data-id=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The `<li>` of a request on an inbox page.
fn row<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page
        .find(&format!("data-id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} is listed"));
    let start = page[..at].rfind("<li").unwrap();
    let end = at + page[at..].find("</li>").unwrap();
    &page[start..end]
}

fn title(page: &str) -> &str {
    let start = page.find("<title>").unwrap() + 7;
    let end = page.find("</title>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn pending_requests_come_by_deadline_then_age_and_the_title_counts_them() {
    let hub = hub_with_accounts().await;
    // Created in this order; deadlines in seconds from now (none: last, oldest first).
    for (rid, timeout) in [
        ("no-deadline-old", None),
        ("in-2h", Some(7_200)),
        ("in-5m", Some(300)),
        ("no-deadline-new", None),
        ("in-1h", Some(3_600)),
        ("answered", Some(60)),
    ] {
        ask(&hub, rid, |body| {
            if let Some(t) = timeout {
                body["timeout"] = json!(t);
            }
        })
        .await;
    }
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let answered = hub.hub_id("answered").await;
    let csrf = alice.get("/inbox").await.csrf();
    let done = alice
        .post(
            &format!("/requests/{answered}/reject"),
            &[("csrf", &csrf), ("reason", "no"), ("then", "list")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = alice.get("/inbox").await;
    let mut expected = Vec::new();
    for rid in [
        "in-5m",
        "in-1h",
        "in-2h",
        "no-deadline-old",
        "no-deadline-new",
        "answered",
    ] {
        expected.push(hub.hub_id(rid).await);
    }
    assert_eq!(listed(&page.body), expected);
    assert_eq!(title(&page.body), "(5) Inbox · GoHumanLoop");
    let soon = row(&page.body, &expected[0]);
    assert!(soon.contains("due-soon"), "{soon}");
    assert!(soon.contains("Due soon"));
    assert!(!row(&page.body, &expected[1]).contains("due-soon"));
    // The status filter "pending" keeps the urgency order.
    let pending = alice.get("/inbox?status=pending").await;
    assert_eq!(listed(&pending.body), expected[..5]);
    // In Chinese the title counts as well.
    let zh = alice.get("/lang/zh").await;
    assert_eq!(zh.status, StatusCode::SEE_OTHER);
    let page = alice.get("/inbox").await;
    assert!(
        title(&page.body).starts_with("(5) "),
        "{}",
        title(&page.body)
    );
    assert!(row(&page.body, &expected[0]).contains("即将到期"));
    hub.stop().await;
}

#[tokio::test]
async fn search_finds_words_in_what_the_agent_asked_and_keeps_the_filters_in_links() {
    let hub = hub_with_accounts().await;
    ask(&hub, "pay", |b| {
        b["context"] = json!({"question": "Pay invoice INV-7?", "function":
            {"function_name": "pay_invoice", "arguments": {"invoice": "INV-7", "amount": 1200}}});
        b["platform"] = json!("Slack-ops");
    })
    .await;
    ask(&hub, "drop", |b| {
        b["context"] = json!({"message": "请删除生产数据库 prod-db", "question": "Drop it?"});
        b["task_id"] = json!("cleanup-2026");
    })
    .await;
    for i in 0..55 {
        ask(&hub, &format!("bulk{i}"), |b| {
            b["context"] = json!({"question": format!("Routine check {i}")});
        })
        .await;
    }
    let pay = hub.hub_id("pay").await;
    let drop = hub.hub_id("drop").await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    for (query, expected) in [
        ("q=invoice", vec![pay.clone()]),
        ("q=PAY_INVOICE", vec![pay.clone()]),
        ("q=1200+inv-7", vec![pay.clone()]),
        ("q=%E7%94%9F%E4%BA%A7", vec![drop.clone()]), // 生产
        ("q=prod-db", vec![drop.clone()]),
        ("q=invoice+prod-db", vec![]),
        ("platform=slack", vec![pay.clone()]),
        ("task=CLEANUP", vec![drop.clone()]),
    ] {
        let page = alice.get(&format!("/inbox?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(listed(&page.body), expected, "{query}");
    }
    let summary = alice.get("/inbox?q=invoice").await;
    assert!(
        summary
            .body
            .contains("pay_invoice(invoice: &#34;INV-7&#34;, amount: 1200)")
            || summary
                .body
                .contains("pay_invoice(invoice: &quot;INV-7&quot;, amount: 1200)"),
        "the one-line summary of what the agent wants"
    );
    // 55 routine checks: the next page's link keeps the search.
    let first = alice.get("/inbox?q=routine").await;
    assert_eq!(listed(&first.body).len(), 50);
    let older = first
        .body
        .split("id=\"older\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(older.contains("q=routine"), "{older}");
    let second = alice.get(&older).await;
    assert_eq!(listed(&second.body).len(), 5);
    // Too many words is refused with a clear page.
    let bad = alice.get("/inbox?q=a+b+c+d+e+f+g+h+i").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("at most 8 words"));
    hub.stop().await;
}

#[tokio::test]
async fn a_conversation_is_one_row_with_its_turns_counted() {
    let hub = hub_with_accounts().await;
    let turn = |rid: &str| {
        let mut body = create_body("chat", rid);
        body["loop_type"] = json!("conversation");
        body["context"] = json!({"message": format!("agent says {rid}"), "question": "And now?"});
        body
    };
    let (_, first) = hub
        .post(&hub.keys.agent, "/api/v1/humanloop/request", turn("t1"))
        .await;
    assert_eq!(first["success"], true, "{first}");
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    for rid in ["t2", "t3"] {
        let open = alice.get("/inbox").await;
        let ids = listed(&open.body);
        assert_eq!(ids.len(), 1, "one row for the conversation");
        let csrf = open.csrf();
        let replied = alice
            .post(
                &format!("/requests/{}/reply", ids[0]),
                &[("csrf", &csrf), ("text", "go on"), ("then", "list")],
            )
            .await;
        assert_eq!(replied.status, StatusCode::SEE_OTHER);
        let (_, next) = hub
            .post(&hub.keys.agent, "/api/v1/humanloop/continue", turn(rid))
            .await;
        assert_eq!(next["success"], true, "{next}");
    }
    ask(&hub, "other", |_| {}).await;
    let page = alice.get("/inbox").await;
    let newest = hub.hub_id("t3").await;
    let ids = listed(&page.body);
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.contains(&newest),
        "the conversation's newest turn stands for it"
    );
    assert!(row(&page.body, &newest).contains("3 turns"));
    hub.stop().await;
}

#[tokio::test]
async fn assignment_to_me_to_a_colleague_or_nobody_and_the_assigned_to_me_view() {
    let hub = hub_with_accounts().await;
    for rid in ["r1", "r2", "r3"] {
        ask(&hub, rid, |_| {}).await;
    }
    let (r1, r2) = (hub.hub_id("r1").await, hub.hub_id("r2").await);
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let csrf = alice.get("/inbox").await.csrf();
    let assign = |id: &str| format!("/requests/{id}/assignee");
    let mine = alice
        .post(&assign(&r1), &[("csrf", &csrf), ("to", "me")])
        .await;
    assert_eq!(mine.status, StatusCode::SEE_OTHER);
    assert_eq!(mine.location(), format!("/requests/{r1}"));
    let to_bob = alice
        .post(&assign(&r2), &[("csrf", &csrf), ("to", "bob")])
        .await;
    assert_eq!(to_bob.status, StatusCode::SEE_OTHER);
    // Someone who does not see the request, or no one at all: refused, nothing changes.
    for who in ["mallory", "nobody-by-that-name"] {
        let refused = alice
            .post(&assign(&r2), &[("csrf", &csrf), ("to", who)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{who}");
    }
    let forged = alice
        .post(&assign(&r2), &[("csrf", "guess"), ("to", "me")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        listed(&alice.get("/inbox?mine=1").await.body),
        std::slice::from_ref(&r1)
    );
    let mut bob = Browser::signed_in(&hub.base, "bob").await;
    assert_eq!(
        listed(&bob.get("/inbox?mine=1").await.body),
        std::slice::from_ref(&r2)
    );
    let page = alice.get("/inbox").await;
    assert!(
        row(&page.body, &r2).contains("bob"),
        "the assignee is shown"
    );
    // Mallory does not see tenant a's requests, so she cannot assign them either.
    let mut mallory = Browser::signed_in(&hub.base, "mallory").await;
    let csrf_m = mallory.get("/inbox").await.csrf();
    let hidden = mallory
        .post(&assign(&r1), &[("csrf", &csrf_m), ("to", "me")])
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let unassigned = alice
        .post(&assign(&r1), &[("csrf", &csrf), ("to", "")])
        .await;
    assert_eq!(unassigned.status, StatusCode::SEE_OTHER);
    assert!(listed(&alice.get("/inbox?mine=1").await.body).is_empty());
    hub.stop().await;
}

#[tokio::test]
async fn after_a_decision_the_next_pending_request_opens_with_a_notice() {
    let hub = hub_with_accounts().await;
    for (rid, timeout) in [("later", 7_200), ("first", 600), ("taken", 60)] {
        ask(&hub, rid, |b| {
            b["timeout"] = json!(timeout);
            b["context"]["question"] = json!(format!("Question {rid}?"));
        })
        .await;
    }
    let (first, later, taken) = (
        hub.hub_id("first").await,
        hub.hub_id("later").await,
        hub.hub_id("taken").await,
    );
    let mut bob = Browser::signed_in(&hub.base, "bob").await;
    let csrf_b = bob.get("/inbox").await.csrf();
    let taken_by_bob = bob
        .post(
            &format!("/requests/{taken}/assignee"),
            &[("csrf", &csrf_b), ("to", "me")],
        )
        .await;
    assert_eq!(taken_by_bob.status, StatusCode::SEE_OTHER);
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let csrf = alice.get("/inbox").await.csrf();
    // Approving `first` leads to `later`, not to the one Bob looks after.
    let done = alice
        .post(
            &format!("/requests/{first}/approve"),
            &[("csrf", &csrf), ("reason", ""), ("then", "next")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), format!("/requests/{later}?done={first}"));
    let next = alice.get(done.location()).await;
    assert!(next.body.contains("id=\"notice\""));
    assert!(
        next.body.contains("Approved: Question first?"),
        "the notice"
    );
    // Going back to the list by choice; a cancel is told as a cancel.
    let cancelled = alice
        .post(
            &format!("/requests/{later}/cancel"),
            &[("csrf", &csrf), ("then", "list")],
        )
        .await;
    assert_eq!(cancelled.location(), format!("/inbox?done={later}"));
    let inbox = alice.get(cancelled.location()).await;
    assert!(inbox.body.contains("Request cancelled: Question later?"));
    assert!(!inbox.body.contains("Your answer was recorded"));
    hub.stop().await;
}

#[tokio::test]
async fn a_search_past_what_it_reads_says_so() {
    let hub = hub_with_accounts().await;
    let cap = gohumanloop_hub::store::SEARCH_MATCHES as usize;
    let creates = (0..cap).map(|i| {
        let mut body = create_body(&format!("c{i}"), &format!("m{i}"));
        body["context"] = json!({"question": format!("Everyday request {i}")});
        hub.post(&hub.keys.agent, "/api/v1/humanloop/request", body)
    });
    for (status, reply) in futures_util::future::join_all(creates).await {
        assert_eq!(status, StatusCode::OK, "{reply}");
    }
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let everyday = alice.get("/inbox?q=everyday").await;
    assert!(everyday.body.contains("id=\"search-capped\""));
    assert!(everyday.body.contains("the newest 1,000"));
    let one = alice.get("/inbox?q=request+999").await;
    assert_eq!(listed(&one.body).len(), 1);
    assert!(!one.body.contains("id=\"search-capped\""));
    hub.stop().await;
}

/// "A search takes at most 8 words of at most 100 characters each, reads the first 2,000
/// characters of each field" (web-inbox.md), on each side of every bound.
///
/// Checked by setting `SEARCH_WORDS` to 6 (the 8 words refused) and `SEARCH_WORD_CHARS` to 50
/// (the 100-character word refused): each fails this test. The 2,000 characters are in each
/// store's schema (FTS5 trigger, generated column); a word at 1,991 must be found and one at
/// 2,011 must not, so a cut that moved past 2,010 or before 1,990 fails here too.
#[tokio::test]
async fn a_search_keeps_to_its_documented_bounds() {
    let hub = hub_with_accounts().await;
    let near = format!("{} nearword", "x".repeat(1_990));
    let far = format!("{} farword", "y".repeat(2_010));
    ask(&hub, "near", |b| b["context"] = json!({"message": near})).await;
    ask(&hub, "far", |b| b["context"] = json!({"message": far})).await;
    let near = hub.hub_id("near").await;
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let found = alice.get("/inbox?q=nearword").await;
    assert_eq!(
        listed(&found.body),
        [near.as_str()],
        "within 2,000 characters"
    );
    let past = alice.get("/inbox?q=farword").await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(
        listed(&past.body),
        Vec::<String>::new(),
        "past 2,000 characters"
    );

    let eight = alice.get("/inbox?q=x+x+x+x+x+x+x+nearword").await;
    assert_eq!(eight.status, StatusCode::OK, "8 words are taken");
    assert_eq!(listed(&eight.body), [near.as_str()]);
    let nine = alice.get("/inbox?q=x+x+x+x+x+x+x+x+nearword").await;
    assert_eq!(nine.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nine.body.contains("at most 8 words"));
    let long = alice.get(&format!("/inbox?q={}", "x".repeat(100))).await;
    assert_eq!(long.status, StatusCode::OK, "a 100-character word is taken");
    let longer = alice.get(&format!("/inbox?q={}", "x".repeat(101))).await;
    assert_eq!(longer.status, StatusCode::UNPROCESSABLE_ENTITY);
    hub.stop().await;
}

/// "Function arguments longer than 64 KiB are shown, but not offered for editing"
/// (web-inbox.md): 64 KiB exactly get the editor, one byte more are shown whole without it.
///
/// Checked by setting `EDITABLE_BYTES` to 32 KiB (the 64 KiB arguments lose their editor) and
/// to 128 KiB (the longer ones get one): each fails this test.
#[tokio::test]
async fn arguments_past_64_kib_are_shown_but_not_editable() {
    let hub = hub_with_accounts().await;
    for (rid, len) in [("fits", 64 * 1024), ("over", 64 * 1024 + 1)] {
        ask(&hub, rid, |b| {
            b["context"] = json!({"question": "Run it?", "function":
                {"function_name": "run", "arguments": "a".repeat(len)}});
        })
        .await;
    }
    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    let fits = alice
        .get(&format!("/requests/{}", hub.hub_id("fits").await))
        .await;
    assert_eq!(fits.status, StatusCode::OK);
    assert!(
        fits.body.contains("id=\"edit-panel\""),
        "64 KiB are editable"
    );
    let over = alice
        .get(&format!("/requests/{}", hub.hub_id("over").await))
        .await;
    assert_eq!(over.status, StatusCode::OK);
    assert!(
        !over.body.contains("id=\"edit-panel\""),
        "past 64 KiB: no editor"
    );
    assert!(
        over.body.contains(&"a".repeat(64 * 1024 + 1)),
        "the arguments are shown whole"
    );
    hub.stop().await;
}
