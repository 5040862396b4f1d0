//! What the hub keeps about a request, and the changes it can undergo.

pub mod schema_names;

use gohumanloop::model::{JsonObject, LoopType, Status};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// A tenant's numeric id: every request, key and task belongs to exactly one.
pub type TenantId = i64;

/// How the original protocol names a request: unique within a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestKey {
    /// The owning tenant.
    pub tenant: TenantId,
    /// The dialogue.
    pub conversation_id: String,
    /// The client-minted request id.
    pub request_id: String,
    /// The platform the client named.
    pub platform: String,
}

/// A request the hub is asked to store.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The hub's own id for it (a UUID), used by the answering API.
    pub id: String,
    /// The original protocol's identity.
    pub key: RequestKey,
    /// The business task.
    pub task_id: String,
    /// What kind of interaction.
    pub loop_type: LoopType,
    /// What the human sees.
    pub context: JsonObject,
    /// Routing and pass-through data.
    pub metadata: JsonObject,
    /// When it arrived (Unix ms).
    pub created_at: i64,
    /// When the hub expires it if nobody answered (Unix ms).
    pub deadline_at: Option<i64>,
    /// Who asked (the API key's name), for the audit log.
    pub actor: String,
    /// Where it came from, for the audit log.
    pub channel: String,
    /// `continue` only: the conversation must already exist in the tenant.
    pub continues_conversation: bool,
    /// The policy's plan for it (JSON of [`crate::policy::Plan`]), if a rule matched.
    pub plan: Option<Value>,
    /// The hash of the call it asks about ([`gohumanloop::model::call_hash`]), if its context
    /// names a function.
    pub call_hash: Option<String>,
}

/// A stored request, as the answering API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RequestRecord {
    /// The hub's id.
    pub id: String,
    /// The owning tenant (not shown on the wire).
    #[serde(skip)]
    pub tenant: TenantId,
    /// The business task.
    pub task_id: String,
    /// The dialogue.
    pub conversation_id: String,
    /// The client-minted request id.
    pub request_id: String,
    /// The platform the client named.
    pub platform: String,
    /// What kind of interaction.
    #[schema(value_type = schema_names::LoopTypeName)]
    pub loop_type: LoopType,
    /// What the human sees.
    #[schema(value_type = Object)]
    pub context: Value,
    /// Routing and pass-through data.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// Where it stands.
    #[schema(value_type = schema_names::StatusName)]
    pub status: Status,
    /// The human's answer.
    pub response: Option<Value>,
    /// Extra remarks.
    pub feedback: Option<Value>,
    /// Who answered.
    pub responded_by: Option<String>,
    /// When they answered (RFC 3339).
    pub responded_at: Option<String>,
    /// What went wrong, or why it ended without an answer.
    pub error: Option<String>,
    /// When it arrived (RFC 3339).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed (RFC 3339).
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When the hub expires it (RFC 3339), if it has a deadline.
    #[schema(format = DateTime)]
    pub deadline_at: Option<String>,
    /// The policy's plan for it, if a rule matched when it was created: the rule, who may
    /// decide, the deadline and what happens then, escalation, quorum, grants.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub plan: Option<Value>,
    /// Where its quorum's votes stand (`{"pending": {"approvals": 1, "rejections": 0,
    /// "needed": 2}}`), once someone voted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub tally: Option<crate::policy::Tally>,
}

impl RequestRecord {
    /// While the request waits for its quorum: the approvals so far, the rejections, and the
    /// approvals needed (what the inbox and the cards show); `None` once it is decided, or
    /// before anyone voted.
    pub fn open_tally(&self) -> Option<(u32, u32, u32)> {
        match (self.status, self.tally) {
            (
                Status::Pending,
                Some(crate::policy::Tally::Pending {
                    approvals,
                    rejections,
                    needed,
                }),
            ) => Some((approvals, rejections, needed)),
            _ => None,
        }
    }

    /// The original protocol's identity of this request.
    pub fn key(&self) -> RequestKey {
        RequestKey {
            tenant: self.tenant,
            conversation_id: self.conversation_id.clone(),
            request_id: self.request_id.clone(),
            platform: self.platform.clone(),
        }
    }

    /// The part of the record that `/status` reports.
    pub fn outcome(&self) -> Outcome {
        Outcome {
            id: self.id.clone(),
            status: self.status,
            response: self.response.clone(),
            feedback: self.feedback.clone(),
            responded_by: self.responded_by.clone(),
            responded_at: self.responded_at.clone(),
            error: self.error.clone(),
        }
    }
}

/// Where a request stands and the answer it got: what `/status` reports and waiters wait for.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The hub's id of the request.
    pub id: String,
    /// Where it stands.
    pub status: Status,
    /// The human's answer.
    pub response: Option<Value>,
    /// Extra remarks.
    pub feedback: Option<Value>,
    /// Who answered.
    pub responded_by: Option<String>,
    /// When they answered.
    pub responded_at: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
}

