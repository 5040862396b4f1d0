//! `cargo +nightly fuzz run webhook_signature`: see `gohumanloop_fuzz::webhook_signature`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::webhook_signature(data));
