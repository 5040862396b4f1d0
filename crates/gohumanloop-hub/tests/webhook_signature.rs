//! The hub's Standard Webhooks signing against the reference implementation (the
//! `standardwebhooks` package from PyPI, in the venv `scripts/test.sh` makes): what the hub
//! signs, the package verifies; what the package signs, the hub verifies; a changed body,
//! another secret or an old timestamp is refused by both.

mod common;

use gohumanloop_hub::channels::webhook::signature::{self, SignatureError};
use gohumanloop_hub::channels::webhook::WebhookSecret;
use serde_json::{json, Value};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhook/standard.py");
/// The secret of the specification's published vector; a second for a rotation; a third that
/// signed nothing here.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OLD_SECRET: &str = "whsec_c2VjcmV0LW9mLWFub3RoZXItaG9vaw==";
const STRANGER: &str = "whsec_dGhpcyBvbmUgc2lnbmVkIG5vdGhpbmcgaGVyZQ==";
/// The message id of the published vector.
const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
/// Python's test of unpadded secrets: 23 bytes, the last character with unused bits set.
const UNPADDED: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS";
/// Not ASCII, so that bytes and characters differ.
const BODY: &str = r#"{"type":"request.created","request":{"id":"r1","context":"批准部署？ ✓"}}"#;
const TAMPERED: &str =
    r#"{"type":"request.created","request":{"id":"r1","context":"批准部署？ ✗"}}"#;

/// Runs the reference implementation on `cases` (see `standard.py`).
fn reference(python: &str, cases: &Value) -> Value {
    common::reference_json(python, SCRIPT, cases)
}

fn now() -> i64 {
    gohumanloop_hub::record::now_ms() / 1000
}

fn secret(text: &str) -> WebhookSecret {
    text.parse().unwrap()
}

/// The three headers of a message, as the package's `verify` takes them.
fn headers(id: &str, timestamp: i64, signature: &str) -> Value {
    json!({"webhook-id": id, "webhook-timestamp": timestamp.to_string(),
           "webhook-signature": signature})
}

#[test]
fn the_reference_implementation_verifies_what_the_hub_signs() {
    let Some(python) = common::python() else {
        return;
    };
    let at = now();
    let ours = |secrets: &[&str], at: i64, body: &str| {
        let secrets: Vec<WebhookSecret> = secrets.iter().map(|s| secret(s)).collect();
        signature::sign(&secrets, "msg_hub_1", at, body.as_bytes())
    };
    let single = ours(&[SECRET], at, BODY);
    let rotated = ours(&[SECRET, OLD_SECRET], at, BODY);
    let unpadded = ours(&[UNPADDED], at, BODY);
    // 400 s, not 301: the package checks against its own clock, a moment after `at`.
    let old = ours(&[SECRET], at - 400, BODY);
    let ahead = ours(&[SECRET], at + 400, BODY);
    let case = |secret: &str, timestamp: i64, signature: &str, body: &str| {
        json!({"secret": secret, "headers": headers("msg_hub_1", timestamp, signature),
               "body": body})
    };
    let cases = [
        (
            "signed with the secret",
            case(SECRET, at, &single, BODY),
            true,
        ),
        (
            "rotation: the new secret",
            case(SECRET, at, &rotated, BODY),
            true,
        ),
        (
            "rotation: the old secret",
            case(OLD_SECRET, at, &rotated, BODY),
            true,
        ),
        (
            "an unpadded secret",
            case(UNPADDED, at, &unpadded, BODY),
            true,
        ),
        ("a changed body", case(SECRET, at, &single, TAMPERED), false),
        ("another secret", case(STRANGER, at, &rotated, BODY), false),
        (
            "another timestamp",
            case(SECRET, at + 1, &single, BODY),
            false,
        ),
        (
            "a timestamp 400 s old",
            case(SECRET, at - 400, &old, BODY),
            false,
        ),
        (
            "a timestamp 400 s ahead",
            case(SECRET, at + 400, &ahead, BODY),
            false,
        ),
    ];
    let reply = reference(
        &python,
        &json!({"verify": cases.iter().map(|(_, c, _)| c).collect::<Vec<_>>()}),
    );
    for ((what, _, accepted), verdict) in cases.iter().zip(reply["verified"].as_array().unwrap()) {
        assert_eq!(verdict.is_null(), *accepted, "{what}: {verdict}");
    }
    assert_eq!(rotated.split(' ').count(), 2, "one signature per secret");
}

#[test]
fn the_hub_verifies_what_the_reference_implementation_signs() {
    let Some(python) = common::python() else {
        return;
    };
    let at = now();
    let sign_as = |id: &str, secret: &str, timestamp: i64, body: &str| json!({"secret": secret, "id": id, "timestamp": timestamp, "body": body});
    let sign =
        |secret: &str, timestamp: i64, body: &str| sign_as("msg_py_1", secret, timestamp, body);
    let reply = reference(
        &python,
        &json!({"sign": [
            sign(SECRET, at, BODY),
            sign(UNPADDED, at, BODY),
            sign(SECRET, at - 400, BODY),
            sign(SECRET, at + 400, BODY),
            // The published vector, signed by the package too.
            sign_as(VECTOR_ID, SECRET, 1_614_265_330, r#"{"test": 2432232314}"#),
        ]}),
    );
    let signed: Vec<&str> = reply["signed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let [theirs, unpadded, old, ahead, vector] = signed[..] else {
        panic!("five signatures: {reply}")
    };
    let verify = |secrets: &[&str], timestamp: i64, signatures: &str, body: &str| {
        let secrets: Vec<WebhookSecret> = secrets.iter().map(|s| secret(s)).collect();
        let timestamp = timestamp.to_string();
        signature::verify(
            &secrets,
            "msg_py_1",
            &timestamp,
            signatures,
            body.as_bytes(),
            at,
        )
    };
    assert_eq!(verify(&[SECRET], at, theirs, BODY), Ok(()));
    assert_eq!(
        verify(&[STRANGER, SECRET], at, theirs, BODY),
        Ok(()),
        "any secret of a rotation"
    );
    assert_eq!(verify(&[UNPADDED], at, unpadded, BODY), Ok(()));
    assert_eq!(
        verify(&[SECRET], at, theirs, TAMPERED),
        Err(SignatureError::NoMatch)
    );
    assert_eq!(
        verify(&[STRANGER], at, theirs, BODY),
        Err(SignatureError::NoMatch)
    );
    assert_eq!(
        verify(&[SECRET], at - 400, old, BODY),
        Err(SignatureError::OutsideWindow)
    );
    assert_eq!(
        verify(&[SECRET], at + 400, ahead, BODY),
        Err(SignatureError::OutsideWindow)
    );
    assert_eq!(vector, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_eq!(
        signature::sign(&[secret(SECRET)], "msg_py_1", at, BODY.as_bytes()),
        theirs,
        "the same bytes signed the same way"
    );
}
