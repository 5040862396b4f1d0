//! The published test vectors of the Standard Webhooks reference implementations, from the
//! `standard-webhooks/standard-webhooks` repository (commit b2fa7b8719fb75d326b591077f5d1b385cfcdfae):
//!
//! - the one signing vector, the same in every library's "sign function works" test:
//!   `libraries/python/tests/test_webhooks.py` (`test_sign_function`),
//!   `libraries/go/webhook_test.go` (`TestWebhookSign`),
//!   `libraries/javascript/src/webhook.test.ts` ("sign function works"),
//!   `libraries/php/tests/WebhookTest.php` (`testSignFunctionWorks`),
//!   `libraries/ruby/spec/webhook_spec.rb` and `libraries/csharp/StandardWebhooks.Tests/WebhookTest.cs`;
//! - the signatures those tests expect to be refused: `v1,Ceo5…6mc=` and `v1,` (Go's "invalid
//!   signature is invalid", "partial signature is invalid"), `v1,dawfeoifkpqwoekfpqoekf`
//!   (JavaScript, PHP), `…1OA=` (Python's `test_invalid_signature_raises_error`: the vector
//!   with its last byte changed), and the multi-signature header with a `v2` entry that must be
//!   skipped (Go's "valid multi sig is valid");
//! - the unpadded secrets of Python's `test_signature_verification_with_unpadded_secret`.

use super::*;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const AT: i64 = 1_614_265_330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
/// A well-formed signature the reference tests expect to be refused.
const WRONG: &str = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

fn secret(text: &str) -> WebhookSecret {
    text.parse().unwrap()
}

fn check(signatures: &str) -> Result<(), SignatureError> {
    verify(&[secret(SECRET)], ID, "1614265330", signatures, BODY, AT)
}

#[test]
fn the_published_vector_signs_and_verifies() {
    assert_eq!(sign(&[secret(SECRET)], ID, AT, BODY), SIGNATURE);
    assert_eq!(secret(SECRET).sign(ID, AT, BODY), SIGNATURE);
    assert_eq!(check(SIGNATURE), Ok(()));
}

