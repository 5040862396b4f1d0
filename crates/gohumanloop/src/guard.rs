//! Guards: run code only once a human approved it, hand it information a human gave, or hold a
//! conversation until the human ends it.
//!
//! The context a guard sends carries `message` (a readable summary), `question`, `additional` and
//! `function` (`function_name` and `arguments` as JSON). Unlike the original's decorators, every
//! call gets fresh task and conversation ids unless you set them.
//!
//! An approval that carries `call_hash` (a hub stamps it on every approval of a function call)
//! is bound to one call: [`Guard::require_approval`] runs only the call it is for, and
//! [`approved_arguments`] gives the arguments to run when the approver edited them.

mod binding;

use std::future::Future;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::error::Error;
use crate::manager::{HumanLoopCallback, LoopRequest, Manager};
use crate::model::{new_id, HumanLoopResult, JsonObject, LoopType, Status};

pub use binding::{approved_arguments, binding, decider, rejection_reason, Binding, Decider};

/// The question of an approval guard (the original's text).
pub const APPROVAL_QUESTION: &str = "Please review and approve/reject this human loop execution.";
/// The question of an information guard (the original's text).
pub const INFO_QUESTION: &str = "Please provide the required information for the human loop";

/// Why a guarded call did not run (or did not finish).
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The human (or the hub's policy) rejected the call.
    #[error("Function {function} execution not approved: {reason}")]
    Rejected {
        /// The guarded function.
        function: String,
        /// The human's reason; for a policy's rejection, a sentence saying so (e.g. "rejected
        /// by policy at the deadline (rule large-payments)").
        reason: String,
        /// The full outcome.
        result: Box<HumanLoopResult>,
    },
    /// The approval ended otherwise (expired, cancelled, error, …).
    #[error("Approval error for {function}: approval status: {} and {}", result.status, result.error.as_deref().unwrap_or("no error message"))]
    NotApproved {
        /// The guarded function.
        function: String,
        /// The full outcome.
        result: Box<HumanLoopResult>,
    },
    /// The approval's `call_hash` is that of another call (other arguments, or another
    /// function): the call did not run.
    #[error(
        "approval of {function} is for other arguments (call_hash {}), refusing to run",
        binding::approved_hash(result)
    )]
    NotBound {
        /// The guarded function.
        function: String,
        /// The full outcome (approved, but for another call).
        result: Box<HumanLoopResult>,
    },
    /// The information request ended without an answer.
    #[error("Function {function} information request error: {}", result.status)]
    NoInformation {
        /// The guarded function.
        function: String,
        /// The full outcome.
        result: Box<HumanLoopResult>,
    },
    /// The conversation ended otherwise than by the human (expired, cancelled, error, …).
    #[error("Conversation ended with status {}{}", result.status, result.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default())]
    ConversationBroken {
        /// The turns answered before, and the failed one last.
        transcript: Vec<HumanLoopResult>,
        /// The failed turn.
        result: Box<HumanLoopResult>,
    },
    /// The manager or provider failed.
    #[error(transparent)]
    Manager(#[from] Error),
}

impl GuardError {
    /// The outcome that stopped the call, if a human loop ran.
    pub fn result(&self) -> Option<&HumanLoopResult> {
        match self {
            Self::Rejected { result, .. }
            | Self::NotApproved { result, .. }
            | Self::NotBound { result, .. }
            | Self::NoInformation { result, .. }
            | Self::ConversationBroken { result, .. } => Some(result),
            Self::Manager(_) => None,
        }
    }

    /// The name of the hub's policy rule that decided the outcome (`"decided_by": "policy"` in
    /// its response), e.g. `Some("large-payments")` for a rejection at the deadline; `None`
    /// when a human, a grant or no one decided. The name is `""` when the response omits it.
    pub fn decided_by_policy(&self) -> Option<&str> {
        match decider(&self.result()?.response)? {
            Decider::Policy { rule, .. } => Some(rule),
            Decider::Grant { .. } => None,
        }
    }
}

