//! Deliveries: what each channel did with each request — the contract the channel dispatcher
//! relies on (see [`crate::channels`]).
//!
//! - A delivery is opened once per (request, channel, recipient); opening again changes
//!   nothing.
//! - It is **due** when there is something to do: its first delivery (at once, or when the
//!   escalation step it was opened for is reached), a retry, or an update
//!   after the request changed (a change marks the request's delivered rows due in the same
//!   transaction, so no update is lost to a crash — but leaves a lease or a retry's later time
//!   as it is: the claimant's record of its attempt, or the retry, sees the change).
//! - [`Deliveries::claim_due`] hands each due delivery to one claimant for a lease: several
//!   dispatchers (several nodes) never work on the same delivery at once, and a claimant that
//!   died is replaced when its lease ends.

use async_trait::async_trait;
use gohumanloop::model::Status;
use serde_json::Value;

use super::{Cursor, StoreResult};
use crate::record::{RequestRecord, TenantId};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not delivered yet (maybe after failed attempts).
    Pending,
    /// On the platform: `reference` names the message.
    Delivered,
    /// The channel declined it (e.g. the request had ended before it could be sent).
    Skipped,
    /// Given up for good: `last_error` says why.
    GaveUp,
}

impl DeliveryState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Skipped => "skipped",
            Self::GaveUp => "gave_up",
        }
    }

    /// The state a stored word names.
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Skipped, Self::GaveUp]
            .into_iter()
            .find(|s| s.as_str() == word)
    }
}

/// One message of one request on one channel to one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The hub's id of the request.
    pub request_id: String,
    /// The channel's name (`email`, `webhook:ops`).
    pub channel: String,
    /// Whom it is for, as the channel names them (empty: the channel's one destination).
    pub recipient: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// The platform's reference to the message (a `Message-ID`, a Slack `ts`, a webhook id).
    pub reference: Option<String>,
    /// The request's status the message shows.
    pub shown_status: Option<Status>,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// When the dispatcher acts on it next (Unix ms); `None`: nothing to do.
    pub due_at: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The channel's own data.
    pub data: Option<Value>,
    /// When it was first delivered (Unix ms).
    pub delivered_at: Option<i64>,
}

/// How an attempt on a delivery ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// Delivered, showing the request as `shown`.
    Delivered {
        /// The platform's reference to the message.
        reference: String,
        /// The status the message shows.
        shown: Status,
        /// The channel's own data to keep.
        data: Option<Value>,
    },
    /// The message was brought up to date: it shows `shown`.
    Updated {
        /// The status the message shows now.
        shown: Status,
    },
    /// Failed; to be tried again at `retry_at` (Unix ms).
    Failed {
        /// Why.
        error: String,
        /// When to try again.
        retry_at: i64,
    },
    /// Failed for good: never tried again.
    GaveUp {
        /// Why.
        error: String,
    },
    /// The channel declined it.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Nothing was to be done (a delivery that had ended): it is no longer due.
    Idle,
}

impl Attempt {
    /// How the attempt ended, in a word (`delivered`, `updated`, `failed`, `gave_up`,
    /// `skipped`); `None` when nothing was attempted.
    pub fn outcome(&self) -> Option<&'static str> {
        Some(match self {
            Self::Delivered { .. } => "delivered",
            Self::Updated { .. } => "updated",
            Self::Failed { .. } => "failed",
            Self::GaveUp { .. } => "gave_up",
            Self::Skipped { .. } => "skipped",
            Self::Idle => return None,
        })
    }
}

/// The deliveries aggregate of the store.
#[async_trait]
pub trait Deliveries: Send + Sync {
    /// Opens a delivery of a request on `channel` for each recipient, due at once (those
    /// opened before are left as they are).
    async fn open_deliveries(
        &self,
        request_id: &str,
        channel: &str,
        recipients: &[String],
    ) -> StoreResult<()> {
        let now = crate::record::now_ms();
        let due: Vec<(String, i64)> = recipients.iter().map(|r| (r.clone(), now)).collect();
        self.open_deliveries_due(request_id, channel, &due).await
    }

    /// Opens a delivery of a request on `channel` for each `(recipient, due_at)`, due then
    /// (Unix ms; a later time is an escalation's: a request's change does not make it due
    /// sooner), all of them or none; those opened before are left as they are.
    async fn open_deliveries_due(
        &self,
        request_id: &str,
        channel: &str,
        recipients: &[(String, i64)],
    ) -> StoreResult<()>;

    /// Claims up to `limit` deliveries due by `now` for a lease ending at `lease_until` (they
    /// are due again then, unless the claimant records an attempt first), earliest first.
    async fn claim_due(&self, now: i64, lease_until: i64, limit: u32)
        -> StoreResult<Vec<Delivery>>;

    /// Records how an attempt ended. After a success the delivery stays due if the request has
    /// moved on from the status the message shows.
    async fn record_attempt(&self, delivery: &Delivery, attempt: Attempt) -> StoreResult<()>;

    /// Keeps the reference and data a channel chose before its first attempt (a mail's
    /// `Message-ID`, so that a resend after a crash carries the same one); if some were kept
    /// before, they stay. The delivery as stored.
    async fn prepare_delivery(
        &self,
        delivery: &Delivery,
        reference: &str,
        data: Value,
    ) -> StoreResult<Delivery>;

    /// The delivered messages of `channel` for a conversation's requests, oldest request
    /// first (to thread the next one).
    async fn deliveries_in_conversation(
        &self,
        tenant: TenantId,
        conversation_id: &str,
        channel: &str,
    ) -> StoreResult<Vec<Delivery>>;

    /// When the next delivery falls due (Unix ms).
    async fn next_delivery_due(&self) -> StoreResult<Option<i64>>;

    /// Every delivery of a request.
    async fn deliveries_of(&self, request_id: &str) -> StoreResult<Vec<Delivery>>;

    /// The delivery a platform reference names on a channel.
    async fn delivery_by_reference(
        &self,
        channel: &str,
        reference: &str,
    ) -> StoreResult<Option<Delivery>>;

    /// Up to `limit` pending requests (of any tenant) with no delivery on `channel`, oldest
    /// first, created after the position `after` (from an earlier call; `None`: from the
    /// oldest), each with its position: what a channel must still be given after a restart.
    async fn undelivered(
        &self,
        channel: &str,
        after: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Vec<(Cursor, RequestRecord)>>;
}
