//! WeCom's published sample values, from the official `WXBizMsgCrypt` samples (the download
//! of <https://developer.work.weixin.qq.com/document/path/90307>; the same values are in doc
//! path 91144's examples): Token `QDG6eK`, CorpID `wx5823bf96d3bd56c7`, EncodingAESKey
//! `jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C`;
//!
//! - the URL check `GET /cgi-bin/wxpush?msg_signature=5c45ff5e…&timestamp=1409659589&
//!   nonce=263014780&echostr=P9nAzCzy…` of the samples' "使用示例一：验证回调URL" (copied, for
//!   instance, in the C# `Sample.cs` of JeffreySu/WeiXinMPSDK and the Java
//!   `WXBizMsgCryptTest.testVerifyUrl`), whose echostr decrypts to `1616140317555161061`;
//! - the POST `msg_signature=477715d1…&timestamp=1409659813&nonce=1372623149` with its
//!   `Encrypt` (`RypEvHKD…`), "使用示例二：对用户回复的消息解密"; w7corp/easywechat checks the
//!   same vector in `tests/Work/ServerTest.php` (`test_it_will_validate_message`) and lists its
//!   plaintext's fields (FromUserName `mycreate`, Content `hello`, MsgId
//!   `4561255354251345929`, AgentID 218).

use super::*;

const TOKEN: &str = "QDG6eK";
const CORP_ID: &str = "wx5823bf96d3bd56c7";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

const URL_SIGNATURE: &str = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
const URL_TIMESTAMP: &str = "1409659589";
const URL_NONCE: &str = "263014780";
const URL_ECHOSTR: &str =
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";

const POST_SIGNATURE: &str = "477715d11cdb4164915debcba66cb864d751f3e6";
const POST_TIMESTAMP: &str = "1409659813";
const POST_NONCE: &str = "1372623149";
const POST_ENCRYPT: &str = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

const RANDOM: [u8; 16] = *b"0123456789abcdef";

fn crypto() -> WecomCrypto {
    WecomCrypto::new(TOKEN, KEY, CORP_ID).unwrap()
}

/// Encrypts raw plaintext bytes (already padded) as the app would, to craft bad plaintexts.
fn seal_raw(crypto: &WecomCrypto, plain: &[u8]) -> String {
    STANDARD.encode(crypto.encryptor().encrypt_padded_vec::<NoPadding>(plain))
}

/// The raw decrypted bytes of a ciphertext, padding included.
fn open_raw(crypto: &WecomCrypto, encrypted: &str) -> Vec<u8> {
    let bytes = STANDARD.decode(encrypted).unwrap();
    crypto
        .decryptor()
        .decrypt_padded_vec::<NoPadding>(&bytes)
        .unwrap()
}

#[test]
fn the_published_url_check_verifies_and_decrypts() {
    let c = crypto();
    assert_eq!(
        c.signature(URL_TIMESTAMP, URL_NONCE, URL_ECHOSTR),
        URL_SIGNATURE
    );
    assert_eq!(
        c.verify(URL_SIGNATURE, URL_TIMESTAMP, URL_NONCE, URL_ECHOSTR),
        Ok(())
    );
    assert_eq!(c.decrypt(URL_ECHOSTR).unwrap(), "1616140317555161061");
    assert_eq!(
        c.open(URL_SIGNATURE, URL_TIMESTAMP, URL_NONCE, URL_ECHOSTR)
            .unwrap(),
        "1616140317555161061"
    );
}

#[test]
fn the_published_message_verifies_and_decrypts() {
    let c = crypto();
    assert_eq!(
        c.signature(POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT),
        POST_SIGNATURE
    );
    let plain = c
        .open(POST_SIGNATURE, POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT)
        .unwrap();
    for part in [
        "<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>",
        "<FromUserName><![CDATA[mycreate]]></FromUserName>",
        "<CreateTime>1409659813</CreateTime>",
        "<MsgType><![CDATA[text]]></MsgType>",
        "<Content><![CDATA[hello]]></Content>",
        "<MsgId>4561255354251345929</MsgId>",
        "<AgentID>218</AgentID>",
    ] {
        assert!(plain.contains(part), "{part} in {plain}");
    }
    assert!(plain.starts_with("<xml>") && plain.ends_with("</xml>"));
    // The sample's ciphertext carries a 12-byte pad: 16 + 4 + msg + 18 + 12 is a multiple of 32.
    let pad = *open_raw(&c, POST_ENCRYPT).last().unwrap();
    assert_eq!(
        (16 + 4 + plain.len() + CORP_ID.len() + usize::from(pad)) % 32,
        0
    );
}

