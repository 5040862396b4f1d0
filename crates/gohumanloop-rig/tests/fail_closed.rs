//! A gated run fails closed (README and rig.md): when asking a human fails — the hub cannot be
//! reached — or the answer cannot be read, the gated call does not run and the run stops with
//! the error; and a resume that died after claiming the answers does not get the calls run
//! again by a later resume (at most once).
//!
//! rig's real agent loop with its scripted mock model (no network); the human-loop backends are
//! the real `Hub` interrupts pointed at a port nothing listens on, a backend whose answers
//! cannot be read, and the in-process provider.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use gohumanloop::interrupt::{Claim, Hub, Interrupts, Resumable, Token};
use gohumanloop::providers::hub::HubClient;
use gohumanloop::{Answer, HumanLoopRequest, HumanLoopResult, ProviderError};
use gohumanloop_rig::{Gate, GateError, Gated, Outcome, PausedRun, StopOnAbort};
use rig_agent::agent::AgentBuilder;
use rig_agent::completion::PromptError;
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use rig_core::tool::{Tool, ToolContext, ToolExecutionError};
use serde_json::{json, Value};
use tokio::sync::Notify;

/// Interrupts through the hub at a loopback port nothing listens on (it was free a moment
/// ago): every call is refused.
fn unreachable_hub() -> Interrupts {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let client =
        HubClient::new(&format!("http://127.0.0.1:{port}"), "ghl_key").expect("a valid hub URL");
    Interrupts::new(Arc::new(Hub::new(client)))
}

/// Why the run stopped, if it stopped as rig reports a hook's stop.
fn stopped_because(error: &PromptError) -> Option<&str> {
    match error {
        PromptError::Cancelled { reason, .. } => Some(reason),
        _ => None,
    }
}

/// "A failure to ask → the run stops (fail closed)" (README, rig; rig.md): with the hub out of
/// reach, the gate's hook stops a waiting run at the gated call, `Gate::run` stops a pausing
/// one, and a wrapped tool (with `StopOnAbort`) stops its run — each with the failure, none
/// running the call or asking the model again.
///
/// Checked by letting the hook's failed ask fall through to "run" (`Verdict::Run` recorded for
/// the call instead of the abort, in `hook.rs::plan_batch`): fails, the call runs and the run
/// finishes.
#[tokio::test]
async fn a_hub_out_of_reach_stops_the_run_before_the_gated_call() {
    let gate = Gate::new(unreachable_hub()).gated(Gated::named(["delete_file"]));

    // The hook, waiting for answers.
    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/a"));
    let error = agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate.hook())
        .await
        .expect_err("the run stops");
    let reason = stopped_because(&error).unwrap_or_else(|| panic!("not a stop: {error}"));
    assert!(
        reason.contains("could not ask a human about `delete_file`") && reason.contains("reach"),
        "{reason}"
    );
    assert!(delete.calls.lock().unwrap().is_empty(), "the call ran");
    assert_eq!(
        model.request_count(),
        1,
        "the run went on after the failure"
    );

    // A pausing run.
    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/b"));
    let pausing = gate.clone().pause_after(Duration::ZERO);
    let agent_ = agent(&model, &delete, &list);
    let outcome = pausing.run(&agent_, agent_.prompt("clean up")).await;
    assert!(
        matches!(&outcome, Err(GateError::Aborted(why)) if why.contains("could not ask a human")),
        "{outcome:?}"
    );
    assert!(delete.calls.lock().unwrap().is_empty(), "the call ran");
    assert_eq!(
        model.request_count(),
        1,
        "the run went on after the failure"
    );

    // A wrapped tool, with the hook that lets a wrapper stop its run.
    let (delete, model) = (DeleteFile::default(), deletes("/c"));
    let wrapped = AgentBuilder::new(model.clone())
        .tool(gate.wrap(delete.clone()))
        .default_max_turns(5)
        .build();
    let error = wrapped
        .prompt("clean up")
        .add_hook(StopOnAbort)
        .await
        .expect_err("the run stops");
    let reason = stopped_because(&error).unwrap_or_else(|| panic!("not a stop: {error}"));
    assert!(reason.contains("could not ask a human"), "{reason}");
    assert!(delete.calls.lock().unwrap().is_empty(), "the call ran");
    assert_eq!(
        model.request_count(),
        1,
        "the run went on after the failure"
    );
}

/// A backend that takes every question but cannot tell any answer (a hub that accepted the
/// request, then broke).
struct Unreadable;

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// `Resumable` by hand (the trait is `#[async_trait]`, which this crate's tests do not depend
/// on): the methods return boxed futures.
impl Resumable for Unreadable {
    fn name(&self) -> &str {
        "unreadable"
    }

    fn ask<'life0, 'life1, 'async_trait>(
        &'life0 self,
        _request: &'life1 HumanLoopRequest,
        _continues: bool,
    ) -> Boxed<'async_trait, ()>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async { Ok(()) })
    }

    fn claim<'life0, 'life1, 'async_trait>(
        &'life0 self,
        _token: &'life1 Token,
        _wait: Duration,
    ) -> Boxed<'async_trait, Claim>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async { Err(ProviderError::Failed("the answer store broke".into())) })
    }

    fn follow<'life0, 'life1, 'async_trait>(
        &'life0 self,
        _token: &'life1 Token,
        _wait: Duration,
    ) -> Boxed<'async_trait, HumanLoopResult>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async { Err(ProviderError::Failed("the answer store broke".into())) })
    }
}

