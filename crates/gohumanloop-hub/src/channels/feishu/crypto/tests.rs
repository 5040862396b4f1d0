//! Feishu's published sample values and the SDK's own test vector, then round trips and
//! refusals.
//!
//! - `"test key"` / `P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=` → `hello world`: the
//!   decryption sample of Feishu's event-subscription docs ("配置请求地址" / "接收事件",
//!   `open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/
//!   encrypt-key-encryption-configuration-case`), as reproduced, cited to those docs, in the
//!   `nonebot-adapter-feishu` tests (`tests/test_aes.py`), the `lark` Ruby gem's README and the
//!   `EasyFeishu` PHP tests (`EncryptorTest`);
//! - key `"1212121212"` and the long `bZ3L7yh6…` string → a `contact.user.created_v3` event:
//!   `larksuite/oapi-sdk-go` `event/dispatcher/dispatcher_test.go` (`TestDecryptEvent`; the
//!   plaintext is the commented `plainEventJsonStr` above it), commit
//!   9494618e8cd35005d152819fff6749059f7a53d1.
//!
//! No signature sample with concrete values was found in Feishu's docs or SDK tests (the SDKs'
//! tests sign their own inputs and compare with themselves); the signature vectors here were
//! computed independently with Python's `hashlib`, and `tests/feishu_crypto.rs` checks them
//! against `lark-oapi`'s dispatchers.

use super::*;

const SAMPLE_KEY: &str = "test key";
const SAMPLE: &str = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=";

const SDK_KEY: &str = "1212121212";
const SDK_SAMPLE: &str = "bZ3L7yh6m3Fkuffl4g+3uGjIHnhOm5fVZbKVuyT8t7tcd5ABMYm8l28/X900ZL3knZ7n+sCREu/H2WnIzft0amC7+xWqNH8o25IU63N4BnZWfHh+4hyG76QPd19vkw2bPJCx9aqxK8Nz+xqFNbk0RdgyWhmgd30jSxHtcQXAllkI7FMpGpOCteJad3bLXPDBQIV/xkCtKICCS7Z63gakpxZCLaRZ3qCXP1fapHh+LBIupxenrU6ysc7I3nHmjmKie41IiWwS5puG4zQHhVbq6KWLcgWm/3NBZOPQy53ucMu75SXA55I7jarVLZXWUcqBGrcgE3vouWbtwgZuzmoTQl0GSh5VYSVvpW992BuGxUWj0XjPYdICJm6Cr7xouNXwMcdb7N8caVdkdSZeEnswG19qSyDoQhklwzNGW0yiaayulBqJNjfge/G5V3401c2XaIuAeEIo+QQ4RSNpRGfnHkbu/j55FGQAGWjpuBNaIwZbaUoVP3NkGP+vM5rpEDe3sL2GN+Xsd+g9yBs7FqdMV8mXTGgLjCqjrPrke5/km76Q3Pe6KPs2YexMRG4MkSx3xUTzZnNn7zIzShPcjeSwBd2pxk6ht5N+fzueZdxl6Oo=";
const SDK_PLAIN: &str = r#"{"schema":"2.0","header":{"event_id":"f7984f25108f8137722bb63cee927e66","event_type":"contact.user.created_v3","app_id":"cli_xxxxxxxx","tenant_key":"xxxxxxx","create_time":"1603977298000000","token":"v"},"event":{"object":{"open_id":"ou_7dab8a3d3cdcc9da365777c7ad535d62","union_id":"on_576833b917gda3d939b9a3c2d53e72c8","user_id":"e33ggbyz","name":"张三","employee_no":"employee_no"}},"challenge":"1212","type":"url_verification"}"#;

const TS: &str = "1700000000";
const NONCE: &str = "nonce-1";
/// The body Feishu signs: the encrypted envelope, raw.
const ENVELOPE: &[u8] = br#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
/// `hashlib.sha256(b"1700000000" + b"nonce-1" + b"test key" + ENVELOPE).hexdigest()`.
const ENVELOPE_SIGNATURE: &str = "002a272a435d056759149cce18e88064ff320d38d91a09432445c344c4296949";
/// A v1 card body, not ASCII.
const CARD: &str = r#"{"action":{"value":{"d":"批准"}}}"#;
/// `hashlib.sha1(b"1700000000" + b"nonce-1" + b"v-token" + CARD.encode()).hexdigest()`.
const CARD_SIGNATURE: &str = "ae57b7f7ca145987cbb5422b1ef2fb7c3ba02956";

