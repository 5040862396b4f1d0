//! Durable interrupts (`gohumanloop::interrupt::Hub`) against a real hub: a step stops at a
//! question, another "process" (another client, sharing nothing) resumes it, and the hub lets
//! exactly one resume act on each answer.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestHub;
use gohumanloop::interrupt::{self, Interrupts, Resumed, Token};
use gohumanloop::model::Status;
use gohumanloop::providers::hub::HubClient;
use gohumanloop::LoopRequest;
use serde_json::{json, Value};

/// Interrupts of their own (as a separate process would have) with the agent's key.
fn agent(t: &TestHub) -> Interrupts {
    let client = HubClient::new(&t.base, t.keys.agent.clone()).unwrap();
    Interrupts::new(Arc::new(interrupt::Hub::new(client)))
}

fn approval(function: &str) -> LoopRequest {
    let mut context = LoopRequest::message_context(format!("Run {function}?"));
    context.insert("function".into(), json!(function));
    LoopRequest::approval(context)
}

async fn approve(t: &TestHub, token: &Token) {
    let (status, reply) = t
        .post(
            &t.keys.alice,
            &format!("/api/v1/requests/{}/approve", token.request_id),
            json!({"reason": "fine"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
}

#[tokio::test]
async fn another_process_resumes_once_and_every_later_resume_does_nothing() {
    let t = TestHub::start().await;
    let asking = agent(&t);
    let token = asking
        .interrupt(approval("delete_files"), json!({"step": 7}))
        .await
        .unwrap();
    // The token is all that crosses to the other process.
    let text = token.encode();
    let resuming = agent(&t);
    let token = Token::decode(&text).unwrap();
    match resuming.resume(&token, Duration::ZERO).await.unwrap() {
        Resumed::Pending(result) => assert_eq!(result.status, Status::Pending),
        other => panic!("no answer yet, got {other:?}"),
    }
    approve(&t, &token).await;
    match resuming.resume(&token, Duration::ZERO).await.unwrap() {
        Resumed::Answered { result, state } => {
            assert_eq!(result.status, Status::Approved);
            assert_eq!(result.responded_by.as_deref(), Some("alice"));
            assert_eq!(state, json!({"step": 7}));
        }
        other => panic!("the first resume acts, got {other:?}"),
    }
    for interrupts in [&resuming, &asking] {
        match interrupts.resume(&token, Duration::ZERO).await.unwrap() {
            Resumed::AlreadyResumed(result) => assert_eq!(result.status, Status::Approved),
            other => panic!("a second resume does nothing, got {other:?}"),
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn of_many_concurrent_resumes_exactly_one_acts() {
    let t = TestHub::start().await;
    let token = agent(&t)
        .interrupt(approval("pay"), Value::Null)
        .await
        .unwrap();
    approve(&t, &token).await;
    let resumes = (0..16).map(|_| {
        let interrupts = agent(&t);
        let token = token.clone();
        tokio::spawn(async move { interrupts.resume(&token, Duration::ZERO).await.unwrap() })
    });
    let mut answered = 0;
    for resume in resumes {
        match resume.await.unwrap() {
            Resumed::Answered { .. } => answered += 1,
            Resumed::AlreadyResumed(_) => {}
            Resumed::Pending(r) => panic!("the request was answered: {r:?}"),
        }
    }
    assert_eq!(answered, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_waiting_resume_returns_with_the_answer_and_a_rerun_step_files_nothing_new() {
    let t = TestHub::start().await;
    let interrupts = agent(&t);
    let ids = |r: LoopRequest| {
        r.task_id("graph")
            .conversation_id("thread-1")
            .request_id("thread-1:node:0")
    };
    let token = interrupts
        .interrupt(ids(approval("deploy")), Value::Null)
        .await
        .unwrap();
    // The step runs again before anyone answered (as LangGraph re-runs a node): same ids.
    let again = interrupts
        .interrupt(ids(approval("deploy")), Value::Null)
        .await
        .unwrap();
    assert_eq!(again.request_id, token.request_id);
    let (_, listed) = t.get(&t.keys.alice, "/api/v1/requests?task_id=graph").await;
    assert_eq!(listed["requests"].as_array().unwrap().len(), 1, "{listed}");

    let waiting = {
        let interrupts = interrupts.clone();
        let token = token.clone();
        tokio::spawn(async move { interrupts.resume(&token, Duration::from_secs(30)).await })
    };
    approve(&t, &token).await;
    // Bounded: the resume returns on the answer, well within its 30 s wait.
    let resumed = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the waiting resume returned on the answer")
        .unwrap()
        .unwrap();
    assert!(matches!(resumed, Resumed::Answered { .. }), "{resumed:?}");
    t.stop().await;
}

#[tokio::test]
async fn an_expired_interrupt_resumes_as_expired_and_foreign_tokens_are_refused() {
    let t = TestHub::start().await;
    let interrupts = agent(&t);
    let token = interrupts
        .interrupt(approval("rm").timeout(1), Value::Null)
        .await
        .unwrap();
    let resumed = interrupts
        .resume(&token, Duration::from_secs(20))
        .await
        .unwrap();
    match resumed {
        Resumed::Answered { result, .. } => assert_eq!(result.status, Status::Expired),
        other => panic!("an expired request resumes as expired, got {other:?}"),
    }
    let mut foreign = token.clone();
    foreign.provider = "terminal".into();
    let err = interrupts
        .resume(&foreign, Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("made by provider 'terminal'"),
        "{err}"
    );
    // Another tenant's key cannot see, let alone resume, the request.
    let other = Interrupts::new(Arc::new(interrupt::Hub::new(
        HubClient::new(&t.base, t.keys.other.clone()).unwrap(),
    )));
    let err = other.resume(&token, Duration::ZERO).await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    t.stop().await;
}

#[tokio::test]
async fn a_conversation_turn_is_interrupted_and_resumed_with_the_reply() {
    let t = TestHub::start().await;
    let interrupts = agent(&t);
    let first = interrupts
        .interrupt(
            LoopRequest::conversation(LoopRequest::message_context("Which region?")),
            Value::Null,
        )
        .await
        .unwrap();
    let (status, reply) = t
        .post(
            &t.keys.alice,
            &format!("/api/v1/requests/{}/reply", first.request_id),
            json!({"text": "eu-west", "complete": false}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let Resumed::Answered { result, .. } = interrupts.resume(&first, Duration::ZERO).await.unwrap()
    else {
        panic!("the reply resumes the first turn");
    };
    assert_eq!(result.status, Status::InProgress);
    let second = interrupts
        .interrupt_turn(
            LoopRequest::conversation(LoopRequest::message_context("Which size?"))
                .conversation_id(first.conversation_id.clone()),
            Value::Null,
        )
        .await
        .unwrap();
    assert_eq!(second.conversation_id, first.conversation_id);
    assert_ne!(second.request_id, first.request_id);
    t.stop().await;
}

#[tokio::test]
async fn an_approval_with_edited_arguments_resumes_with_them() {
    let t = TestHub::start().await;
    let interrupts = agent(&t);
    let token = interrupts
        .interrupt(approval("transfer"), Value::Null)
        .await
        .unwrap();
    let path = format!("/api/v1/requests/{}/approve", token.request_id);
    let (status, reply) = t
        .post(&t.keys.alice, &path, json!({"arguments": [1, 2]}))
        .await;
    assert_eq!(status, 422, "edited arguments are an object: {reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("JSON object"),
        "{reply}"
    );
    let (status, reply) = t
        .post(
            &t.keys.alice,
            &format!("/api/v1/requests/{}/reject", token.request_id),
            json!({"reason": "no", "arguments": {"amount": 1}}),
        )
        .await;
    assert_eq!(status, 422, "a rejection edits nothing: {reply}");
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("only an approval"),
        "{reply}"
    );
    let (status, reply) = t
        .post(
            &t.keys.alice,
            &path,
            json!({"reason": "less", "arguments": {"amount": 5}}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let Resumed::Answered { result, .. } = interrupts.resume(&token, Duration::ZERO).await.unwrap()
    else {
        panic!("answered");
    };
    assert_eq!(
        result.response,
        json!({"decision": "approved", "reason": "less", "arguments": {"amount": 5},
            "edited": true, "edited_keys": ["amount"]})
    );
    t.stop().await;
}
