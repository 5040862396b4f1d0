//! Signing and checking messages as the Standard Webhooks specification says: the headers
//! `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, which holds
//! `v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>` once per secret (several,
//! space-separated, while a secret is rotated); secrets are written `whsec_<base64>`.

use std::fmt;
use std::str::FromStr;

use axum::http::HeaderMap;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// How far a message's timestamp may be from now, either way (the specification's five
/// minutes).
pub(crate) const TOLERANCE_SECS: i64 = 5 * 60;

/// A signing secret (`whsec_<base64>`). Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// Why a secret could not be read.
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
        // Padding is optional, as the reference implementations take it.
        let bytes = STANDARD_NO_PAD
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
    /// A header is missing (or not text).
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// The timestamp is not a number of seconds.
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is more than five minutes from now.
    #[error("webhook-timestamp is more than five minutes from the hub's clock")]
    OutsideWindow,
    /// No signature matches any secret.
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

/// Checks one message: its timestamp is within [`TOLERANCE_SECS`] of `now`, and one of the
/// `v1` signatures was made with one of the secrets (compared in constant time).
pub fn verify(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if (now - at).abs() > TOLERANCE_SECS {
        return Err(SignatureError::OutsideWindow);
    }
    let tags: Vec<Vec<u8>> = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .collect();
    let valid = secrets.iter().any(|secret| {
        tags.iter().any(|tag| {
            secret
                .mac(id, timestamp.trim(), body)
                .verify_slice(tag)
                .is_ok()
        })
    });
    if valid {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector the reference implementations test against (e.g. the `svix` libraries'
    /// `testSignFunctionWorks`, and the Standard Webhooks repository's libraries).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const AT: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn secret(text: &str) -> WebhookSecret {
        text.parse().unwrap()
    }

    #[test]
    fn the_published_vector_signs_and_verifies() {
        assert_eq!(sign(&[secret(SECRET)], ID, AT, BODY), SIGNATURE);
        assert_eq!(
            verify(&[secret(SECRET)], ID, "1614265330", SIGNATURE, BODY, AT),
            Ok(())
        );
        // One of several signatures is enough (a receiver during a rotation).
        let several = format!("v1,bm9wZQ== {SIGNATURE} v2,other");
        assert_eq!(
            verify(&[secret(SECRET)], ID, "1614265330", &several, BODY, AT),
            Ok(())
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
        assert_eq!(
            ok(ID, "1614265330", "v1,", BODY, AT),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            ok(ID, "soon", SIGNATURE, BODY, AT),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            ok(ID, "1614265330", SIGNATURE, BODY, AT + TOLERANCE_SECS + 1),
            Err(SignatureError::OutsideWindow)
        );
        assert_eq!(
            ok(ID, "1614265330", SIGNATURE, BODY, AT - TOLERANCE_SECS - 1),
            Err(SignatureError::OutsideWindow)
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
        // A rotation: the old and the new secret both verify; each signs its own.
        let both = [other.clone(), secret(SECRET)];
        assert_eq!(verify(&both, ID, "1614265330", SIGNATURE, BODY, AT), Ok(()));
        let header = sign(&both, ID, AT, BODY);
        assert_eq!(header.split(' ').nth(1), Some(SIGNATURE));
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
        assert_eq!(
            secret("whsec_c2VjcmV0"),
            secret("whsec_c2VjcmV0"),
            "padding is optional"
        );
        assert_eq!(format!("{:?}", secret(SECRET)), "WebhookSecret(…)");
    }
}