#[test]
fn the_published_sample_decrypts() {
    assert_eq!(decrypt(SAMPLE_KEY, SAMPLE).as_deref(), Ok("hello world"));
}

#[test]
fn the_sdk_test_vector_decrypts() {
    assert_eq!(decrypt(SDK_KEY, SDK_SAMPLE).as_deref(), Ok(SDK_PLAIN));
}

#[test]
fn the_published_sample_is_refused_with_another_key() {
    for key in ["other key", "Test key", "test key ", "", SDK_KEY] {
        assert_eq!(decrypt(key, SAMPLE), Err(CryptoError::Padding), "{key:?}");
    }
}

#[test]
fn round_trips_at_every_padding_length() {
    let iv = [7u8; 16];
    for len in 0..=48 {
        let text: String = "审批✓a".chars().cycle().take(len).collect();
        let sealed = encrypt("k", &text, iv);
        assert_eq!(decrypt("k", &sealed), Ok(text.clone()), "{len} chars");
        assert_eq!(STANDARD.decode(&sealed).unwrap()[..16], iv);
    }
}

#[test]
fn encrypting_the_sample_with_its_iv_gives_the_sample() {
    let iv: [u8; 16] = STANDARD.decode(SAMPLE).unwrap()[..16].try_into().unwrap();
    assert_eq!(encrypt(SAMPLE_KEY, "hello world", iv), SAMPLE);
}

#[test]
fn garbage_is_refused_without_panicking() {
    assert_eq!(decrypt(SAMPLE_KEY, "not base64!"), Err(CryptoError::Base64));
    assert_eq!(
        decrypt(SAMPLE_KEY, "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk"),
        Err(CryptoError::Base64)
    );
    for short in [0usize, 1, 15, 16, 17, 31, 33, 47] {
        let text = STANDARD.encode(vec![0xA5; short]);
        assert_eq!(
            decrypt(SAMPLE_KEY, &text),
            Err(CryptoError::Length),
            "{short} bytes"
        );
    }
    // Random-looking whole blocks: bad padding (or, rarely, not UTF-8), never a panic.
    for n in 0u8..64 {
        let bytes: Vec<u8> = (0..48u8)
            .map(|i| i.wrapping_mul(31).wrapping_add(n))
            .collect();
        assert!(decrypt(SAMPLE_KEY, &STANDARD.encode(bytes)).is_err());
    }
}

#[test]
fn tampered_ciphertext_is_refused() {
    let mut bytes = STANDARD.decode(SAMPLE).unwrap();
    // The last byte of the only block: the padding no longer decodes.
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert_eq!(
        decrypt(SAMPLE_KEY, &STANDARD.encode(&bytes)),
        Err(CryptoError::Padding)
    );
    // A bit of the IV flips the same bit of the text: CBC cannot notice, which is why the
    // signature is checked before decrypting.
    let mut bytes = STANDARD.decode(SAMPLE).unwrap();
    bytes[0] ^= 1;
    assert_eq!(
        decrypt(SAMPLE_KEY, &STANDARD.encode(&bytes)).as_deref(),
        Ok("iello world")
    );
}

#[test]
fn text_that_is_not_utf8_is_refused() {
    let iv = [1u8; 16];
    let ciphertext =
        Encryptor::new(&key("k"), &iv.into()).encrypt_padded_vec::<Pkcs7>(&[0xff, 0xfe]);
    let sealed = STANDARD.encode([iv.as_slice(), &ciphertext].concat());
    assert_eq!(decrypt("k", &sealed), Err(CryptoError::Utf8));
}

#[test]
fn event_signatures_match_the_independent_values() {
    assert_eq!(
        event_signature(TS, NONCE, SAMPLE_KEY, ENVELOPE),
        ENVELOPE_SIGNATURE
    );
    assert_eq!(
        verify_event_signature(ENVELOPE_SIGNATURE, TS, NONCE, SAMPLE_KEY, ENVELOPE),
        Ok(())
    );
}

