//! Signing and checking messages as the Standard Webhooks specification says
//! (<https://www.standardwebhooks.com>, `spec/standard-webhooks.md` in the
//! `standard-webhooks/standard-webhooks` repository): the headers `webhook-id`,
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`, which holds
//! `v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>` once per secret (several,
//! space-separated, while a secret is rotated); secrets are written `whsec_<base64>`.

use std::fmt;
use std::str::FromStr;

use axum::http::HeaderMap;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// How far a message's timestamp may be from now, either way (the specification's five
/// minutes).
pub(crate) const TOLERANCE_SECS: i64 = 5 * 60;

/// The length of an HMAC-SHA256 tag, the bytes of a `v1` signature.
const TAG_LEN: usize = 32;

/// The secrets' base64 as the reference implementations read it: padding optional, and the
/// unused bits of the last character ignored (Python's `base64.b64decode`).
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// A signing secret (`whsec_<base64>`). Its `Debug` never shows it, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// Why a secret could not be read. The messages never quote the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// It does not start with `whsec_`.
    #[error("a webhook secret is written whsec_<base64>")]
    Prefix,
    /// What follows is not base64, or is empty.
    #[error("a webhook secret's part after whsec_ must be base64 (and not empty)")]
    Base64,
}

impl FromStr for WebhookSecret {
    type Err = SecretError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let encoded = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SecretError::Prefix)?;
        let bytes = SECRET_BASE64
            .decode(encoded.trim_end_matches('='))
            .map_err(|_| SecretError::Base64)?;
        if bytes.is_empty() {
            return Err(SecretError::Base64);
        }
        Ok(Self(bytes))
    }
}

impl WebhookSecret {
    /// A secret of these bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        // HMAC takes a key of any length.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// This secret's `v1,<base64>` signature of a message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self
            .mac(id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }
}

/// The `webhook-signature` header for a message: one signature per secret.
pub fn sign(secrets: &[WebhookSecret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is missing, empty or not text.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// The timestamp is not a whole number of seconds.
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is more than five minutes from now, either way.
    #[error("webhook-timestamp is more than five minutes from the hub's clock")]
    OutsideWindow,
    /// `webhook-signature` holds no well-formed `v1` signature (`v1,<base64 of 32 bytes>`).
    #[error("webhook-signature holds no v1 signature (v1,<base64 of an HMAC-SHA256>)")]
    Malformed,
    /// There are `v1` signatures, but none was made with any of the secrets.
    #[error("no valid signature (webhook-signature holds none made with this channel's secret)")]
    NoMatch,
}

/// Checks a message's headers and body at `now` (Unix seconds); its `webhook-id` if valid.
pub(crate) fn verify_headers(
    secrets: &[WebhookSecret],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<String, SignatureError> {
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(SignatureError::Missing(name))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;
    verify(secrets, id, timestamp, signatures, body, now)?;
    Ok(id.to_owned())
}

/// Checks one message given its three header values: the timestamp is within
/// [`TOLERANCE_SECS`] of `now` (Unix seconds), and one of the `v1` signatures was made with one
/// of the secrets (compared in constant time). Signatures of other versions (`v1a`, …) are
/// skipped, as the specification asks.
pub fn verify(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let id = present(id, "webhook-id")?;
    let timestamp = present(timestamp, "webhook-timestamp")?;
    let signatures = present(signatures, "webhook-signature")?;
    let at: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if now.abs_diff(at) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::OutsideWindow);
    }
    let tags: Vec<Vec<u8>> = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .filter(|tag| tag.len() == TAG_LEN)
        .collect();
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let valid = secrets.iter().any(|secret| {
        tags.iter()
            .any(|tag| secret.mac(id, timestamp, body).verify_slice(tag).is_ok())
    });
    if valid {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// A header's value without surrounding blanks; [`SignatureError::Missing`] when empty.
fn present<'a>(value: &'a str, name: &'static str) -> Result<&'a str, SignatureError> {
    match value.trim() {
        "" => Err(SignatureError::Missing(name)),
        value => Ok(value),
    }
}

#[cfg(test)]
mod tests;