#[test]
fn the_published_values_are_refused_when_anything_changes() {
    let c = crypto();
    let refuse = |sig: &str, ts: &str, nonce: &str, enc: &str| c.verify(sig, ts, nonce, enc);
    assert_eq!(
        refuse(URL_SIGNATURE, "1409659590", URL_NONCE, URL_ECHOSTR),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        refuse(URL_SIGNATURE, URL_TIMESTAMP, "263014781", URL_ECHOSTR),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        refuse(POST_SIGNATURE, POST_TIMESTAMP, POST_NONCE, URL_ECHOSTR),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        refuse("", URL_TIMESTAMP, URL_NONCE, URL_ECHOSTR),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        refuse(
            &URL_SIGNATURE.to_uppercase(),
            URL_TIMESTAMP,
            URL_NONCE,
            URL_ECHOSTR
        ),
        Err(CryptoError::BadSignature),
        "WeCom's signatures are lowercase hex"
    );
    let other = WecomCrypto::new("QDG6eL", KEY, CORP_ID).unwrap();
    assert_eq!(
        other.verify(URL_SIGNATURE, URL_TIMESTAMP, URL_NONCE, URL_ECHOSTR),
        Err(CryptoError::BadSignature)
    );
    let stranger = WecomCrypto::new(TOKEN, KEY, "wx5823bf96d3bd56c8").unwrap();
    assert_eq!(
        stranger.decrypt(POST_ENCRYPT),
        Err(CryptoError::ReceiveIdMismatch)
    );
}

#[test]
fn messages_round_trip() {
    let c = crypto();
    for text in [
        "",
        "1616140317555161061",
        "<xml><Content><![CDATA[批准部署？ ✓]]></Content></xml>",
        &"長".repeat(500),
    ] {
        let sealed = c.encrypt(text, RANDOM);
        assert_eq!(c.decrypt(&sealed).unwrap(), text);
        assert_eq!(&open_raw(&c, &sealed)[..16], &RANDOM);
    }
    // Other random bytes, another ciphertext; the same message.
    assert_ne!(c.encrypt("hi", RANDOM), c.encrypt("hi", [7; 16]));
    assert_eq!(c.decrypt(&c.encrypt("hi", [7; 16])).unwrap(), "hi");
}

#[test]
fn every_pad_value_from_1_to_32_round_trips() {
    // 16 + 4 + n + 18 bytes: n = 0..32 gives every pad value once. A 16-byte PKCS#7 unpad
    // would refuse the pads 17..=32.
    let c = crypto();
    let mut pads = Vec::new();
    for n in 0..64 {
        let text = "a".repeat(n);
        let sealed = c.encrypt(&text, RANDOM);
        let raw = open_raw(&c, &sealed);
        assert_eq!(raw.len() % 32, 0, "a multiple of 32 bytes, not of 16");
        let pad = *raw.last().unwrap();
        assert!(raw[raw.len() - usize::from(pad)..]
            .iter()
            .all(|&b| b == pad));
        assert_eq!(raw.len(), 38 + n + usize::from(pad));
        pads.push(pad);
        assert_eq!(c.decrypt(&sealed).unwrap(), text, "n = {n}, pad = {pad}");
    }
    pads.sort_unstable();
    pads.dedup();
    assert_eq!(pads, (1..=32).collect::<Vec<u8>>());
}

