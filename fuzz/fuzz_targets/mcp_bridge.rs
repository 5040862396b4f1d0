//! `cargo +nightly fuzz run mcp_bridge`: see `gohumanloop_fuzz::mcp_bridge`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gohumanloop_fuzz::mcp_bridge(data));
