//! What the chat channels (Slack, Feishu / Lark, WeCom) share, so that each platform only
//! speaks its own wire format:
//!
//! - [`route`]: which requests go to a chat channel and to whom, and who may decide them;
//! - [`people`]: the approvers and how each platform knows them, so that `responded_by` and
//!   the audit name a person, not a platform's user id;
//! - `card`: what a card shows — the request as the inbox lays it out, its buttons, and its
//!   final line once decided elsewhere, expired or cancelled;
//! - `act`: a human's click, already verified and parsed by the platform's inbound side,
//!   checked against the route and handed to [`crate::Hub::decide`].
//!
//! Each platform's inbound side is four steps kept apart — verify (signature, replay),
//! parse (the platform's payload into an [`act::Interaction`]), decide (`act`), render (the
//! platform's answer) — so that a WebSocket transport (Feishu's and WeCom's long connections,
//! DingTalk's Stream) can feed the same parse, decide and render later.

pub(crate) mod act;
pub(crate) mod card;
pub mod people;
pub mod route;
pub(crate) mod token;

pub use people::{Approver, Directory, Person};
pub use route::ChatRoute;
