//! The library's error type.

use crate::provider::ProviderError;

/// Why the manager (or a guard, or the sync facade) could not do what was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// No provider is registered under this id (or none at all, for the default).
    #[error("Provider '{0}' not found")]
    ProviderNotFound(String),
    /// A provider with this id is registered already.
    #[error("Provider '{0}' is already registered")]
    DuplicateProvider(String),
    /// The conversation is pinned to another provider than the one asked for.
    #[error("Conversation '{conversation_id}' is already associated with provider '{pinned}', not '{requested}'")]
    ConversationPinned {
        /// The conversation.
        conversation_id: String,
        /// The provider it belongs to.
        pinned: String,
        /// The provider asked for.
        requested: String,
    },
    /// The conversation is unknown to this manager.
    #[error("Conversation '{0}' not found")]
    ConversationNotFound(String),
    /// The provider accepted the call but returned no request id.
    #[error("Failed to request humanloop for conversation '{0}'")]
    RequestFailed(String),
    /// The provider accepted a continue but returned no request id.
    #[error("Failed to continue humanloop for conversation '{0}'")]
    ContinueFailed(String),
    /// The provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A blocking call was made from inside an async runtime, where it would block the runtime.
    #[error("a blocking gohumanloop call was made inside an async runtime; use the async Manager and .await instead")]
    InsideAsyncRuntime,
    /// An interrupt token that cannot be resumed here: damaged, or made by another provider.
    #[error("bad interrupt token: {0}")]
    BadToken(String),
    /// The runtime behind the blocking facade could not be built.
    #[error("could not start the async runtime: {0}")]
    Runtime(String),
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
