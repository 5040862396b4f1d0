//! What the hub checks signatures of: the email channel's signed links and the Standard
//! Webhooks messages of the webhook channel's decisions.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use gohumanloop_hub::channels::email::links::{Action, Link, LinkSigner};
use gohumanloop_hub::channels::webhook::signature::{self, WebhookSecret};
use gohumanloop_hub::fuzzing as hub;

/// The key the corpus's links are signed with.
pub const LINK_KEY: &[u8; 32] = b"ghl-fuzz-email-link-key-32-bytes";
/// The time links are checked at (Unix seconds); the corpus's links expire at 2000000000.
pub const LINK_NOW: i64 = 1_800_000_000;

/// The email channel's signed link (`/email/{token}`): any text checked as a token with a
/// fixed key. A token that verifies must be exactly the token the hub signs for its link (else
/// one link would have several tokens, each used once: a replay). And any link the hub signs
/// (ids without a dot) verifies back to itself.
pub fn signed_link(data: &[u8]) {
    let Some(token) = crate::text(data) else {
        return;
    };
    let signer = LinkSigner::new(LINK_KEY.to_vec());
    if let Ok(link) = signer.verify(token, LINK_NOW) {
        assert_eq!(
            signer.sign(&link),
            token,
            "a token that verifies is the one the hub signed"
        );
    }
    // A link made of the input: request id and recipient, one a line.
    if let Some(([request_id, recipient], rest)) = crate::lines::<2>(data) {
        let (Some(request_id), Some(recipient)) = (crate::text(request_id), crate::text(recipient))
        else {
            return;
        };
        if request_id.contains('.') {
            return;
        }
        let action = match rest.first().map(|b| b % 4) {
            Some(0) => Action::Approve,
            Some(1) => Action::Reject,
            Some(2) => Action::Answer,
            _ => Action::Reply,
        };
        let expires_at = rest
            .iter()
            .take(8)
            .fold(0i64, |n, &b| n.wrapping_mul(256).wrapping_add(i64::from(b)));
        let link = Link {
            request_id: request_id.to_owned(),
            action,
            expires_at,
            recipient: recipient.to_owned(),
        };
        let token = signer.sign(&link);
        if expires_at > i64::MIN {
            assert_eq!(
                signer.verify(&token, expires_at - 1),
                Ok(link),
                "a signed link verifies before it expires"
            );
        }
    }
}

/// The secret of the corpus's webhook messages (`whsec_` + base64 of these bytes).
pub const WEBHOOK_KEY: &[u8; 24] = b"ghl-fuzz-webhook-secret!";
/// The time webhook messages are checked at; the corpus's are signed at 1700000000.
pub const WEBHOOK_NOW: i64 = 1_700_000_000;

/// A webhook decision (`POST /channels/webhook/{name}/decisions`): lines `webhook-id`,
/// `webhook-timestamp`, `webhook-signature`, then the body. The headers as hyper would hand
/// them over (values it would refuse are skipped), checked against the body with a fixed
/// secret, then the body read as a decision; the three values also checked as any text. And a
/// message the hub signs verifies.
pub fn webhook_signature(data: &[u8]) {
    let Some(([id, timestamp, signatures], body)) = crate::lines::<3>(data) else {
        return;
    };
    let secrets = [
        WebhookSecret::from_bytes(WEBHOOK_KEY.to_vec()),
        WebhookSecret::from_bytes(b"another secret, rotated out".to_vec()),
    ];
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("webhook-id", id),
        ("webhook-timestamp", timestamp),
        ("webhook-signature", signatures),
    ] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let _ = hub::webhook_decision(&secrets, &headers, body, WEBHOOK_NOW);
    let (Some(id), Some(timestamp), Some(signatures)) = (
        crate::text(id),
        crate::text(timestamp),
        crate::text(signatures),
    ) else {
        return;
    };
    let _ = signature::verify(&secrets, id, timestamp, signatures, body, WEBHOOK_NOW);
    let _ = signatures.parse::<WebhookSecret>();
    // What the hub signs (its ids have no blanks around them) verifies at the time signed.
    if let Ok(at) = timestamp.parse::<i64>() {
        if !id.trim().is_empty() && id.trim() == id {
            let signed = signature::sign(&secrets, id, at, body);
            assert_eq!(
                signature::verify(&secrets, id, &at.to_string(), &signed, body, at),
                Ok(()),
                "a message the hub signs verifies"
            );
        }
    }
}
