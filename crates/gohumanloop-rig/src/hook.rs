//! [`ApprovalHook`]: rig's dispatch hook that asks a human before a gated tool call runs.
//!
//! When the model's turn ends, every gated call of the turn is put to a human at once (so the
//! approver sees the whole batch, and nothing of a batch runs before its answers are in); each
//! call's dispatch then applies its [`Verdict`]. An abort stops the batch before any of its
//! calls runs. With a pausing gate, a batch whose answers are not in yet stops the run instead,
//! and [`Gate::run`](crate::Gate::run) saves it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rig_agent::agent::{
    AgentHook, DispatchAction, DispatchEvent, HookContext, ModelTurnAction, ModelTurnFinished,
    StepEventKind,
};
use rig_core::effect::EffectKind;
use rig_core::message::AssistantContent;
use rig_core::tool::Tool;
use serde_json::Value;

use crate::ask::Asked;
use crate::ask_human::{AskHuman, Question};
use crate::gate::Settings;
use crate::verdict::Verdict;

/// The reason a paused run stops with (rig reports it as the run's cancellation).
pub(crate) const PAUSED: &str = "paused until a human answers (gohumanloop)";

/// What one run's gated calls come to.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// The verdict on each call, by the model's call id, until the call is dispatched.
    pub(crate) verdicts: HashMap<String, Verdict>,
    /// Set when a verdict aborts the run: every later dispatch stops with it.
    pub(crate) abort: Option<String>,
    /// The calls whose answers the run pauses for (none: not pausing).
    pub(crate) pausing: Vec<Asked>,
    /// The turn the run paused at.
    pub(crate) paused_turn: usize,
}

impl Plan {
    pub(crate) fn record(&mut self, asked: &Asked, verdict: Verdict) {
        if let Verdict::Abort(reason) = &verdict {
            self.abort.get_or_insert_with(|| reason.clone());
        }
        self.verdicts.insert(asked.call_id.clone(), verdict);
    }
}

pub(crate) fn lock(plan: &Mutex<Plan>) -> MutexGuard<'_, Plan> {
    plan.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A call to put to a human.
struct Call {
    /// The model's id of the call.
    id: String,
    tool: String,
    arguments: Value,
    /// Its question, for an `ask_human` call.
    question: Option<Question>,
}

/// A run's plan, kept in the run's scratchpad by a hook that serves many runs.
#[derive(Clone)]
struct RunPlan(Arc<Mutex<Plan>>);

/// The hook on tool dispatch that puts gated calls to a human: approved → the call runs;
/// approved with edited arguments → it runs with them (an approval cannot change the tool);
/// rejected → it is skipped and the model sees the reason; cancelled (or failed) → the run
/// stops with a clear error; expired → as [`OnExpiry`](crate::OnExpiry) says. It also asks the
/// questions of [`ask_human`](crate::AskHuman) calls with the rest of the turn (never gating
/// them on an approval), and hands the tool the answer.
///
/// Make one with [`Gate::hook`](crate::Gate::hook) and add it to a run
/// (`agent.prompt(..).add_hook(gate.hook())`) or to an agent's builder.
#[derive(Clone)]
pub struct ApprovalHook {
    settings: Arc<Settings>,
    /// The plan of the one run this hook serves, when it serves one
    /// ([`Gate::run`](crate::Gate::run)).
    run_plan: Option<Arc<Mutex<Plan>>>,
    /// `None`: wait for every answer. `Some(wait)`: wait this long, then pause the run (only
    /// in a [`Gate::run`](crate::Gate::run), which saves it).
    pause_after: Option<Duration>,
}

impl ApprovalHook {
    /// A hook for any run: it waits for every answer.
    pub(crate) fn waiting(settings: Arc<Settings>) -> Self {
        Self {
            settings,
            run_plan: None,
            pause_after: None,
        }
    }

    /// The hook of one [`Gate::run`](crate::Gate::run) or
    /// [`Gate::resume`](crate::Gate::resume), starting from `plan`, pausing as the gate says.
    pub(crate) fn for_run(settings: Arc<Settings>, plan: Arc<Mutex<Plan>>) -> Self {
        Self {
            pause_after: settings.pause_after,
            settings,
            run_plan: Some(plan),
        }
    }

    fn plan(&self, ctx: &HookContext) -> Arc<Mutex<Plan>> {
        if let Some(plan) = &self.run_plan {
            return plan.clone();
        }
        if let Some(RunPlan(plan)) = ctx.scratchpad().get::<RunPlan>() {
            return plan;
        }
        let plan = Arc::new(Mutex::new(Plan::default()));
        ctx.scratchpad().insert(RunPlan(plan.clone()));
        plan
    }

    /// The call of `tool` with `arguments` as one to put to a human — an approval it needs, or
    /// the question of an `ask_human` call — or `None` when it runs unasked.
    fn to_ask(&self, id: String, tool: &str, arguments: Value) -> Option<Call> {
        let question = question(tool, &arguments);
        (question.is_some() || self.settings.gated.needs_human(tool, &arguments)).then(|| Call {
            id,
            tool: tool.to_owned(),
            arguments,
            question,
        })
    }

