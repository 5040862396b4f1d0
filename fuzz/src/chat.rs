//! The chat platforms' callbacks: Slack's interactions, Feishu's and WeCom's callbacks (their
//! signatures, decryption and payloads).

use axum::http::Uri;
use gohumanloop_hub::channels::feishu::{crypto as feishu, encrypted_field, parse_callback};
use gohumanloop_hub::channels::slack::{parse_interaction, signature as slack};
use gohumanloop_hub::channels::wecom::crypto::WecomCrypto;
use gohumanloop_hub::channels::wecom::xml::{parse_envelope, parse_event};
use gohumanloop_hub::fuzzing as hub;

/// The signing secret of the corpus's Slack interactions.
pub const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// The time Slack interactions are checked at; the corpus's are signed at 1700000000.
pub const SLACK_NOW: i64 = 1_700_000_000;

/// Slack's interactivity request (`POST /channels/slack/{name}/interactions`): lines
/// `X-Slack-Request-Timestamp`, `X-Slack-Signature`, then the raw body. The v0 signature
/// checked with a fixed secret, then the form's `payload` parsed; a body the hub's own signing
/// signs verifies.
pub fn slack_interaction(data: &[u8]) {
    let Some(([timestamp, signature], body)) = crate::lines::<2>(data) else {
        return;
    };
    let (Some(timestamp), Some(signature)) = (crate::text(timestamp), crate::text(signature))
    else {
        return;
    };
    let _ = slack::verify(SLACK_SECRET, timestamp, signature, body, SLACK_NOW);
    if !timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(at) = timestamp.parse::<i64>() {
            let signed = slack::sign(SLACK_SECRET, timestamp, body);
            assert_eq!(
                slack::verify(SLACK_SECRET, timestamp, &signed, body, at),
                Ok(()),
                "Slack's signature verifies"
            );
        }
    }
    let _ = parse_interaction(body);
}

/// The Encrypt Key of the corpus's Feishu callbacks.
pub const FEISHU_KEY: &str = "test key";
/// The Verification Token of the corpus's old-style card callbacks.
pub const FEISHU_TOKEN: &str = "fuzz-verification-token";
/// The time Feishu callbacks are checked at.
pub const FEISHU_NOW: i64 = 1_700_000_000;

/// Feishu's callback (`POST /channels/feishu/{name}/callback`): lines
/// `X-Lark-Request-Timestamp`, `X-Lark-Request-Nonce`, `X-Lark-Signature`, then the raw body.
/// Both signatures checked, the timestamp window, the `encrypt` field decrypted with a fixed
/// Encrypt Key and parsed; the body also decrypted and parsed as it stands. What decrypts
/// re-encrypts and decrypts equal; a signature made by the hub's own code verifies.
pub fn feishu_callback(data: &[u8]) {
    let Some(([timestamp, nonce, signature], body)) = crate::lines::<3>(data) else {
        return;
    };
    let (Some(timestamp), Some(nonce), Some(signature)) = (
        crate::text(timestamp),
        crate::text(nonce),
        crate::text(signature),
    ) else {
        return;
    };
    let _ = feishu::verify_event_signature(signature, timestamp, nonce, FEISHU_KEY, body);
    let _ = feishu::verify_card_signature_v1(signature, timestamp, nonce, FEISHU_TOKEN, body);
    if !timestamp.is_empty() && !nonce.is_empty() {
        let signed = feishu::event_signature(timestamp, nonce, FEISHU_KEY, body);
        assert_eq!(
            feishu::verify_event_signature(&signed, timestamp, nonce, FEISHU_KEY, body),
            Ok(())
        );
    }
    let _ = hub::feishu_fresh(timestamp, FEISHU_NOW);
    if let Ok(encrypted) = encrypted_field(body) {
        if let Ok(plaintext) = feishu::decrypt(FEISHU_KEY, &encrypted) {
            let _ = parse_callback(plaintext.as_bytes());
            let again = feishu::encrypt(FEISHU_KEY, &plaintext, [7; 16]);
            assert_eq!(
                feishu::decrypt(FEISHU_KEY, &again).as_deref(),
                Ok(plaintext.as_str()),
                "what decrypts re-encrypts and decrypts equal"
            );
        }
    }
    let _ = parse_callback(body);
    if let Some(text) = crate::text(body) {
        let _ = feishu::decrypt(FEISHU_KEY, text);
    }
}

/// The Token of WeCom's published sample (the corpus's callbacks are signed with it).
pub const WECOM_TOKEN: &str = "QDG6eK";
/// The EncodingAESKey of WeCom's published sample.
pub const WECOM_AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
/// The receive id (CorpID) of WeCom's published sample.
pub const WECOM_RECEIVE_ID: &str = "wx5823bf96d3bd56c7";
/// The time WeCom callbacks are checked at.
pub const WECOM_NOW: i64 = 1_700_000_000;

/// WeCom's callback (`/channels/wecom/{name}/callback`): a line with the query
/// (`msg_signature`, `timestamp`, `nonce`, and the URL check's `echostr`), then the body. The
/// query read as the handlers read it; the URL check's `echostr` opened; the XML envelope
/// parsed, its `Encrypt` checked against `msg_signature`, the window, decrypted (the
/// published sample's keys) and the event parsed; the body also parsed and decrypted as it
/// stands. What decrypts re-encrypts and decrypts equal; a signature the hub makes verifies.
pub fn wecom_callback(data: &[u8]) {
    let Some(([query], body)) = crate::lines::<1>(data) else {
        return;
    };
    let crypto = WecomCrypto::new(WECOM_TOKEN, WECOM_AES_KEY, WECOM_RECEIVE_ID)
        .expect("the published sample's keys");
    let signed = crate::text(query)
        .and_then(|q| Uri::try_from(format!("/channels/wecom/w/callback?{q}")).ok())
        .and_then(|uri| hub::wecom_query(&uri));
    let Some(body) = crate::text(body) else {
        return;
    };
    if let Some((msg_signature, timestamp, nonce, echostr)) = &signed {
        if let Some(echostr) = echostr {
            let _ = crypto.open(msg_signature, timestamp, nonce, echostr);
        }
        if let Ok(envelope) = parse_envelope(body) {
            let verified = crypto.verify(msg_signature, timestamp, nonce, &envelope.encrypt);
            let _ = hub::wecom_fresh(timestamp, WECOM_NOW);
            if verified.is_ok() {
                if let Ok(plaintext) = crypto.decrypt(&envelope.encrypt) {
                    let _ = parse_event(&plaintext);
                }
            }
        }
        let made = crypto.signature(timestamp, nonce, body);
        assert_eq!(crypto.verify(&made, timestamp, nonce, body), Ok(()));
    }
    if let Ok(envelope) = parse_envelope(body) {
        if let Ok(plaintext) = crypto.decrypt(&envelope.encrypt) {
            let _ = parse_event(&plaintext);
        }
    }
    let _ = parse_event(body);
    if let Ok(plaintext) = crypto.decrypt(body) {
        let again = crypto.encrypt(&plaintext, [7; 16]);
        assert_eq!(
            crypto.decrypt(&again).as_deref(),
            Ok(plaintext.as_str()),
            "what decrypts re-encrypts and decrypts equal"
        );
    }
}
