//! [`Gate`]: the settings every gated run shares, and the runs that can pause ([`Gate::run`],
//! [`Gate::resume`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gohumanloop::interrupt::Interrupts;
use gohumanloop::model::{new_id, JsonObject};
use gohumanloop::{HumanLoopResult, LoopRequest, LoopType};
use rig_agent::agent::{Agent, AgentRunner, PromptResponse};
use rig_agent::completion::PromptError;
use rig_core::tool::Tool;
use serde_json::Value;

use crate::ask::{Asked, Asking};
use crate::ask_human::AskHuman;
use crate::error::GateError;
use crate::hook::{lock, ApprovalHook, Plan};
use crate::pause::{rebuild, PausedRun};
use crate::tools::Gated;
use crate::verdict::{information, verdict, OnExpiry, Verdict};
use crate::wrapper::ApprovalRequired;

/// What every hook and wrapper of one gate shares.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) asking: Asking,
    pub(crate) gated: Gated,
    pub(crate) on_expiry: OnExpiry,
    /// `None`: wait for every answer. `Some(wait)`: wait this long, then pause the run.
    pub(crate) pause_after: Option<Duration>,
    /// The answers the hook got to `ask_human` calls, until the tool takes them (by a key the
    /// hook gives the call).
    pub(crate) answers: Arc<Mutex<HashMap<String, String>>>,
}

impl Settings {
    /// The verdict on a call whose request ended as `result`: an approval's, or — for an
    /// `ask_human` call the hook asked — the call with the answer's key, or why there is none.
    pub(crate) fn verdict(&self, asked: &Asked, result: &HumanLoopResult) -> Verdict {
        if asked.token.loop_type != LoopType::Information {
            return verdict(&asked.tool, &asked.arguments, result, self.on_expiry);
        }
        let answer = match information(result, self.on_expiry) {
            Ok(answer) => answer,
            Err(why) => return why,
        };
        // The arguments of a saved run are read from outside: they may be anything.
        let mut arguments = asked.arguments.clone();
        let Some(fields) = arguments.as_object_mut() else {
            return Verdict::Skip("the question's arguments are not a JSON object".into());
        };
        let key = new_id();
        fields.insert("answer_ref".into(), Value::String(key.clone()));
        self.answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, answer);
        Verdict::RunWith(arguments)
    }
}

/// How a gated run ended.
#[derive(Debug)]
pub enum Outcome {
    /// The run finished.
    Finished(Box<PromptResponse>),
    /// The run stopped at gated calls whose answers are not in yet: save it
    /// ([`PausedRun::encode`]) and [`Gate::resume`] it, here or in another process, once they
    /// are.
    Paused(Box<PausedRun>),
}

/// Puts an agent's tool calls to a human before they run, through any `gohumanloop` backend
/// of [`Interrupts`]: an in-process provider or the terminal ([`Local`]), or the hub
/// ([`Hub`](gohumanloop::interrupt::Hub)), whose requests outlive the process and so let a run
/// pause.
///
/// [`Local`]: gohumanloop::interrupt::Local
#[derive(Clone)]
pub struct Gate {
    settings: Arc<Settings>,
}

impl Gate {
    /// A gate asking through `interrupts` about every tool call, waiting for each answer.
    pub fn new(interrupts: Interrupts) -> Self {
        Self {
            settings: Arc::new(Settings {
                asking: Asking::new(interrupts),
                gated: Gated::all(),
                on_expiry: OnExpiry::default(),
                pause_after: None,
                answers: Arc::default(),
            }),
        }
    }

    /// Which calls need a human (default: [`Gated::all`]).
    pub fn gated(self, gated: Gated) -> Self {
        self.with(|s| s.gated = gated)
    }

    /// Each request expires after `seconds` (default: never).
    pub fn timeout(self, seconds: u64) -> Self {
        self.with(|s| s.asking.timeout = Some(seconds))
    }

    /// What an expired request does to its call (default: [`OnExpiry::Skip`]).
    pub fn on_expiry(self, on_expiry: OnExpiry) -> Self {
        self.with(|s| s.on_expiry = on_expiry)
    }

