//! `HumanLoopCallback`: hooks the manager calls as a request moves.

use async_trait::async_trait;

use crate::model::{HumanLoopRequest, HumanLoopResult};
use crate::provider::{Provider, ProviderError};

/// Hooks around one request. Every hook has an empty default, so implement only what you need.
///
/// Order for one request: `on_request` once, when the provider accepted it (with the real
/// request id); then `on_update` once for every new non-pending state (an `inprogress` turn, then
/// its end); `on_timeout` right after the `on_update` of an `expired` state; `on_error` when the
/// provider fails. Hooks run before a blocking wait returns the state they were called with.
#[async_trait]
pub trait HumanLoopCallback: Send + Sync + 'static {
    /// The provider accepted a request or a conversation turn.
    async fn on_request(&self, _provider: &dyn Provider, _request: &HumanLoopRequest) {}

    /// The request reached a new non-pending state.
    async fn on_update(&self, _provider: &dyn Provider, _result: &HumanLoopResult) {}

    /// The request expired (called after `on_update`).
    async fn on_timeout(&self, _provider: &dyn Provider, _result: &HumanLoopResult) {}

    /// The provider failed; the same error also reaches the caller.
    async fn on_error(&self, _provider: &dyn Provider, _error: &ProviderError) {}
}
