//! WeCom's callback crypto, as its "加解密方案" describes
//! (<https://developer.work.weixin.qq.com/document/path/91144>, and path/90968):
//!
//! - `msg_signature = hex(SHA-1(concat(sort([token, timestamp, nonce, encrypted]))))`, the four
//!   *values* sorted as bytes, then concatenated;
//! - `AESKey = base64_decode(EncodingAESKey + "=")`, 43 characters giving 32 bytes;
//! - AES-256-CBC with `IV = AESKey[0..16]`, PKCS#7 padding to a multiple of **32** bytes (pad
//!   values 1–32, not the usual 1–16);
//! - plaintext `random (16 bytes) ‖ msg_len (4 bytes, big-endian) ‖ msg ‖ receive_id`, where the
//!   receive id is the CorpID for a self-built app.

use std::fmt;

use aes::Aes256;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::xml::cdata;

/// The length of an EncodingAESKey, in characters.
pub const ENCODING_AES_KEY_LEN: usize = 43;
/// WeCom's PKCS#7 block: padding fills the plaintext to a multiple of 32 bytes.
const PAD_BLOCK: usize = 32;
/// The random prefix and the length field before the message.
const RANDOM_LEN: usize = 16;
const HEADER_LEN: usize = RANDOM_LEN + 4;

/// The EncodingAESKey's base64 as WeCom's samples read it: no padding (the `=` they append is
/// implied) and the two unused bits of the last character ignored, as Python's
/// `base64.b64decode` and the official samples do (keys are 43 random letters and digits).
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Why a key could not be read or a message was refused. The messages never quote a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The EncodingAESKey is not 43 base64 characters (32 bytes).
    #[error("the WeCom EncodingAESKey must be 43 base64 characters (it decodes to 32 bytes)")]
    BadKey,
    /// `msg_signature` is not the SHA-1 of the token, timestamp, nonce and ciphertext.
    #[error("msg_signature does not match (wrong token, or the message was changed)")]
    BadSignature,
    /// The ciphertext is not base64.
    #[error("the encrypted message is not base64")]
    BadBase64,
    /// The ciphertext is empty or not a whole number of 32-byte blocks.
    #[error("the encrypted message is not a whole number of 32-byte blocks")]
    BadLength,
    /// The decrypted PKCS#7 padding (1–32 bytes) is malformed: wrong key or changed message.
    #[error("the decrypted padding is malformed (wrong EncodingAESKey, or a changed message)")]
    BadPadding,
    /// The decrypted plaintext is too short for its header or its declared message length.
    #[error("the decrypted plaintext is shorter than its header or declared length")]
    Truncated,
    /// The plaintext ends in another receive id (CorpID) than this channel's.
    #[error("the message was encrypted for another receive id (CorpID)")]
    ReceiveIdMismatch,
    /// The message is not UTF-8.
    #[error("the decrypted message is not UTF-8")]
    NotUtf8,
}

/// One WeCom app's callback crypto: its Token, EncodingAESKey and receive id (the CorpID for a
/// self-built app). Its `Debug` shows the receive id only.
#[derive(Clone)]
pub struct WecomCrypto {
    token: String,
    key: [u8; 32],
    receive_id: String,
}

impl fmt::Debug for WecomCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WecomCrypto")
            .field("receive_id", &self.receive_id)
            .finish_non_exhaustive()
    }
}

