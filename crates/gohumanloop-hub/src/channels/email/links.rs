//! Signed one-click links: `/email/{token}` where the token names a request, an action, an
//! expiry and the recipient it was mailed to, sealed by an HMAC-SHA256 under a key only the hub
//! knows. A link works once (its use is stored), and never after its expiry.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::core::{self, Decision};

type HmacSha256 = hmac::Hmac<Sha256>;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Approve (after one confirming click: mail scanners open links by themselves).
    Approve,
    /// Reject, with a reason typed on the page.
    Reject,
    /// Give the information asked for.
    Answer,
    /// Answer a conversation turn (and maybe end it).
    Reply,
}

impl Action {
    /// The decision a link of this kind makes, with the text typed on its page (and, for a
    /// reply, whether it ends the conversation).
    pub fn decision(self, text: &str, end: bool) -> Decision {
        let action = match self {
            Self::Approve => core::Action::Approve,
            Self::Reject => core::Action::Reject,
            Self::Answer => core::Action::Answer,
            Self::Reply if end => core::Action::Complete,
            Self::Reply => core::Action::Reply,
        };
        Decision::new(action, text)
    }

    /// The word in the token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Answer => "answer",
            Self::Reply => "reply",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            "answer" => Some(Self::Answer),
            "reply" => Some(Self::Reply),
            _ => None,
        }
    }
}

/// What a valid link says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The hub's id of the request.
    pub request_id: String,
    /// What it does.
    pub action: Action,
    /// When it stops working (Unix seconds).
    pub expires_at: i64,
    /// Whom it was mailed to (who answers when it is used).
    pub recipient: String,
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link the hub made, or altered since.
    #[error("this link is not valid")]
    Invalid,
    /// Its time is over.
    #[error("this link has expired")]
    Expired,
}

/// Makes and checks links.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(***)")
    }
}

impl LinkSigner {
    /// A signer with this key (at least 32 random bytes).
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, request_id: &str, action: &str, expires_at: i64, recipient: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        for part in [
            "ghl-email-link-v1",
            request_id,
            action,
            &expires_at.to_string(),
            recipient,
        ] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac
    }

    /// The token of a link.
    pub fn sign(&self, link: &Link) -> String {
        let tag = self
            .mac(
                &link.request_id,
                link.action.as_str(),
                link.expires_at,
                &link.recipient,
            )
            .finalize()
            .into_bytes();
        format!(
            "{}.{}.{}.{}.{}",
            link.request_id,
            link.action.as_str(),
            link.expires_at,
            URL_SAFE_NO_PAD.encode(link.recipient.as_bytes()),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Checks a token at time `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Link, LinkError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [request_id, action, expires, recipient, tag] = parts[..] else {
            return Err(LinkError::Invalid);
        };
        let action = Action::parse(action).ok_or(LinkError::Invalid)?;
        let expires_at: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
        // Only the hub's own spelling of the time: `02000`, `+2000` parse to the same number,
        // and would be other tokens for the same link — each usable once more (the single use
        // is keyed by the token).
        if expires_at.to_string() != expires {
            return Err(LinkError::Invalid);
        }
        let recipient = URL_SAFE_NO_PAD
            .decode(recipient)
            .ok()
            .and_then(|r| String::from_utf8(r).ok())
            .ok_or(LinkError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Invalid)?;
        self.mac(request_id, action.as_str(), expires_at, &recipient)
            .verify_slice(&tag)
            .map_err(|_| LinkError::Invalid)?;
        if now >= expires_at {
            return Err(LinkError::Expired);
        }
        Ok(Link {
            request_id: request_id.to_owned(),
            action,
            expires_at,
            recipient,
        })
    }
}

/// The id a used link is remembered by (its token's SHA-256, hex).
pub(crate) fn link_id(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Link {
        Link {
            request_id: "0b9c2a44-5d1e-4c0e-9a51-3a1f0e6d7c88".into(),
            action: Action::Approve,
            expires_at: 2_000,
            recipient: "approver@ghl.test".into(),
        }
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let signer = LinkSigner::new(vec![7; 32]);
        let token = signer.sign(&link());
        assert_eq!(signer.verify(&token, 1_999), Ok(link()));
        assert_eq!(signer.verify(&token, 2_000), Err(LinkError::Expired));
    }

    /// Found by the `signed_link` fuzz target: another spelling of the expiry verified, so one
    /// link had many tokens, each of which could be used once.
    #[test]
    fn only_the_signed_spelling_of_the_expiry_verifies() {
        let signer = LinkSigner::new(vec![7; 32]);
        let token = signer.sign(&link());
        for respelt in [".02000.", ".+2000.", ".0002000."] {
            let forged = token.replacen(".2000.", respelt, 1);
            assert_eq!(
                signer.verify(&forged, 0),
                Err(LinkError::Invalid),
                "{forged}"
            );
        }
        assert_eq!(signer.verify(&token, 0), Ok(link()));
    }

    #[test]
    fn any_change_breaks_the_seal() {
        let signer = LinkSigner::new(vec![7; 32]);
        let token = signer.sign(&link());
        let other_action = token.replacen(".approve.", ".reject.", 1);
        let later = token.replacen(".2000.", ".9999.", 1);
        let other_request = token.replacen("0b9c2a44", "0b9c2a45", 1);
        for forged in [
            other_action,
            later,
            other_request,
            format!("{token}x"),
            "a.b".into(),
        ] {
            assert_eq!(
                signer.verify(&forged, 0),
                Err(LinkError::Invalid),
                "{forged}"
            );
        }
        let stranger = LinkSigner::new(vec![8; 32]);
        assert_eq!(stranger.verify(&token, 0), Err(LinkError::Invalid));
        assert_eq!(link_id(&token).len(), 64);
    }
}