/// A change of status, as the core resolved it (an answer, a cancellation, an expiry, a
/// settled turn): what the store applies with one compare-and-set.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The owning tenant.
    pub tenant: TenantId,
    /// The hub's id of the request.
    pub id: String,
    /// The statuses it may move from; in any other, someone else was first.
    pub from: Vec<Status>,
    /// The status it moves to.
    pub to: Status,
    /// The answer (`Some`: this change is an answer, and sets `response`, `feedback`,
    /// `responded_by` and `responded_at`; `None`: they stay as they are).
    pub response: Option<Value>,
    /// Extra remarks (answers only).
    pub feedback: Option<Value>,
    /// Who answered (`responded_by`); also the audit actor.
    pub actor: String,
    /// How people know the actor, if the channel said (kept in the audit entry's detail as
    /// `actor_name`).
    pub actor_name: Option<String>,
    /// Which way the change came (`api`, `deadline`, `compat`, …), for the audit log.
    pub channel: String,
    /// Why it ended without an answer, if it did.
    pub error: Option<String>,
    /// A vote of a quorum: recorded with this change, which happens only if the vote decides.
    pub ballot: Option<BallotCast>,
    /// A grant this change relies on: checked live and (single use) used up in the change's
    /// own transaction, so that the change happens if and only if the grant is spent on it.
    pub grant: Option<GrantUse>,
}

/// A grant a change relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantUse {
    /// The grant's id.
    pub id: String,
    /// Whether the change uses it up.
    pub single_use: bool,
}

/// A vote toward a quorum, as the core judged it may be cast: the store records it and judges
/// the votes so far in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct BallotCast {
    /// For (approve) or against (reject).
    pub approve: bool,
    /// The voter's reason or remark.
    pub reason: String,
    /// The quorum the plan asks for.
    pub quorum: crate::policy::Quorum,
    /// How many people may vote.
    pub eligible: u32,
    /// Who asked (never counted).
    pub requester: String,
}

/// What a create did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    /// Stored now.
    Created(Box<RequestRecord>),
    /// The same request with the same content was stored before: nothing changed.
    AlreadyExists(Box<RequestRecord>),
    /// A request with these ids but different content exists.
    Conflict(Box<RequestRecord>),
    /// `continue` named a conversation the tenant does not have.
    UnknownConversation,
}

/// What a transition did.
#[derive(Debug, Clone, PartialEq)]
pub enum TransitionOutcome {
    /// The status changed from `before`.
    Changed {
        /// The status it had.
        before: Status,
        /// The request as it is now.
        record: Box<RequestRecord>,
    },
    /// The tenant has no such request.
    NotFound,
    /// The request had already moved to a status this change cannot follow (the winner).
    Conflict(Box<RequestRecord>),
    /// A vote was recorded and the quorum is not decided yet: the request stays as it is.
    Voted {
        /// The request (unchanged).
        record: Box<RequestRecord>,
        /// The votes so far.
        tally: crate::policy::Tally,
    },
    /// This person has voted on this request before: nothing recorded.
    AlreadyVoted(Box<RequestRecord>),
    /// The grant the change relied on was used, revoked or expired meanwhile: nothing changed.
    GrantEnded(Box<RequestRecord>),
}

/// Filters for listing requests (all optional; newest first).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only these statuses.
    pub statuses: Vec<Status>,
    /// None of these statuses.
    pub exclude_statuses: Vec<Status>,
    /// Only this loop type.
    pub loop_type: Option<LoopType>,
    /// Only this platform.
    pub platform: Option<String>,
    /// Only this task.
    pub task_id: Option<String>,
    /// Only this conversation.
    pub conversation_id: Option<String>,
    /// Created at or after (Unix ms).
    pub created_after: Option<i64>,
    /// Created before (Unix ms).
    pub created_before: Option<i64>,
    /// Every one of these words occurs (as a substring, in any case) in the request's question,
    /// message, function name or arguments.
    pub search: Vec<String>,
    /// Only the requests with these hub ids (e.g. what [`crate::store::Requests::search`]
    /// found).
    pub among: Option<Vec<String>>,
    /// Only platforms that contain this (in any case).
    pub platform_contains: Option<String>,
    /// Only tasks that contain this (in any case).
    pub task_contains: Option<String>,
    /// Of a conversation only its newest turn (requests of other types all).
    pub newest_turn_only: bool,
    /// Only requests assigned to this person.
    pub assigned_to: Option<String>,
    /// No request assigned to anyone but this person.
    pub not_assigned_to_others: Option<String>,
    /// At most this many.
    pub limit: u32,
    /// Skip this many.
    pub offset: u32,
}

impl RequestFilter {
    /// Whether a search or a list of ids narrows the filter down (a store may then read the
    /// few matching requests by id rather than walk its indexes).
    pub fn narrowed(&self) -> bool {
        !self.search.is_empty() || self.among.is_some()
    }
}

