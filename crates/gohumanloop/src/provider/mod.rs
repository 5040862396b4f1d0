//! The `Provider` seam: anything that can put a request before a human and report the answer.
//!
//! Most providers keep their requests in a [`Ledger`] and only implement [`Delivery`] (how the
//! question reaches a human); [`LocalProvider`] turns such a delivery into a full `Provider`.

mod ledger;
mod local;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::model::{HistoryEntry, HumanLoopRequest, HumanLoopResult, Status};

pub use ledger::{Answer, Ledger};
pub use local::{Delivery, LocalProvider};

/// Why a provider could not do what was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// No such conversation here.
    #[error("Conversation '{0}' not found")]
    ConversationNotFound(String),
    /// No such request here.
    #[error("Request '{request_id}' not found in conversation '{conversation_id}'")]
    RequestNotFound {
        /// The conversation asked about.
        conversation_id: String,
        /// The request asked about.
        request_id: String,
    },
    /// A request with these ids exists already.
    #[error("Request '{request_id}' already exists in conversation '{conversation_id}'")]
    DuplicateRequest {
        /// The conversation.
        conversation_id: String,
        /// The request.
        request_id: String,
    },
    /// The request already reached a state it cannot leave for the one asked, or its loop
    /// type never takes that status (an approval is never `completed`).
    #[error("Request '{request_id}' is {from} and cannot become {to}")]
    InvalidTransition {
        /// The request.
        request_id: String,
        /// Its current status.
        from: Status,
        /// The status asked for.
        to: Status,
    },
    /// Anything else the provider reports (network, I/O, a refused call).
    #[error("{0}")]
    Failed(String),
}

/// Something that asks humans: the terminal, email, an HTTP service, the hub, a test harness.
///
/// Contract: the provider mints nothing the caller supplied (a request's `request_id`, when
/// set, is kept), statuses only move forward (a terminal status never changes again), a
/// `pending` request becomes `expired` at its deadline, and [`Provider::subscribe`] reports
/// every change so that waiters are woken instead of polling.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's name (also its default id in a manager).
    fn name(&self) -> &str;

    /// Asks a human; returns the new request's state (normally `pending`).
    async fn request(&self, request: HumanLoopRequest) -> Result<HumanLoopResult, ProviderError>;

    /// Adds a turn to a conversation; the request's `loop_type` is taken as `conversation` and an
    /// empty `task_id` as the conversation's own.
    async fn continue_conversation(
        &self,
        request: HumanLoopRequest,
    ) -> Result<HumanLoopResult, ProviderError>;

    /// The current state of one request; an unknown request is an `error` result.
    async fn check_request_status(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<HumanLoopResult, ProviderError>;

    /// The state of a conversation's latest request; an unknown conversation is an `error` result
    /// with an empty `request_id`.
    async fn check_conversation_status(
        &self,
        conversation_id: &str,
    ) -> Result<HumanLoopResult, ProviderError>;

    /// Cancels one request; `true` when it is now cancelled.
    async fn cancel_request(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<bool, ProviderError>;

    /// Cancels every live request of a conversation; `false` when the conversation is unknown.
    async fn cancel_conversation(&self, conversation_id: &str) -> Result<bool, ProviderError>;

    /// Every turn of a conversation, oldest first.
    async fn conversation_history(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<HistoryEntry>, ProviderError>;

    /// A receiver that sees every state change of one request.
    fn subscribe(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<watch::Receiver<HumanLoopResult>, ProviderError>;

    /// Drops what the provider keeps about a finished conversation (frees memory).
    async fn forget_conversation(&self, _conversation_id: &str) {}
}
