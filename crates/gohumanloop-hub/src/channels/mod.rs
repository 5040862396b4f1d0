//! Channels: ways besides the web inbox and the API to put requests before humans — email,
//! webhooks, chat platforms. A channel does three things:
//!
//! - **deliver**: put a new request before its recipients, and say how the platform names the
//!   message (its reference);
//! - **update**: bring a delivered message up to date after every later change of the request —
//!   decided on another channel, expired, cancelled (idempotent: it may be called again);
//! - **receive**: its own inbound routes (signed callbacks, link pages), mounted by the app;
//!   what a human does there becomes a [`crate::core::Decision`] for [`crate::Hub::decide`].
//!
//! It does not keep track of what it did: the [`dispatcher`], driven by the store's change
//! feed, records every delivery in the store, retries failures with backoff and jitter, gives
//! up on permanent errors (and keeps why), and after a restart resumes what was left undone.

pub mod chat;
pub mod dispatcher;
pub mod email;
pub mod feishu;
pub(crate) mod http;
mod schedule;
pub mod slack;
pub mod webhook;
pub mod wecom;

use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use serde_json::Value;

use crate::record::RequestRecord;
use crate::store::{Delivery, StoreError};

pub use dispatcher::Dispatcher;
pub use schedule::{default_retry_delay, DEFAULT_RETRY_SCHEDULE};

/// Why a channel could not start.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The channel's settings cannot work.
    #[error("{0}")]
    Config(String),
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    /// The message is out.
    Sent {
        /// How the platform names it (to update it later, or to recognise answers to it).
        reference: String,
        /// The channel's own data to keep with the delivery.
        data: Option<Value>,
    },
    /// The channel declined it, and says why (e.g. the request ended before it was sent).
    Skipped(String),
}

impl Delivered {
    /// `Skipped` when `record` no longer waits for a decision — it ended before it could be
    /// `sent` (`"mailed"`, `"posted"`) — else `None`: nobody is asked to decide a request that
    /// needs no decision any more.
    pub(crate) fn unless_pending(record: &RequestRecord, sent: &str) -> Option<Self> {
        (record.status != gohumanloop::model::Status::Pending).then(|| {
            Self::Skipped(format!(
                "the request was already {} when it could be {sent}",
                record.status
            ))
        })
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// A passing failure (a time-out, a 5xx, a 429): tried again later.
    #[error("{0}")]
    Retry(String),
    /// It will not get better (a refused address, a 4xx): given up, and the reason kept.
    #[error("{0}")]
    Permanent(String),
}

/// A way of reaching humans. See the module's docs for the contract.
#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// Its name, unique among the hub's channels (`email`, `webhook:ops`): the deliveries'
    /// and the audit's channel.
    fn name(&self) -> &str;

    /// Whom a new request goes to on this channel (empty: it is not routed here). Each
    /// recipient gets its own delivery; `""` names the channel's one destination.
    fn recipients(&self, record: &RequestRecord) -> Vec<String>;

    /// Where the people an escalation step of the request's plan adds (hub identities) are
    /// reached on this channel: each recipient gets its own delivery, due when the step is
    /// reached. Empty (the default): the channel cannot reach them by name.
    fn escalation_recipients(&self, _record: &RequestRecord, _people: &[String]) -> Vec<String> {
        Vec::new()
    }

    /// Puts the request before `delivery.recipient`.
    async fn deliver(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
    ) -> Result<Delivered, DeliveryError>;

    /// Brings the delivered message up to date with the request as it is now.
    async fn update(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
    ) -> Result<(), DeliveryError>;

    /// How long to wait before attempt `failures + 1`, after `failures` failed attempts in a
    /// row (`None`: give up).
    fn retry_delay(&self, failures: u32) -> Option<Duration> {
        default_retry_delay(failures)
    }

    /// Its inbound routes (absolute paths under `/channels/…` or its own prefix), if any.
    fn routes(&self) -> Option<Router> {
        None
    }
}
