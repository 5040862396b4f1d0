//! The blocking facade: works from plain threads, refuses (never panics or deadlocks) inside a
//! running async runtime.

use std::sync::Arc;

use gohumanloop::{Error, InProcessProvider, LoopRequest, Manager, Status, SyncManager};

#[test]
fn blocks_until_another_thread_answers() {
    let provider = Arc::new(InProcessProvider::new("human"));
    let sync = SyncManager::new(Manager::with_provider(provider.clone()).unwrap()).unwrap();
    let ticket = sync
        .request(LoopRequest::approval(LoopRequest::message_context("ok?")))
        .unwrap();
    let (cid, rid) = (ticket.conversation_id.clone(), ticket.request_id.clone());
    let human = std::thread::spawn(move || {
        let asked = provider.ledger().request(&cid, &rid).unwrap();
        provider.approve(&asked).unwrap();
    });
    let result = sync
        .wait(&ticket.conversation_id, &ticket.request_id)
        .unwrap();
    human.join().unwrap();
    assert_eq!(result.status, Status::Approved);
    assert!(sync
        .cancel_request(&ticket.conversation_id, &ticket.request_id)
        .is_ok());
}

#[test]
fn deadlines_run_on_the_facade_runtime() {
    let provider = Arc::new(InProcessProvider::new("nobody"));
    let sync = SyncManager::new(Manager::with_provider(provider).unwrap()).unwrap();
    let result = sync
        .request_and_wait(LoopRequest::information(LoopRequest::message_context("?")).timeout(1))
        .unwrap();
    assert_eq!(result.status, Status::Expired);
}

#[tokio::test]
async fn refuses_inside_a_runtime() {
    let provider = Arc::new(InProcessProvider::new("human"));
    let sync = SyncManager::new(Manager::with_provider(provider).unwrap()).unwrap();
    let err = sync
        .request_and_wait(LoopRequest::approval(LoopRequest::message_context("x")))
        .unwrap_err();
    assert_eq!(err, Error::InsideAsyncRuntime);
    // Dropping a runtime inside another would panic; hand it to a plain thread.
    std::thread::spawn(move || drop(sync)).join().unwrap();
}
