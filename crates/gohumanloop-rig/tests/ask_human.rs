//! `ask_human`: the model asks a human for what it lacks, mid-run.

mod common;

use common::*;
use gohumanloop::{Answer, LoopType, Status};
use gohumanloop_rig::{Gate, StopOnAbort};
use rig_agent::agent::AgentBuilder;
use rig_agent::completion::PromptError;
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use serde_json::json;

fn asks() -> MockCompletionModel {
    MockCompletionModel::from_turns([
        MockTurn::tool_call(
            "q1",
            "ask_human",
            json!({"question": "Which environment?", "context": "staging and prod exist"}),
        ),
        MockTurn::text("ok"),
    ])
}

#[tokio::test]
async fn the_model_gets_the_humans_answer_or_why_there_is_none() {
    let (provider, interrupts) = in_process();
    let gate = Gate::new(interrupts);
    let build = |model: &MockCompletionModel| {
        AgentBuilder::new(model.clone())
            .tool(gate.ask_human())
            .default_max_turns(3)
            .build()
    };

    // The gate's hook (every call gated) does not gate `ask_human`: the one request is the
    // question itself.
    let human = human(&provider, 1, |_| Answer::completed("staging"));
    let model = asks();
    build(&model)
        .prompt("deploy")
        .add_hook(gate.hook())
        .await
        .unwrap();
    assert!(provider.pending().is_empty());
    assert_eq!(tool_results_seen(&model), vec!["staging"]);
    let asked = human.await.unwrap();
    assert_eq!(asked[0].loop_type, LoopType::Information);
    assert_eq!(asked[0].context["question"], "Which environment?");
    assert_eq!(asked[0].context["additional"], "staging and prod exist");

    common::human(&provider, 1, |_| {
        Answer::rejected("ask the release manager")
    });
    let model = asks();
    build(&model).prompt("deploy").await.unwrap();
    assert!(tool_results_seen(&model)[0].contains("declined to answer: ask the release manager"));

    common::human(&provider, 1, |_| Answer::new(Status::Cancelled));
    let model = asks();
    let error = build(&model)
        .prompt("deploy")
        .add_hook(StopOnAbort)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PromptError::Cancelled { reason, .. } if reason.contains("cancelled")),
        "{error}"
    );
}
