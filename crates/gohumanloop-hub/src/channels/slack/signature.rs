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
