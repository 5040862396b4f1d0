//! A gate that pauses: the run stops at a gated batch, is saved as text, and resumes once the
//! human answered — the batch runs once; a second resume runs nothing.

mod common;

use std::time::Duration;

use common::*;
use gohumanloop::{Answer, Status};
use gohumanloop_rig::{Gate, GateError, Gated, Outcome, PausedRun};
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use serde_json::json;

fn pausing(interrupts: gohumanloop::interrupt::Interrupts) -> Gate {
    Gate::new(interrupts)
        .gated(Gated::named(["delete_file"]))
        .pause_after(Duration::ZERO)
}

#[tokio::test]
async fn a_paused_run_resumes_once_after_the_answer() {
    let (provider, interrupts) = in_process();
    let (delete, list) = (DeleteFile::default(), ListFiles::default());
    // Before the pause the model lists, then deletes; after it, it says "done".
    let before = MockCompletionModel::from_turns([
        MockTurn::tool_call("c1", "list_files", json!({})),
        MockTurn::tool_call("c2", "delete_file", json!({"path": "/tmp/a"})),
    ]);
    let agent_before = agent(&before, &delete, &list);
    let gate = pausing(interrupts);
    let Outcome::Paused(paused) = gate
        .run(&agent_before, agent_before.prompt("clean up"))
        .await
        .unwrap()
    else {
        panic!("the run pauses at delete_file")
    };
    assert_eq!(
        list.calls.lock().unwrap().len(),
        1,
        "the read-only turn ran"
    );
    assert!(
        delete.calls.lock().unwrap().is_empty(),
        "the gated call waits"
    );
    assert_eq!(paused.asked().len(), 1);
    assert_eq!(paused.asked()[0].tool, "delete_file");
    let saved = paused.encode().unwrap();

    // Not answered yet: a resume is still paused, and claims nothing.
    let after = MockCompletionModel::from_turns([MockTurn::text("done")]);
    let agent_after = agent(&after, &delete, &list);
    let still = gate
        .resume(
            &agent_after,
            PausedRun::decode(&saved).unwrap(),
            Duration::ZERO,
        )
        .await
        .unwrap();
    assert!(matches!(still, Outcome::Paused(_)));
    assert_eq!(after.request_count(), 0);

    let request = provider.pending().pop().unwrap();
    provider.answer(&request, Answer::approved()).unwrap();
    let Outcome::Finished(response) = gate
        .resume(
            &agent_after,
            PausedRun::decode(&saved).unwrap(),
            Duration::ZERO,
        )
        .await
        .unwrap()
    else {
        panic!("the resumed run finishes")
    };
    assert_eq!(response.output(), "done");
    assert_eq!(
        *delete.calls.lock().unwrap(),
        vec![json!({"path": "/tmp/a"})]
    );
    // The model's last request carries the whole run: the listing and the deletion.
    assert_eq!(
        tool_results_seen(&after),
        vec!["a.txt b.txt", "deleted /tmp/a"]
    );

    // The same saved run again: nothing runs.
    let again = MockCompletionModel::from_turns([MockTurn::text("done")]);
    let error = gate
        .resume(
            &agent(&again, &delete, &list),
            PausedRun::decode(&saved).unwrap(),
            Duration::ZERO,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, GateError::AlreadyResumed { .. }), "{error}");
    assert_eq!(delete.calls.lock().unwrap().len(), 1);
    assert_eq!(again.request_count(), 0);
}

#[tokio::test]
async fn a_resumed_batch_applies_each_answer_and_an_abort_runs_nothing() {
    let batch = || {
        MockCompletionModel::from_turns([MockTurn::from_contents([
            rig_core::message::AssistantContent::ToolCall(rig_core::message::ToolCall::from_wire(
                "c1",
                rig_core::message::ToolFunction::new(
                    rig_core::message::ToolName::new("delete_file").unwrap(),
                    json!({"path": "/tmp/a"}),
                ),
            )),
            rig_core::message::AssistantContent::ToolCall(rig_core::message::ToolCall::from_wire(
                "c2",
                rig_core::message::ToolFunction::new(
                    rig_core::message::ToolName::new("delete_file").unwrap(),
                    json!({"path": "/tmp/b"}),
                ),
            )),
        ])])
    };
    for abort in [false, true] {
        let (provider, interrupts) = in_process();
        let (delete, list) = (DeleteFile::default(), ListFiles::default());
        let gate = pausing(interrupts);
        let model = batch();
        let agent_before = agent(&model, &delete, &list);
        let Outcome::Paused(paused) = gate
            .run(&agent_before, agent_before.prompt("go"))
            .await
            .unwrap()
        else {
            panic!("paused")
        };
        assert_eq!(paused.asked().len(), 2, "both calls wait");
        for request in provider.pending() {
            let b = request.context["function"]["arguments"]["path"] == "/tmp/b";
            let answer = match (b, abort) {
                (false, _) => Answer::approved(),
                (true, false) => Answer::rejected("keep b"),
                (true, true) => Answer::new(Status::Cancelled),
            };
            provider.answer(&request, answer).unwrap();
        }
        let after = MockCompletionModel::from_turns([MockTurn::text("done")]);
        let outcome = gate
            .resume(&agent(&after, &delete, &list), *paused, Duration::ZERO)
            .await;
        if abort {
            assert!(matches!(outcome, Err(GateError::Aborted(_))), "{outcome:?}");
            assert!(delete.calls.lock().unwrap().is_empty());
        } else {
            assert!(matches!(outcome, Ok(Outcome::Finished(_))), "{outcome:?}");
            assert_eq!(
                *delete.calls.lock().unwrap(),
                vec![json!({"path": "/tmp/a"})]
            );
            let seen = tool_results_seen(&after);
            assert!(seen[1].contains("keep b"), "{seen:?}");
        }
    }
}