/// The context of a request about a call of `function` with `arguments`, as every guard (and
/// the agent-framework adapters) sends it: `message` (a readable summary), `question`,
/// `additional`, and `function` (`function_name`, `arguments`), from which a hub binds an
/// approval to the call (`call_hash`).
pub fn call_context(
    function: &str,
    arguments: &Value,
    question: &str,
    additional: &str,
) -> JsonObject {
    let message = format!(
        "Function: {function}\nArguments: {}",
        serde_json::to_string_pretty(arguments).unwrap_or_default()
    );
    let context = json!({
        "message": message,
        "question": question,
        "additional": additional,
        "function": {"function_name": function, "arguments": arguments},
    });
    match context {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

/// Asks a human around your code. Cheap to clone; set options with the builder methods.
#[derive(Clone)]
pub struct Guard {
    manager: Manager,
    task_id: Option<String>,
    conversation_id: Option<String>,
    provider_id: Option<String>,
    timeout: Option<u64>,
    metadata: JsonObject,
    additional: String,
    question: Option<String>,
    execute_on_reject: bool,
    callback: Option<Arc<dyn HumanLoopCallback>>,
}

impl Guard {
    /// A guard asking through `manager`'s default provider, with no timeout.
    pub fn new(manager: Manager) -> Self {
        Self {
            manager,
            task_id: None,
            conversation_id: None,
            provider_id: None,
            timeout: None,
            metadata: JsonObject::new(),
            additional: String::new(),
            question: None,
            execute_on_reject: false,
            callback: None,
        }
    }

    /// Uses this task id for every call (default: a fresh one per call).
    pub fn task_id(mut self, id: impl Into<String>) -> Self {
        self.task_id = Some(id.into());
        self
    }

    /// Uses this conversation id for every call (default: a fresh one per call).
    pub fn conversation_id(mut self, id: impl Into<String>) -> Self {
        self.conversation_id = Some(id.into());
        self
    }

    /// Asks through this provider.
    pub fn provider(mut self, id: impl Into<String>) -> Self {
        self.provider_id = Some(id.into());
        self
    }

    /// Expires each request after `seconds`.
    pub fn timeout(mut self, seconds: u64) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// Sends this metadata (routing: `recipient_email`, `platform`, …).
    pub fn metadata(mut self, metadata: JsonObject) -> Self {
        self.metadata = metadata;
        self
    }

    /// Adds this text as the `additional` context.
    pub fn additional(mut self, text: impl Into<String>) -> Self {
        self.additional = text.into();
        self
    }

    /// Replaces the default question.
    pub fn question(mut self, text: impl Into<String>) -> Self {
        self.question = Some(text.into());
        self
    }

    /// Runs an approval-guarded call even when the human rejects it.
    pub fn execute_on_reject(mut self, yes: bool) -> Self {
        self.execute_on_reject = yes;
        self
    }

    /// Hooks around every request this guard makes.
    pub fn callback(mut self, callback: Arc<dyn HumanLoopCallback>) -> Self {
        self.callback = Some(callback);
        self
    }

    fn context(&self, function: &str, arguments: &Value, default_question: &str) -> JsonObject {
        let question = self.question.as_deref().unwrap_or(default_question);
        call_context(function, arguments, question, &self.additional)
    }

    fn loop_request(&self, loop_type: LoopType, context: JsonObject) -> LoopRequest {
        LoopRequest {
            loop_type,
            context,
            metadata: self.metadata.clone(),
            task_id: Some(self.task_id.clone().unwrap_or_else(new_id)),
            conversation_id: Some(self.conversation_id.clone().unwrap_or_else(new_id)),
            request_id: None,
            timeout: self.timeout,
            provider_id: self.provider_id.clone(),
            callback: self.callback.clone(),
        }
    }

    /// Asks about a call of `function` and waits for the outcome.
    async fn ask(
        &self,
        loop_type: LoopType,
        function: &str,
        arguments: &Value,
        default_question: &str,
    ) -> Result<HumanLoopResult, Error> {
        let context = self.context(function, arguments, default_question);
        self.manager
            .request_and_wait(self.loop_request(loop_type, context))
            .await
    }

    /// Asks a human to approve calling `function` with `arguments`; runs `call` with the outcome
    /// when approved (or rejected, with [`Guard::execute_on_reject`]).
    ///
    /// An approval whose response has `call_hash` must be for this call: the hash of `function`
    /// and the arguments to run ([`approved_arguments`]: the approver's edited ones, else
    /// `arguments`) must equal it, or the call does not run and the error is
    /// [`GuardError::NotBound`]. Run the arguments [`approved_arguments`] gives in `call`. An
    /// approval without `call_hash` (an older hub, a local provider) runs as before.
    pub async fn require_approval<T, F, Fut>(
        &self,
        function: &str,
        arguments: Value,
        call: F,
    ) -> Result<T, GuardError>
    where
        F: FnOnce(HumanLoopResult) -> Fut,
        Fut: Future<Output = T>,
    {
        let result = self
            .ask(LoopType::Approval, function, &arguments, APPROVAL_QUESTION)
            .await?;
        match result.status {
            Status::Approved => match binding(function, &arguments, &result) {
                Binding::Bound | Binding::Unbound => Ok(call(result).await),
                Binding::Mismatch { .. } => Err(GuardError::NotBound {
                    function: function.to_owned(),
                    result: Box::new(result),
                }),
            },
            Status::Rejected if self.execute_on_reject => Ok(call(result).await),
            Status::Rejected => Err(GuardError::Rejected {
                function: function.to_owned(),
                reason: binding::rejection_reason(&result),
                result: Box::new(result),
            }),
            _ => Err(GuardError::NotApproved {
                function: function.to_owned(),
                result: Box::new(result),
            }),
        }
    }

    /// Asks a human for information before calling `function`; runs `call` with the answer.
    pub async fn require_info<T, F, Fut>(
        &self,
        function: &str,
        arguments: Value,
        call: F,
    ) -> Result<T, GuardError>
    where
        F: FnOnce(HumanLoopResult) -> Fut,
        Fut: Future<Output = T>,
    {
        let result = self
            .ask(LoopType::Information, function, &arguments, INFO_QUESTION)
            .await?;
        match result.status {
            Status::Completed => Ok(call(result).await),
            _ => Err(GuardError::NoInformation {
                function: function.to_owned(),
                result: Box::new(result),
            }),
        }
    }

    /// Starts a conversation whose turns you ask one by one with [`Conversation::say`].
    pub fn conversation(&self) -> Conversation {
        Conversation {
            guard: self.clone(),
            conversation_id: self.conversation_id.clone().unwrap_or_else(new_id),
            started: false,
        }
    }

    /// Holds a conversation: says `opening`, then asks `next` for each following message, until
    /// the human ends it (`completed`) or `next` returns `None`. Returns every answered turn.
    pub async fn converse<F, Fut>(
        &self,
        opening: impl Into<String>,
        mut next: F,
    ) -> Result<Vec<HumanLoopResult>, GuardError>
    where
        F: FnMut(&HumanLoopResult) -> Fut,
        Fut: Future<Output = Option<String>>,
    {
        let mut conversation = self.conversation();
        let mut transcript = Vec::new();
        let mut message = opening.into();
        loop {
            let result = conversation.say(&message).await?;
            match result.status {
                Status::InProgress => {
                    let follow_up = next(&result).await;
                    transcript.push(result);
                    match follow_up {
                        Some(m) => message = m,
                        None => return Ok(transcript),
                    }
                }
                Status::Completed => {
                    transcript.push(result);
                    return Ok(transcript);
                }
                _ => {
                    transcript.push(result.clone());
                    return Err(GuardError::ConversationBroken {
                        transcript,
                        result: Box::new(result),
                    });
                }
            }
        }
    }
}

/// A conversation held through a [`Guard`]: the first [`say`](Conversation::say) starts it, the
/// next ones continue it.
pub struct Conversation {
    guard: Guard,
    conversation_id: String,
    started: bool,
}

impl Conversation {
    /// The conversation's id.
    pub fn id(&self) -> &str {
        &self.conversation_id
    }

    /// Says `message` and waits for the human's reply (`inprogress`, or `completed` at the end).
    pub async fn say(&mut self, message: &str) -> Result<HumanLoopResult, Error> {
        let mut context = JsonObject::new();
        context.insert("message".into(), Value::String(message.to_owned()));
        if !self.guard.additional.is_empty() {
            context.insert("additional".into(), self.guard.additional.clone().into());
        }
        if let Some(question) = &self.guard.question {
            context.insert("question".into(), question.clone().into());
        }
        let request = self
            .guard
            .loop_request(LoopType::Conversation, context)
            .conversation_id(self.conversation_id.clone());
        let manager = &self.guard.manager;
        let result = if self.started {
            manager.continue_and_wait(request).await?
        } else {
            manager.request_and_wait(request).await?
        };
        self.started = true;
        Ok(result)
    }
}
