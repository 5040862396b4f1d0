//! The part of the store that keeps the web inbox's accounts, grants and sessions.

use async_trait::async_trait;

use super::StoreResult;
use crate::accounts::{Credentials, Role, SessionUser, Tenant, UserInfo};

/// Accounts of approvers and admins, their tenant grants, and sign-in sessions.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Makes an account; fails if the name is taken.
    async fn add_user(&self, name: &str, password_hash: &str, role: Role) -> StoreResult<UserInfo>;

    /// Replaces an account's password and ends its sessions; `false` if there is no such account.
    async fn set_password(&self, name: &str, password_hash: &str) -> StoreResult<bool>;

    /// Disables (ending its sessions) or re-enables an account; `false` if there is none.
    async fn set_disabled(&self, name: &str, disabled: bool) -> StoreResult<bool>;

    /// Lets an account see a tenant (created if new); `false` if there is no such account.
    async fn grant(&self, user: &str, tenant: &str) -> StoreResult<bool>;

    /// Every account, with its grants.
    async fn users(&self) -> StoreResult<Vec<UserInfo>>;

    /// What signing in as `name` checks against.
    async fn credentials(&self, name: &str) -> StoreResult<Option<Credentials>>;

    /// Every tenant.
    async fn tenants(&self) -> StoreResult<Vec<Tenant>>;

    /// Records a new session (and forgets expired ones).
    async fn start_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> StoreResult<()>;

    /// The live session with this token hash, if it has not expired and its account is enabled.
    async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionUser>>;

    /// Ends a session (signing out).
    async fn end_session(&self, token_hash: &str) -> StoreResult<()>;
}
