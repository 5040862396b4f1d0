//! The Feishu / Lark channel: an interactive card per request, decided in the card, patched to
//! its final state after any change; or, per route, an approval instance of Feishu's own
//! approval app (the original's OA mode).

pub mod crypto;