#[tokio::test]
async fn an_answer_given_within_the_wait_does_not_pause() {
    let (provider, interrupts) = in_process();
    let (delete, list) = (DeleteFile::default(), ListFiles::default());
    human(&provider, 1, |_| Answer::approved());
    let model = deletes("/tmp/a");
    let agent_ = agent(&model, &delete, &list);
    let gate = Gate::new(interrupts).pause_after(Duration::from_secs(30));
    let outcome = gate.run(&agent_, agent_.prompt("go")).await.unwrap();
    assert!(matches!(outcome, Outcome::Finished(_)));
    assert_eq!(delete.calls.lock().unwrap().len(), 1);
}

#[test]
fn a_damaged_or_foreign_paused_run_is_refused_with_the_reason() {
    for (text, why) in [
        ("not json", "expected"),
        (r#"{"run": {}}"#, "missing field `format`"),
        (
            r#"{"format": 2, "run": {}, "asked": []}"#,
            "format 2 (this version reads 1)",
        ),
        (r#"{"format": 1, "extra": 1}"#, "unknown field `extra`"),
        (
            r#"{"format": 1, "run": {"format": 1}, "asked": []}"#,
            "resume refused",
        ),
    ] {
        let error = PausedRun::decode(text).unwrap_err();
        assert!(
            matches!(&error, GateError::BadPausedRun(m) if m.contains(why)),
            "{error}"
        );
    }
}

/// Only `Gate::run` pauses (it saves the run); the gate's hook on a plain run waits instead.
#[tokio::test]
async fn the_hook_of_a_pausing_gate_waits_for_the_answer() {
    let (provider, interrupts) = in_process();
    let (delete, list) = (DeleteFile::default(), ListFiles::default());
    let human = human(&provider, 1, |_| Answer::approved());
    let model = deletes("/tmp/a");
    let response = agent(&model, &delete, &list)
        .prompt("go")
        .add_hook(pausing(interrupts).hook())
        .await
        .unwrap();
    assert_eq!(response.output(), "done");
    assert_eq!(delete.calls.lock().unwrap().len(), 1);
    human.await.unwrap();
}

/// A run that pauses twice keeps count of its turns: the agent's budget holds across pauses.
#[tokio::test]
async fn a_run_paused_twice_keeps_its_turn_budget() {
    for (budget, finishes) in [(4, true), (3, false)] {
        let (provider, interrupts) = in_process();
        let (delete, list) = (DeleteFile::default(), ListFiles::default());
        let build = |model: &MockCompletionModel| {
            rig_agent::agent::AgentBuilder::new(model.clone())
                .tool(delete.clone())
                .tool(list.clone())
                .default_max_turns(budget)
                .build()
        };
        let gate = pausing(interrupts);
        let approve_all = || {
            for request in provider.pending() {
                provider.answer(&request, Answer::approved()).unwrap();
            }
        };
        // Turn 1 lists, turn 2 deletes a: the first pause.
        let first = MockCompletionModel::from_turns([
            MockTurn::tool_call("c1", "list_files", json!({})),
            MockTurn::tool_call("c2", "delete_file", json!({"path": "/tmp/a"})),
        ]);
        let agent_1 = build(&first);
        let Outcome::Paused(paused) = gate.run(&agent_1, agent_1.prompt("go")).await.unwrap()
        else {
            panic!("first pause")
        };
        assert_eq!(paused.turns_before(), 1);
        approve_all();
        // Turn 3 deletes b: the second pause.
        let second = MockCompletionModel::from_turns([MockTurn::tool_call(
            "c3",
            "delete_file",
            json!({"path": "/tmp/b"}),
        )]);
        let Outcome::Paused(paused) = gate
            .resume(&build(&second), *paused, Duration::ZERO)
            .await
            .unwrap()
        else {
            panic!("second pause")
        };
        assert_eq!(paused.turns_before(), 2);
        approve_all();
        // Turn 4 answers: within a budget of 4, past one of 3.
        let last = MockCompletionModel::from_turns([MockTurn::text("done")]);
        let outcome = gate.resume(&build(&last), *paused, Duration::ZERO).await;
        assert_eq!(delete.calls.lock().unwrap().len(), 2);
        if finishes {
            assert!(matches!(outcome, Ok(Outcome::Finished(_))), "{outcome:?}");
        } else {
            assert!(
                matches!(&outcome, Err(GateError::Run(e)) if e.to_string().contains("max turns limit of 1")),
                "{outcome:?}"
            );
            assert_eq!(last.request_count(), 0);
        }
    }
}
