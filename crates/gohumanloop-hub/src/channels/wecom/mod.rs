//! The WeCom (WeChat Work) channel: a `template_card` (`button_interaction`) per approval,
//! sent by a self-built app with an `access_token` (cached); the callback at
//! `/channels/wecom/{name}/callback` (URL check with `echostr`, `msg_signature`, AES-256-CBC
//! with WeCom's 32-byte padding and the receive-id check, `template_card_event`); the clicking
//! user's card updated by the encrypted passive reply, every other copy through
//! `update_template_card` with the send-time `response_code` (kept unused at the click, so that
//! a decision on another channel can still close the card). A route may instead use the
//! original's OA mode: an approval application per request, decided in WeCom's approval app
//! (see `approval`).

mod api;
mod approval;
mod channel;
mod config;
pub mod crypto;
mod inbound;
mod render;
pub mod xml;

pub use channel::WecomChannel;
pub use config::{default_reasons, WecomConfig, WECOM};
pub use inbound::callback_path;
pub(crate) use inbound::{fresh, Signed};
