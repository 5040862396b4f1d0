//! `cargo +nightly fuzz run reply_parser`: see `gohumanloop_fuzz::reply_parser`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::reply_parser(data));
