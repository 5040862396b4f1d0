//! The API keys aggregate (stored by their hash).

use async_trait::async_trait;

use super::StoreResult;
use crate::record::{KeyInfo, KeyOwner};

/// The API keys aggregate (stored by their hash).
#[async_trait]
pub trait Keys: Send + Sync {
    /// Stores a key (by its hash) for a tenant, creating the tenant if needed.
    async fn add_key(
        &self,
        tenant: &str,
        name: &str,
        prefix: &str,
        key_hash: &str,
    ) -> StoreResult<KeyInfo>;

    /// Every key, revoked ones included.
    async fn keys(&self) -> StoreResult<Vec<KeyInfo>>;

    /// Revokes a key by id or prefix; `false` if none matched or it was already revoked.
    async fn revoke_key(&self, id_or_prefix: &str) -> StoreResult<bool>;

    /// The owner of a live key with this hash.
    async fn key_owner(&self, key_hash: &str) -> StoreResult<Option<KeyOwner>>;
}
