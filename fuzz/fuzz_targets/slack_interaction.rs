//! Fuzzes the Slack channel's interaction parser on any bytes (a form with a `payload` of
//! JSON). Nothing may panic. Run: `cargo +nightly fuzz run slack_interaction`.

#![no_main]

use gohumanloop_hub::channels::slack::parse_interaction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_interaction(data);
});