impl WecomCrypto {
    /// The crypto of an app with this Token, EncodingAESKey (43 characters) and receive id.
    pub fn new(token: &str, encoding_aes_key: &str, receive_id: &str) -> Result<Self, CryptoError> {
        let encoded = encoding_aes_key.trim();
        if encoded.len() != ENCODING_AES_KEY_LEN {
            return Err(CryptoError::BadKey);
        }
        let bytes = KEY_BASE64
            .decode(encoded)
            .map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self {
            token: token.to_owned(),
            key,
            receive_id: receive_id.to_owned(),
        })
    }

    /// The receive id (CorpID) messages must be encrypted for.
    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// `msg_signature` of a message: lowercase hex of the SHA-1 of the token, timestamp, nonce
    /// and ciphertext (or URL-check `echostr`), sorted as bytes and concatenated.
    pub fn signature(&self, timestamp: &str, nonce: &str, encrypted: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, encrypted];
        parts.sort_unstable();
        let mut sha = Sha1::new();
        for part in parts {
            sha.update(part.as_bytes());
        }
        sha.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Checks `msg_signature` (compared in constant time).
    pub fn verify(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypted: &str,
    ) -> Result<(), CryptoError> {
        let expected = self.signature(timestamp, nonce, encrypted);
        if bool::from(expected.as_bytes().ct_eq(msg_signature.trim().as_bytes())) {
            Ok(())
        } else {
            Err(CryptoError::BadSignature)
        }
    }

    /// [`verify`](Self::verify), then [`decrypt`](Self::decrypt): a URL check's `echostr` or a
    /// message's `Encrypt`, opened.
    pub fn open(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypted: &str,
    ) -> Result<String, CryptoError> {
        self.verify(msg_signature, timestamp, nonce, encrypted)?;
        self.decrypt(encrypted)
    }

    /// Decrypts a base64 ciphertext; the message, if it was encrypted for this receive id.
    pub fn decrypt(&self, encrypted_base64: &str) -> Result<String, CryptoError> {
        let ciphertext = STANDARD
            .decode(encrypted_base64.trim())
            .map_err(|_| CryptoError::BadBase64)?;
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(PAD_BLOCK) {
            return Err(CryptoError::BadLength);
        }
        let plain = self
            .decryptor()
            .decrypt_padded_vec::<NoPadding>(&ciphertext)
            .map_err(|_| CryptoError::BadLength)?;
        let content = unpad(&plain)?;
        let (message, receive_id) = split(content)?;
        if receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::ReceiveIdMismatch);
        }
        String::from_utf8(message.to_vec()).map_err(|_| CryptoError::NotUtf8)
    }

    /// Encrypts a message for this receive id with these 16 random bytes; base64.
    ///
    /// A message must be shorter than 4 GiB (its length is a 32-bit field); callers bound it
    /// far below that.
    pub fn encrypt(&self, plaintext: &str, random: [u8; 16]) -> String {
        let message = plaintext.as_bytes();
        let length = u32::try_from(message.len()).unwrap_or(u32::MAX);
        let mut buf =
            Vec::with_capacity(HEADER_LEN + message.len() + self.receive_id.len() + PAD_BLOCK);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&length.to_be_bytes());
        buf.extend_from_slice(message);
        buf.extend_from_slice(self.receive_id.as_bytes());
        let pad = PAD_BLOCK - buf.len() % PAD_BLOCK;
        // 1..=32, so it fits a byte.
        buf.resize(buf.len() + pad, pad as u8);
        STANDARD.encode(self.encryptor().encrypt_padded_vec::<NoPadding>(&buf))
    }

    /// The encrypted passive reply to a callback:
    /// `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`, the plaintext XML encrypted
    /// with these random bytes and signed with this timestamp and nonce.
    pub fn seal_reply(
        &self,
        plaintext_xml: &str,
        timestamp: &str,
        nonce: &str,
        random: [u8; 16],
    ) -> String {
        let encrypted = self.encrypt(plaintext_xml, random);
        let signature = self.signature(timestamp, nonce, &encrypted);
        format!(
            "<xml><Encrypt>{}</Encrypt><MsgSignature>{}</MsgSignature>\
             <TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
            cdata(&encrypted),
            cdata(&signature),
            quick_xml::escape::escape(timestamp),
            cdata(nonce),
        )
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }

    fn encryptor(&self) -> cbc::Encryptor<Aes256> {
        cbc::Encryptor::<Aes256>::new(&self.key.into(), &self.iv().into())
    }

    fn decryptor(&self) -> cbc::Decryptor<Aes256> {
        cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv().into())
    }
}

/// The plaintext without its PKCS#7 padding of 1–32 bytes, all equal to the pad length.
fn unpad(plain: &[u8]) -> Result<&[u8], CryptoError> {
    let pad = usize::from(*plain.last().ok_or(CryptoError::BadPadding)?);
    if !(1..=PAD_BLOCK).contains(&pad) || pad > plain.len() {
        return Err(CryptoError::BadPadding);
    }
    let (content, padding) = plain.split_at(plain.len() - pad);
    if padding.iter().any(|&b| usize::from(b) != pad) {
        return Err(CryptoError::BadPadding);
    }
    Ok(content)
}

/// The message and the receive id of an unpadded plaintext.
fn split(content: &[u8]) -> Result<(&[u8], &[u8]), CryptoError> {
    let body = content.get(HEADER_LEN..).ok_or(CryptoError::Truncated)?;
    let mut length = [0; 4];
    length.copy_from_slice(&content[RANDOM_LEN..HEADER_LEN]);
    let length = usize::try_from(u32::from_be_bytes(length)).map_err(|_| CryptoError::Truncated)?;
    if length > body.len() {
        return Err(CryptoError::Truncated);
    }
    Ok(body.split_at(length))
}

#[cfg(test)]
mod tests;
