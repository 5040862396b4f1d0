//! Feishu's callback crypto and signatures, as the Feishu / Lark open platform documents them
//! ("接收事件 / 接收回调": `open.larkoffice.com/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/
//! event-subscription-configure-/encrypt-key-encryption-configuration-case`) and its official
//! SDKs implement them (`larksuite/oapi-sdk-go` `event/event.go`, `card/card.go`; `lark-oapi`
//! for Python, `lark_oapi/core/utils/decryptor.py` and the dispatchers' `_verify_sign`):
//!
//! - an encrypted body is `{"encrypt": "<base64>"}`: base64 of a 16-byte IV followed by the
//!   event under AES-256-CBC with PKCS#7 padding, keyed with SHA-256 of the app's Encrypt Key;
//! - events and the new `card.action.trigger` callback are signed in `X-Lark-Signature`:
//!   hex SHA-256 of `X-Lark-Request-Timestamp + X-Lark-Request-Nonce + encrypt_key + raw body`;
//! - the old card request URL (`card.action.trigger_v1`) signs the same way with SHA-1 and the
//!   Verification Token instead of the Encrypt Key.
//!
//! Neither SDK checks how old the timestamp is; the caller should.

use aes::Aes256;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, Key, KeyIvInit};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header carrying the signature of an event or callback.
pub const SIGNATURE_HEADER: &str = "X-Lark-Signature";
/// The header carrying the timestamp that is signed.
pub const TIMESTAMP_HEADER: &str = "X-Lark-Request-Timestamp";
/// The header carrying the nonce that is signed.
pub const NONCE_HEADER: &str = "X-Lark-Request-Nonce";

/// The AES block, and the IV, length.
const BLOCK: usize = 16;

type Decryptor = cbc::Decryptor<Aes256>;
type Encryptor = cbc::Encryptor<Aes256>;

/// Why an encrypted body could not be read, or a signature was refused. The messages never
/// quote keys or plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The `encrypt` field is not (standard, padded) base64.
    #[error("the encrypt field is not base64")]
    Base64,
    /// The decoded bytes are not an IV followed by one or more whole AES blocks.
    #[error("the encrypt field is not an IV and whole AES blocks")]
    Length,
    /// The padding is wrong after decryption: another Encrypt Key, or altered bytes.
    #[error("the encrypt field does not decrypt with this Encrypt Key (bad padding)")]
    Padding,
    /// The decrypted bytes are not UTF-8 text.
    #[error("the decrypted event is not UTF-8 text")]
    Utf8,
    /// The key or token to check with is empty: a signature made with it proves nothing.
    #[error("no Encrypt Key or Verification Token is configured to check the signature with")]
    NoKey,
    /// A signed header is missing or empty.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// The signature was not made over these bytes with this key.
    #[error("X-Lark-Signature does not match (another key, or a changed body or header)")]
    Mismatch,
}

/// Decrypts an `encrypt` field with the app's Encrypt Key.
///
/// The padding is checked as PKCS#7, strictly. The official SDKs differ here: `oapi-sdk-go`'s
/// `EventDecrypt` does not unpad at all but keeps what lies between the first `{` and the last
/// `}` (the whole buffer, padding included, when there is no brace), while `lark-oapi` 1.7.5's
/// `AESCipher.decrypt` checks PKCS#7 byte by byte and refuses bad padding. This follows the
/// Python SDK, because Feishu pads with PKCS#7 (its published sample decrypts to exactly
/// `hello world`, which the brace trim would return with five padding bytes), because the
/// padding check is what turns a wrong key or altered bytes into an error instead of garbage,
/// and because trimming would silently accept bytes around the JSON.
///
/// Blanks around the base64 are ignored. CBC does not authenticate: a changed IV changes the
/// text without any error, so check [`verify_event_signature`] over the raw body first.
pub fn decrypt(encrypt_key: &str, encrypted_base64: &str) -> Result<String, CryptoError> {
    let bytes = STANDARD
        .decode(encrypted_base64.trim())
        .map_err(|_| CryptoError::Base64)?;
    if bytes.len() < 2 * BLOCK || bytes.len() % BLOCK != 0 {
        return Err(CryptoError::Length);
    }
    let (iv, blocks) = bytes.split_at(BLOCK);
    let iv: [u8; BLOCK] = iv.try_into().map_err(|_| CryptoError::Length)?;
    let plain = Decryptor::new(&key(encrypt_key), &iv.into())
        .decrypt_padded_vec::<Pkcs7>(blocks)
        .map_err(|_| CryptoError::Padding)?;
    String::from_utf8(plain).map_err(|_| CryptoError::Utf8)
}