#[test]
fn the_published_refusals_are_refused() {
    assert_eq!(check(WRONG), Err(SignatureError::NoMatch));
    assert_eq!(
        check("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
        Err(SignatureError::NoMatch)
    );
    assert_eq!(check("v1,"), Err(SignatureError::Malformed));
    assert_eq!(
        check("v1,dawfeoifkpqwoekfpqoekf"),
        Err(SignatureError::Malformed)
    );
    // Go's "valid multi sig is valid": other signatures and other versions around the valid one.
    let several =
        format!("{WRONG} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIGNATURE} {WRONG}");
    assert_eq!(check(&several), Ok(()));
    // Only other versions (an asymmetric v1a, say): nothing this hub can check.
    assert_eq!(
        check("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn the_published_unpadded_secrets_are_read_as_the_reference_reads_them() {
    // Needs no padding, one `=`, two `==`: with or without it, the same bytes.
    for text in [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
    ] {
        let padded = format!("whsec_{text}{}", "=".repeat((4 - text.len() % 4) % 4));
        assert_eq!(secret(&format!("whsec_{text}")), secret(&padded), "{text}");
    }
    assert_eq!(
        secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS").0.len(),
        23,
        "the last character's unused bits are ignored"
    );
}

#[test]
fn anything_changed_is_refused() {
    let ok = |id: &str, at: &str, sig: &str, body: &[u8], now: i64| {
        verify(&[secret(SECRET)], id, at, sig, body, now)
    };
    assert_eq!(
        ok(ID, "1614265330", SIGNATURE, br#"{"test": 2432232315}"#, AT),
        Err(SignatureError::NoMatch)
    );
    assert_eq!(
        ok("msg_other", "1614265330", SIGNATURE, BODY, AT),
        Err(SignatureError::NoMatch)
    );
    assert_eq!(
        ok(ID, "1614265331", SIGNATURE, BODY, AT),
        Err(SignatureError::NoMatch)
    );
    let other = secret("whsec_c2VjcmV0LW9mLWFub3RoZXItaG9vaw==");
    assert_eq!(
        verify(
            std::slice::from_ref(&other),
            ID,
            "1614265330",
            SIGNATURE,
            BODY,
            AT
        ),
        Err(SignatureError::NoMatch)
    );
    assert_eq!(
        verify(&[], ID, "1614265330", SIGNATURE, BODY, AT),
        Err(SignatureError::NoMatch)
    );
    // A rotation: the old and the new secret both verify; each signs its own.
    let both = [other.clone(), secret(SECRET)];
    assert_eq!(verify(&both, ID, "1614265330", SIGNATURE, BODY, AT), Ok(()));
    let header = sign(&both, ID, AT, BODY);
    assert_eq!(header.split(' ').nth(1), Some(SIGNATURE));
    assert_eq!(header.split(' ').count(), 2);
}

#[test]
fn the_window_is_five_minutes_either_way() {
    let at = |now: i64| verify(&[secret(SECRET)], ID, "1614265330", SIGNATURE, BODY, now);
    assert_eq!(at(AT + TOLERANCE_SECS), Ok(()));
    assert_eq!(at(AT - TOLERANCE_SECS), Ok(()));
    assert_eq!(
        at(AT + TOLERANCE_SECS + 1),
        Err(SignatureError::OutsideWindow)
    );
    assert_eq!(
        at(AT - TOLERANCE_SECS - 1),
        Err(SignatureError::OutsideWindow)
    );
    // Far-off values neither overflow nor pass.
    for far in [i64::MIN, i64::MAX] {
        let text = far.to_string();
        assert_eq!(
            verify(&[secret(SECRET)], ID, &text, SIGNATURE, BODY, AT),
            Err(SignatureError::OutsideWindow)
        );
        assert_eq!(
            verify(&[secret(SECRET)], ID, "1614265330", SIGNATURE, BODY, far),
            Err(SignatureError::OutsideWindow)
        );
    }
}

#[test]
fn bad_headers_are_named() {
    let ok = |id: &str, at: &str, sig: &str| verify(&[secret(SECRET)], id, at, sig, BODY, AT);
    assert_eq!(ok(ID, "soon", SIGNATURE), Err(SignatureError::BadTimestamp));
    assert_eq!(
        ok(ID, "1614265330.0", SIGNATURE),
        Err(SignatureError::BadTimestamp)
    );
    assert_eq!(
        ok("", "1614265330", SIGNATURE),
        Err(SignatureError::Missing("webhook-id"))
    );
    assert_eq!(
        ok(ID, " ", SIGNATURE),
        Err(SignatureError::Missing("webhook-timestamp"))
    );
    assert_eq!(
        ok(ID, "1614265330", ""),
        Err(SignatureError::Missing("webhook-signature"))
    );

    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", ID.parse().unwrap());
    headers.insert("webhook-timestamp", "1614265330".parse().unwrap());
    assert_eq!(
        verify_headers(&[secret(SECRET)], &headers, BODY, AT),
        Err(SignatureError::Missing("webhook-signature"))
    );
    headers.insert("webhook-signature", SIGNATURE.parse().unwrap());
    assert_eq!(
        verify_headers(&[secret(SECRET)], &headers, BODY, AT),
        Ok(ID.to_owned())
    );
    headers.remove("webhook-id");
    assert_eq!(
        verify_headers(&[secret(SECRET)], &headers, BODY, AT),
        Err(SignatureError::Missing("webhook-id"))
    );
}

#[test]
fn secrets_are_read_strictly_and_never_shown() {
    assert_eq!(
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse::<WebhookSecret>(),
        Err(SecretError::Prefix)
    );
    assert_eq!("whsec_".parse::<WebhookSecret>(), Err(SecretError::Base64));
    assert_eq!(
        "whsec_not base64!".parse::<WebhookSecret>(),
        Err(SecretError::Base64)
    );
    // One character past a whole group is not base64 in any reading.
    assert_eq!(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwB".parse::<WebhookSecret>(),
        Err(SecretError::Base64)
    );
    assert_eq!(format!("{:?}", secret(SECRET)), "WebhookSecret(…)");
    for error in [SecretError::Prefix, SecretError::Base64] {
        assert!(!error.to_string().contains("MfKQ"));
    }
}