    /// The question the approver reads (default: the library's approval question).
    pub fn question(self, text: impl Into<String>) -> Self {
        self.with(|s| s.asking.question = text.into())
    }

    /// More context for the approver (the request's `additional`).
    pub fn additional(self, text: impl Into<String>) -> Self {
        self.with(|s| s.asking.additional = text.into())
    }

    /// Metadata of every request (routing: `platform`, `recipient_email`, …).
    pub fn metadata(self, metadata: JsonObject) -> Self {
        self.with(|s| s.asking.metadata = metadata)
    }

    /// Pauses [`Gate::run`]s instead of holding them: a batch of gated calls whose answers are
    /// not all in after `wait` stops the run, to be saved and resumed later. Needs interrupts
    /// that outlive the process (the hub) for a resume in another process.
    pub fn pause_after(self, wait: Duration) -> Self {
        self.with(|s| s.pause_after = Some(wait))
    }

    /// The hook to add to any run or agent builder. It waits for every answer, even when the
    /// gate pauses: only [`Gate::run`] pauses, since it saves the paused run.
    pub fn hook(&self) -> ApprovalHook {
        ApprovalHook::waiting(self.settings.clone())
    }

    /// `tool`, asking a human before each of its calls: for agents that do not use the hook.
    pub fn wrap<T: Tool>(&self, tool: T) -> ApprovalRequired<T> {
        ApprovalRequired::new(tool, self.clone())
    }

    /// Drives `runner` (a run of `agent`, e.g. `agent.prompt(..)` with any settings) with this
    /// gate's hook, to its end or to a pause.
    pub async fn run(&self, agent: &Agent, runner: AgentRunner) -> Result<Outcome, GateError> {
        self.drive(agent, runner, Plan::default(), 0).await
    }

    /// Resumes a paused run of `agent` once its answers are in, waiting up to `wait` for them:
    /// still [`Outcome::Paused`] (nothing run, nothing claimed) when an answer is missing.
    /// The answers are claimed once, across processes when the interrupts are the hub's: a
    /// second resume of the same paused run runs nothing and is
    /// [`GateError::AlreadyResumed`]. The calls of the batch then run under the answers
    /// (approved, edited, skipped, or the run aborts), and the run goes on — maybe to another
    /// pause.
    ///
    /// A resume that claimed the answers and then died before the calls ran does not run them
    /// again: at most once.
    pub async fn resume(
        &self,
        agent: &Agent,
        paused: PausedRun,
        wait: Duration,
    ) -> Result<Outcome, GateError> {
        let asking = &self.settings.asking;
        let until = tokio::time::Instant::now() + wait;
        for asked in paused.asked() {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if !asking.answered(asked, left).await? {
                return Ok(Outcome::Paused(Box::new(paused)));
            }
        }
        // Every resume claims in the same order: the first claim decides which one runs.
        let mut plan = Plan::default();
        for asked in paused.asked() {
            let result = asking.claim(asked, Duration::ZERO).await?.ok_or_else(|| {
                GateError::Pause(format!(
                    "the answer about `{}` went back to pending",
                    asked.tool
                ))
            })?;
            plan.record(asked, self.settings.verdict(asked, &result));
        }
        // The rebuilt run's first turn is the batch's turn, which the count does not include.
        let turns_before = paused.turns_before();
        self.drive(agent, agent.resume(paused.into_run()), plan, turns_before)
            .await
    }

    /// The tool `ask_human`, asking this gate's humans the model's questions.
    pub fn ask_human(&self) -> AskHuman {
        AskHuman::new(self.clone())
    }

