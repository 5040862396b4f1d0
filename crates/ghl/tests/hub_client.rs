//! The library's typed `HubClient` against a real `ghl serve` over loopback: the answering API
//! (list with its `next` cursor, get, audit, approve, reject, answer, reply, complete, cancel),
//! its typed errors (a lost race names the winner, 404, bad keys, 422), the event stream, and
//! create / status for the agent's side.

mod common;

use std::time::Duration;

use common::HubProcess;
use gohumanloop::model::wire::{CreateRequestBody, StatusQuery};
use gohumanloop::model::JsonObject;
use gohumanloop::providers::hub::{HubClient, HubError, ListFilter, RequestView};
use gohumanloop::{LoopType, Status};
use serde_json::{json, Value};

/// A bound for waits that end at once when things work.
const BOUND: Duration = Duration::from_secs(20);

/// A hub with an agent's key and two humans' keys, all of tenant `a`.
struct Fixture {
    hub: HubProcess,
    agent: HubClient,
    alice: HubClient,
    bob: HubClient,
}

impl Fixture {
    fn new() -> Self {
        let hub = HubProcess::start();
        let client = |name: &str| HubClient::new(&hub.base, hub.key("a", name)).unwrap();
        let (agent, alice, bob) = (client("agent"), client("alice"), client("bob"));
        Self {
            hub,
            agent,
            alice,
            bob,
        }
    }

    /// Creates a request as the agent; returns its `request_id` and conversation.
    async fn ask(&self, loop_type: LoopType, question: &str) -> (String, String) {
        let request_id = uuid::Uuid::new_v4().to_string();
        let conversation_id = format!("c-{request_id}");
        let mut context = JsonObject::new();
        context.insert("question".into(), json!(question));
        let body = CreateRequestBody {
            task_id: "typed-client".into(),
            conversation_id: conversation_id.clone(),
            request_id: request_id.clone(),
            loop_type,
            context,
            platform: "rs-test".into(),
            metadata: JsonObject::new(),
            timeout: None,
        };
        self.agent.create(&body).await.unwrap();
        (request_id, conversation_id)
    }

    /// Creates a request; returns the hub's id of it.
    async fn ask_id(&self, loop_type: LoopType, question: &str) -> String {
        let (request_id, _) = self.ask(loop_type, question).await;
        self.alice.get(&request_id).await.unwrap().request.id
    }

    /// The request's status as the hub shows it.
    async fn status_of(&self, id: &str) -> Status {
        self.alice.get(id).await.unwrap().request.status
    }
}

fn answered(request: &RequestView, status: Status, by: &str, response: Value) {
    assert_eq!(request.status, status, "{request:?}");
    assert_eq!(request.responded_by.as_deref(), Some(by));
    assert!(request.responded_at.is_some());
    assert_eq!(request.response, Some(response));
}

#[tokio::test]
async fn a_list_is_read_page_by_page_with_its_next_cursor() {
    let f = Fixture::new();
    let mut asked = Vec::new();
    for i in 0..5 {
        asked.push(f.ask_id(LoopType::Approval, &format!("q{i}")).await);
    }
    let answered_one = f.ask_id(LoopType::Information, "not pending").await;
    f.alice.answer(&answered_one, "done").await.unwrap();

    let mut listed = Vec::new();
    let mut filter = ListFilter::pending().limit(2);
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 4, "the cursor ends: {listed:?}");
        let page = f.alice.list(&filter).await.unwrap();
        assert!(page.requests.len() <= 2, "at most the limit");
        assert_eq!(page.count, page.requests.len());
        listed.extend(page.requests.into_iter().map(|r| {
            assert_eq!(r.status, Status::Pending);
            r.id
        }));
        match page.next {
            Some(next) => filter = filter.before(next),
            None => break,
        }
    }
    asked.reverse();
    assert_eq!(listed, asked, "every pending request once, newest first");
    assert_eq!(pages, 3, "2 + 2 + 1");

    let everything = f.alice.list(&ListFilter::default()).await.unwrap();
    assert_eq!((everything.count, everything.next), (6, None));
    let completed = ListFilter::default().status(Status::Completed);
    let completed = f.alice.list(&completed).await.unwrap();
    assert_eq!(completed.requests.len(), 1);
    assert_eq!(completed.requests[0].id, answered_one);
    let by_type = ListFilter {
        loop_type: Some(LoopType::Information),
        ..ListFilter::default()
    };
    assert_eq!(f.alice.list(&by_type).await.unwrap().count, 1);
}

