//! Slack's published example from "Verifying requests from Slack"
//! (<https://docs.slack.dev/authentication/verifying-requests-from-slack/>, formerly
//! `api.slack.com/authentication/verifying-requests-from-slack`): signing secret, timestamp,
//! slash-command body and signature, copied as `slackapi/python-slack-sdk` holds them in
//! `tests/slack_sdk/signature/test_signature_verifier.py` (commit
//! 0756c47d234ec540b9106150d51ba3adb2c88b25), whose `test_generate_signature` and `test_is_valid`
//! check the same values; then stale, tampered and malformed requests.

use super::*;

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TIMESTAMP: &str = "1531420618";
const AT: i64 = 1_531_420_618;
const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

fn check(timestamp: &str, signature: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    verify(SECRET, timestamp, signature, body, now)
}

#[test]
fn the_published_example_signs_and_verifies() {
    assert_eq!(sign(SECRET, TIMESTAMP, BODY), SIGNATURE);
    assert_eq!(check(TIMESTAMP, SIGNATURE, BODY, AT), Ok(()));
}

#[test]
fn a_tampered_request_is_refused() {
    // python-slack-sdk's test_is_valid_request_invalid_body: the body with "------" appended.
    let longer = [BODY, b"------"].concat();
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, &longer, AT),
        Err(SignatureError::Mismatch)
    );
    let mut changed = BODY.to_vec();
    changed[6] = b'X';
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, &changed, AT),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        check("1531420619", SIGNATURE, BODY, AT),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify("another-secret", TIMESTAMP, SIGNATURE, BODY, AT),
        Err(SignatureError::Mismatch)
    );
    // The last digit changed.
    let wrong = format!("{}4", &SIGNATURE[..SIGNATURE.len() - 1]);
    assert_eq!(
        check(TIMESTAMP, &wrong, BODY, AT),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn the_window_is_five_minutes_either_way() {
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, BODY, AT + TOLERANCE_SECS),
        Ok(())
    );
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, BODY, AT - TOLERANCE_SECS),
        Ok(())
    );
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, BODY, AT + TOLERANCE_SECS + 1),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, BODY, AT - TOLERANCE_SECS - 1),
        Err(SignatureError::Stale)
    );
    // python-slack-sdk's test_is_valid_request_expiration: the example checked today.
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, BODY, 1_764_000_000),
        Err(SignatureError::Stale)
    );
    // Far-off values neither overflow nor pass.
    let max = i64::MAX.to_string();
    assert_eq!(check(&max, SIGNATURE, BODY, AT), Err(SignatureError::Stale));
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, BODY, i64::MIN),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        check(TIMESTAMP, SIGNATURE, BODY, i64::MAX),
        Err(SignatureError::Stale)
    );
}

#[test]
fn malformed_headers_are_named() {
    assert_eq!(
        check("", SIGNATURE, BODY, AT),
        Err(SignatureError::Missing(TIMESTAMP_HEADER))
    );
    assert_eq!(
        check(TIMESTAMP, "", BODY, AT),
        Err(SignatureError::Missing(SIGNATURE_HEADER))
    );
    for timestamp in [
        "soon",
        "1531420618.0",
        " 1531420618",
        "1531420618 ",
        "+1531420618",
        "-1531420618",
        "99999999999999999999",
        "１５３１４２０６１８",
    ] {
        assert_eq!(
            check(timestamp, SIGNATURE, BODY, AT),
            Err(SignatureError::BadTimestamp),
            "{timestamp:?}"
        );
    }
    let hex = &SIGNATURE[3..];
    for signature in [
        hex.to_owned(),
        format!("v1={hex}"),
        format!("v0={}", hex.to_uppercase()),
        format!("v0={}", &hex[..63]),
        format!("v0={hex}0"),
        format!("v0={}g", &hex[..63]),
        format!("v0= {}", &hex[..63]),
        format!("{SIGNATURE} "),
        "v0=".to_owned(),
    ] {
        assert_eq!(
            check(TIMESTAMP, &signature, BODY, AT),
            Err(SignatureError::Malformed),
            "{signature:?}"
        );
    }
    // A malformed header is named even on a stale request.
    assert_eq!(
        check(TIMESTAMP, "v0=xyz", BODY, 0),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn an_empty_secret_checks_nothing() {
    let keyless = sign("", TIMESTAMP, BODY);
    assert_eq!(
        verify("", TIMESTAMP, &keyless, BODY, AT),
        Err(SignatureError::NoSecret)
    );
    let blank = sign("   ", TIMESTAMP, BODY);
    assert_eq!(
        verify("   ", TIMESTAMP, &blank, BODY, AT),
        Err(SignatureError::NoSecret)
    );
}

#[test]
fn errors_never_quote_the_secret() {
    for error in [
        SignatureError::NoSecret,
        SignatureError::Missing(SIGNATURE_HEADER),
        SignatureError::BadTimestamp,
        SignatureError::Malformed,
        SignatureError::Stale,
        SignatureError::Mismatch,
    ] {
        assert!(!error.to_string().contains(SECRET), "{error}");
    }
}
