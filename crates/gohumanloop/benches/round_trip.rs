//! One request → answer → result through the manager with the in-process provider.
//! Target: < 10 µs per round trip (DESIGN.md). Run: `cargo bench -p gohumanloop`.

// criterion's macros define public functions without documentation.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use gohumanloop::{Answer, InProcessProvider, LoopRequest, Manager, Status};

fn round_trip(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let context = LoopRequest::message_context("May I restart the service?");

    // The program answers each request by hand: request, approve, wait, forget.
    let provider = Arc::new(InProcessProvider::new("human"));
    let manager = Manager::with_provider(provider.clone()).unwrap();
    c.bench_function("request_approve_wait", |b| {
        b.to_async(&runtime).iter(|| async {
            let ticket = manager
                .request(LoopRequest::approval(context.clone()))
                .await
                .unwrap();
            let asked = provider
                .ledger()
                .request(&ticket.conversation_id, &ticket.request_id)
                .unwrap();
            provider.approve(&asked).unwrap();
            let result = manager
                .wait(&ticket.conversation_id, &ticket.request_id)
                .await
                .unwrap();
            assert_eq!(result.status, Status::Approved);
            manager.forget_conversation(&ticket.conversation_id).await;
        })
    });

    // A provider that answers on delivery: the blocking form in one call.
    let auto = Arc::new(InProcessProvider::answering("auto", |_| Answer::approved()));
    let manager = Manager::with_provider(auto).unwrap();
    c.bench_function("request_and_wait_auto", |b| {
        b.to_async(&runtime).iter(|| async {
            let result = manager
                .request_and_wait(LoopRequest::approval(context.clone()).conversation_id("c"))
                .await
                .unwrap();
            assert_eq!(result.status, Status::Approved);
            manager.forget_conversation("c").await;
        })
    });
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