#[tokio::test]
async fn get_shows_a_request_with_its_conversation_and_audit_trail() {
    let f = Fixture::new();
    let (request_id, conversation_id) = f.ask(LoopType::Approval, "Deploy?").await;
    let detail = f.alice.get(&request_id).await.unwrap();
    let request = &detail.request;
    assert_eq!(request.request_id, request_id);
    assert_eq!(request.conversation_id, conversation_id);
    assert_eq!(
        (request.loop_type, request.status),
        (LoopType::Approval, Status::Pending)
    );
    assert_eq!(request.context, json!({"question": "Deploy?"}));
    assert_eq!(request.platform, "rs-test");
    assert_eq!(request.responded_by, None);
    assert_eq!(detail.history, vec![request.clone()]);
    assert_eq!(detail.history_before, None);
    // By the hub's id too.
    assert_eq!(f.alice.get(&request.id).await.unwrap(), detail);

    f.alice.approve(&request.id, Some("go")).await.unwrap();
    let trail = f.alice.audit(&request.id).await.unwrap();
    let steps: Vec<_> = trail
        .iter()
        .map(|e| {
            (
                e.old_status,
                e.new_status,
                e.actor.as_str(),
                e.channel.as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (None, Status::Pending, "agent", "api"),
            (Some(Status::Pending), Status::Approved, "alice", "api"),
        ]
    );
    assert!(trail.iter().all(|e| e.request == request.id));
    assert_eq!(trail[1].prev_hash, trail[0].hash, "chained");
}

#[tokio::test]
async fn every_answer_is_recorded_and_the_agent_sees_it() {
    let f = Fixture::new();
    let (approval_rid, conversation_id) = f.ask(LoopType::Approval, "Deploy?").await;
    let approval = f.alice.get(&approval_rid).await.unwrap().request.id;
    let approved = f
        .alice
        .approve(&approval, Some("looks fine"))
        .await
        .unwrap();
    answered(
        &approved,
        Status::Approved,
        "alice",
        json!({"decision": "approved", "reason": "looks fine"}),
    );
    // The agent's side: the status it long-polls shows the answer.
    let query = StatusQuery {
        conversation_id,
        request_id: approval_rid,
        platform: "rs-test".into(),
    };
    let seen = f.agent.status(&query, Some(BOUND)).await.unwrap();
    assert_eq!(seen.status, Status::Approved);
    assert_eq!(seen.responded_by.as_deref(), Some("alice"));
    assert_eq!(seen.response, approved.response);

    let rejected = f.ask_id(LoopType::Approval, "Delete?").await;
    let now = f.alice.reject(&rejected, "not on a friday").await.unwrap();
    answered(
        &now,
        Status::Rejected,
        "alice",
        json!({"decision": "rejected", "reason": "not on a friday"}),
    );

    let info = f.ask_id(LoopType::Information, "Region?").await;
    let now = f.alice.answer(&info, "eu-west-1").await.unwrap();
    answered(
        &now,
        Status::Completed,
        "alice",
        json!({"information": "eu-west-1"}),
    );

    let turn = f.ask_id(LoopType::Conversation, "Hello?").await;
    let now = f.alice.reply(&turn, "go on", false).await.unwrap();
    answered(
        &now,
        Status::InProgress,
        "alice",
        json!({"message": "go on"}),
    );
    let last = f.ask_id(LoopType::Conversation, "Anything else?").await;
    let now = f.alice.reply(&last, "that's all", true).await.unwrap();
    answered(
        &now,
        Status::Completed,
        "alice",
        json!({"message": "that's all"}),
    );

    let dropped = f.ask_id(LoopType::Approval, "Never mind?").await;
    let now = f.alice.cancel(&dropped).await.unwrap();
    assert_eq!(now.status, Status::Cancelled);
    assert_eq!((now.responded_by, now.response), (None, None));
}

#[tokio::test]
async fn a_rejection_needs_a_reason() {
    let f = Fixture::new();
    let id = f.ask_id(LoopType::Approval, "Deploy?").await;
    for blank in ["", "   "] {
        let refused = f.alice.reject(&id, blank).await;
        assert!(
            matches!(refused, Err(HubError::ReasonRequired)),
            "{refused:?}"
        );
    }
    assert_eq!(f.status_of(&id).await, Status::Pending, "nothing recorded");
    assert_eq!(
        f.alice.audit(&id).await.unwrap().len(),
        1,
        "only the create"
    );
    let now = f.alice.reject(&id, "too risky").await.unwrap();
    assert_eq!(now.status, Status::Rejected);
}

#[tokio::test]
async fn a_late_answer_is_a_conflict_naming_the_winner() {
    let f = Fixture::new();
    let id = f.ask_id(LoopType::Approval, "Deploy?").await;
    let won = f.alice.approve(&id, None).await.unwrap();
    let late = f.bob.reject(&id, "too late").await;
    let Err(HubError::Conflict(conflict)) = late else {
        panic!("a conflict: {late:?}");
    };
    assert_eq!(conflict.status, Status::Approved);
    assert_eq!(conflict.responded_by.as_deref(), Some("alice"));
    assert_eq!(conflict.responded_at, won.responded_at);
    assert!(
        conflict.message.contains("already approved by alice"),
        "{}",
        conflict.message
    );
    let again = f.bob.approve(&id, None).await;
    assert!(matches!(again, Err(HubError::Conflict(_))), "{again:?}");
    assert_eq!(f.status_of(&id).await, Status::Approved);

    // A cancelled request has no winner to name.
    let cancelled = f.ask_id(LoopType::Information, "Region?").await;
    f.alice.cancel(&cancelled).await.unwrap();
    let late = f.bob.answer(&cancelled, "eu-west-1").await;
    let Err(HubError::Conflict(conflict)) = late else {
        panic!("a conflict: {late:?}");
    };
    assert_eq!(
        (conflict.status, conflict.responded_by),
        (Status::Cancelled, None)
    );
}

#[tokio::test]
async fn unknown_requests_bad_keys_and_unfit_answers_are_typed_errors() {
    let f = Fixture::new();
    for result in [
        f.alice.get("no-such-request").await.map(|_| ()),
        f.alice.audit("no-such-request").await.map(|_| ()),
        f.alice.approve("no-such-request", None).await.map(|_| ()),
        f.alice.cancel("no-such-request").await.map(|_| ()),
    ] {
        let Err(HubError::NotFound { message }) = result else {
            panic!("404: {result:?}");
        };
        assert!(message.contains("Request not found"), "{message}");
    }

    let wrong = HubClient::new(&f.hub.base, "ghl_not_a_key").unwrap();
    let refused = wrong.list(&ListFilter::pending()).await;
    let Err(e @ HubError::Unauthorized { .. }) = refused else {
        panic!("refused: {refused:?}");
    };
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.to_string(), "Invalid or revoked API key");
    assert!(e.is_refusal() && !e.is_transient());
    let no_key = HubClient::new(&f.hub.base, "").unwrap();
    let refused = no_key.approve("anything", None).await;
    let Err(e @ HubError::Unauthorized { .. }) = refused else {
        panic!("refused: {refused:?}");
    };
    assert_eq!(e.status(), Some(401));

    // Another tenant's key sees nothing of tenant a.
    let other = HubClient::new(&f.hub.base, f.hub.key("b", "carol")).unwrap();
    let id = f.ask_id(LoopType::Approval, "Deploy?").await;
    assert!(matches!(
        other.get(&id).await,
        Err(HubError::NotFound { .. })
    ));
    assert_eq!(other.list(&ListFilter::default()).await.unwrap().count, 0);

    // 422: an action that does not fit the request's type, a bad filter.
    let unfit = f.alice.answer(&id, "yes").await;
    let Err(HubError::Refused { message }) = unfit else {
        panic!("422: {unfit:?}");
    };
    assert!(
        message.contains("answer is not an action for a request of type approval"),
        "{message}"
    );
    let bad_limit = f.alice.list(&ListFilter::default().limit(0)).await;
    assert!(
        matches!(bad_limit, Err(HubError::Refused { .. })),
        "{bad_limit:?}"
    );
    assert_eq!(f.status_of(&id).await, Status::Pending);

    // Nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = HubClient::new(&format!("http://127.0.0.1:{port}/api"), "k").unwrap();
    let unreachable = nowhere.list(&ListFilter::default()).await;
    let Err(e @ HubError::Unreachable { .. }) = unreachable else {
        panic!("unreachable: {unreachable:?}");
    };
    assert!(e.is_transient() && !e.is_refusal());
}

#[tokio::test]
async fn the_event_stream_wakes_on_a_new_request() {
    let f = Fixture::new();
    let mut events = f.alice.events().await.unwrap();
    f.ask(LoopType::Approval, "Deploy?").await;
    // Shorter than the stream's 15 s keep-alive: only the event can wake it in time.
    let woke = tokio::time::timeout(Duration::from_secs(10), events.next_activity()).await;
    assert_eq!(woke.ok(), Some(true), "the create is on the stream");

    let wrong = HubClient::new(&f.hub.base, "ghl_not_a_key").unwrap();
    assert!(matches!(
        wrong.events().await,
        Err(HubError::Unauthorized { status: 403, .. })
    ));
}
