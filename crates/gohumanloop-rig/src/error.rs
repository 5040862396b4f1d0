//! [`GateError`]: why a gated run did not finish or pause.

use rig_agent::completion::PromptError;

/// Why a gated run (or its resume) failed.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// A human (or the request's end: cancelled, failed) stopped the run at a gated call.
    #[error("the run was aborted at a gated tool call: {0}")]
    Aborted(String),
    /// This paused run was resumed before — here or in another process — so resuming it again
    /// would run its tool calls twice: nothing was run.
    #[error("this paused run was resumed already (request {request_id}); nothing was run again")]
    AlreadyResumed {
        /// The request whose resume was claimed before.
        request_id: String,
    },
    /// Asking a human, or reading the answer, failed.
    #[error(transparent)]
    Ask(#[from] gohumanloop::Error),
    /// A saved paused run that cannot be read (damaged, or saved by another version).
    #[error("cannot read the paused run: {0}")]
    BadPausedRun(String),
    /// The run stopped at a gated call in a state it cannot be saved from.
    #[error("cannot pause the run: {0}")]
    Pause(String),
    /// The run itself failed (the model, a tool, rig).
    #[error(transparent)]
    Run(Box<PromptError>),
}

impl From<PromptError> for GateError {
    fn from(error: PromptError) -> Self {
        Self::Run(Box::new(error))
    }
}
