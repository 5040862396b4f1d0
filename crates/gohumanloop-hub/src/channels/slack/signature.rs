//! Slack's request signing (v0): `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret,
//! "v0:<X-Slack-Request-Timestamp>:<raw body>")>`, refused outside five minutes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a request's timestamp may be from now.
pub const WINDOW_SECS: i64 = 300;

/// Why a request's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is missing or malformed.
    #[error("missing or malformed Slack signature headers: {0}")]
    Malformed(&'static str),
    /// The timestamp is more than five minutes away.
    #[error(
        "the request's timestamp is more than five minutes away (a stale or replayed request)"
    )]
    Stale,
    /// The signature does not match.
    #[error("the Slack signature does not match")]
    Mismatch,
}

/// The signature of `raw_body` sent at `timestamp`.
pub fn sign(signing_secret: &str, timestamp: &str, raw_body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(raw_body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

/// Checks a request's headers against its raw body at `now_secs`.
pub fn verify(
    signing_secret: &str,
    timestamp_header: &str,
    signature_header: &str,
    raw_body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp_header
        .parse()
        .map_err(|_| SignatureError::Malformed("X-Slack-Request-Timestamp"))?;
    if !signature_header.starts_with("v0=") {
        return Err(SignatureError::Malformed("X-Slack-Signature"));
    }
    if (now_secs - timestamp).abs() > WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    let expected = sign(signing_secret, timestamp_header, raw_body);
    if bool::from(expected.as_bytes().ct_eq(signature_header.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's published example ("Verifying requests from Slack", api.slack.com/authentication/
    /// verifying-requests-from-slack; also slack_sdk's own test of its SignatureVerifier).
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slack_s_published_example_verifies_and_anything_changed_does_not() {
        assert_eq!(sign(SECRET, TIMESTAMP, BODY.as_bytes()), SIGNATURE);
        let at = 1_531_420_618 + 60;
        assert_eq!(
            verify(SECRET, TIMESTAMP, SIGNATURE, BODY.as_bytes(), at),
            Ok(())
        );
        let tampered = BODY.replace("roadrunner", "coyote");
        assert_eq!(
            verify(SECRET, TIMESTAMP, SIGNATURE, tampered.as_bytes(), at),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("another", TIMESTAMP, SIGNATURE, BODY.as_bytes(), at),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                SECRET,
                TIMESTAMP,
                SIGNATURE,
                BODY.as_bytes(),
                1_531_420_618 + 301
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, "soon", SIGNATURE, BODY.as_bytes(), at),
            Err(SignatureError::Malformed("X-Slack-Request-Timestamp"))
        );
        assert_eq!(
            verify(SECRET, TIMESTAMP, "a2114d57", BODY.as_bytes(), at),
            Err(SignatureError::Malformed("X-Slack-Signature"))
        );
    }
}
