//! Fuzzes the e-mail reply parser: any bytes as a raw mail (MIME, charsets, encodings, HTML),
//! and any text through each step of the grammar. Nothing may panic, hang or read outside
//! its input. Run: `cargo +nightly fuzz run reply_parser fuzz/corpus/reply_parser
//! crates/gohumanloop/tests/email_corpus`.

#![no_main]

use gohumanloop::model::LoopType;
use gohumanloop::providers::email::reply::{
    approval, conversation, html_to_text, information, read_raw, user_content, ReplyMail,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for loop_type in [LoopType::Approval, LoopType::Information, LoopType::Conversation] {
        let _ = read_raw(data, loop_type);
    }
    if let Some(mail) = ReplyMail::parse(data) {
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
        let _ = approval(text);
    }
});
