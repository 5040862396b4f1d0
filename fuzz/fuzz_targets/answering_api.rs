//! `cargo +nightly fuzz run answering_api`: see `gohumanloop_fuzz::answering_api`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::answering_api(data));
