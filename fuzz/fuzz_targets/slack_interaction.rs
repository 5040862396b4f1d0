//! `cargo +nightly fuzz run slack_interaction`: see `gohumanloop_fuzz::slack_interaction`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::slack_interaction(data));
