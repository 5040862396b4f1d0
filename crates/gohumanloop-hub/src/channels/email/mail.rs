//! A request's mail, as the email channel keeps it: its delivery on the channel `email`, with
//! the reply token as the delivery's reference and the `Message-ID`, recipients and subject as
//! its data.

use serde_json::{json, Value};

use crate::record::TenantId;
use crate::store::{Delivery, DeliveryState, Store, StoreResult};

/// The channel's name: the deliveries' and the audit's.
pub const CHANNEL: &str = "email";

/// One request's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// The hub's id of the request.
    pub request_id: String,
    /// The token that threads replies back (in the `Message-ID` and the subject).
    pub token: String,
    /// The mail's `Message-ID` (without brackets).
    pub message_id: String,
    /// Whom it went to.
    pub recipients: Vec<String>,
    /// Its subject, without the token tag.
    pub subject: String,
    /// When the SMTP server accepted it (Unix ms); `None`: not sent yet.
    pub sent_at: Option<i64>,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Whether sending was given up for good.
    pub gave_up: bool,
}

impl MailRecord {
    /// The mail a delivery of the email channel holds (`None`: not prepared yet).
    pub(crate) fn of(delivery: &Delivery) -> Option<Self> {
        let data = delivery.data.as_ref()?;
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            request_id: delivery.request_id.clone(),
            token: delivery.reference.clone()?,
            message_id: text("message_id")?,
            recipients: data
                .get("recipients")
                .and_then(Value::as_array)
                .map(|all| {
                    all.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            subject: text("subject").unwrap_or_default(),
            sent_at: delivery.delivered_at,
            attempts: delivery.attempts,
            last_error: delivery.last_error.clone(),
            gave_up: delivery.state == DeliveryState::GaveUp,
        })
    }

    /// What the delivery keeps of a mail before it is sent.
    pub(crate) fn data(message_id: &str, recipients: &[String], subject: &str) -> Value {
        json!({"message_id": message_id, "recipients": recipients, "subject": subject})
    }
}

/// The mail of a request, if it was prepared.
pub async fn mail_of(store: &dyn Store, request_id: &str) -> StoreResult<Option<MailRecord>> {
    Ok(store
        .deliveries_of(request_id)
        .await?
        .iter()
        .filter(|d| d.channel == CHANNEL)
        .find_map(MailRecord::of))
}

/// The mail that carried a reply token.
pub async fn mail_by_token(store: &dyn Store, token: &str) -> StoreResult<Option<MailRecord>> {
    Ok(store
        .delivery_by_reference(CHANNEL, token)
        .await?
        .as_ref()
        .and_then(MailRecord::of))
}

/// The mails already sent in a conversation, oldest first (to thread the next turn).
pub async fn mail_thread(
    store: &dyn Store,
    tenant: TenantId,
    conversation_id: &str,
) -> StoreResult<Vec<MailRecord>> {
    Ok(store
        .deliveries_in_conversation(tenant, conversation_id, CHANNEL)
        .await?
        .iter()
        .filter_map(MailRecord::of)
        .collect())
}