    /// The answer the hook got for the `ask_human` call it gave `key`, once.
    pub(crate) fn take_answer(&self, key: &str) -> Option<String> {
        self.settings
            .answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key)
    }

    /// Puts an information request to a human and waits for the answer (the `ask_human`
    /// path): their text, or why there is none.
    pub(crate) async fn inquire(&self, request: LoopRequest) -> Result<String, Verdict> {
        let asking = &self.settings.asking;
        let token = match asking.file(request, Value::Null).await {
            Ok(token) => token,
            Err(e) => return Err(Verdict::Abort(format!("could not ask a human: {e}"))),
        };
        match asking.answer_token(&token).await {
            Ok(result) => information(&result, self.settings.on_expiry),
            Err(e) => Err(Verdict::Abort(format!(
                "could not read the human's answer: {e}"
            ))),
        }
    }

    /// Asks about one call of `tool` and waits for the verdict (the wrapper's path).
    pub(crate) async fn decide(&self, tool: &str, arguments: &Value) -> Verdict {
        let asking = &self.settings.asking;
        let call_id = new_id();
        let asked = match asking.ask(&call_id, tool, arguments).await {
            Ok(asked) => asked,
            Err(e) => return Verdict::Abort(format!("could not ask a human about `{tool}`: {e}")),
        };
        match asking.answer(&asked).await {
            Ok(result) => self.settings.verdict(&asked, &result),
            Err(e) => Verdict::Abort(format!("could not read the answer about `{tool}`: {e}")),
        }
    }

    /// Drives `runner` to its end or to a pause; `turns_before`: the turns the whole run took
    /// before this runner's first.
    async fn drive(
        &self,
        agent: &Agent,
        runner: AgentRunner,
        plan: Plan,
        turns_before: usize,
    ) -> Result<Outcome, GateError> {
        let plan = Arc::new(Mutex::new(plan));
        let hook = ApprovalHook::for_run(self.settings.clone(), plan.clone());
        match runner.add_hook(hook).await {
            Ok(response) => Ok(Outcome::Finished(Box::new(response))),
            Err(PromptError::Cancelled {
                chat_history,
                reason,
            }) => {
                let (pausing, turn, abort) = {
                    let mut plan = lock(&plan);
                    (
                        std::mem::take(&mut plan.pausing),
                        plan.paused_turn,
                        plan.abort.take(),
                    )
                };
                if !pausing.is_empty() {
                    let turns_before = turns_before + turn.saturating_sub(1);
                    let run = rebuild(agent, chat_history, turns_before).await?;
                    let paused = PausedRun::new(run, pausing, turns_before);
                    Ok(Outcome::Paused(Box::new(paused)))
                } else if let Some(abort) = abort {
                    Err(GateError::Aborted(abort))
                } else {
                    Err(PromptError::Cancelled {
                        chat_history,
                        reason,
                    }
                    .into())
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    fn with(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(Arc::make_mut(&mut self.settings));
        self
    }
}

#[cfg(test)]
mod tests {
    use gohumanloop::interrupt::{Local, Token};
    use gohumanloop::{Answer, InProcessProvider, Status};
    use serde_json::json;

    use super::*;

    fn answered_question(arguments: Value) -> (Asked, HumanLoopResult) {
        let token = Token {
            provider: "p".into(),
            task_id: "t".into(),
            conversation_id: "c".into(),
            request_id: "r".into(),
            loop_type: LoopType::Information,
            platform: None,
            state: Value::Null,
        };
        let asked = Asked {
            call_id: "q1".into(),
            tool: "ask_human".into(),
            arguments,
            token,
        };
        let mut result = HumanLoopResult::pending("c", "r", LoopType::Information);
        let answer = Answer::completed("staging");
        result.status = Status::Completed;
        result.response = answer.response;
        (asked, result)
    }

    #[test]
    fn a_questions_answer_is_handed_to_the_tool_once_and_odd_arguments_are_refused() {
        let provider = Arc::new(InProcessProvider::new("p"));
        let gate = Gate::new(Interrupts::new(Arc::new(Local::new(provider))));
        let (asked, result) = answered_question(json!({"question": "Where?"}));
        let Verdict::RunWith(arguments) = gate.settings.verdict(&asked, &result) else {
            panic!("the call runs with the answer's key")
        };
        let key = arguments["answer_ref"].as_str().unwrap();
        assert_eq!(gate.take_answer(key).as_deref(), Some("staging"));
        assert_eq!(gate.take_answer(key), None, "once");
        // A saved run's arguments come from outside: anything but an object is refused.
        for odd in [json!([1]), json!("text"), Value::Null] {
            let (asked, result) = answered_question(odd);
            assert!(matches!(
                gate.settings.verdict(&asked, &result),
                Verdict::Skip(_)
            ));
        }
    }
}
