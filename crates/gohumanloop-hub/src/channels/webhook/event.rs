//! The JSON a webhook receives: `{"type": "request.created" | "request.updated", "request": …}`
//! with the request as the answering API shows it, and the id that names the event — the same
//! for every retry of it, so that a receiver can drop a repeat.

use serde::Serialize;

use crate::record::RequestRecord;

/// What happened to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum EventType {
    /// A new request for this webhook.
    #[serde(rename = "request.created")]
    Created,
    /// The request changed: decided (on any channel), expired, cancelled, a conversation turn
    /// answered or ended.
    #[serde(rename = "request.updated")]
    Updated,
}

/// What a webhook channel POSTs to its URL on every event of a routed request, signed as the
/// Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookEvent)]
pub(crate) struct Event<'a> {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The request as it is now.
    pub request: &'a RequestRecord,
}

impl Event<'_> {
    /// The event's `webhook-id`: the request and the status it reports, so that every retry
    /// of the same event carries the same id, and each new state a new one.
    pub fn id(&self) -> String {
        match self.kind {
            EventType::Created => format!("msg_{}_created", self.request.id),
            EventType::Updated => format!("msg_{}_{}", self.request.id, self.request.status),
        }
    }
}
