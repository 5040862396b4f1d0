//! Guards: every branch of require_approval, require_info and the conversation helper.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gohumanloop::guard::{Guard, GuardError, APPROVAL_QUESTION, INFO_QUESTION};
use gohumanloop::model::{HumanLoopRequest, Status};
use gohumanloop::{Answer, InProcessProvider, Manager};
use serde_json::json;

/// A guard whose provider answers every request with `answer`; returns it and the asked requests.
fn guard_answering(
    answer: impl Fn(&HumanLoopRequest) -> Answer + Send + Sync + 'static,
) -> (Guard, Arc<std::sync::Mutex<Vec<HumanLoopRequest>>>) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let provider = InProcessProvider::answering("auto", {
        let seen = seen.clone();
        move |r| {
            seen.lock().unwrap().push(r.clone());
            answer(r)
        }
    });
    let manager = Manager::with_provider(Arc::new(provider)).unwrap();
    (Guard::new(manager), seen)
}

#[tokio::test]
async fn approved_runs_the_call_with_the_outcome_and_sends_the_function() {
    let (guard, seen) = guard_answering(|_| Answer::approved().by("alice"));
    let guard = guard.additional("prod cluster");
    let out = guard
        .require_approval(
            "delete_files",
            json!({"path": "/tmp/x", "recursive": true}),
            |approval| async move { (approval.status, approval.responded_by) },
        )
        .await
        .unwrap();
    assert_eq!(out, (Status::Approved, Some("alice".into())));
    let asked = seen.lock().unwrap()[0].clone();
    assert_eq!(asked.context["question"], json!(APPROVAL_QUESTION));
    assert_eq!(asked.context["additional"], json!("prod cluster"));
    assert_eq!(
        asked.context["function"],
        json!({"function_name": "delete_files", "arguments": {"path": "/tmp/x", "recursive": true}})
    );
    let message = asked.context["message"].as_str().unwrap();
    assert!(
        message.contains("delete_files") && message.contains("\"/tmp/x\""),
        "{message}"
    );
}

