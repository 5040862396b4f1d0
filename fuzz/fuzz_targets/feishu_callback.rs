//! Fuzzes the Feishu channel's callback parsing on any bytes: the encrypted body, its
//! decryption, and the decrypted JSON. Nothing may panic. Run:
//! `cargo +nightly fuzz run feishu_callback`.

#![no_main]

use gohumanloop_hub::channels::feishu::{crypto, encrypted_field, parse_callback};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_callback(data);
    if let Ok(encrypted) = encrypted_field(data) {
        let _ = crypto::decrypt("test key", &encrypted);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crypto::decrypt("test key", text);
    }
});