#[test]
fn anything_changed_in_an_event_is_refused() {
    let check = |sig: &str, ts: &str, nonce: &str, key: &str, body: &[u8]| {
        verify_event_signature(sig, ts, nonce, key, body)
    };
    let mismatch = Err(CryptoError::Mismatch);
    assert_eq!(
        check(ENVELOPE_SIGNATURE, TS, NONCE, SAMPLE_KEY, b"{}"),
        mismatch
    );
    assert_eq!(
        check(
            ENVELOPE_SIGNATURE,
            "1700000001",
            NONCE,
            SAMPLE_KEY,
            ENVELOPE
        ),
        mismatch
    );
    assert_eq!(
        check(ENVELOPE_SIGNATURE, TS, "nonce-2", SAMPLE_KEY, ENVELOPE),
        mismatch
    );
    assert_eq!(
        check(ENVELOPE_SIGNATURE, TS, NONCE, "other key", ENVELOPE),
        mismatch
    );
    let upper = ENVELOPE_SIGNATURE.to_uppercase();
    assert_eq!(
        check(&upper, TS, NONCE, SAMPLE_KEY, ENVELOPE),
        mismatch,
        "as the SDKs: exact hex"
    );
    assert_eq!(
        check(&ENVELOPE_SIGNATURE[..63], TS, NONCE, SAMPLE_KEY, ENVELOPE),
        mismatch
    );
    // The SHA-1 card scheme's signature is not an event signature.
    let v1 = card_signature_v1(TS, NONCE, SAMPLE_KEY, ENVELOPE);
    assert_eq!(check(&v1, TS, NONCE, SAMPLE_KEY, ENVELOPE), mismatch);
}

#[test]
fn missing_headers_and_keys_are_named() {
    assert_eq!(
        verify_event_signature("", TS, NONCE, SAMPLE_KEY, ENVELOPE),
        Err(CryptoError::Missing(SIGNATURE_HEADER))
    );
    assert_eq!(
        verify_event_signature(ENVELOPE_SIGNATURE, "", NONCE, SAMPLE_KEY, ENVELOPE),
        Err(CryptoError::Missing(TIMESTAMP_HEADER))
    );
    assert_eq!(
        verify_event_signature(ENVELOPE_SIGNATURE, TS, "", SAMPLE_KEY, ENVELOPE),
        Err(CryptoError::Missing(NONCE_HEADER))
    );
    // Without a key anyone can compute the "signature".
    let keyless = event_signature(TS, NONCE, "", ENVELOPE);
    assert_eq!(
        verify_event_signature(&keyless, TS, NONCE, "", ENVELOPE),
        Err(CryptoError::NoKey)
    );
    let keyless = card_signature_v1(TS, NONCE, "", ENVELOPE);
    assert_eq!(
        verify_card_signature_v1(&keyless, TS, NONCE, "", ENVELOPE),
        Err(CryptoError::NoKey)
    );
}

#[test]
fn card_v1_signatures_match_the_independent_values() {
    let body = CARD.as_bytes();
    assert_eq!(
        card_signature_v1(TS, NONCE, "v-token", body),
        CARD_SIGNATURE
    );
    assert_eq!(
        verify_card_signature_v1(CARD_SIGNATURE, TS, NONCE, "v-token", body),
        Ok(())
    );
    assert_eq!(
        verify_card_signature_v1(CARD_SIGNATURE, TS, NONCE, "other", body),
        Err(CryptoError::Mismatch)
    );
    assert_eq!(
        verify_card_signature_v1(CARD_SIGNATURE, TS, NONCE, "v-token", br#"{"action":{}}"#),
        Err(CryptoError::Mismatch)
    );
    assert_eq!(
        verify_card_signature_v1("", TS, NONCE, "v-token", body),
        Err(CryptoError::Missing(SIGNATURE_HEADER))
    );
}

#[test]
fn errors_never_quote_secrets() {
    for error in [
        CryptoError::Base64,
        CryptoError::Length,
        CryptoError::Padding,
        CryptoError::Utf8,
        CryptoError::NoKey,
        CryptoError::Missing(NONCE_HEADER),
        CryptoError::Mismatch,
    ] {
        assert!(!error.to_string().contains(SAMPLE_KEY), "{error}");
    }
}
