//! The audit aggregate: the hash-chained log of every change.

use async_trait::async_trait;

use super::StoreResult;
use crate::audit::ChainCheck;
use crate::record::{AuditEntry, TenantId};

/// The audit aggregate: the hash-chained log of every change.
#[async_trait]
pub trait Audit: Send + Sync {
    /// The audit entries of one request, oldest first.
    async fn audit_trail(&self, tenant: TenantId, id: &str) -> StoreResult<Vec<AuditEntry>>;

    /// Checks the whole audit chain.
    async fn verify_audit(&self) -> StoreResult<ChainCheck>;
}
