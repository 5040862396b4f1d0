//! The Feishu / Lark channel: an interactive card (JSON 2.0, `update_multi`) per request, sent
//! as the app's bot with a `tenant_access_token` (cached, renewed before it ends); the
//! `card.action.trigger` callback at `POST /channels/feishu/{name}/callback` (URL
//! verification, Encrypt Key decryption, `X-Lark-Signature`, our own replay window), answered
//! with a toast and the card in its new state; every delivered card PATCHed to its final state
//! after a change elsewhere. Feishu (`open.feishu.cn`) and Lark (`open.larksuite.com`) differ
//! only in the base URL. A route may instead use the original's OA mode: an approval
//! instance per request, decided in Feishu's approval app (see `approval`).

mod api;
mod approval;
mod channel;
mod config;
pub mod crypto;
mod inbound;
mod payload;
mod render;

pub use channel::FeishuChannel;
pub use config::{FeishuConfig, FEISHU};
pub use inbound::callback_path;
pub(crate) use inbound::fresh;
pub use payload::{encrypted_field, parse_callback, FeishuCallback, PayloadError};
