//! The hub's own secrets (link-signing keys), made once and kept.

use async_trait::async_trait;

use super::StoreResult;

/// The secrets aggregate.
#[async_trait]
pub trait Secrets: Send + Sync {
    /// A named secret of the hub: the stored one, or `fresh` stored now if there is none.
    async fn secret(&self, name: &str, fresh: &[u8]) -> StoreResult<Vec<u8>>;
}
