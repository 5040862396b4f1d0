//! [`Asked`] and the asking behind the hook and the wrapper: a gated call becomes an approval
//! request through [`Interrupts`], so the same code serves an in-process provider and the hub.

use std::time::Duration;

use gohumanloop::guard::{call_context, APPROVAL_QUESTION};
use gohumanloop::interrupt::{Interrupts, Resumed, Token};
use gohumanloop::model::JsonObject;
use gohumanloop::{HumanLoopResult, LoopRequest, Status};
use rig_core::tool::Tool;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::ask_human::{AskHuman, Question};
use crate::error::GateError;

/// The longest single wait for an answer (longer waits are several).
const WAIT_SLICE: Duration = Duration::from_secs(60);

/// One gated tool call put to a human: the call, and the token its answer is resumed by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    /// The model's id of the call.
    pub call_id: String,
    /// The tool the call is to.
    pub tool: String,
    /// The arguments the model gave.
    pub arguments: Value,
    /// What resumes the request ([`Interrupts::resume`]).
    pub token: Token,
}

/// How requests are asked: through which interrupts, with what timeout, question and metadata.
#[derive(Clone)]
pub(crate) struct Asking {
    pub(crate) interrupts: Interrupts,
    pub(crate) timeout: Option<u64>,
    pub(crate) question: String,
    pub(crate) additional: String,
    pub(crate) metadata: JsonObject,
}

impl Asking {
    pub(crate) fn new(interrupts: Interrupts) -> Self {
        Self {
            interrupts,
            timeout: None,
            question: APPROVAL_QUESTION.to_owned(),
            additional: String::new(),
            metadata: JsonObject::new(),
        }
    }

    /// Files an approval request about a call of `tool` with `arguments`.
    pub(crate) async fn ask(
        &self,
        call_id: &str,
        tool: &str,
        arguments: &Value,
    ) -> Result<Asked, GateError> {
        let context = call_context(tool, arguments, &self.question, &self.additional);
        self.file_call(call_id, tool, arguments, LoopRequest::approval(context))
            .await
    }

    /// Files the information request of an `ask_human` call.
    pub(crate) async fn ask_question(
        &self,
        call_id: &str,
        arguments: &Value,
        question: &Question,
    ) -> Result<Asked, GateError> {
        let tool = <AskHuman as Tool>::NAME;
        self.file_call(call_id, tool, arguments, question.request())
            .await
    }

    /// Files `request` with this gate's metadata and timeout; the token to resume it by.
    pub(crate) async fn file(
        &self,
        mut request: LoopRequest,
        state: Value,
    ) -> Result<Token, GateError> {
        request.metadata = self.metadata.clone();
        request.timeout = self.timeout;
        Ok(self.interrupts.interrupt(request, state).await?)
    }

    async fn file_call(
        &self,
        call_id: &str,
        tool: &str,
        arguments: &Value,
        request: LoopRequest,
    ) -> Result<Asked, GateError> {
        let state = json!({"call_id": call_id, "tool": tool});
        Ok(Asked {
            call_id: call_id.to_owned(),
            tool: tool.to_owned(),
            arguments: arguments.clone(),
            token: self.file(request, state).await?,
        })
    }

    /// Waits as long as it takes for the answer, and claims it.
    pub(crate) async fn answer(&self, asked: &Asked) -> Result<HumanLoopResult, GateError> {
        self.answer_token(&asked.token).await
    }

    /// Waits as long as it takes for the answer to the request of `token`, and claims it.
    pub(crate) async fn answer_token(&self, token: &Token) -> Result<HumanLoopResult, GateError> {
        loop {
            if let Some(result) = self.claim_token(token, WAIT_SLICE).await? {
                return Ok(result);
            }
        }
    }

    /// Waits up to `wait` for the answer without claiming it: whether there is one.
    pub(crate) async fn answered(&self, asked: &Asked, wait: Duration) -> Result<bool, GateError> {
        let result = self.interrupts.follow(&asked.token, wait).await?;
        Ok(result.status != Status::Pending)
    }

    /// Waits up to `wait` for the answer and claims it; `None` when there is none yet. A resume
    /// claimed before (here or by another process) is [`GateError::AlreadyResumed`].
    pub(crate) async fn claim(
        &self,
        asked: &Asked,
        wait: Duration,
    ) -> Result<Option<HumanLoopResult>, GateError> {
        self.claim_token(&asked.token, wait).await
    }

    async fn claim_token(
        &self,
        token: &Token,
        wait: Duration,
    ) -> Result<Option<HumanLoopResult>, GateError> {
        match self.interrupts.resume(token, wait).await? {
            Resumed::Answered { result, .. } => Ok(Some(result)),
            Resumed::Pending(_) => Ok(None),
            Resumed::AlreadyResumed(_) => Err(GateError::AlreadyResumed {
                request_id: token.request_id.clone(),
            }),
        }
    }
}
