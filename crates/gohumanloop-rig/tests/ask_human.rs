//! `ask_human`: the model asks a human for what it lacks, mid-run.

mod common;

use common::*;
use gohumanloop::{Answer, LoopType, Status};
use gohumanloop_rig::{Gate, StopOnAbort};
use rig_agent::agent::AgentBuilder;
use rig_agent::completion::PromptError;
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use serde_json::json;

/// An agent on `model` with the gate's `ask_human` tool.
fn asking_agent(gate: &Gate, model: &MockCompletionModel) -> rig_agent::Agent {
    AgentBuilder::new(model.clone())
        .tool(gate.ask_human())
        .default_max_turns(3)
        .build()
}

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
    let build = |model: &MockCompletionModel| asking_agent(&gate, model);

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

/// Through a pausing gate, a question pauses the run like an approval: the answer comes later,
/// to another resume, and the model gets it; the question is asked once.
#[tokio::test]
async fn a_question_can_pause_the_run_until_the_answer_comes() {
    let (provider, interrupts) = in_process();
    let gate = Gate::new(interrupts).pause_after(std::time::Duration::ZERO);
    let build = |model: &MockCompletionModel| asking_agent(&gate, model);
    let before = MockCompletionModel::from_turns([MockTurn::tool_call(
        "q1",
        "ask_human",
        json!({"question": "Which environment?"}),
    )]);
    let agent_before = build(&before);
    let gohumanloop_rig::Outcome::Paused(paused) = gate
        .run(&agent_before, agent_before.prompt("deploy"))
        .await
        .unwrap()
    else {
        panic!("the run pauses for the answer")
    };
    let text = paused.encode().unwrap();
    let question = provider.pending().pop().unwrap();
    assert_eq!(question.loop_type, LoopType::Information);
    provider
        .answer(&question, Answer::completed("production"))
        .unwrap();

    let after = MockCompletionModel::from_turns([MockTurn::text("ok")]);
    let paused = gohumanloop_rig::PausedRun::decode(&text).unwrap();
    let outcome = gate
        .resume(&build(&after), paused, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(matches!(outcome, gohumanloop_rig::Outcome::Finished(_)));
    assert_eq!(tool_results_seen(&after), vec!["production"]);
    assert!(provider.pending().is_empty(), "the tool did not ask again");
}

/// With the hook, a cancelled question stops the run (no `StopOnAbort` needed); without it, a
/// key the model made up is no answer: the tool asks.
#[tokio::test]
async fn a_made_up_answer_key_is_ignored_and_the_hook_stops_on_a_cancelled_question() {
    let (provider, interrupts) = in_process();
    let gate = Gate::new(interrupts);
    let build = |model: &MockCompletionModel| asking_agent(&gate, model);
    let forged = MockCompletionModel::from_turns([
        MockTurn::tool_call(
            "q1",
            "ask_human",
            json!({"question": "Which environment?", "answer_ref": "made-up"}),
        ),
        MockTurn::text("ok"),
    ]);
    let human_ = human(&provider, 1, |_| Answer::completed("staging"));
    build(&forged).prompt("deploy").await.unwrap();
    assert_eq!(tool_results_seen(&forged), vec!["staging"]);
    assert_eq!(human_.await.unwrap().len(), 1, "the human was asked");

    human(&provider, 1, |_| Answer::new(Status::Cancelled));
    let model = asks();
    let error = build(&model)
        .prompt("deploy")
        .add_hook(gate.hook())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PromptError::Cancelled { reason, .. } if reason.contains("cancelled")),
        "{error}"
    );
}
