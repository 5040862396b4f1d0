//! Durable interrupts on the in-process backend (`interrupt::Local`): resumed once, however
//! many callers race; pending until answered; tokens of another provider refused. (The hub
//! backend's tests are in `crates/gohumanloop-hub/tests/interrupts.rs`.)

use std::sync::Arc;
use std::time::Duration;

use gohumanloop::interrupt::{Interrupts, Local, Resumed, Token};
use gohumanloop::manager::LoopRequest;
use gohumanloop::model::Status;
use gohumanloop::{Error, InProcessProvider};
use serde_json::json;

fn local() -> (Arc<InProcessProvider>, Interrupts) {
    let provider = Arc::new(InProcessProvider::new("desk"));
    let interrupts = Interrupts::new(Arc::new(Local::new(provider.clone())));
    (provider, interrupts)
}

fn approval() -> LoopRequest {
    LoopRequest::approval(LoopRequest::message_context("Deploy?"))
}

#[tokio::test]
async fn pending_until_answered_then_resumed_exactly_once() {
    let (provider, interrupts) = local();
    let token = interrupts
        .interrupt(approval(), json!({"step": 3}))
        .await
        .unwrap();
    // The token is text: a later caller decodes it.
    let token = Token::decode(&token.encode()).unwrap();
    assert!(matches!(
        interrupts.resume(&token, Duration::ZERO).await.unwrap(),
        Resumed::Pending(_)
    ));

    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (interrupts, token) = (interrupts.clone(), token.clone());
            tokio::spawn(async move { interrupts.resume(&token, Duration::from_secs(10)).await })
        })
        .collect();
    let asked = provider.pending();
    assert_eq!(asked.len(), 1);
    provider.approve(&asked[0]).unwrap();

    let mut answered = 0;
    for racer in racers {
        match racer.await.unwrap().unwrap() {
            Resumed::Answered { result, state } => {
                assert_eq!(result.status, Status::Approved);
                assert_eq!(state, json!({"step": 3}));
                answered += 1;
            }
            Resumed::AlreadyResumed(result) => assert_eq!(result.status, Status::Approved),
            Resumed::Pending(_) => panic!("a waiting resume saw no answer"),
        }
    }
    assert_eq!(answered, 1, "exactly one caller resumes");
    assert!(matches!(
        interrupts.resume(&token, Duration::ZERO).await.unwrap(),
        Resumed::AlreadyResumed(_)
    ));
}

#[tokio::test]
async fn asking_again_with_the_same_ids_files_nothing_new() {
    let (provider, interrupts) = local();
    let ids = || approval().task_id("t").conversation_id("c").request_id("r");
    let first = interrupts.interrupt(ids(), json!(null)).await.unwrap();
    let again = interrupts.interrupt(ids(), json!(null)).await.unwrap();
    assert_eq!(provider.pending().len(), 1);
    assert_eq!(
        (first.conversation_id, first.request_id),
        (again.conversation_id, again.request_id)
    );
}

#[tokio::test]
async fn a_token_of_another_provider_is_refused() {
    let (_, interrupts) = local();
    let elsewhere = Interrupts::new(Arc::new(Local::new(Arc::new(InProcessProvider::new(
        "other",
    )))));
    let token = elsewhere.interrupt(approval(), json!(null)).await.unwrap();
    let refused = interrupts.resume(&token, Duration::ZERO).await;
    assert!(matches!(refused, Err(Error::BadToken(_))), "{refused:?}");
    assert!(matches!(
        Token::decode("{not json"),
        Err(Error::BadToken(_))
    ));
}
