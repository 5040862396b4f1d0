//! `cargo +nightly fuzz run signed_link`: see `gohumanloop_fuzz::signed_link`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::signed_link(data));
