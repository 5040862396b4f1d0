//! Slack's request signing, version `v0` ("Verifying requests from Slack",
//! <https://docs.slack.dev/authentication/verifying-requests-from-slack/>; `slack_sdk`'s
//! `signature.SignatureVerifier`): `X-Slack-Signature` is
//! `v0=<hex of HMAC-SHA256(signing_secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body)>`,
//! and a request whose timestamp is more than five minutes from now is refused (a replay).

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Slack-Signature";
/// The header carrying the Unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Slack-Request-Timestamp";
/// How far a request's timestamp may be from now, either way (Slack's five minutes).
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// The version prefix of the signatures this module makes and checks.
const VERSION: &str = "v0=";
/// The hex digits of an HMAC-SHA256 tag.
const HEX_LEN: usize = 64;

/// Why a request was refused. The messages never quote the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signing secret (empty or blank) is configured: nothing can be checked.
    #[error("no Slack signing secret is configured")]
    NoSecret,
    /// A header is missing or empty.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// The timestamp is not a Unix time in whole seconds (ASCII digits only).
    #[error("X-Slack-Request-Timestamp is not a Unix time in whole seconds")]
    BadTimestamp,
    /// The signature is not `v0=` followed by 64 lowercase hex digits.
    #[error("X-Slack-Signature is not v0=<64 lowercase hex digits>")]
    Malformed,
    /// The timestamp is more than five minutes from now, either way: a replay, or a clock off.
    #[error("X-Slack-Request-Timestamp is more than five minutes from the hub's clock")]
    Stale,
    /// The signature was not made over this body and timestamp with this secret.
    #[error("X-Slack-Signature does not match (another signing secret, or a changed body)")]
    Mismatch,
}

/// The `X-Slack-Signature` Slack would send for this body at this timestamp (the header's
/// text, as sent).
pub fn sign(signing_secret: &str, timestamp: &str, raw_body: &[u8]) -> String {
    let tag = mac(signing_secret, timestamp, raw_body)
        .finalize()
        .into_bytes();
    format!("{VERSION}{}", hex(&tag))
}

/// Checks a request's two headers against its raw body (before any form or JSON decoding) at
/// `now_secs` (Unix seconds): the headers are well formed, the timestamp is within
/// [`TOLERANCE_SECS`] of now, and the signature matches (compared in constant time).
pub fn verify(
    signing_secret: &str,
    timestamp_header: &str,
    signature_header: &str,
    raw_body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    if signing_secret.trim().is_empty() {
        return Err(SignatureError::NoSecret);
    }
    if timestamp_header.is_empty() {
        return Err(SignatureError::Missing(TIMESTAMP_HEADER));
    }
    if signature_header.is_empty() {
        return Err(SignatureError::Missing(SIGNATURE_HEADER));
    }
    let at = parse_timestamp(timestamp_header)?;
    let received = signature_header
        .strip_prefix(VERSION)
        .filter(|hex| {
            hex.len() == HEX_LEN && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
        .ok_or(SignatureError::Malformed)?;
    if now_secs.abs_diff(at) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = hex(&mac(signing_secret, timestamp_header, raw_body)
        .finalize()
        .into_bytes());
    if bool::from(received.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A timestamp of ASCII digits only (no sign, blank or fraction) that fits an `i64`.
fn parse_timestamp(text: &str) -> Result<i64, SignatureError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::BadTimestamp);
    }
    text.parse().map_err(|_| SignatureError::BadTimestamp)
}

fn mac(signing_secret: &str, timestamp: &str, raw_body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length.
    let mut mac =
        HmacSha256::new_from_slice(signing_secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(raw_body);
    mac
}

/// Lowercase hex, as Slack writes the signature.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests;