/// Encrypts `plaintext` as Feishu does: base64 of `iv` followed by the AES-256-CBC (PKCS#7)
/// ciphertext under SHA-256 of the Encrypt Key. For test fakes and tools; `iv` should be
/// random.
pub fn encrypt(encrypt_key: &str, plaintext: &str, iv: [u8; 16]) -> String {
    let ciphertext = Encryptor::new(&key(encrypt_key), &iv.into())
        .encrypt_padded_vec::<Pkcs7>(plaintext.as_bytes());
    let mut bytes = Vec::with_capacity(BLOCK + ciphertext.len());
    bytes.extend_from_slice(&iv);
    bytes.extend_from_slice(&ciphertext);
    STANDARD.encode(bytes)
}

/// The `X-Lark-Signature` of an event or a `card.action.trigger` callback: lowercase hex of
/// SHA-256 over `timestamp + nonce + encrypt_key + raw_body`.
pub fn event_signature(timestamp: &str, nonce: &str, encrypt_key: &str, raw_body: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(timestamp)
        .chain_update(nonce)
        .chain_update(encrypt_key)
        .chain_update(raw_body)
        .finalize();
    hex(&digest)
}

/// Checks an event's or new callback's `X-Lark-Signature` (compared in constant time). An
/// empty Encrypt Key is refused ([`CryptoError::NoKey`]): Feishu signs only when one is set.
pub fn verify_event_signature(
    signature: &str,
    timestamp: &str,
    nonce: &str,
    encrypt_key: &str,
    raw_body: &[u8],
) -> Result<(), CryptoError> {
    let (signature, timestamp, nonce) = present(signature, timestamp, nonce)?;
    if encrypt_key.is_empty() {
        return Err(CryptoError::NoKey);
    }
    same(
        signature,
        &event_signature(timestamp, nonce, encrypt_key, raw_body),
    )
}

/// The `X-Lark-Signature` of the old card request URL (`card.action.trigger_v1`): lowercase
/// hex of SHA-1 over `timestamp + nonce + verification_token + raw_body`.
pub fn card_signature_v1(
    timestamp: &str,
    nonce: &str,
    verification_token: &str,
    raw_body: &[u8],
) -> String {
    let digest = Sha1::new()
        .chain_update(timestamp)
        .chain_update(nonce)
        .chain_update(verification_token)
        .chain_update(raw_body)
        .finalize();
    hex(&digest)
}

/// Checks an old card request's `X-Lark-Signature` (compared in constant time). An empty
/// Verification Token is refused ([`CryptoError::NoKey`]).
pub fn verify_card_signature_v1(
    signature: &str,
    timestamp: &str,
    nonce: &str,
    verification_token: &str,
    raw_body: &[u8],
) -> Result<(), CryptoError> {
    let (signature, timestamp, nonce) = present(signature, timestamp, nonce)?;
    if verification_token.is_empty() {
        return Err(CryptoError::NoKey);
    }
    same(
        signature,
        &card_signature_v1(timestamp, nonce, verification_token, raw_body),
    )
}

/// The AES-256 key: SHA-256 of the Encrypt Key's UTF-8 bytes.
fn key(encrypt_key: &str) -> Key<Aes256> {
    Sha256::digest(encrypt_key.as_bytes())
}

/// The three signed headers, each non-empty; they are signed as sent, so not trimmed.
fn present<'a>(
    signature: &'a str,
    timestamp: &'a str,
    nonce: &'a str,
) -> Result<(&'a str, &'a str, &'a str), CryptoError> {
    for (value, name) in [
        (signature, SIGNATURE_HEADER),
        (timestamp, TIMESTAMP_HEADER),
        (nonce, NONCE_HEADER),
    ] {
        if value.is_empty() {
            return Err(CryptoError::Missing(name));
        }
    }
    Ok((signature, timestamp, nonce))
}

/// Whether the received signature is the expected one, in time independent of where they
/// differ (the SDKs compare the lowercase hex strings exactly; so does this).
fn same(received: &str, expected: &str) -> Result<(), CryptoError> {
    if bool::from(received.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(CryptoError::Mismatch)
    }
}

/// Lowercase hex, as Go's `%x` and Python's `hexdigest()` write it.
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