/// How many requests of a tenant have one status and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    /// The status.
    pub status: Status,
    /// The type.
    pub loop_type: LoopType,
    /// How many.
    pub n: i64,
}

/// One entry of the hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the log.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// The owning tenant (not shown on the wire).
    #[serde(skip)]
    pub tenant: TenantId,
    /// The hub's id of the request.
    pub request: String,
    /// Who made the change.
    pub actor: String,
    /// Which way it came.
    pub channel: String,
    /// The status before (`None` for a create).
    #[schema(value_type = Option<schema_names::StatusName>)]
    pub old_status: Option<Status>,
    /// The status after.
    #[schema(value_type = schema_names::StatusName)]
    pub new_status: Status,
    /// The answer or reason, as compact JSON.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// An API key as `ghl keys list` shows it (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyInfo {
    /// The key's id.
    pub id: i64,
    /// The tenant it opens.
    pub tenant: String,
    /// Its name, used as `responded_by` for answers given with it.
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
}

/// Whom a valid key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    /// The tenant.
    pub tenant: TenantId,
    /// The key's name.
    pub name: String,
}

/// A stored task snapshot (merged `tasks/sync` uploads).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TaskRecord {
    /// The task.
    pub task_id: String,
    /// The merged snapshot.
    pub data: Value,
    /// When the last upload arrived (RFC 3339).
    pub received_at: String,
    /// How many uploads were merged.
    pub updates: i64,
}

/// The turns of a conversation around one of its turns (not included: the caller has it), and
/// how many turns lie beyond them on either side.
#[derive(Debug, Clone, Default)]
pub struct ConversationWindow {
    /// The turns just before it, oldest first.
    pub before: Vec<RequestRecord>,
    /// The turns just after it, oldest first.
    pub after: Vec<RequestRecord>,
    /// How many older turns are left out.
    pub earlier: u64,
    /// How many newer turns are left out.
    pub later: u64,
}

/// What the task list shows of a task snapshot, without the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    /// The task.
    pub task_id: String,
    /// How many conversations the snapshot holds.
    pub conversations: u64,
    /// How many requests, over all its conversations.
    pub requests: u64,
    /// How many uploads were merged.
    pub updates: i64,
    /// When the last upload arrived (RFC 3339).
    pub received_at: String,
}

/// Which version of a task snapshot the store holds: merges are written against it, so that
/// two merges of the same task never overwrite each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskVersion {
    /// How many uploads were merged (the version number).
    pub updates: i64,
    /// The digest of the last merged upload's conversations (see [`crate::tasks`]).
    pub digest: String,
}

/// A merged task snapshot to store, if the stored one is still the version it was merged
/// from.
#[derive(Debug, Clone)]
pub struct TaskWrite {
    /// The task.
    pub task_id: String,
    /// The version merged from (`None`: the task is new).
    pub base: Option<i64>,
    /// The merged conversations as a JSON array (`None`: unchanged, keep the stored ones).
    pub conversations: Option<String>,
    /// The digest of this upload's conversations.
    pub digest: String,
    /// The upload's `timestamp`.
    pub timestamp: String,
    /// The upload's `metadata`, as JSON.
    pub metadata: String,
}

/// How far the hub's clock runs ahead of the system's (ms): 0 except under `ghl serve
/// --test-clock`, whose tests move it forward instead of sleeping.
static CLOCK_AHEAD_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Now, in Unix milliseconds, on the hub's clock.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
        + CLOCK_AHEAD_MS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Moves the hub's clock forward by `ms` (tests only: `ghl serve --test-clock`); the new time.
pub(crate) fn advance_clock(ms: i64) -> i64 {
    CLOCK_AHEAD_MS.fetch_add(ms.max(0), std::sync::atomic::Ordering::Relaxed);
    now_ms()
}

/// Unix milliseconds as RFC 3339 text (UTC).
pub(crate) fn ms_to_rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// RFC 3339 text as Unix milliseconds.
pub(crate) fn rfc3339_to_ms(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Records for unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use gohumanloop::model::{LoopType, Status};
    use serde_json::json;

    use super::RequestRecord;

    /// A pending approval `id` of tenant 1, platform `p`, asking "Deploy?".
    pub(crate) fn record(id: &str) -> RequestRecord {
        RequestRecord {
            id: id.into(),
            tenant: 1,
            task_id: "t".into(),
            conversation_id: "c".into(),
            request_id: "r".into(),
            platform: "p".into(),
            loop_type: LoopType::Approval,
            context: json!({"question": "Deploy?"}),
            metadata: json!({}),
            status: Status::Pending,
            response: None,
            feedback: None,
            responded_by: None,
            responded_at: None,
            error: None,
            created_at: "2026-11-25T10:00:00Z".into(),
            updated_at: "2026-11-25T10:00:00Z".into(),
            deadline_at: None,
            plan: None,
            tally: None,
        }
    }
}
