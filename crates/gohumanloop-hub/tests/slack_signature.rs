//! The hub's Slack request signing against Slack's own SDK (`slack_sdk` from PyPI,
//! `slack_sdk.signature.SignatureVerifier`, in the venv `scripts/test.sh` makes): what the hub
//! signs, the SDK accepts; what the SDK signs, the hub accepts; a stale timestamp or a changed
//! body is refused by both. Both sides check against the same clock value (the SDK's through
//! its `clock` parameter).

mod common;

use gohumanloop_hub::channels::slack::signature::{self, SignatureError, TOLERANCE_SECS};
use serde_json::{json, Value};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slack/reference.py");
const SECRET: &str = "e3b1c7d2a94f4b0c8d6e5f7a1b2c3d4e";
const STRANGER: &str = "0f9e8d7c6b5a49382716f5e4d3c2b1a0";
/// An interactivity request as Slack sends it: one form field holding JSON, percent-encoded,
/// with a `+` for a space.
const BODY: &str = "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U2CERLKJA%22%7D%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22approve%22%2C%22value%22%3A%22r-1%22%7D%5D%7D&note=ok+%E2%9C%93";
const TAMPERED: &str = "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U2CERLKJA%22%7D%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22reject%22%2C%22value%22%3A%22r-1%22%7D%5D%7D&note=ok+%E2%9C%93";
/// Slack's published example ("Verifying requests from Slack"), checked through the SDK too.
const EXAMPLE_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const EXAMPLE_AT: i64 = 1_531_420_618;
const EXAMPLE_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const EXAMPLE_SIGNATURE: &str =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

/// Runs the SDK on `cases` (see `reference.py`).
fn reference(python: &str, cases: &Value) -> Value {
    let reply = common::reference_json(python, SCRIPT, cases);
    assert_eq!(reply["version"], "3.48.0", "the pinned slack_sdk");
    reply
}

fn now() -> i64 {
    gohumanloop_hub::record::now_ms() / 1000
}

#[test]
fn the_sdk_accepts_what_the_hub_signs() {
    let Some(python) = common::python() else {
        return;
    };
    let now = now();
    let at = |t: i64| t.to_string();
    let ours = |secret: &str, t: i64, body: &str| signature::sign(secret, &at(t), body.as_bytes());
    let case = |secret: &str, t: i64, sig: &str, body: &str| json!({"secret": secret, "timestamp": at(t), "signature": sig, "body": body, "now": now});
    let fresh = ours(SECRET, now, BODY);
    let edge = ours(SECRET, now - TOLERANCE_SECS, BODY);
    let old = ours(SECRET, now - TOLERANCE_SECS - 1, BODY);
    let ahead = ours(SECRET, now + TOLERANCE_SECS + 1, BODY);
    let example = signature::sign(EXAMPLE_SECRET, &at(EXAMPLE_AT), EXAMPLE_BODY.as_bytes());
    let cases = [
        ("signed now", case(SECRET, now, &fresh, BODY), true),
        (
            "signed 300 s ago",
            case(SECRET, now - TOLERANCE_SECS, &edge, BODY),
            true,
        ),
        ("a changed body", case(SECRET, now, &fresh, TAMPERED), false),
        ("another secret", case(STRANGER, now, &fresh, BODY), false),
        (
            "another timestamp",
            case(SECRET, now + 1, &fresh, BODY),
            false,
        ),
        (
            "stale: 301 s ago",
            case(SECRET, now - TOLERANCE_SECS - 1, &old, BODY),
            false,
        ),
        (
            "301 s ahead",
            case(SECRET, now + TOLERANCE_SECS + 1, &ahead, BODY),
            false,
        ),
        (
            "the published example at its time",
            json!({"secret": EXAMPLE_SECRET, "timestamp": at(EXAMPLE_AT), "signature": example,
                   "body": EXAMPLE_BODY, "now": EXAMPLE_AT}),
            true,
        ),
    ];
    let reply = reference(
        &python,
        &json!({"verify": cases.iter().map(|(_, c, _)| c).collect::<Vec<_>>()}),
    );
    for ((what, _, accepted), verdict) in cases.iter().zip(reply["verified"].as_array().unwrap()) {
        assert_eq!(verdict.as_bool(), Some(*accepted), "{what}");
    }
    assert_eq!(example, EXAMPLE_SIGNATURE);
    // The hub's own verdicts on the same cases.
    let verify = |secret: &str, t: i64, sig: &str, body: &str| {
        signature::verify(secret, &at(t), sig, body.as_bytes(), now)
    };
    assert_eq!(verify(SECRET, now, &fresh, BODY), Ok(()));
    assert_eq!(verify(SECRET, now - TOLERANCE_SECS, &edge, BODY), Ok(()));
    assert_eq!(
        verify(SECRET, now, &fresh, TAMPERED),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(STRANGER, now, &fresh, BODY),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(SECRET, now + 1, &fresh, BODY),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(SECRET, now - TOLERANCE_SECS - 1, &old, BODY),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify(SECRET, now + TOLERANCE_SECS + 1, &ahead, BODY),
        Err(SignatureError::Stale)
    );
}

#[test]
fn the_hub_accepts_what_the_sdk_signs() {
    let Some(python) = common::python() else {
        return;
    };
    let now = now();
    let sign = |secret: &str, t: i64, body: &str| json!({"secret": secret, "timestamp": t.to_string(), "body": body});
    let reply = reference(
        &python,
        &json!({"sign": [
            sign(SECRET, now, BODY),
            sign(SECRET, now - 400, BODY),
            sign(SECRET, now + 400, BODY),
            sign(EXAMPLE_SECRET, EXAMPLE_AT, EXAMPLE_BODY),
        ]}),
    );
    let signed: Vec<&str> = reply["signed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let [theirs, old, ahead, example] = signed[..] else {
        panic!("four signatures: {reply}")
    };
    let verify = |secret: &str, t: i64, sig: &str, body: &str, clock: i64| {
        signature::verify(secret, &t.to_string(), sig, body.as_bytes(), clock)
    };
    assert_eq!(verify(SECRET, now, theirs, BODY, now), Ok(()));
    assert_eq!(
        verify(SECRET, now, theirs, TAMPERED, now),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(STRANGER, now, theirs, BODY, now),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(SECRET, now - 400, old, BODY, now),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify(SECRET, now + 400, ahead, BODY, now),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        example, EXAMPLE_SIGNATURE,
        "the SDK signs the published example"
    );
    assert_eq!(
        verify(
            EXAMPLE_SECRET,
            EXAMPLE_AT,
            example,
            EXAMPLE_BODY,
            EXAMPLE_AT
        ),
        Ok(())
    );
    assert_eq!(
        signature::sign(SECRET, &now.to_string(), BODY.as_bytes()),
        theirs,
        "the same bytes signed the same way"
    );
}
