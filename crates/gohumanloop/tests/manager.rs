//! Manager behaviour with the in-process provider (and a failing one): registry, pinning,
//! blocking and non-blocking calls, deadlines, callbacks and errors.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gohumanloop::manager::HumanLoopCallback;
use gohumanloop::model::{HistoryEntry, HumanLoopRequest, HumanLoopResult, LoopType, Status};
use gohumanloop::provider::{Provider, ProviderError};
use gohumanloop::{Error, InProcessProvider, LoopRequest, Manager};
use serde_json::json;
use tokio::sync::watch;

fn ctx(text: &str) -> gohumanloop::model::JsonObject {
    LoopRequest::message_context(text)
}

fn setup() -> (Manager, Arc<InProcessProvider>) {
    let provider = Arc::new(InProcessProvider::new("human"));
    let manager = Manager::with_provider(provider.clone()).unwrap();
    (manager, provider)
}

/// Records every hook call as a line.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
}

#[async_trait]
impl HumanLoopCallback for Recorder {
    async fn on_request(&self, provider: &dyn Provider, request: &HumanLoopRequest) {
        self.push(format!(
            "request {} {} {}",
            provider.name(),
            request.request_id.as_deref().unwrap_or("NONE"),
            request.loop_type
        ));
    }
    async fn on_update(&self, provider: &dyn Provider, result: &HumanLoopResult) {
        self.push(format!(
            "update {} {} {}",
            provider.name(),
            result.request_id,
            result.status
        ));
    }
    async fn on_timeout(&self, provider: &dyn Provider, result: &HumanLoopResult) {
        self.push(format!("timeout {} {}", provider.name(), result.request_id));
    }
    async fn on_error(&self, provider: &dyn Provider, error: &ProviderError) {
        self.push(format!("error {} {error}", provider.name()));
    }
}

