//! [`AskHuman`]: a tool the model calls when it lacks information only a human has.

use gohumanloop::model::JsonObject;
use gohumanloop::LoopRequest;
use rig_core::tool::{Tool, ToolContext, ToolExecutionError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::gate::Gate;
use crate::verdict::Verdict;
use crate::wrapper::ABORTED;

/// What the model passes to [`AskHuman`].
#[derive(Debug, Deserialize)]
pub struct Question {
    /// The question, as the human will read it.
    pub question: String,
    /// What the model already knows, to help the human answer.
    #[serde(default)]
    pub context: Option<String>,
    /// Set by the gate's hook when it asked the question already: the key of the answer it
    /// keeps for this call. A key the gate does not know (one the model made up) is ignored.
    #[serde(default)]
    answer_ref: Option<String>,
}

impl Question {
    /// The information request that puts this question to a human.
    pub(crate) fn request(&self) -> LoopRequest {
        let mut context = JsonObject::new();
        context.insert("message".into(), self.question.clone().into());
        context.insert("question".into(), self.question.clone().into());
        if let Some(known) = &self.context {
            context.insert("additional".into(), known.clone().into());
        }
        LoopRequest::information(context)
    }
}

/// The tool `ask_human`: puts the model's question to a human as an information request
/// (through the gate's interrupts) and returns their answer. A human who declines, or nobody
/// answering in time, fails the call with the reason, which the model sees; a cancelled
/// question fails as cancelled, which stops the run with [`StopOnAbort`](crate::StopOnAbort).
/// Make one with [`Gate::ask_human`].
///
/// With the same gate's hook on the run, the hook asks the question with the rest of the
/// model's turn (so a [`Gate::run`](crate::Gate::run) can pause for the answer, and resume in
/// another process) and the tool returns the answer the hook got.
pub struct AskHuman {
    gate: Gate,
}

impl AskHuman {
    pub(crate) fn new(gate: Gate) -> Self {
        Self { gate }
    }
}

impl Tool for AskHuman {
    const NAME: &'static str = "ask_human";
    type Args = Question;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Ask a human for information you cannot find yourself (a choice, a fact, a secret); \
         returns their answer."
            .into()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "question": {"type": "string", "description": "The question, as the human reads it"},
                "context": {"type": "string", "description": "What you know already"}
            },
            "required": ["question"]
        })
    }

    async fn call(
        &self,
        _context: &mut ToolContext,
        args: Question,
    ) -> Result<String, Self::Error> {
        if let Some(answer) = args
            .answer_ref
            .as_deref()
            .and_then(|r| self.gate.take_answer(r))
        {
            return Ok(answer);
        }
        match self.gate.inquire(args.request()).await {
            Ok(answer) => Ok(answer),
            Err(Verdict::Abort(reason)) => {
                Err(ToolExecutionError::cancelled(format!("{ABORTED}{reason}")))
            }
            Err(Verdict::Skip(reason)) => Err(ToolExecutionError::refused(reason)),
            Err(Verdict::Run | Verdict::RunWith(_)) => Err(ToolExecutionError::other(
                "the question got no answer".to_owned(),
            )),
        }
    }
}
