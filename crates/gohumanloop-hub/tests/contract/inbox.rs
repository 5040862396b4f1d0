//! The contract's item 8, the inbox's listings: text search, the pending requests by urgency,
//! one row per conversation, assignments — written through one handle and read through
//! another, as two hub nodes would.

use std::future::Future;
use std::sync::Arc;

use gohumanloop::model::{LoopType, Status};
use gohumanloop_hub::record::{now_ms, RequestFilter, TenantId};
use gohumanloop_hub::store::{Store, SEARCH_MATCHES};
use serde_json::{json, Value};

use super::{change, create, request, tenant};

/// Creates a request with this context (and conversation, platform, task).
async fn ask(store: &dyn Store, tenant: TenantId, rid: &str, context: Value) {
    let mut new = request(tenant, rid, None);
    new.context = context.as_object().cloned().unwrap_or_default();
    new.key.conversation_id = format!("c-{rid}");
    create(store, new).await;
}

/// The ids (without their `id-` prefix) a search finds, sorted.
async fn found(store: &dyn Store, tenant: TenantId, filter: RequestFilter) -> Vec<String> {
    let filter = RequestFilter {
        limit: 100,
        ..filter
    };
    let mut ids: Vec<String> = store
        .list(tenant, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id.trim_start_matches("id-").to_owned())
        .collect();
    ids.sort();
    ids
}

fn search(words: &[&str]) -> RequestFilter {
    RequestFilter {
        search: words.iter().map(|w| w.to_string()).collect(),
        ..RequestFilter::default()
    }
}

/// Every word must occur, as a substring in any case, in the question, the message (text or
/// JSON), the function's name or its arguments (an object or the original client's text);
/// other fields and other tenants are not searched.
pub async fn search_finds_every_word_in_what_the_agent_asked<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    ask(
        a.as_ref(),
        tenant,
        "question",
        json!({"question": "Pay the Invoice INV-7?"}),
    )
    .await;
    ask(
        a.as_ref(),
        tenant,
        "message",
        json!({"message": "请审批这笔付款 of 1200 EUR"}),
    )
    .await;
    ask(
        a.as_ref(),
        tenant,
        "object",
        json!({"message": {"role": "assistant", "content": "Dropping table users"}}),
    )
    .await;
    ask(
        a.as_ref(),
        tenant,
        "function",
        json!({"function": {"function_name": "delete_bucket",
        "arguments": {"bucket": "prod-backups", "force": true}}}),
    )
    .await;
    ask(
        a.as_ref(),
        tenant,
        "python",
        json!({"function": {"function_name": "transfer",
        "arguments": "('acct-9', 50%)"}}),
    )
    .await;
    let long = format!(
        "{} early-word {} late-word",
        "x".repeat(1_000),
        "y".repeat(1_000)
    );
    ask(a.as_ref(), tenant, "long", json!({ "message": long })).await;
    ask(
        a.as_ref(),
        tenant,
        "elsewhere",
        json!({"additional": "invoice", "note": "prod-backups"}),
    )
    .await;
    let b = b.as_ref();
    assert_eq!(found(b, tenant, search(&["invoice"])).await, ["question"]);
    // The same search as a list of ids, newest first, to list among.
    let ids = b
        .search(tenant, &["INVOICE".into(), "th".into()])
        .await
        .unwrap();
    assert_eq!(ids, ["id-question"]);
    let both = b.search(tenant, &["prod-backups".into()]).await.unwrap();
    assert_eq!(both, ["id-function"]);
    assert!(b.search(tenant, &[]).await.unwrap().is_empty());
    let among = |ids: Vec<&str>| RequestFilter {
        among: Some(ids.into_iter().map(str::to_owned).collect()),
        ..RequestFilter::default()
    };
    assert_eq!(
        found(b, tenant, among(vec!["id-python", "id-object"])).await,
        ["object", "python"]
    );
    assert!(found(b, tenant, among(vec![])).await.is_empty());
    assert_eq!(
        found(b, tenant, search(&["inv-7", "PAY"])).await,
        ["question"]
    );
    assert_eq!(
        found(b, tenant, search(&["invoice", "bucket"])).await,
        Vec::<String>::new()
    );
    assert_eq!(found(b, tenant, search(&["付款"])).await, ["message"]);
    assert_eq!(found(b, tenant, search(&["eur"])).await, ["message"]);
    assert_eq!(found(b, tenant, search(&["users"])).await, ["object"]);
    assert_eq!(
        found(b, tenant, search(&["delete_bucket"])).await,
        ["function"]
    );
    assert_eq!(found(b, tenant, search(&["prod-back"])).await, ["function"]);
    assert_eq!(found(b, tenant, search(&["acct-9"])).await, ["python"]);
    // The first 2,000 characters of each field are searched.
    assert_eq!(found(b, tenant, search(&["early-word"])).await, ["long"]);
    assert!(found(b, tenant, search(&["late-word"])).await.is_empty());
    // Short words and LIKE's own characters are matched as they are.
    assert_eq!(found(b, tenant, search(&["50%"])).await, ["python"]);
    assert_eq!(found(b, tenant, search(&["%"])).await, ["python"]);
    assert_eq!(found(b, tenant, search(&["_b"])).await, ["function"]);
    // A quote is a character like any other (the JSON text of a message object has them).
    assert_eq!(found(b, tenant, search(&["\"drop"])).await, ["object"]);
    b.add_key("other", "k", "p", "other-hash").await.unwrap();
    let other = b.key_owner("other-hash").await.unwrap().unwrap().tenant;
    assert!(
        found(b, other, search(&["invoice"])).await.is_empty(),
        "tenants stay apart"
    );
    // Platform and task match as substrings, in any case.
    let by_platform = RequestFilter {
        platform_contains: Some("P".into()),
        task_contains: Some("t".into()),
        ..RequestFilter::default()
    };
    assert_eq!(found(b, tenant, by_platform).await.len(), 7);
    let none = RequestFilter {
        task_contains: Some("%".into()),
        ..RequestFilter::default()
    };
    assert!(found(b, tenant, none).await.is_empty());
}

