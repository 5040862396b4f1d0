//! [`ApprovalRequired`]: one tool asking before each call, without the hook.

mod common;

use common::*;
use gohumanloop::model::call_hash;
use gohumanloop::{Answer, Status};
use gohumanloop_rig::{Gate, StopOnAbort};
use rig_agent::agent::AgentBuilder;
use rig_agent::completion::PromptError;
use serde_json::json;

fn wrapped_agent(
    gate: &Gate,
    model: &rig_core::test_utils::MockCompletionModel,
    delete: &DeleteFile,
) -> rig_agent::Agent {
    AgentBuilder::new(model.clone())
        .tool(gate.wrap(delete.clone()))
        .default_max_turns(5)
        .build()
}

#[tokio::test]
async fn the_wrapper_runs_approved_and_edited_calls_and_refuses_rejected_ones() {
    let (provider, interrupts) = in_process();
    let gate = Gate::new(interrupts);
    let delete = DeleteFile::default();

    human(&provider, 1, |_| Answer::approved());
    let model = deletes("/tmp/a");
    let response = wrapped_agent(&gate, &model, &delete)
        .prompt("go")
        .await
        .unwrap();
    assert_eq!(response.output(), "done");
    assert_eq!(tool_results_seen(&model), vec!["deleted /tmp/a"]);

    let edited = json!({"path": "/tmp/b"});
    let bound = json!({"arguments": edited, "call_hash": call_hash("delete_file", &edited)});
    human(&provider, 1, move |_| {
        Answer::approved().response(bound.clone())
    });
    let model = deletes("/");
    wrapped_agent(&gate, &model, &delete)
        .prompt("go")
        .await
        .unwrap();
    assert_eq!(tool_results_seen(&model), vec!["deleted /tmp/b"]);

    human(&provider, 1, |_| Answer::rejected("not today"));
    let model = deletes("/tmp/c");
    wrapped_agent(&gate, &model, &delete)
        .prompt("go")
        .await
        .unwrap();
    assert!(tool_results_seen(&model)[0].contains("not today"));

    // An approval renaming the tool is refused by the wrapper too.
    human(&provider, 1, |_| {
        Answer::approved().response(json!({"tool": "rm_rf"}))
    });
    let model = deletes("/tmp/d");
    wrapped_agent(&gate, &model, &delete)
        .prompt("go")
        .await
        .unwrap();
    assert!(tool_results_seen(&model)[0].contains("cannot change which tool runs"));

    assert_eq!(
        *delete.calls.lock().unwrap(),
        vec![json!({"path": "/tmp/a"}), edited],
        "only the approved calls ran"
    );
}

#[tokio::test]
async fn an_abort_through_the_wrapper_stops_the_run_with_stop_on_abort() {
    let (provider, interrupts) = in_process();
    let gate = Gate::new(interrupts);
    let delete = DeleteFile::default();

    // Without the hook, rig hands the cancelled call to the model and goes on.
    human(&provider, 1, |_| Answer::new(Status::Cancelled));
    let model = deletes("/");
    let response = wrapped_agent(&gate, &model, &delete)
        .prompt("go")
        .await
        .unwrap();
    assert_eq!(response.output(), "done");

    human(&provider, 1, |_| Answer::new(Status::Cancelled).by("ops"));
    let model = deletes("/");
    let error = wrapped_agent(&gate, &model, &delete)
        .prompt("go")
        .add_hook(StopOnAbort)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PromptError::Cancelled { reason, .. } if reason.contains("cancelled by ops")),
        "{error}"
    );
    assert_eq!(model.request_count(), 1);
    assert!(delete.calls.lock().unwrap().is_empty());
}
