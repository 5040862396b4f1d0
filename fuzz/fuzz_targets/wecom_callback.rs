//! `cargo +nightly fuzz run wecom_callback`: see `gohumanloop_fuzz::wecom_callback`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::wecom_callback(data));
