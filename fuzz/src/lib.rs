//! The fuzz targets of what faces the network, one function per target: each cargo-fuzz binary
//! in `fuzz_targets/` is a one-liner calling its function, and `tests/replay.rs` calls the same
//! function on every file of `corpus/<target>/` in the normal (stable) test suite.
//!
//! Each function feeds any bytes through the path the network feeds: the request body types the
//! handlers deserialize and the checks they run next, the query strings as their extractors
//! read them, signatures and tokens checked with fixed keys, each chat platform's callback
//! parse, decryption and signature check, the MCP bridge's inputs, the mail reply parser.
//! Nothing may panic; where it is cheap, an invariant is asserted (a token that verifies is the
//! one the hub signed, what decrypts re-encrypts and decrypts equal, an accepted body
//! re-serializes to itself): an `assert!` failing is a finding like a crash.
//!
//! Inputs with several parts (headers and a body) are written one part a line, the body last,
//! so that the corpus files stay readable.

mod api;
pub mod chat;
pub mod mcp;
pub mod tokens;

pub use api::{answering_api, original_api};
pub use chat::{feishu_callback, slack_interaction, wecom_callback};
pub use mcp::mcp_bridge;
pub use tokens::{signed_link, webhook_signature};

use gohumanloop::model::LoopType;
use gohumanloop::providers::email::reply::{
    approval, conversation, html_to_text, information, read, user_content, ReplyMail,
};

/// A target's function: any bytes in, nothing out; a panic is a finding.
pub type Target = fn(&[u8]);

/// Every target: its name (the folder of its corpus, the name of its binary) and its function.
pub const TARGETS: &[(&str, Target)] = &[
    ("reply_parser", reply_parser),
    ("original_api", original_api),
    ("answering_api", answering_api),
    ("signed_link", signed_link),
    ("webhook_signature", webhook_signature),
    ("slack_interaction", slack_interaction),
    ("feishu_callback", feishu_callback),
    ("wecom_callback", wecom_callback),
    ("mcp_bridge", mcp_bridge),
];

/// The e-mail reply parser on a raw mail: MIME, charsets, encodings, HTML (parsed once, as the
/// hub's mail watcher parses a reply), then quote stripping and the grammar of each loop type;
/// and any text through each step.
pub fn reply_parser(data: &[u8]) {
    if let Some(mail) = ReplyMail::parse(data) {
        for loop_type in [
            LoopType::Approval,
            LoopType::Information,
            LoopType::Conversation,
        ] {
            if let Ok(reading) = read(&mail, loop_type) {
                let _ = reading.response(&mail);
            }
        }
        let _ = mail.tokens();
        let _ = mail.is_from_one_of(&["approver@ghl.test"]);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = html_to_text(text);
        if let Some(content) = user_content(text) {
            let _ = approval(&content);
            let _ = information(&content);
            let _ = conversation(&content);
        }
    }
}

/// The first `N` lines of `data` (without their `\n`) and the rest, or `None` when there are
/// fewer lines.
pub(crate) fn lines<const N: usize>(data: &[u8]) -> Option<([&[u8]; N], &[u8])> {
    let mut parts = [&data[..0]; N];
    let mut rest = data;
    for part in &mut parts {
        let end = rest.iter().position(|&b| b == b'\n')?;
        *part = &rest[..end];
        rest = &rest[end + 1..];
    }
    Some((parts, rest))
}

/// `bytes` as text, when it is UTF-8.
pub(crate) fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}
