//! Who looks after a request: at most one person per request, named by their account. An
//! assignment is not a decision (it changes no status, and anyone who sees the request may
//! answer it), so it is not in the audit chain.

use async_trait::async_trait;

use super::StoreResult;

/// The assignments aggregate.
#[async_trait]
pub trait Assignments: Send + Sync {
    /// Assigns the request with the hub's id `request_id` to `assignee` (`None`: to nobody),
    /// as `by` asked; a new assignment replaces the old one.
    async fn assign(&self, request_id: &str, assignee: Option<&str>, by: &str) -> StoreResult<()>;

    /// Whom a request is assigned to.
    async fn assignee(&self, request_id: &str) -> StoreResult<Option<String>>;

    /// The assignees of those of these requests that have one, as `(request id, assignee)`.
    async fn assignees(&self, request_ids: &[String]) -> StoreResult<Vec<(String, String)>>;
}
