//! Every outcome of a gated tool call, through rig's real agent loop with a scripted model and
//! a human answering through the in-process provider.

mod common;

use common::*;
use gohumanloop::model::call_hash;
use gohumanloop::{Answer, Status};
use gohumanloop_rig::{Gate, GateError, Gated, OnExpiry, Outcome};
use rig_agent::completion::PromptError;
use rig_core::message::AssistantContent;
use rig_core::message::{ToolCall, ToolFunction, ToolName};
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use serde_json::json;

fn gate(interrupts: gohumanloop::interrupt::Interrupts) -> Gate {
    Gate::new(interrupts).gated(Gated::all().read_only(["list_files"]))
}

#[tokio::test]
async fn an_approved_call_runs_and_the_human_saw_the_call() {
    let (provider, interrupts) = in_process();
    let (delete, list, model) = (
        DeleteFile::default(),
        ListFiles::default(),
        deletes("/tmp/a"),
    );
    let human = human(&provider, 1, |_| Answer::approved());
    let response = agent(&model, &delete, &list)
        .prompt("remove /tmp/a")
        .add_hook(gate(interrupts).hook())
        .await
        .unwrap();
    assert_eq!(response.output(), "done");
    assert_eq!(
        *delete.calls.lock().unwrap(),
        vec![json!({"path": "/tmp/a"})]
    );
    let asked = human.await.unwrap();
    let function = &asked[0].context["function"];
    assert_eq!(function["function_name"], "delete_file");
    assert_eq!(function["arguments"], json!({"path": "/tmp/a"}));
    assert_eq!(tool_results_seen(&model), vec!["deleted /tmp/a"]);
}

#[tokio::test]
async fn an_edited_approval_runs_the_call_with_the_edited_arguments() {
    let (provider, interrupts) = in_process();
    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/"));
    let edited = json!({"path": "/tmp/only-this"});
    let bound = json!({"arguments": edited, "call_hash": call_hash("delete_file", &edited)});
    human(&provider, 1, move |_| {
        Answer::approved().response(bound.clone())
    });
    agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate(interrupts).hook())
        .await
        .unwrap();
    assert_eq!(*delete.calls.lock().unwrap(), vec![edited]);
    assert_eq!(tool_results_seen(&model), vec!["deleted /tmp/only-this"]);
}

#[tokio::test]
async fn a_rejected_call_is_skipped_and_the_model_sees_the_reason() {
    let (provider, interrupts) = in_process();
    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/etc"));
    human(&provider, 1, |_| Answer::rejected("never touch /etc"));
    let response = agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate(interrupts).hook())
        .await
        .unwrap();
    assert_eq!(response.output(), "done", "the run goes on");
    assert!(delete.calls.lock().unwrap().is_empty());
    let seen = tool_results_seen(&model);
    assert_eq!(seen.len(), 1);
    assert!(seen[0].contains("never touch /etc"), "{seen:?}");
}

#[tokio::test]
async fn a_cancelled_request_aborts_the_run_with_a_clear_error() {
    let (provider, interrupts) = in_process();
    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/"));
    human(&provider, 1, |_| {
        Answer::new(Status::Cancelled).by("ops@example.com")
    });
    let error = agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate(interrupts).hook())
        .await
        .unwrap_err();
    let PromptError::Cancelled { reason, .. } = &error else {
        panic!("the run stops: {error}")
    };
    assert!(reason.contains("cancelled by ops@example.com"), "{reason}");
    assert!(delete.calls.lock().unwrap().is_empty());
    assert_eq!(model.request_count(), 1, "the model is not asked again");
}

#[tokio::test(start_paused = true)]
async fn an_expired_request_skips_the_call_or_aborts_as_configured() {
    let (_provider, interrupts) = in_process();
    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/"));
    // Nobody answers: the provider expires the request after 30 s (the test's clock).
    let response = agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate(interrupts.clone()).timeout(30).hook())
        .await
        .unwrap();
    assert_eq!(response.output(), "done");
    assert!(delete.calls.lock().unwrap().is_empty());
    assert!(tool_results_seen(&model)[0].contains("expired"));

    let model = deletes("/");
    let error = agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(
            gate(interrupts)
                .timeout(30)
                .on_expiry(OnExpiry::Abort)
                .hook(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PromptError::Cancelled { reason, .. } if reason.contains("expired")),
        "{error}"
    );
    assert!(delete.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_approval_that_changes_the_tool_is_refused() {
    let (provider, interrupts) = in_process();
    let (delete, list, model) = (
        DeleteFile::default(),
        ListFiles::default(),
        deletes("/tmp/a"),
    );
    human(&provider, 1, |_| {
        Answer::approved().response(json!({"function_name": "list_files", "arguments": {}}))
    });
    agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate(interrupts).hook())
        .await
        .unwrap();
    assert!(delete.calls.lock().unwrap().is_empty());
    assert!(
        list.calls.lock().unwrap().is_empty(),
        "nor does the other tool run"
    );
    assert!(tool_results_seen(&model)[0].contains("cannot change which tool runs"));
}

