//! [`PausedRun`]: a run stopped at gated calls, saved as text until their answers are in.

use std::collections::BTreeSet;

use rig_agent::agent::{Agent, AgentRun, AgentRunStep, ModelTurn, ModelTurnOutcome};
use rig_core::completion::{Message, Usage};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ask::Asked;
use crate::error::GateError;

/// The format of the text [`PausedRun::encode`] writes.
const FORMAT: u32 = 1;

/// A run stopped at a batch of gated tool calls: rig's run, positioned just before the batch
/// runs, and the requests the batch waits for. Save it anywhere ([`PausedRun::encode`]: JSON)
/// and [`Gate::resume`](crate::Gate::resume) it with an agent of the same tools, in this process
/// or another, built with the same rig version (rig refuses a run saved by another).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PausedRun {
    format: u32,
    run: AgentRun,
    asked: Vec<Asked>,
    /// The model turns the whole run took before the turn of the batch (across earlier pauses).
    #[serde(default)]
    turns_before: usize,
}

impl PausedRun {
    pub(crate) fn new(run: AgentRun, asked: Vec<Asked>, turns_before: usize) -> Self {
        Self {
            format: FORMAT,
            run,
            asked,
            turns_before,
        }
    }

    /// The model turns the run took before the turn of the batch it waits for.
    pub fn turns_before(&self) -> usize {
        self.turns_before
    }

    /// The gated calls the run waits for, in the model's order.
    pub fn asked(&self) -> &[Asked] {
        &self.asked
    }

    /// The paused run as JSON text.
    pub fn encode(&self) -> Result<String, GateError> {
        serde_json::to_string(self).map_err(|e| GateError::Pause(e.to_string()))
    }

    /// A paused run from [`PausedRun::encode`]'s text; anything else (damaged, another
    /// format, a run saved by another rig version) is [`GateError::BadPausedRun`], saying why.
    pub fn decode(text: &str) -> Result<Self, GateError> {
        #[derive(Deserialize)]
        struct Head {
            format: u32,
        }
        let bad = |e: serde_json::Error| GateError::BadPausedRun(e.to_string());
        let head: Head = serde_json::from_str(text).map_err(bad)?;
        if head.format != FORMAT {
            return Err(GateError::BadPausedRun(format!(
                "it is format {} (this version reads {FORMAT})",
                head.format
            )));
        }
        let paused: Self = serde_json::from_str(text).map_err(bad)?;
        if paused.asked.is_empty() {
            return Err(GateError::BadPausedRun("it waits for no call".into()));
        }
        Ok(paused)
    }

    pub(crate) fn into_run(self) -> AgentRun {
        self.run
    }
}

/// Rig's run of `agent` positioned where it stopped: the model's last turn (the batch of calls)
/// accepted, its calls not yet run. `history` is the run's history at the stop (rig's
/// cancellation carries it): the model's turn last, the message it answered before it.
/// The rebuilt run keeps what is left of the agent's turn budget after `turns_before` turns.
pub(crate) async fn rebuild(
    agent: &Agent,
    mut history: Vec<Message>,
    turns_before: usize,
) -> Result<AgentRun, GateError> {
    let Some(Message::Assistant(mut model_turn)) = history.pop() else {
        return Err(GateError::Pause(
            "the run stopped at a tool call, but its history does not end with the model's turn"
                .into(),
        ));
    };
    let Some(prompt) = history.pop() else {
        return Err(GateError::Pause(
            "the run stopped at a tool call, but its history has no message before the model's turn"
                .into(),
        ));
    };
    let spec = agent.run_spec();
    let budget = spec
        .effective_max_turns()
        .saturating_sub(turns_before)
        .max(1);
    let mut run = AgentRun::from_spec(&spec, prompt, Some(history)).max_turns(budget);
    let AgentRunStep::CallModel { turn, .. } = run.next_step()? else {
        return Err(GateError::Pause(
            "the rebuilt run does not start at a model call".into(),
        ));
    };
    let definitions = agent
        .tool_definitions(None)
        .await
        .map_err(|e| GateError::Pause(format!("cannot list the agent's tools: {e}")))?;
    let names: BTreeSet<String> = definitions.iter().map(|d| d.name.to_string()).collect();
    run.advertise_tools(turn, definitions);
    let choice = std::mem::take(&mut model_turn.content);
    let accepted = run.model_response(ModelTurn::new(
        model_turn,
        choice,
        Usage::default(),
        names.clone(),
        names,
        Value::Null,
    ))?;
    match accepted {
        ModelTurnOutcome::Continue { .. } => Ok(run),
        other => Err(GateError::Pause(format!(
            "the model's turn is not accepted again: {other:?}"
        ))),
    }
}
