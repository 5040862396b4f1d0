//! The webhook channel: every event of a routed request (created; decided on any channel,
//! expired, cancelled, a conversation turn answered) POSTed as JSON to a URL, signed as the
//! Standard Webhooks specification says, retried on passing failures with the same
//! `webhook-id` (a receiver drops repeats); and signed decisions taken back at
//! `POST /channels/webhook/{name}/decisions`.

mod channel;
mod config;
mod event;
mod inbound;
mod outbound;
pub mod signature;

pub use channel::WebhookChannel;
pub use config::WebhookConfig;
pub(crate) use event::Event;
pub use event::EventType;
pub use inbound::decisions_path;
pub(crate) use inbound::{Decided, DecisionBody};
pub use signature::WebhookSecret;