#[tokio::test]
async fn read_only_and_ungated_tools_pass_without_asking() {
    let (provider, interrupts) = in_process();
    let (delete, list) = (DeleteFile::default(), ListFiles::default());
    let model = MockCompletionModel::from_turns([
        MockTurn::tool_call("c1", "list_files", json!({})),
        MockTurn::text("done"),
    ]);
    agent(&model, &delete, &list)
        .prompt("what is there?")
        .add_hook(gate(interrupts.clone()).hook())
        .await
        .unwrap();
    assert_eq!(list.calls.lock().unwrap().len(), 1);
    // By name: delete_file is not named, so it runs unasked; by predicate likewise.
    for gated in [
        Gated::named(["pay"]),
        Gated::matching(|_, args| args["path"] == "/"),
    ] {
        let model = deletes("/tmp/x");
        agent(&model, &delete, &list)
            .prompt("clean up")
            .add_hook(Gate::new(interrupts.clone()).gated(gated).hook())
            .await
            .unwrap();
    }
    assert_eq!(delete.calls.lock().unwrap().len(), 2);
    assert!(provider.pending().is_empty(), "nobody was asked");
}

/// A batch of two calls: both are put to the human before either runs; one approved, one
/// rejected; and an abort of one stops the whole batch before anything of it ran.
#[tokio::test]
async fn a_batch_is_asked_at_once_and_an_abort_stops_all_of_it() {
    let batch = || {
        let call = |id: &str, path: &str| {
            AssistantContent::ToolCall(ToolCall::from_wire(
                id,
                ToolFunction::new(ToolName::new("delete_file").unwrap(), json!({"path": path})),
            ))
        };
        MockCompletionModel::from_turns([
            MockTurn::from_contents([call("c1", "/tmp/a"), call("c2", "/tmp/b")]),
            MockTurn::text("done"),
        ])
    };
    let (provider, interrupts) = in_process();
    let (delete, list) = (DeleteFile::default(), ListFiles::default());
    let provider_seen = provider.clone();
    let human = tokio::spawn(async move {
        let first = provider_seen.next_request().await.unwrap();
        let second = provider_seen.next_request().await.unwrap();
        // Both are open at once: nothing ran yet.
        assert_eq!(provider_seen.pending().len(), 2);
        provider_seen.answer(&first, Answer::approved()).unwrap();
        provider_seen
            .answer(&second, Answer::rejected("keep b"))
            .unwrap();
    });
    let model = batch();
    agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate(interrupts.clone()).hook())
        .await
        .unwrap();
    human.await.unwrap();
    assert_eq!(
        *delete.calls.lock().unwrap(),
        vec![json!({"path": "/tmp/a"})]
    );

    // The first call's request is cancelled: the run stops without waiting for the second.
    let delete = DeleteFile::default();
    common::human(&provider, 1, |_| Answer::new(Status::Cancelled));
    let model = batch();
    let error = agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate(interrupts).hook())
        .await
        .unwrap_err();
    assert!(matches!(error, PromptError::Cancelled { .. }));
    assert!(
        delete.calls.lock().unwrap().is_empty(),
        "the approved call did not run either"
    );
}

/// Through [`Gate::run`], an abort is a [`GateError::Aborted`]; a finished run its response.
#[tokio::test]
async fn gate_run_reports_a_finished_run_and_an_abort() {
    let (provider, interrupts) = in_process();
    let (delete, list) = (DeleteFile::default(), ListFiles::default());
    human(&provider, 1, |_| Answer::approved());
    let model = deletes("/tmp/a");
    let agent_a = agent(&model, &delete, &list);
    let outcome = gate(interrupts.clone())
        .run(&agent_a, agent_a.prompt("clean up"))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Finished(r) if r.output() == "done"));

    human(&provider, 1, |_| {
        Answer::error("the approver's channel is down")
    });
    let model = deletes("/tmp/a");
    let agent_b = agent(&model, &delete, &list);
    let error = gate(interrupts)
        .run(&agent_b, agent_b.prompt("clean up"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, GateError::Aborted(why) if why.contains("channel is down")),
        "{error}"
    );
    assert_eq!(delete.calls.lock().unwrap().len(), 1);
}
