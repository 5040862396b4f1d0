//! Fuzzes the WeCom channel's callback parsing on any text: the XML envelope, the decrypted
//! event, and the decryption (WeCom's published sample keys). Nothing may panic. Run:
//! `cargo +nightly fuzz run wecom_callback`.

#![no_main]

use gohumanloop_hub::channels::wecom::crypto::WecomCrypto;
use gohumanloop_hub::channels::wecom::xml::{parse_envelope, parse_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_envelope(text);
    let _ = parse_event(text);
    if let Ok(crypto) = WecomCrypto::new(
        "QDG6eK",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        "wx5823bf96d3bd56c7",
    ) {
        let _ = crypto.decrypt(text);
    }
});
