//! The requests aggregate: creating requests, changing their status, reading and paging them, and their deadlines.

use async_trait::async_trait;

use super::{Cursor, Deadline, StoreResult, Urgency};
use crate::record::{
    ConversationWindow, CreateOutcome, NewRequest, RequestFilter, RequestKey, RequestRecord,
    StatusCount, TenantId, Transition, TransitionOutcome,
};

/// The requests aggregate: creating requests, changing their status, reading and paging them, and their deadlines.
#[async_trait]
pub trait Requests: Send + Sync {
    /// Stores a new request (idempotent for an identical repeat; see [`CreateOutcome`]).
    async fn create(&self, request: NewRequest) -> StoreResult<CreateOutcome>;

    /// Changes a request's status if, and only if, its current status may become `to`
    /// (one conditional write; the first change wins, later ones get `Conflict`).
    async fn transition(&self, change: Transition) -> StoreResult<TransitionOutcome>;

    /// A request by its protocol identity.
    async fn find(&self, key: &RequestKey) -> StoreResult<Option<RequestRecord>>;

    /// The turns of a conversation around the request with the hub's id `around` (not it): up
    /// to `each_side` turns before and after it (oldest first), and how many turns lie beyond
    /// them. Empty if the tenant has no such request.
    async fn conversation_window(
        &self,
        tenant: TenantId,
        conversation_id: &str,
        around: &str,
        each_side: u32,
    ) -> StoreResult<ConversationWindow>;

    /// A request by the hub's id, or by its client `request_id` when that is unambiguous.
    async fn get(&self, tenant: TenantId, id: &str) -> StoreResult<Vec<RequestRecord>>;

    /// Requests matching a filter, newest first.
    async fn list(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
    ) -> StoreResult<Vec<RequestRecord>>;

    /// A page of requests matching a filter, newest first, that arrived before the position
    /// `before` (from an earlier page; `None`: from the newest), skipping `offset` of them
    /// first. Each comes with its own position, to ask for the next page with. With an
    /// `offset` of 0 the cost does not grow with how deep the page is.
    async fn page(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
        before: Option<Cursor>,
    ) -> StoreResult<Vec<(Cursor, RequestRecord)>>;

    /// A page of the `pending` requests matching a filter (its statuses aside), most urgent
    /// first: by deadline, soonest first and none last, then oldest first; those after `after`
    /// (from an earlier page; `None`: from the most urgent). Each comes with its own position.
    async fn pending_by_urgency(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
        after: Option<Urgency>,
    ) -> StoreResult<Vec<(Urgency, RequestRecord)>>;

    /// The hub ids of the tenant's newest [`super::SEARCH_MATCHES`] requests whose question,
    /// message, function name or arguments contain every word (as a substring, in any case),
    /// newest first; none for no words.
    async fn search(&self, tenant: TenantId, words: &[String]) -> StoreResult<Vec<String>>;

    /// How many turns each of these conversations of a tenant has, as `(conversation id, n)`.
    async fn turn_counts(
        &self,
        tenant: TenantId,
        conversations: &[String],
    ) -> StoreResult<Vec<(String, i64)>>;

    /// How many requests these tenants have together, per status and type.
    async fn counts(&self, tenants: &[TenantId]) -> StoreResult<Vec<StatusCount>>;

    /// A request by the hub's id alone, whatever its tenant (the caller checks who may see it).
    async fn by_id(&self, id: &str) -> StoreResult<Option<RequestRecord>>;

    /// Up to `limit` `pending` requests whose deadline is at or before `now` (Unix ms),
    /// earliest first. Deadlines are read as they fall due, never held in memory.
    async fn due(&self, now: i64, limit: u32) -> StoreResult<Vec<Deadline>>;

    /// The earliest deadline of any `pending` request (Unix ms).
    async fn next_deadline(&self) -> StoreResult<Option<i64>>;
}
