//! Single-use links and messages: what was used once is refused the next time (email links,
//! signed webhook messages, chat callbacks).

use async_trait::async_trait;

use super::StoreResult;

/// Whether a signed link was used before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkUse {
    /// First use: recorded now.
    First,
    /// Used before.
    Again,
}

/// The single-use links aggregate.
#[async_trait]
pub trait Links: Send + Sync {
    /// Records the use of a single-use link (by its id); [`LinkUse::Again`] if it was used before.
    async fn use_link(&self, link_id: &str, request_id: &str) -> StoreResult<LinkUse>;

    /// Whether a single-use link was used.
    async fn link_used(&self, link_id: &str) -> StoreResult<bool>;
}
