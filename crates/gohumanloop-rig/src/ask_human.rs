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
}

/// The tool `ask_human`: puts the model's question to a human as an information request
/// (through the gate's interrupts) and returns their answer. A human who declines, or nobody
/// answering in time, fails the call with the reason, which the model sees; a cancelled
/// question fails as cancelled, which stops the run with [`StopOnAbort`](crate::StopOnAbort).
/// Make one with [`Gate::ask_human`].
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
        let mut context = JsonObject::new();
        context.insert("message".into(), args.question.clone().into());
        context.insert("question".into(), args.question.into());
        if let Some(known) = args.context {
            context.insert("additional".into(), known.into());
        }
        match self.gate.inquire(LoopRequest::information(context)).await {
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