    /// Asks about `calls` and records their verdicts — or, with a pausing gate whose answers
    /// are not all in, that the run pauses for them.
    async fn plan_batch(&self, plan: &Mutex<Plan>, calls: Vec<Call>, turn: usize) {
        let asking = &self.settings.asking;
        let mut batch = Vec::with_capacity(calls.len());
        for Call {
            id: call_id,
            tool,
            arguments,
            question,
        } in calls
        {
            let asked = match &question {
                Some(question) => asking.ask_question(&call_id, &arguments, question).await,
                None => asking.ask(&call_id, &tool, &arguments).await,
            };
            match asked {
                Ok(asked) => batch.push(asked),
                Err(e) => {
                    lock(plan).abort = Some(format!("could not ask a human about `{tool}`: {e}"));
                    return;
                }
            }
        }
        match self.pause_after {
            None => {
                for asked in &batch {
                    let verdict = match asking.answer(asked).await {
                        Ok(result) => self.verdict(asked, &result),
                        Err(e) => Verdict::Abort(format!(
                            "could not read the answer about `{}`: {e}",
                            asked.tool
                        )),
                    };
                    let aborts = matches!(verdict, Verdict::Abort(_));
                    lock(plan).record(asked, verdict);
                    if aborts {
                        // Nothing of the batch runs now: the other answers are not awaited.
                        return;
                    }
                }
            }
            Some(wait) => {
                let until = tokio::time::Instant::now() + wait;
                for asked in &batch {
                    let left = until.saturating_duration_since(tokio::time::Instant::now());
                    match asking.answered(asked, left).await {
                        Ok(true) => {}
                        Ok(false) => {
                            let mut plan = lock(plan);
                            plan.pausing = batch;
                            plan.paused_turn = turn;
                            return;
                        }
                        Err(e) => {
                            lock(plan).abort = Some(e.to_string());
                            return;
                        }
                    }
                }
                for asked in &batch {
                    let verdict = match asking.claim(asked, Duration::ZERO).await {
                        Ok(Some(result)) => self.verdict(asked, &result),
                        Ok(None) => Verdict::Abort(format!(
                            "the answer about `{}` went back to pending",
                            asked.tool
                        )),
                        Err(e) => Verdict::Abort(e.to_string()),
                    };
                    lock(plan).record(asked, verdict);
                }
            }
        }
    }

    fn verdict(&self, asked: &Asked, result: &gohumanloop::HumanLoopResult) -> Verdict {
        self.settings.verdict(asked, result)
    }

    /// What the plan says about dispatching `call_id` now, if it says anything.
    fn planned(plan: &Mutex<Plan>, call_id: &str, kind: &EffectKind) -> Option<DispatchAction> {
        let mut plan = lock(plan);
        if let Some(reason) = &plan.abort {
            return Some(DispatchAction::stop(reason.clone()));
        }
        if !plan.pausing.is_empty() {
            return Some(DispatchAction::stop(PAUSED));
        }
        plan.verdicts
            .remove(call_id)
            .map(|verdict| action(kind, verdict))
    }
}

/// The question of an `ask_human` call (which the hook asks with the rest of the turn, so that
/// a run can pause for its answer too); `None` for any other call, or arguments the tool would
/// refuse (it answers those itself).
fn question(tool: &str, arguments: &Value) -> Option<Question> {
    if tool != <AskHuman as Tool>::NAME {
        return None;
    }
    serde_json::from_value(arguments.clone()).ok()
}

/// What rig does with a call, for a verdict.
fn action(kind: &EffectKind, verdict: Verdict) -> DispatchAction {
    match verdict {
        Verdict::Run => DispatchAction::proceed(),
        // Only the arguments change: rig refuses a patch that changes the tool.
        Verdict::RunWith(arguments) => DispatchAction::rewrite_tool_args(kind, arguments),
        Verdict::Skip(reason) => DispatchAction::skip(reason),
        Verdict::Abort(reason) => DispatchAction::stop(reason),
    }
}

impl AgentHook for ApprovalHook {
    fn name(&self) -> Option<String> {
        Some("gohumanloop-approval".into())
    }

    async fn on_model_turn_finished(
        &self,
        ctx: &HookContext,
        event: ModelTurnFinished<'_>,
    ) -> ModelTurnAction {
        let calls: Vec<Call> = event
            .content
            .iter()
            .filter_map(|item| match item {
                // A call whose arguments are not an object is answered by rig, never dispatched.
                AssistantContent::ToolCall(call) if call.function.invalid_arguments.is_none() => {
                    let arguments = Value::Object(call.function.arguments.clone());
                    self.to_ask(call.id.to_string(), &call.function.name, arguments)
                }
                _ => None,
            })
            .collect();
        if !calls.is_empty() {
            let plan = self.plan(ctx);
            self.plan_batch(&plan, calls, event.turn).await;
        }
        ModelTurnAction::Continue
    }

    async fn on_dispatch(&self, ctx: &HookContext, event: DispatchEvent<'_>) -> DispatchAction {
        let (Some(tool), Some(args)) = (event.tool_name(), event.tool_args()) else {
            return DispatchAction::proceed();
        };
        let call_id = event.call_id.map(ToString::to_string).unwrap_or_default();
        let plan = self.plan(ctx);
        if let Some(action) = Self::planned(&plan, &call_id, event.kind) {
            return action;
        }
        let arguments: Value = serde_json::from_str(args).unwrap_or(Value::Null);
        let Some(call) = self.to_ask(call_id.clone(), tool, arguments) else {
            return DispatchAction::proceed();
        };
        // A gated call no model turn announced (a resumed run's re-dispatch, a repaired call):
        // ask about it alone.
        self.plan_batch(&plan, vec![call], event.turn).await;
        Self::planned(&plan, &call_id, event.kind).unwrap_or_else(|| {
            DispatchAction::stop(format!("no decision was recorded for the call of `{tool}`"))
        })
    }

    fn observes(&self, kind: StepEventKind) -> bool {
        matches!(
            kind,
            StepEventKind::ToolDispatch | StepEventKind::ModelTurnFinished
        )
    }
}
