//! The Slack channel: a Block Kit message per request (to a channel, or to a person's DM),
//! laid out as the inbox lays a request out, with the buttons of its loop type; a modal for a
//! reason or an answer; the interactivity endpoint `POST /channels/slack/{name}/interactions`,
//! which checks Slack's v0 signature over the raw body (5-minute window, constant-time) before
//! it reads anything; and `chat.update` after every later change, from any channel.

mod api;
mod blocks;
mod channel;
mod config;
mod inbound;
mod payload;
pub mod signature;

pub use channel::SlackChannel;
pub use config::SlackConfig;
pub use inbound::interactions_path;
pub use payload::{parse_interaction, PayloadError, SlackInteraction, SlackUser};
