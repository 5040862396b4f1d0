//! `cargo +nightly fuzz run feishu_callback`: see `gohumanloop_fuzz::feishu_callback`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::feishu_callback(data));
