//! [`ApprovalRequired`]: any rig tool, asking a human before each call.

use rig_agent::agent::HookContext;
use rig_agent::agent::{AgentHook, OutcomeAction, OutcomeEvent, StepEventKind};
use rig_core::tool::{Tool, ToolContext, ToolErrorKind, ToolExecutionError};
use serde_json::Value;

use crate::gate::Gate;
use crate::verdict::Verdict;

/// How an aborted call's error begins, so that [`StopOnAbort`] knows it.
pub(crate) const ABORTED: &str = "aborted by gohumanloop: ";

/// `T`, asking a human before each call (make one with [`Gate::wrap`]): approved → `T` runs;
/// approved with edited arguments → `T` runs with them; rejected or expired → the call fails
/// with the reason, which the model sees; cancelled (abort) → the call fails as cancelled, and
/// the run stops when it has the [`StopOnAbort`] hook (rig lets no tool stop a run by itself).
///
/// The wrapper always waits for the answer: a run that must pause uses the gate's hook.
pub struct ApprovalRequired<T> {
    tool: T,
    gate: Gate,
}

impl<T: Tool> ApprovalRequired<T> {
    pub(crate) fn new(tool: T, gate: Gate) -> Self {
        Self { tool, gate }
    }

    /// The wrapped tool.
    pub fn inner(&self) -> &T {
        &self.tool
    }
}

impl<T: Tool> Tool for ApprovalRequired<T> {
    const NAME: &'static str = T::NAME;
    type Args = Value;
    type Output = T::Output;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        self.tool.description()
    }

    fn parameters(&self) -> Value {
        self.tool.parameters()
    }

    async fn call(
        &self,
        context: &mut ToolContext,
        args: Value,
    ) -> Result<Self::Output, Self::Error> {
        let args = match self.gate.decide(T::NAME, &args).await {
            Verdict::Run => args,
            Verdict::RunWith(edited) => edited,
            Verdict::Skip(reason) => return Err(ToolExecutionError::refused(reason)),
            Verdict::Abort(reason) => {
                return Err(ToolExecutionError::cancelled(format!("{ABORTED}{reason}")))
            }
        };
        let args: T::Args = serde_json::from_value(args).map_err(|e| {
            ToolExecutionError::invalid_args(format!(
                "the approved arguments do not fit `{}`: {e}",
                T::NAME
            ))
        })?;
        self.tool
            .call(context, args)
            .await
            .map_err(|e| self.tool.map_error(e))
    }
}

/// The hook that stops a run when a wrapped tool's call was aborted
/// ([`ApprovalRequired`]): add it beside the wrapped tools.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopOnAbort;

impl AgentHook for StopOnAbort {
    fn name(&self) -> Option<String> {
        Some("gohumanloop-stop-on-abort".into())
    }

    async fn on_outcome(&self, _ctx: &HookContext, event: OutcomeEvent<'_>) -> OutcomeAction {
        let aborted = event
            .tool_result()
            .and_then(|result| result.error())
            .filter(|error| error.kind() == ToolErrorKind::Cancelled)
            .and_then(|error| error.message().strip_prefix(ABORTED));
        match aborted {
            Some(reason) => OutcomeAction::stop(reason.to_owned()),
            None => OutcomeAction::proceed(),
        }
    }

    fn observes(&self, kind: StepEventKind) -> bool {
        kind == StepEventKind::ToolDispatch
    }
}
