//! The hub's WeCom callback crypto against an independent implementation (`wechatpy` 1.8.18
//! from PyPI, in the venv `scripts/test.sh` makes): what wechatpy seals, the hub verifies and
//! opens; what the hub seals (a passive reply, a POSTed message, a URL check's echostr),
//! wechatpy opens; a changed ciphertext or signature, another token or another CorpID is
//! refused by both. The messages' lengths give every pad value 1–32 (WeCom pads to a
//! multiple of 32 bytes, so a 16-byte PKCS#7 unpad fails on pads 17–32).

mod common;

use gohumanloop_hub::channels::wecom::crypto::{CryptoError, WecomCrypto};
use gohumanloop_hub::channels::wecom::xml::parse_envelope;
use serde_json::{json, Value};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wecom/reference.py");
/// WeCom's published sample credentials (doc path 91144 and the official `WXBizMsgCrypt`
/// samples).
const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP_ID: &str = "wx5823bf96d3bd56c7";
/// The samples' URL check, whose echostr decrypts to `1616140317555161061`.
const URL_CHECK: [&str; 4] = [
    "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "1409659589",
    "263014780",
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
];

/// Runs the reference implementation on `cases` (see `reference.py`).
fn reference(python: &str, corp_id: &str, cases: Value) -> Value {
    let mut cases = cases;
    cases["token"] = json!(TOKEN);
    cases["key"] = json!(KEY);
    cases["corp_id"] = json!(corp_id);
    common::reference_json(python, SCRIPT, &cases)
}

fn crypto() -> WecomCrypto {
    WecomCrypto::new(TOKEN, KEY, CORP_ID).unwrap()
}

/// Messages whose plaintexts (16 + 4 + message + 18-byte CorpID) need every pad value 1–32,
/// then some text that is not ASCII and some XML.
fn messages() -> Vec<String> {
    let mut texts: Vec<String> = (0..32).map(|n| "a".repeat(n)).collect();
    texts.extend([
        "批准部署？ ✓".to_owned(),
        "長".repeat(11),
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\
         <FromUserName><![CDATA[张三]]></FromUserName><CreateTime>1700000000</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>\
         <EventKey><![CDATA[approve]]></EventKey><TaskId><![CDATA[ghl-1]]></TaskId></xml>"
            .to_owned(),
    ]);
    texts
}

/// The pad value a ciphertext of this message must carry.
fn pad_of(encrypted: &str, text: &str) -> usize {
    use base64::Engine;
    let len = base64::engine::general_purpose::STANDARD
        .decode(encrypted)
        .unwrap()
        .len();
    len - (16 + 4 + text.len() + CORP_ID.len())
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

#[test]
fn the_hub_opens_what_wechatpy_seals() {
    let Some(python) = common::python() else {
        return;
    };
    let texts = messages();
    let cases: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"text": text, "nonce": format!("nonce{i}"), "timestamp": "1700000000"}))
        .collect();
    let reply = reference(&python, CORP_ID, json!({ "seal": cases }));
    let sealed = reply["sealed"].as_array().unwrap();
    assert_eq!(sealed.len(), texts.len());
    let c = crypto();
    let mut pads = Vec::new();
    for (text, theirs) in texts.iter().zip(sealed) {
        let encrypted = str_of(theirs, "encrypt");
        let (signature, timestamp, nonce) = (
            str_of(theirs, "signature"),
            str_of(theirs, "timestamp"),
            str_of(theirs, "nonce"),
        );
        assert_eq!(c.signature(timestamp, nonce, encrypted), signature);
        assert_eq!(c.verify(signature, timestamp, nonce, encrypted), Ok(()));
        assert_eq!(c.decrypt(encrypted).as_deref(), Ok(text.as_str()));
        // wechatpy's reply XML reads as an envelope too.
        let envelope = parse_envelope(str_of(theirs, "xml")).unwrap();
        assert_eq!(envelope.encrypt, encrypted);
        pads.push(pad_of(encrypted, text));
    }
    pads.sort_unstable();
    pads.dedup();
    assert_eq!(pads, (1..=32).collect::<Vec<_>>(), "every pad value");
}

#[test]
fn wechatpy_opens_what_the_hub_seals() {
    let Some(python) = common::python() else {
        return;
    };
    let c = crypto();
    let texts = messages();
    let mut cases = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let random = [i as u8; 16];
        let (timestamp, nonce) = ("1700000000", format!("n{i}"));
        // A passive reply, as the hub answers a callback.
        let reply = c.seal_reply(text, timestamp, &nonce, random);
        let signature = c.signature(timestamp, &nonce, &c.encrypt(text, random));
        cases.push(
            json!({"xml": reply, "signature": signature, "timestamp": timestamp,
                          "nonce": nonce}),
        );
        // A POSTed message, as WeCom sends it (and the hub's test fakes do).
        let encrypted = c.encrypt(text, random);
        let body = format!(
            "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>\
             <Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
        );
        let signature = c.signature(timestamp, &nonce, &encrypted);
        cases.push(
            json!({"xml": body, "signature": signature, "timestamp": timestamp,
                          "nonce": nonce}),
        );
        assert!((1..=32).contains(&pad_of(&encrypted, text)));
    }
    let reply = reference(&python, CORP_ID, json!({ "open": cases }));
    let opened = reply["opened"].as_array().unwrap();
    assert_eq!(opened.len(), 2 * texts.len());
    for (i, verdict) in opened.iter().enumerate() {
        assert_eq!(
            verdict["ok"].as_str(),
            Some(texts[i / 2].as_str()),
            "case {i}: {verdict}"
        );
    }
}

