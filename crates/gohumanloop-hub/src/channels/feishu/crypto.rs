//! Feishu's callback crypto and signatures: the body `{"encrypt": base64(IV ‖ AES-256-CBC(key
//! = SHA-256(Encrypt Key), PKCS#7))}`, and `X-Lark-Signature = hex(SHA-256(timestamp ‖ nonce
//! ‖ Encrypt Key ‖ raw body))`.

use aes::Aes256;
use base64::Engine;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a callback's crypto fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Not base64, too short, or not whole blocks.
    #[error("the encrypted body is malformed")]
    Malformed,
    /// It does not decrypt with this key.
    #[error("the body does not decrypt with this Encrypt Key")]
    Undecryptable,
    /// The signature does not match.
    #[error("the X-Lark-Signature does not match")]
    BadSignature,
}

fn key(encrypt_key: &str) -> [u8; 32] {
    Sha256::digest(encrypt_key.as_bytes()).into()
}

/// Decrypts a callback's `encrypt` field.
pub fn decrypt(encrypt_key: &str, encrypted_base64: &str) -> Result<String, CryptoError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encrypted_base64.trim())
        .map_err(|_| CryptoError::Malformed)?;
    if bytes.len() < 32 || bytes.len() % 16 != 0 {
        return Err(CryptoError::Malformed);
    }
    let (iv, data) = bytes.split_at(16);
    let plain = cbc::Decryptor::<Aes256>::new_from_slices(&key(encrypt_key), iv)
        .map_err(|_| CryptoError::Malformed)?
        .decrypt_padded_vec::<Pkcs7>(data)
        .map_err(|_| CryptoError::Undecryptable)?;
    String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
}

/// Encrypts `plaintext` as Feishu does, with `iv` (for fakes and tools).
pub fn encrypt(encrypt_key: &str, plaintext: &str, iv: [u8; 16]) -> String {
    let mut out = iv.to_vec();
    let sealed = cbc::Encryptor::<Aes256>::new(&key(encrypt_key).into(), &iv.into())
        .encrypt_padded_vec::<Pkcs7>(plaintext.as_bytes());
    out.extend(sealed);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// The `X-Lark-Signature` of a body.
pub fn event_signature(timestamp: &str, nonce: &str, encrypt_key: &str, raw_body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(timestamp.as_bytes());
    hash.update(nonce.as_bytes());
    hash.update(encrypt_key.as_bytes());
    hash.update(raw_body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a body's `X-Lark-Signature` (constant time).
pub fn verify_event_signature(
    signature: &str,
    timestamp: &str,
    nonce: &str,
    encrypt_key: &str,
    raw_body: &[u8],
) -> Result<(), CryptoError> {
    let expected = event_signature(timestamp, nonce, encrypt_key, raw_body);
    if bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample of Feishu's doc on encrypted events (Encrypt Key "test key"; its Python
    /// sample decrypts it to "hello world"; also in nonebot/adapter-feishu's tests).
    const SAMPLE: &str = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=";

    #[test]
    fn feishu_s_published_sample_decrypts() {
        assert_eq!(decrypt("test key", SAMPLE).as_deref(), Ok("hello world"));
        assert!(decrypt("another key", SAMPLE).is_err());
    }

    #[test]
    fn what_is_encrypted_decrypts_and_garbage_is_refused() {
        for text in ["", "{}", "批准部署？ ✓", &"x".repeat(1000)] {
            let sealed = encrypt("k", text, [9; 16]);
            assert_eq!(decrypt("k", &sealed).as_deref(), Ok(text));
        }
        for garbage in [
            "",
            "!!",
            "AAAA",
            "P37w+VZImNgPEO1RBhJ6Rt==",
            &"A".repeat(44),
        ] {
            assert!(decrypt("test key", garbage).is_err(), "{garbage}");
        }
        let mut flipped = base64::engine::general_purpose::STANDARD
            .decode(SAMPLE)
            .unwrap();
        flipped[20] ^= 1;
        let flipped = base64::engine::general_purpose::STANDARD.encode(flipped);
        assert_ne!(decrypt("test key", &flipped).as_deref(), Ok("hello world"));
    }

    #[test]
    fn the_signature_covers_every_part() {
        let sig = event_signature("1", "n", "k", b"{}");
        assert_eq!(verify_event_signature(&sig, "1", "n", "k", b"{}"), Ok(()));
        for (t, n, k, b) in [
            ("2", "n", "k", "{}"),
            ("1", "m", "k", "{}"),
            ("1", "n", "j", "{}"),
            ("1", "n", "k", "{ }"),
        ] {
            assert!(verify_event_signature(&sig, t, n, k, b.as_bytes()).is_err());
        }
    }
}