/// "A failure to ask or to read the answer stops the run too (fail closed)" (rig.md): the
/// question is filed, but its answer cannot be read — the hook stops a waiting run and
/// `Gate::run` a pausing one, with the failure, before the gated call runs.
///
/// Checked by turning the hook's unreadable answer into a skip (`Verdict::Skip` for
/// `Verdict::Abort` in `hook.rs::plan_batch`'s waiting branch): fails, the run goes on (the
/// model is asked again) instead of stopping.
#[tokio::test]
async fn an_answer_that_cannot_be_read_stops_the_run_before_the_gated_call() {
    let gate = Gate::new(Interrupts::new(Arc::new(Unreadable))).gated(Gated::all());

    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/a"));
    let error = agent(&model, &delete, &list)
        .prompt("clean up")
        .add_hook(gate.hook())
        .await
        .expect_err("the run stops");
    let reason = stopped_because(&error).unwrap_or_else(|| panic!("not a stop: {error}"));
    assert!(
        reason.contains("could not read the answer about `delete_file`")
            && reason.contains("the answer store broke"),
        "{reason}"
    );
    assert!(delete.calls.lock().unwrap().is_empty(), "the call ran");
    assert_eq!(
        model.request_count(),
        1,
        "the run went on after the failure"
    );

    let (delete, list, model) = (DeleteFile::default(), ListFiles::default(), deletes("/b"));
    let agent_ = agent(&model, &delete, &list);
    let outcome = gate
        .pause_after(Duration::ZERO)
        .run(&agent_, agent_.prompt("clean up"))
        .await;
    assert!(
        matches!(&outcome, Err(GateError::Aborted(why)) if why.contains("the answer store broke")),
        "{outcome:?}"
    );
    assert!(delete.calls.lock().unwrap().is_empty(), "the call ran");
    assert_eq!(
        model.request_count(),
        1,
        "the run went on after the failure"
    );
}

/// `delete_file` that never gets to its side effect: it says it was entered, then waits for
/// ever — the resumer running it "dies" there (the test drops it).
#[derive(Clone)]
struct StuckDelete {
    entered: Arc<Notify>,
}

impl Tool for StuckDelete {
    const NAME: &'static str = "delete_file";
    type Args = Value;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Deletes a file".into()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})
    }

    async fn call(&self, _c: &mut ToolContext, _args: Value) -> Result<String, Self::Error> {
        self.entered.notify_one();
        std::future::pending::<()>().await;
        Ok("never".into())
    }
}

/// "A resume that died after its claim does not run the calls again (at most once)" (README,
/// rig; rig.md): a paused run is answered; a first resumer claims the answer and dies inside
/// the gated call, before its side effect (its task is dropped there); a second resume of the
/// same saved run gets `AlreadyResumed` and runs nothing — not the call, not the model.
///
/// Checked by claiming only after the batch ran (`Gate::resume` building its plan from
/// `follow`, which claims nothing, and claiming after `drive`): fails, the second resume runs
/// the deletion.
#[tokio::test]
async fn a_resume_that_died_after_its_claim_is_not_run_again() {
    let (provider, interrupts) = in_process();
    let gate = Gate::new(interrupts)
        .gated(Gated::named(["delete_file"]))
        .pause_after(Duration::ZERO);
    let (delete, list) = (DeleteFile::default(), ListFiles::default());
    let before = MockCompletionModel::from_turns([MockTurn::tool_call(
        "c1",
        "delete_file",
        json!({"path": "/srv/data"}),
    )]);
    let agent_before = agent(&before, &delete, &list);
    let Outcome::Paused(paused) = gate
        .run(&agent_before, agent_before.prompt("clean up"))
        .await
        .expect("the run pauses")
    else {
        panic!("the run pauses at delete_file")
    };
    let saved = paused.encode().expect("a paused run encodes");
    let request = provider.pending().pop().expect("the question is filed");
    provider
        .answer(&request, Answer::approved())
        .expect("answered");

    // The first resumer: claims, starts the call, and dies inside it.
    let entered = Arc::new(Notify::new());
    let stuck = StuckDelete {
        entered: entered.clone(),
    };
    let dying_model = MockCompletionModel::from_turns([MockTurn::text("done")]);
    let dying_agent = AgentBuilder::new(dying_model.clone())
        .tool(stuck)
        .tool(list.clone())
        .default_max_turns(5)
        .build();
    let first = {
        let gate = gate.clone();
        let run = PausedRun::decode(&saved).expect("the saved run decodes");
        tokio::spawn(async move { gate.resume(&dying_agent, run, Duration::ZERO).await })
    };
    tokio::time::timeout(Duration::from_secs(60), entered.notified())
        .await
        .expect("the first resumer reaches the call (bounds a hang only)");
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled(), "the resumer died");

    // A second resume of the same saved run: nothing runs.
    let after = MockCompletionModel::from_turns([MockTurn::text("done")]);
    let outcome = gate
        .resume(
            &agent(&after, &delete, &list),
            PausedRun::decode(&saved).expect("the saved run decodes"),
            Duration::ZERO,
        )
        .await;
    assert!(
        matches!(&outcome, Err(GateError::AlreadyResumed { .. })),
        "{outcome:?}"
    );
    assert!(
        delete.calls.lock().unwrap().is_empty(),
        "the call ran again: {:?}",
        delete.calls.lock().unwrap()
    );
    assert_eq!(after.request_count(), 0, "the model was asked again");
}