#[test]
fn a_changed_ciphertext_is_refused() {
    let c = crypto();
    let sealed = c.encrypt("<xml><EventKey>approve</EventKey></xml>", RANDOM);
    let mut bytes = STANDARD.decode(&sealed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let tampered = STANDARD.encode(&bytes);
    assert!(c.decrypt(&tampered).is_err());
    // The signature is what catches any change: it covers the ciphertext.
    let ts = "1700000000";
    let signature = c.signature(ts, "n", &sealed);
    assert_eq!(c.verify(&signature, ts, "n", &sealed), Ok(()));
    assert_eq!(
        c.verify(&signature, ts, "n", &tampered),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        c.open(&signature, ts, "n", &tampered),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn a_message_for_another_receive_id_is_refused() {
    let other = WecomCrypto::new(TOKEN, KEY, "ww0000000000000000").unwrap();
    let sealed = other.encrypt("hello", RANDOM);
    assert_eq!(
        crypto().decrypt(&sealed),
        Err(CryptoError::ReceiveIdMismatch)
    );
    // A prefix of the receive id is not the receive id.
    let prefix = WecomCrypto::new(TOKEN, KEY, "wx5823bf96d3bd56c").unwrap();
    assert_eq!(
        crypto().decrypt(&prefix.encrypt("hello", RANDOM)),
        Err(CryptoError::ReceiveIdMismatch)
    );
    assert_eq!(
        prefix.decrypt(&crypto().encrypt("hello", RANDOM)),
        Err(CryptoError::ReceiveIdMismatch)
    );
}

#[test]
fn short_and_garbage_input_is_refused_without_panicking() {
    let c = crypto();
    assert_eq!(c.decrypt(""), Err(CryptoError::BadLength));
    assert_eq!(c.decrypt("not base64!"), Err(CryptoError::BadBase64));
    assert_eq!(c.decrypt("QUJD"), Err(CryptoError::BadLength));
    for len in [1, 15, 16, 31, 33, 48] {
        assert_eq!(
            c.decrypt(&STANDARD.encode(vec![0u8; len])),
            Err(CryptoError::BadLength),
            "{len} bytes"
        );
    }
    // The published message, cut to its first 32 or 64 bytes: whole blocks, broken content.
    let published = STANDARD.decode(POST_ENCRYPT).unwrap();
    for len in [32, 64] {
        assert!(c.decrypt(&STANDARD.encode(&published[..len])).is_err());
    }
    // Arbitrary whole blocks decrypt to noise: refused, never a panic.
    for seed in 0u8..=255 {
        let noise: Vec<u8> = (0..64u8)
            .map(|i| i.wrapping_mul(31).wrapping_add(seed))
            .collect();
        assert!(c.decrypt(&STANDARD.encode(noise)).is_err());
    }
}

#[test]
fn crafted_plaintexts_are_checked() {
    let c = crypto();
    let mut header = RANDOM.to_vec();
    header.extend_from_slice(&5u32.to_be_bytes());
    // A pad byte of 0 or 33, or pad bytes that disagree.
    let mut block = [7u8; 32];
    block[31] = 0;
    assert_eq!(
        c.decrypt(&seal_raw(&c, &block)),
        Err(CryptoError::BadPadding)
    );
    block[31] = 33;
    assert_eq!(
        c.decrypt(&seal_raw(&c, &block)),
        Err(CryptoError::BadPadding)
    );
    let mut block = [3u8; 32];
    block[30] = 4;
    assert_eq!(
        c.decrypt(&seal_raw(&c, &block)),
        Err(CryptoError::BadPadding)
    );
    // All padding: nothing left for the 20-byte header.
    assert_eq!(
        c.decrypt(&seal_raw(&c, &[32u8; 32])),
        Err(CryptoError::Truncated)
    );
    // A length beyond the plaintext, and the largest length there is.
    for length in [u32::MAX, 40] {
        let mut plain = RANDOM.to_vec();
        plain.extend_from_slice(&length.to_be_bytes());
        plain.extend_from_slice(b"hello wx5823bf96d3bd56c7");
        plain.extend_from_slice(&[20u8; 20]);
        assert_eq!(plain.len(), 64);
        assert_eq!(
            c.decrypt(&seal_raw(&c, &plain)),
            Err(CryptoError::Truncated)
        );
    }
    // A message that is not UTF-8.
    let mut plain = header.clone();
    plain.extend_from_slice(&[0xff, 0xfe, 0xfd, 0xfc, 0xfb]);
    plain.extend_from_slice(CORP_ID.as_bytes());
    let pad = 32 - plain.len() % 32;
    plain.resize(plain.len() + pad, pad as u8);
    assert_eq!(c.decrypt(&seal_raw(&c, &plain)), Err(CryptoError::NotUtf8));
}

#[test]
fn keys_are_read_strictly_and_never_shown() {
    for bad in [
        "",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C=",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2CC",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2!",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2长",
    ] {
        assert_eq!(
            WecomCrypto::new(TOKEN, bad, CORP_ID).unwrap_err(),
            CryptoError::BadKey,
            "{bad}"
        );
    }
    // Surrounding blanks (a pasted key) are tolerated.
    assert!(WecomCrypto::new(TOKEN, &format!(" {KEY}\n"), CORP_ID).is_ok());
    let shown = format!("{:?}", crypto());
    assert!(shown.contains(CORP_ID), "{shown}");
    assert!(!shown.contains(TOKEN) && !shown.contains("jWmY"), "{shown}");
    assert!(!shown.contains("141"), "no key bytes: {shown}");
    assert!(!CryptoError::BadKey.to_string().contains("jWmY"));
}

#[test]
fn a_sealed_reply_opens_again() {
    let c = crypto();
    let xml = "<xml><MsgType><![CDATA[update_button]]></MsgType></xml>";
    let reply = c.seal_reply(xml, "1409659813", "nonce]]>x", RANDOM);
    let encrypted = between(&reply, "<Encrypt><![CDATA[", "]]></Encrypt>");
    let signature = between(&reply, "<MsgSignature><![CDATA[", "]]></MsgSignature>");
    assert!(reply.starts_with("<xml><Encrypt><![CDATA["), "{reply}");
    assert!(
        reply.contains("<TimeStamp>1409659813</TimeStamp>"),
        "{reply}"
    );
    assert!(
        reply.ends_with("<Nonce><![CDATA[nonce]]]]><![CDATA[>x]]></Nonce></xml>"),
        "{reply}"
    );
    assert_eq!(encrypted, c.encrypt(xml, RANDOM));
    assert_eq!(
        c.open(signature, "1409659813", "nonce]]>x", encrypted)
            .unwrap(),
        xml
    );
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap() + start.len();
    let to = from + text[from..].find(end).unwrap();
    &text[from..to]
}