#[tokio::test]
async fn rejected_does_not_run_and_carries_the_reason() {
    let (guard, _) = guard_answering(|_| Answer::rejected("not on a Friday"));
    let ran = AtomicUsize::new(0);
    let err = guard
        .require_approval("deploy", json!({}), |_| async {
            ran.fetch_add(1, Ordering::SeqCst)
        })
        .await
        .unwrap_err();
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    match &err {
        GuardError::Rejected {
            function,
            reason,
            result,
        } => {
            assert_eq!(
                (function.as_str(), reason.as_str()),
                ("deploy", "not on a Friday")
            );
            assert_eq!(result.status, Status::Rejected);
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "Function deploy execution not approved: not on a Friday"
    );
}

#[tokio::test]
async fn execute_on_reject_runs_anyway_with_the_rejection() {
    let (guard, _) = guard_answering(|_| Answer::rejected("fine, but log it"));
    let guard = guard.execute_on_reject(true);
    let seen = guard
        .require_approval(
            "deploy",
            json!({}),
            |r| async move { (r.status, r.response) },
        )
        .await
        .unwrap();
    assert_eq!(seen, (Status::Rejected, json!("fine, but log it")));
}

#[tokio::test]
async fn other_statuses_are_errors_naming_the_status() {
    for (answer, status) in [
        (Answer::new(Status::Cancelled), Status::Cancelled),
        (Answer::error("mail server down"), Status::Error),
        // An approval never becomes `completed` or `inprogress`: the ledger refuses such an
        // answer, and the guard reports the refusal as an error.
        (Answer::completed("huh"), Status::Error),
        (Answer::in_progress("?"), Status::Error),
    ] {
        let (guard, _) = guard_answering(move |_| answer.clone());
        let guard = guard.execute_on_reject(true);
        let err = guard
            .require_approval("f", json!([]), |_| async {})
            .await
            .unwrap_err();
        assert!(
            matches!(&err, GuardError::NotApproved { result, .. } if result.status == status),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("Approval error for f: approval status: {status}")),
            "{err}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_approval_expires_into_an_error() {
    let provider = Arc::new(InProcessProvider::new("nobody"));
    let guard = Guard::new(Manager::with_provider(provider).unwrap()).timeout(60);
    let err = guard
        .require_approval("f", json!({}), |_| async {})
        .await
        .unwrap_err();
    assert_eq!(err.result().map(|r| r.status), Some(Status::Expired));
    assert_eq!(
        err.to_string(),
        "Approval error for f: approval status: expired and Request timed out"
    );
}

#[tokio::test]
async fn require_info_hands_the_answer_to_the_call() {
    let (guard, seen) = guard_answering(|_| Answer::completed("42"));
    let answer = guard
        .require_info(
            "compute",
            json!({"x": 1}),
            |info| async move { info.response },
        )
        .await
        .unwrap();
    assert_eq!(answer, json!("42"));
    assert_eq!(
        seen.lock().unwrap()[0].context["question"],
        json!(INFO_QUESTION)
    );

    let (guard, _) = guard_answering(|_| Answer::new(Status::Cancelled));
    let err = guard
        .require_info("compute", json!({}), |_| async {})
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Function compute information request error: cancelled"
    );
}

#[tokio::test]
async fn every_call_gets_fresh_ids_unless_they_are_set() {
    let (guard, seen) = guard_answering(|_| Answer::approved());
    for _ in 0..2 {
        guard
            .require_approval("f", json!({}), |_| async {})
            .await
            .unwrap();
    }
    let guard = guard.task_id("fixed-task").conversation_id("fixed-conv");
    guard
        .require_info("g", json!({}), |_| async {})
        .await
        .unwrap_err();
    let seen = seen.lock().unwrap();
    assert_ne!(seen[0].task_id, seen[1].task_id);
    assert_ne!(seen[0].conversation_id, seen[1].conversation_id);
    assert_eq!(
        (seen[2].task_id.as_str(), seen[2].conversation_id.as_str()),
        ("fixed-task", "fixed-conv")
    );
}

#[tokio::test]
async fn converse_loops_until_the_human_ends_it() {
    let provider = Arc::new(InProcessProvider::new("human"));
    let guard = Guard::new(Manager::with_provider(provider.clone()).unwrap());
    let human = tokio::spawn({
        let provider = provider.clone();
        async move {
            let mut said = Vec::new();
            for reply in ["one", "two"] {
                let turn = provider.next_request().await.unwrap();
                said.push(turn.context["message"].clone());
                provider.reply(&turn, reply).unwrap();
            }
            let last = provider.next_request().await.unwrap();
            said.push(last.context["message"].clone());
            provider.complete(&last, "exit").unwrap();
            said
        }
    });
    let mut n = 0;
    let transcript = guard
        .converse("hello", |reply| {
            n += 1;
            let next = format!("you said {} ({n})", reply.response_text());
            async move { Some(next) }
        })
        .await
        .unwrap();
    let said = human.await.unwrap();
    assert_eq!(
        said,
        [
            json!("hello"),
            json!("you said one (1)"),
            json!("you said two (2)")
        ]
    );
    let statuses: Vec<Status> = transcript.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Status::InProgress, Status::InProgress, Status::Completed]
    );
    assert!(
        transcript
            .iter()
            .all(|r| r.conversation_id == transcript[0].conversation_id),
        "one conversation"
    );
}

#[tokio::test]
async fn converse_stops_when_the_agent_has_nothing_more_and_reports_broken_turns() {
    let (guard, _) = guard_answering(|_| Answer::in_progress("go on"));
    let transcript = guard.converse("hi", |_| async { None }).await.unwrap();
    assert_eq!(transcript.len(), 1);

    let (guard, _) = guard_answering(|_| Answer::new(Status::Cancelled));
    let err = guard
        .converse("hi", |_| async { Some("more".to_string()) })
        .await
        .unwrap_err();
    match err {
        GuardError::ConversationBroken { transcript, result } => {
            assert_eq!(result.status, Status::Cancelled);
            assert_eq!(transcript.len(), 1);
        }
        other => panic!("expected ConversationBroken, got {other:?}"),
    }
}
