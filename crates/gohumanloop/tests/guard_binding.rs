//! Guards bind an approval to the call it is for (`call_hash`), run the approver's edited
//! arguments, and say when the hub's policy decided.

use std::sync::{Arc, Mutex};

use gohumanloop::guard::{approved_arguments, Guard, GuardError};
use gohumanloop::model::{call_hash, HumanLoopRequest, Status};
use gohumanloop::{Answer, InProcessProvider, Manager};
use serde_json::{json, Value};

/// A guard whose provider answers every request with `answer`.
fn guard_answering(answer: impl Fn(&HumanLoopRequest) -> Answer + Send + Sync + 'static) -> Guard {
    let provider = InProcessProvider::answering("scripted", answer);
    Guard::new(Manager::with_provider(Arc::new(provider)).expect("a manager"))
}

/// Asks to run `pay` with `asked`; the arguments of every run (at most one) and the outcome.
async fn pay(guard: &Guard, asked: Value) -> (Vec<Value>, Result<Status, GuardError>) {
    let runs = Arc::new(Mutex::new(Vec::new()));
    let outcome = guard
        .require_approval("pay", asked.clone(), {
            let runs = runs.clone();
            |approval| async move {
                runs.lock()
                    .unwrap()
                    .push(approved_arguments(&approval, &asked));
                approval.status
            }
        })
        .await;
    let runs = runs.lock().unwrap().clone();
    (runs, outcome)
}

#[tokio::test]
async fn an_approval_bound_to_this_call_runs_it_once() {
    let asked = json!({"to": "acme", "amount": 10});
    // The hub hashes the arguments as it received them; key order does not matter.
    let hash = call_hash("pay", &json!({"amount": 10, "to": "acme"}));
    let guard = guard_answering(move |_| {
        Answer::approved()
            .response(json!({"decision": "approved", "reason": "ok", "call_hash": hash}))
            .by("alice")
    });
    let (runs, outcome) = pay(&guard, asked.clone()).await;
    assert_eq!(outcome.unwrap(), Status::Approved);
    assert_eq!(runs, vec![asked]);
}

#[tokio::test]
async fn an_approval_of_other_arguments_does_not_run() {
    let other = call_hash("pay", &json!({"to": "acme", "amount": 10_000}));
    let guard = guard_answering({
        let other = other.clone();
        move |_| Answer::approved().response(json!({"decision": "approved", "call_hash": other}))
    });
    let (runs, outcome) = pay(&guard, json!({"to": "acme", "amount": 10})).await;
    assert!(runs.is_empty(), "the call ran: {runs:?}");
    let err = outcome.unwrap_err();
    match &err {
        GuardError::NotBound { function, result } => {
            assert_eq!(function, "pay");
            assert_eq!(result.status, Status::Approved);
        }
        other => panic!("expected NotBound, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("approval of pay is for other arguments")
            && message.contains(&other)
            && message.contains("refusing to run"),
        "{message}"
    );
    assert!(err.result().is_some());
    assert_eq!(err.decided_by_policy(), None);
}

#[tokio::test]
async fn an_approval_with_edited_arguments_runs_the_edited_ones() {
    let asked = json!({"to": "acme", "amount": 10_000});
    let edited = json!({"to": "acme", "amount": 100});
    let guard = guard_answering({
        let edited = edited.clone();
        move |_| {
            Answer::approved().response(json!({
                "decision": "approved", "reason": "capped",
                "arguments": edited, "edited": true, "edited_keys": ["amount"],
                "call_hash": call_hash("pay", &edited),
            }))
        }
    });
    let (runs, outcome) = pay(&guard, asked).await;
    assert_eq!(outcome.unwrap(), Status::Approved);
    assert_eq!(runs, vec![edited]);
}

#[tokio::test]
async fn edited_arguments_with_the_hash_of_the_original_ones_do_not_run() {
    let asked = json!({"to": "acme", "amount": 10_000});
    let guard = guard_answering({
        let asked = asked.clone();
        move |_| {
            Answer::approved().response(json!({
                "decision": "approved", "arguments": {"to": "mallory", "amount": 10_000},
                "edited": true, "call_hash": call_hash("pay", &asked),
            }))
        }
    });
    let (runs, outcome) = pay(&guard, asked).await;
    assert!(runs.is_empty(), "the call ran: {runs:?}");
    assert!(matches!(outcome, Err(GuardError::NotBound { .. })));
}

#[tokio::test]
async fn an_approval_without_call_hash_runs_as_before() {
    let asked = json!({"to": "acme", "amount": 10});
    let guard = guard_answering(|_| Answer::approved().by("terminal"));
    let (runs, outcome) = pay(&guard, asked.clone()).await;
    assert_eq!(outcome.unwrap(), Status::Approved);
    assert_eq!(runs, vec![asked]);
}

#[tokio::test]
async fn a_policy_rejection_at_the_deadline_says_so() {
    // The hub's words, and a response that leaves the reason out: both say it.
    for response in [
        json!({"decision": "rejected", "decided_by": "policy", "rule": "large-payments",
               "when": "at_deadline",
               "reason": "rejected by policy at the deadline (rule large-payments)"}),
        json!({"decision": "rejected", "decided_by": "policy", "rule": "large-payments",
               "when": "at_deadline"}),
    ] {
        let guard = guard_answering(move |_| {
            Answer::new(Status::Rejected)
                .response(response.clone())
                .by("policy:large-payments")
        });
        let (runs, outcome) = pay(&guard, json!({"to": "acme", "amount": 10_000})).await;
        assert!(runs.is_empty(), "the call ran: {runs:?}");
        let err = outcome.unwrap_err();
        match &err {
            GuardError::Rejected { reason, .. } => assert_eq!(
                reason,
                "rejected by policy at the deadline (rule large-payments)"
            ),
            other => panic!("expected Rejected, got {other:?}"),
        }
        assert!(
            err.to_string()
                .contains("rejected by policy at the deadline (rule large-payments)"),
            "{err}"
        );
        assert_eq!(err.decided_by_policy(), Some("large-payments"));
    }
}

#[tokio::test]
async fn a_human_rejection_is_not_a_policy_one() {
    let guard = guard_answering(|_| Answer::rejected("not on a Friday").by("alice"));
    let (runs, outcome) = pay(&guard, json!({})).await;
    assert!(runs.is_empty());
    let err = outcome.unwrap_err();
    assert_eq!(err.decided_by_policy(), None);
    assert_eq!(
        err.to_string(),
        "Function pay execution not approved: not on a Friday"
    );
}