#[tokio::test]
async fn registry_default_ids_and_duplicates() {
    let manager = Manager::new();
    assert!(matches!(
        manager.request(LoopRequest::approval(ctx("x"))).await,
        Err(Error::ProviderNotFound(_))
    ));
    let a = Arc::new(InProcessProvider::new("a"));
    let b = Arc::new(InProcessProvider::new("b"));
    assert_eq!(manager.register(a.clone()).unwrap(), "a");
    assert_eq!(manager.register_as(b.clone(), "second").unwrap(), "second");
    assert_eq!(manager.provider_ids(), ["a", "second"]);
    assert_eq!(
        manager.default_provider_id().as_deref(),
        Some("a"),
        "the first is the default"
    );
    assert_eq!(
        manager.register(a.clone()),
        Err(Error::DuplicateProvider("a".into()))
    );
    assert_eq!(
        manager.set_default_provider("nope"),
        Err(Error::ProviderNotFound("nope".into()))
    );
    manager.set_default_provider("second").unwrap();
    let ticket = manager
        .request(LoopRequest::approval(ctx("x")))
        .await
        .unwrap();
    assert_eq!(ticket.provider_id, "second");
    assert_eq!(b.pending().len(), 1);
    assert!(a.pending().is_empty());
    let err = manager
        .request(LoopRequest::approval(ctx("x")).provider("ghost"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Provider 'ghost' not found");
}

#[tokio::test]
async fn non_blocking_request_fills_the_books() {
    let (manager, provider) = setup();
    let ticket = manager
        .request(
            LoopRequest::approval(ctx("deploy?"))
                .task_id("task-1")
                .conversation_id("conv-1"),
        )
        .await
        .unwrap();
    assert_eq!(
        (ticket.task_id.as_str(), ticket.conversation_id.as_str()),
        ("task-1", "conv-1")
    );
    assert!(
        uuid_like(&ticket.request_id),
        "the provider mints a UUID4: {}",
        ticket.request_id
    );
    assert_eq!(manager.task_conversations("task-1"), ["conv-1"]);
    assert_eq!(
        manager.conversation_requests("conv-1"),
        vec![ticket.request_id.clone()]
    );
    assert_eq!(
        manager
            .request_task("conv-1", &ticket.request_id)
            .as_deref(),
        Some("task-1")
    );
    assert_eq!(
        manager.conversation_provider("conv-1").as_deref(),
        Some("human")
    );
    assert!(manager.conversation_exists("task-1", "conv-1"));
    assert!(!manager.conversation_exists("task-2", "conv-1"));
    let status = manager
        .check_request_status("conv-1", &ticket.request_id)
        .await
        .unwrap();
    assert_eq!(status.status, Status::Pending);
    let asked = provider.next_request().await.unwrap();
    assert_eq!(
        asked.request_id.as_deref(),
        Some(ticket.request_id.as_str())
    );
    assert_eq!(asked.context["message"], json!("deploy?"));
    provider.approve(&asked).unwrap();
    let done = manager
        .check_request_status("conv-1", &ticket.request_id)
        .await
        .unwrap();
    assert_eq!(done.status, Status::Approved);
    assert_eq!(done.responded_by.as_deref(), Some("in_process_user"));
    assert!(done.responded_at.is_some());
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test(start_paused = true)]
async fn blocking_wait_is_woken_by_the_answer_not_by_a_clock() {
    let (manager, provider) = setup();
    let human = tokio::spawn({
        let provider = provider.clone();
        async move {
            let asked = provider.next_request().await.unwrap();
            provider.reject(&asked, "too risky").unwrap();
        }
    });
    let started = tokio::time::Instant::now();
    let result = manager
        .request_and_wait(LoopRequest::approval(ctx("rm -rf /")))
        .await
        .unwrap();
    // With the clock paused, any sleep-and-poll loop would have advanced it.
    assert_eq!(started.elapsed(), std::time::Duration::ZERO);
    assert_eq!(result.status, Status::Rejected);
    assert_eq!(result.response, json!("too risky"));
    human.await.unwrap();
}

#[tokio::test]
async fn conversations_are_pinned_to_their_provider_and_continue_there() {
    let (manager, a) = setup();
    let b = Arc::new(InProcessProvider::new("b"));
    manager.register(b.clone()).unwrap();
    let first = manager
        .request(
            LoopRequest::conversation(ctx("hello"))
                .task_id("t")
                .conversation_id("c"),
        )
        .await
        .unwrap();
    let err = manager
        .continue_conversation(
            LoopRequest::conversation(ctx("more"))
                .conversation_id("c")
                .provider("b"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ConversationPinned { ref pinned, .. } if pinned == "human"),
        "{err}"
    );
    let err = manager
        .request(
            LoopRequest::approval(ctx("x"))
                .conversation_id("c")
                .provider("b"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConversationPinned { .. }));

    let asked = a.next_request().await.unwrap();
    a.reply(&asked, "hi there").unwrap();
    assert_eq!(
        manager.wait("c", &first.request_id).await.unwrap().status,
        Status::InProgress
    );
    let second = manager
        .continue_conversation(LoopRequest::conversation(ctx("and then?")).conversation_id("c"))
        .await
        .unwrap();
    assert_eq!(
        second.task_id, "t",
        "a continue keeps the conversation's task"
    );
    assert_ne!(second.request_id, first.request_id);
    assert_eq!(
        manager.conversation_requests("c"),
        [first.request_id.clone(), second.request_id.clone()]
    );
    let asked = a.next_request().await.unwrap();
    assert_eq!(asked.loop_type, LoopType::Conversation);
    assert_eq!(asked.task_id, "t");
    a.complete(&asked, "bye").unwrap();
    let last = manager.check_conversation_status("c").await.unwrap();
    assert_eq!(
        (last.request_id.as_str(), last.status),
        (second.request_id.as_str(), Status::Completed)
    );
    let history: Vec<HistoryEntry> = manager.conversation_history("c").await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[0].status, &history[0].response),
        (Status::InProgress, &json!("hi there"))
    );
    assert_eq!(
        (history[1].status, &history[1].response),
        (Status::Completed, &json!("bye"))
    );
    assert!(b.pending().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_pending_request_expires_at_its_deadline() {
    let (manager, provider) = setup();
    let recorder = Arc::new(Recorder::default());
    let started = tokio::time::Instant::now();
    let result = manager
        .request_and_wait(
            LoopRequest::information(ctx("name?"))
                .timeout(30)
                .callback(recorder.clone()),
        )
        .await
        .unwrap();
    assert_eq!(result.status, Status::Expired);
    assert_eq!(result.error.as_deref(), Some("Request timed out"));
    assert_eq!(started.elapsed().as_secs(), 30);
    let rid = &result.request_id;
    assert_eq!(
        recorder.lines(),
        [
            format!("request human {rid} information"),
            format!("update human {rid} expired"),
            format!("timeout human {rid}")
        ]
    );
    // Expired is terminal: a late answer is refused and changes nothing.
    let asked = provider
        .ledger()
        .request(&result.conversation_id, rid)
        .unwrap();
    assert!(matches!(
        provider.complete(&asked, "late"),
        Err(ProviderError::InvalidTransition { .. })
    ));
    assert_eq!(
        manager
            .check_request_status(&result.conversation_id, rid)
            .await
            .unwrap()
            .status,
        Status::Expired
    );
}

#[tokio::test(start_paused = true)]
async fn an_answered_conversation_turn_does_not_expire() {
    let (manager, provider) = setup();
    let ticket = manager
        .request(LoopRequest::conversation(ctx("hi")).timeout(5))
        .await
        .unwrap();
    let asked = provider.next_request().await.unwrap();
    provider.reply(&asked, "hello").unwrap();
    // Past the 5 s deadline on the paused clock: no wall-clock time passes.
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    let status = manager
        .check_request_status(&ticket.conversation_id, &ticket.request_id)
        .await
        .unwrap();
    assert_eq!(status.status, Status::InProgress);
}

#[tokio::test]
async fn callbacks_fire_once_per_state_with_the_real_request_id() {
    let (manager, provider) = setup();
    let recorder = Arc::new(Recorder::default());
    let human = tokio::spawn({
        let provider = provider.clone();
        async move {
            let first = provider.next_request().await.unwrap();
            provider.reply(&first, "turn one").unwrap();
            let second = provider.next_request().await.unwrap();
            provider.complete(&second, "done").unwrap();
        }
    });
    let one = manager
        .request_and_wait(
            LoopRequest::conversation(ctx("a"))
                .conversation_id("c")
                .callback(recorder.clone()),
        )
        .await
        .unwrap();
    // Hooks for a state have run when the blocking call returns it.
    assert_eq!(
        recorder.lines().last().unwrap(),
        &format!("update human {} inprogress", one.request_id)
    );
    // Checking again does not fire the hooks again.
    manager
        .check_request_status("c", &one.request_id)
        .await
        .unwrap();
    let two = manager
        .continue_and_wait(
            LoopRequest::conversation(ctx("b"))
                .conversation_id("c")
                .callback(recorder.clone()),
        )
        .await
        .unwrap();
    human.await.unwrap();
    let (r1, r2) = (&one.request_id, &two.request_id);
    assert_eq!(
        recorder.lines(),
        [
            format!("request human {r1} conversation"),
            format!("update human {r1} inprogress"),
            format!("request human {r2} conversation"),
            format!("update human {r2} completed"),
        ]
    );
    // A turn that was inprogress and then ends reports that end too.
    provider
        .ledger()
        .resolve("c", r1, gohumanloop::Answer::completed("closed"))
        .unwrap();
    for _ in 0..100 {
        if recorder.lines().len() == 5 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        recorder.lines().last().unwrap(),
        &format!("update human {r1} completed")
    );
}

/// A provider whose every call fails, or that accepts without an id.
struct Broken {
    empty_id: bool,
}

#[async_trait]
impl Provider for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    async fn request(&self, r: HumanLoopRequest) -> Result<HumanLoopResult, ProviderError> {
        if self.empty_id {
            return Ok(HumanLoopResult::pending(r.conversation_id, "", r.loop_type));
        }
        Err(ProviderError::Failed("server unreachable".into()))
    }
    async fn continue_conversation(
        &self,
        r: HumanLoopRequest,
    ) -> Result<HumanLoopResult, ProviderError> {
        self.request(r).await
    }
    async fn check_request_status(
        &self,
        _: &str,
        _: &str,
    ) -> Result<HumanLoopResult, ProviderError> {
        Err(ProviderError::Failed("status unavailable".into()))
    }
    async fn check_conversation_status(&self, _: &str) -> Result<HumanLoopResult, ProviderError> {
        Err(ProviderError::Failed("status unavailable".into()))
    }
    async fn cancel_request(&self, _: &str, _: &str) -> Result<bool, ProviderError> {
        Ok(false)
    }
    async fn cancel_conversation(&self, _: &str) -> Result<bool, ProviderError> {
        Ok(false)
    }
    async fn conversation_history(&self, _: &str) -> Result<Vec<HistoryEntry>, ProviderError> {
        Ok(vec![])
    }
    fn subscribe(
        &self,
        c: &str,
        r: &str,
    ) -> Result<watch::Receiver<HumanLoopResult>, ProviderError> {
        Err(ProviderError::RequestNotFound {
            conversation_id: c.into(),
            request_id: r.into(),
        })
    }
}

#[tokio::test]
async fn provider_errors_reach_on_error_and_the_caller() {
    let manager = Manager::with_provider(Arc::new(Broken { empty_id: false })).unwrap();
    let recorder = Arc::new(Recorder::default());
    let err = manager
        .request_and_wait(
            LoopRequest::approval(ctx("x"))
                .conversation_id("c")
                .callback(recorder.clone()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Provider(ProviderError::Failed("server unreachable".into()))
    );
    assert_eq!(recorder.lines(), ["error broken server unreachable"]);
    assert!(
        manager.conversation_requests("c").is_empty(),
        "a failed request is not booked"
    );

    let manager = Manager::with_provider(Arc::new(Broken { empty_id: true })).unwrap();
    let err = manager
        .request(LoopRequest::approval(ctx("x")).conversation_id("c"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Failed to request humanloop for conversation 'c'"
    );
}

#[tokio::test]
async fn cancelling_wakes_waiters_and_is_final() {
    let (manager, provider) = setup();
    let ticket = manager
        .request(
            LoopRequest::approval(ctx("x"))
                .task_id("t")
                .conversation_id("c"),
        )
        .await
        .unwrap();
    let waiter = tokio::spawn({
        let manager = manager.clone();
        let rid = ticket.request_id.clone();
        async move { manager.wait("c", &rid).await }
    });
    assert!(manager
        .cancel_request("c", &ticket.request_id)
        .await
        .unwrap());
    assert_eq!(waiter.await.unwrap().unwrap().status, Status::Cancelled);
    assert!(
        manager.conversation_requests("c").is_empty(),
        "cancel drops the request from the books"
    );
    let asked = provider.ledger().request("c", &ticket.request_id).unwrap();
    assert!(
        provider.approve(&asked).is_err(),
        "a cancelled request stays cancelled"
    );
    assert!(
        manager
            .cancel_request("c", &ticket.request_id)
            .await
            .unwrap(),
        "cancel is idempotent"
    );

    // A whole conversation: the live turns are cancelled, answered ones kept.
    let t1 = manager
        .request(
            LoopRequest::conversation(ctx("1"))
                .task_id("t2")
                .conversation_id("c2"),
        )
        .await
        .unwrap();
    let asked = provider.next_request().await.unwrap();
    provider.reply(&asked, "r1").unwrap();
    let t2 = manager
        .continue_conversation(LoopRequest::conversation(ctx("2")).conversation_id("c2"))
        .await
        .unwrap();
    let a3 = manager
        .request(
            LoopRequest::approval(ctx("done"))
                .task_id("t3")
                .conversation_id("c3"),
        )
        .await
        .unwrap();
    provider
        .approve(&provider.ledger().request("c3", &a3.request_id).unwrap())
        .unwrap();
    assert!(manager.cancel_conversation("c2").await.unwrap());
    assert!(!manager.conversation_exists("t2", "c2"));
    assert!(manager.task_conversations("t2").is_empty());
    for rid in [&t1.request_id, &t2.request_id] {
        assert_eq!(
            manager
                .check_request_status("c2", rid)
                .await
                .unwrap()
                .status,
            Status::Cancelled
        );
    }
    assert!(manager.cancel_conversation("c3").await.unwrap());
    assert_eq!(
        manager
            .check_request_status("c3", &a3.request_id)
            .await
            .unwrap()
            .status,
        Status::Approved
    );
    assert!(matches!(
        manager.cancel_conversation("nope").await,
        Err(Error::ConversationNotFound(_))
    ));
}

#[tokio::test]
async fn unknown_requests_and_conversations_are_error_results() {
    let (manager, provider) = setup();
    manager
        .request(LoopRequest::approval(ctx("x")).conversation_id("c"))
        .await
        .unwrap();
    let r = manager.check_request_status("c", "missing").await.unwrap();
    assert_eq!(r.status, Status::Error);
    assert_eq!(
        r.error.as_deref(),
        Some("Request 'missing' not found in conversation 'c'")
    );
    let r = provider.check_conversation_status("ghost").await.unwrap();
    assert_eq!((r.status, r.request_id.as_str()), (Status::Error, ""));
    assert_eq!(r.error.as_deref(), Some("Conversation 'ghost' not found"));
    assert!(matches!(
        manager.wait("ghost", "x").await,
        Err(Error::ConversationNotFound(_))
    ));
}

#[tokio::test]
async fn an_answering_provider_completes_at_once_and_forgetting_frees_it() {
    let provider = Arc::new(InProcessProvider::answering("auto", |r| {
        gohumanloop::Answer::completed(format!(
            "answer to {}",
            r.context["message"].as_str().unwrap_or("")
        ))
    }));
    let manager = Manager::with_provider(provider.clone()).unwrap();
    let r = manager
        .request_and_wait(LoopRequest::information(ctx("q")).conversation_id("c"))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.response.clone()),
        (Status::Completed, json!("answer to q"))
    );
    assert_eq!(provider.ledger().counts(), (1, 1, 0));
    assert!(provider
        .to_string()
        .contains("conversations=1, total_requests=1, active_requests=0)"));
    manager.forget_conversation("c").await;
    assert_eq!(provider.ledger().counts(), (0, 0, 0));
    assert!(manager.conversation_provider("c").is_none());
}
