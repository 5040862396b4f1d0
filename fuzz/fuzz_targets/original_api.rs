//! `cargo +nightly fuzz run original_api`: see `gohumanloop_fuzz::original_api`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::original_api(data));