/// A search reads the tenant's newest [`SEARCH_MATCHES`] matches: a word found everywhere
/// costs a bounded read, and the newest requests are the ones found.
pub async fn a_search_reads_the_newest_matches<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    let tenant = tenant(store.as_ref()).await;
    let total = SEARCH_MATCHES as usize + 3;
    for i in 0..total {
        ask(
            store.as_ref(),
            tenant,
            &format!("m{i:04}"),
            json!({"question": "common word"}),
        )
        .await;
    }
    let filter = RequestFilter {
        limit: 2_000,
        ..search(&["common"])
    };
    let listed = store.list(tenant, &filter).await.unwrap();
    assert_eq!(listed.len(), SEARCH_MATCHES as usize);
    assert_eq!(
        listed[0].request_id,
        format!("m{:04}", total - 1),
        "newest first"
    );
    assert!(
        listed.iter().all(|r| r.request_id.as_str() >= "m0003"),
        "the oldest are past the cap"
    );
}

/// Pending requests by deadline (soonest first, none last), then oldest first; answered ones
/// are not among them; pages continue from the last position across writers.
pub async fn pending_requests_come_most_urgent_first<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    let now = now_ms();
    for (rid, deadline, store) in [
        ("none-1", None, &a),
        ("later", Some(now + 3_600_000), &b),
        ("soon", Some(now + 60_000), &a),
        ("none-2", None, &b),
        ("answered", Some(now + 1_000), &a),
        ("same-soon", Some(now + 60_000), &b),
    ] {
        create(store.as_ref(), request(tenant, rid, deadline)).await;
    }
    a.transition(change(tenant, "id-answered", Status::Approved, "ann"))
        .await
        .unwrap();
    let filter = RequestFilter {
        limit: 2,
        ..RequestFilter::default()
    };
    let mut order = Vec::new();
    let mut after = None;
    for _ in 0..5 {
        let page = b.pending_by_urgency(tenant, &filter, after).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2, "the limit holds");
        after = page.last().map(|(at, _)| *at);
        order.extend(page.into_iter().map(|(_, r)| r.request_id));
    }
    assert_eq!(order, ["soon", "same-soon", "later", "none-1", "none-2"]);
    let searched = RequestFilter {
        search: vec!["x".into()],
        limit: 10,
        ..RequestFilter::default()
    };
    assert!(b
        .pending_by_urgency(tenant, &searched, None)
        .await
        .unwrap()
        .is_empty());
}

/// One row per conversation: its newest turn (other types keep every request).
pub async fn a_conversation_is_listed_once<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    let tenant = tenant(store.as_ref()).await;
    for rid in ["turn-1", "turn-2", "turn-3"] {
        let mut turn = request(tenant, rid, None);
        turn.loop_type = LoopType::Conversation;
        turn.key.conversation_id = "chat".into();
        create(store.as_ref(), turn).await;
    }
    for rid in ["approval-1", "approval-2"] {
        create(store.as_ref(), request(tenant, rid, None)).await;
    }
    let filter = RequestFilter {
        newest_turn_only: true,
        ..RequestFilter::default()
    };
    assert_eq!(
        found(store.as_ref(), tenant, filter.clone()).await,
        ["approval-1", "approval-2", "turn-3"]
    );
    let counts = store
        .turn_counts(tenant, &["chat".into(), "none".into()])
        .await
        .unwrap();
    assert_eq!(counts, [("chat".to_owned(), 3)]);
    let pending = store
        .pending_by_urgency(
            tenant,
            &RequestFilter {
                limit: 10,
                ..filter
            },
            None,
        )
        .await
        .unwrap();
    let ids: Vec<String> = pending.into_iter().map(|(_, r)| r.request_id).collect();
    assert_eq!(ids, ["turn-3", "approval-1", "approval-2"]);
}

/// One assignee per request, replaced by a new assignment, removed by none; the filters find
/// the requests assigned to someone and leave out those assigned to others.
pub async fn assignments_are_one_person_per_request<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    for rid in ["r1", "r2", "r3"] {
        create(a.as_ref(), request(tenant, rid, None)).await;
    }
    a.assign("id-r1", Some("ann"), "ann").await.unwrap();
    b.assign("id-r2", Some("ann"), "bob").await.unwrap();
    b.assign("id-r2", Some("bob"), "bob").await.unwrap();
    assert_eq!(a.assignee("id-r2").await.unwrap().as_deref(), Some("bob"));
    let mine = RequestFilter {
        assigned_to: Some("ann".into()),
        ..RequestFilter::default()
    };
    assert_eq!(found(b.as_ref(), tenant, mine.clone()).await, ["r1"]);
    let free_for_ann = RequestFilter {
        not_assigned_to_others: Some("ann".into()),
        ..RequestFilter::default()
    };
    assert_eq!(found(b.as_ref(), tenant, free_for_ann).await, ["r1", "r3"]);
    let mut assignees = a
        .assignees(&["id-r1".into(), "id-r2".into(), "id-r3".into()])
        .await
        .unwrap();
    assignees.sort();
    assert_eq!(
        assignees,
        [
            ("id-r1".to_owned(), "ann".to_owned()),
            ("id-r2".to_owned(), "bob".to_owned())
        ]
    );
    a.assign("id-r1", None, "ann").await.unwrap();
    assert_eq!(b.assignee("id-r1").await.unwrap(), None);
    assert!(found(b.as_ref(), tenant, mine).await.is_empty());
}