#[test]
fn wechatpy_accepts_the_hubs_url_check_and_both_read_the_published_one() {
    let Some(python) = common::python() else {
        return;
    };
    let c = crypto();
    let echo = "6743018952640158327";
    let echostr = c.encrypt(echo, *b"0123456789abcdef");
    let signature = c.signature("1700000000", "263014780", &echostr);
    let [sig, ts, nonce, published] = URL_CHECK;
    let reply = reference(
        &python,
        CORP_ID,
        json!({"check": [
            {"signature": signature, "timestamp": "1700000000", "nonce": "263014780",
             "echostr": echostr},
            {"signature": sig, "timestamp": ts, "nonce": nonce, "echostr": published},
        ]}),
    );
    let checked = reply["checked"].as_array().unwrap();
    assert_eq!(checked[0]["ok"].as_str(), Some(echo), "{reply}");
    assert_eq!(
        checked[1]["ok"].as_str(),
        Some("1616140317555161061"),
        "{reply}"
    );
    assert_eq!(
        c.open(sig, ts, nonce, published).as_deref(),
        Ok("1616140317555161061")
    );
}

#[test]
fn changes_are_refused_by_both() {
    let Some(python) = common::python() else {
        return;
    };
    let c = crypto();
    let text = "<xml><EventKey><![CDATA[approve]]></EventKey></xml>";
    let (timestamp, nonce) = ("1700000000", "n1");
    let encrypted = c.encrypt(text, [9; 16]);
    let signature = c.signature(timestamp, nonce, &encrypted);
    // One base64 character changed in the last block, so that the plaintext changes too.
    let mut chars: Vec<char> = encrypted.chars().collect();
    let at = chars.len() - 4;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let body = |encrypt: &str| format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let case = |xml: String, signature: &str, timestamp: &str| json!({"xml": xml, "signature": signature, "timestamp": timestamp, "nonce": nonce});
    let other_signature = c.signature("1700000001", nonce, &encrypted);
    let cases = [
        (
            "as sealed",
            case(body(&encrypted), &signature, timestamp),
            true,
        ),
        (
            "a changed ciphertext",
            case(body(&tampered), &signature, timestamp),
            false,
        ),
        (
            "another timestamp",
            case(body(&encrypted), &signature, "1700000001"),
            false,
        ),
        (
            "another signature",
            case(body(&encrypted), &other_signature, timestamp),
            false,
        ),
    ];
    let reply = reference(
        &python,
        CORP_ID,
        json!({"open": cases.iter().map(|(_, c, _)| c).collect::<Vec<_>>()}),
    );
    for ((what, _, accepted), verdict) in cases.iter().zip(reply["opened"].as_array().unwrap()) {
        assert_eq!(
            verdict["ok"].is_string(),
            *accepted,
            "wechatpy, {what}: {verdict}"
        );
    }
    assert_eq!(
        c.open(&signature, timestamp, nonce, &encrypted).as_deref(),
        Ok(text)
    );
    assert_eq!(
        c.open(&signature, timestamp, nonce, &tampered),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        c.open(&signature, "1700000001", nonce, &encrypted),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        c.open(&other_signature, timestamp, nonce, &encrypted),
        Err(CryptoError::BadSignature)
    );
    // Without the signature check, the changed ciphertext does not open as the message either.
    assert_ne!(c.decrypt(&tampered).as_deref(), Ok(text));

    // Another CorpID: wechatpy refuses what we seal for ours, and we refuse what it seals
    // for another.
    let reply = reference(
        &python,
        "ww0000000000000000",
        json!({
            "open": [case(body(&encrypted), &signature, timestamp)],
            "seal": [{"text": text, "nonce": nonce, "timestamp": timestamp}],
        }),
    );
    let verdict = &reply["opened"][0];
    assert!(
        verdict["error"].is_string(),
        "wechatpy, another CorpID: {verdict}"
    );
    let theirs = &reply["sealed"][0];
    let foreign = str_of(theirs, "encrypt");
    assert_eq!(
        c.verify(str_of(theirs, "signature"), timestamp, nonce, foreign),
        Ok(()),
        "same token: the signature holds"
    );
    assert_eq!(c.decrypt(foreign), Err(CryptoError::ReceiveIdMismatch));
    // Another token: neither accepts the other's signature.
    let stranger = WecomCrypto::new("another-token", KEY, CORP_ID).unwrap();
    assert_eq!(
        stranger.verify(&signature, timestamp, nonce, &encrypted),
        Err(CryptoError::BadSignature)
    );
}
