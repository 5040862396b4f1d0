//! The hub's Feishu callback crypto against the official Python SDK (`lark-oapi` from PyPI, in
//! the venv `scripts/test.sh` makes): what the hub encrypts, the SDK decrypts to the same text;
//! what is encrypted in Python, the hub decrypts; the hub's signatures are the ones the SDK's
//! dispatchers compute (they accept exactly on equality); a whole encrypted, signed
//! `card.action.trigger` callback made by the hub passes the SDK's dispatcher; anything
//! tampered is refused by both.

mod common;

use gohumanloop_hub::channels::feishu::crypto::{self, CryptoError};
use serde_json::{json, Value};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/feishu/reference.py");
const KEY: &str = "kx8Tq2vEncryptKey0";
const TOKEN: &str = "vT0ken-for-cards";
const TS: &str = "1764720000";
const NONCE: &str = "2f6c1a0e-nonce";

/// Runs the SDK on `cases` (see `reference.py`).
fn reference(python: &str, cases: &Value) -> Value {
    let reply = common::reference_json(python, SCRIPT, cases);
    assert_eq!(reply["version"], "1.7.5", "the pinned lark-oapi");
    reply
}

/// A `card.action.trigger` callback as Feishu sends it (event-v2 envelope), not ASCII.
fn card_action(decision: &str) -> String {
    json!({
        "schema": "2.0",
        "header": {"event_id": "f7984f25108f8137722bb63cee927e66", "event_type": "card.action.trigger",
                   "app_id": "cli_a1b2c3", "tenant_key": "736588c9260f175d", "create_time": "1764720000000",
                   "token": TOKEN},
        "event": {"operator": {"tenant_key": "736588c9260f175d", "open_id": "ou_7dab8a3d3cdcc9da365777c7ad535d62"},
                  "token": "c-6f1e0b8a",
                  "action": {"value": {"request": "r-1", "decision": decision, "note": "同意部署 ✓"},
                             "tag": "button"},
                  "host": "im_message",
                  "context": {"open_message_id": "om_x100b4", "open_chat_id": "oc_5ad11d72"}}
    })
    .to_string()
}

/// Texts of several lengths (around the 16-byte padding), Chinese, and a card callback.
fn texts() -> Vec<String> {
    let mut texts: Vec<String> = [0usize, 1, 15, 16, 17, 31, 32, 33, 100]
        .iter()
        .map(|n| "a".repeat(*n))
        .collect();
    texts.push("审批请求：是否批准部署到生产环境？".to_owned());
    texts.push(card_action("approve"));
    texts
}

fn iv(n: u8) -> [u8; 16] {
    std::array::from_fn(|i| n.wrapping_mul(37).wrapping_add(u8::try_from(i).unwrap()))
}

#[test]
fn the_sdk_decrypts_what_the_hub_encrypts() {
    let Some(python) = common::python() else {
        return;
    };
    let texts = texts();
    let mut cases: Vec<Value> = texts
        .iter()
        .zip(0u8..)
        .map(|(text, n)| json!({"key": KEY, "encrypt": crypto::encrypt(KEY, text, iv(n))}))
        .collect();
    let sealed = crypto::encrypt(KEY, "批准", iv(200));
    cases.push(json!({"key": "another key", "encrypt": sealed}));
    let mut bytes = base64_decode(&sealed);
    // The IV byte over the last padding byte: 0x0a becomes 0x4a, never valid PKCS#7.
    bytes[15] ^= 0x40;
    cases.push(json!({"key": KEY, "encrypt": base64_encode(&bytes)}));
    // Feishu's published sample, through the SDK too.
    cases.push(
        json!({"key": "test key", "encrypt": "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}),
    );

    let reply = reference(&python, &json!({"decrypt": cases}));
    let decrypted = reply["decrypted"].as_array().unwrap();
    for (text, got) in texts.iter().zip(decrypted) {
        assert_eq!(got["text"].as_str(), Some(text.as_str()), "{got}");
    }
    let n = texts.len();
    assert!(
        decrypted[n]["error"].is_string(),
        "another key: {}",
        decrypted[n]
    );
    assert!(
        decrypted[n + 1]["error"].is_string(),
        "tampered: {}",
        decrypted[n + 1]
    );
    assert_eq!(decrypted[n + 2]["text"], "hello world");
}

#[test]
fn the_hub_decrypts_what_python_encrypts() {
    let Some(python) = common::python() else {
        return;
    };
    let texts = texts();
    let cases: Vec<Value> = texts
        .iter()
        .map(|text| json!({"key": KEY, "plaintext": text}))
        .collect();
    let reply = reference(&python, &json!({"encrypt": cases}));
    let sealed: Vec<&str> = reply["encrypted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(sealed.len(), texts.len());
    for (text, sealed) in texts.iter().zip(&sealed) {
        assert_eq!(crypto::decrypt(KEY, sealed).as_ref(), Ok(text));
        // A wrong key yields random bytes: their last byte is a valid PKCS#7 pad about once in
        // 256 cases (Python picks a fresh IV each run), and then the text is not UTF-8 instead.
        let wrong = crypto::decrypt("another key", sealed);
        assert!(
            matches!(wrong, Err(CryptoError::Padding | CryptoError::Utf8)),
            "another key: {wrong:?}"
        );
    }
    // Python chose the IV: encrypting again with it gives the same bytes.
    for (text, sealed) in texts.iter().zip(&sealed) {
        let iv: [u8; 16] = base64_decode(sealed)[..16].try_into().unwrap();
        assert_eq!(crypto::encrypt(KEY, text, iv), *sealed);
    }
}

#[test]
fn the_sdk_computes_the_hubs_signatures() {
    let Some(python) = common::python() else {
        return;
    };
    let envelope =
        json!({"encrypt": crypto::encrypt(KEY, &card_action("reject"), iv(9))}).to_string();
    let card_v1 =
        r#"{"open_id":"ou_1","token":"c-2","action":{"value":{"decision":"批准"},"tag":"button"}}"#;
    let event = |sig: &str, key: &str, body: &str| json!({"key": key, "timestamp": TS, "nonce": NONCE, "signature": sig, "body": body});
    let card = |sig: &str, token: &str, body: &str| json!({"token": token, "timestamp": TS, "nonce": NONCE, "signature": sig, "body": body});
    let ours = crypto::event_signature(TS, NONCE, KEY, envelope.as_bytes());
    let ours_v1 = crypto::card_signature_v1(TS, NONCE, TOKEN, card_v1.as_bytes());
    let tampered = envelope.replacen('"', "\"x", 1);
    let reply = reference(
        &python,
        &json!({
            "event_verify": [
                event(&ours, KEY, &envelope),
                event(&ours, KEY, &tampered),
                event(&ours, "another key", &envelope),
                event(&ours_v1, KEY, &envelope),
            ],
            "card_verify": [
                card(&ours_v1, TOKEN, card_v1),
                card(&ours_v1, TOKEN, &card_v1.replace("批准", "拒绝")),
                card(&ours_v1, "another token", card_v1),
                card(&ours, TOKEN, card_v1),
            ],
        }),
    );
    let verdicts = |name: &str| -> Vec<bool> {
        reply[name]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::is_null)
            .collect()
    };
    assert_eq!(
        verdicts("event_verified"),
        [true, false, false, false],
        "{reply}"
    );
    assert_eq!(
        verdicts("card_verified"),
        [true, false, false, false],
        "{reply}"
    );
    // And the hub refuses the same tampered cases.
    let verify = |sig: &str, key: &str, body: &str| {
        crypto::verify_event_signature(sig, TS, NONCE, key, body.as_bytes())
    };
    assert_eq!(verify(&ours, KEY, &envelope), Ok(()));
    assert_eq!(verify(&ours, KEY, &tampered), Err(CryptoError::Mismatch));
    assert_eq!(
        verify(&ours, "another key", &envelope),
        Err(CryptoError::Mismatch)
    );
    assert_eq!(
        crypto::verify_card_signature_v1(
            &ours_v1,
            TS,
            NONCE,
            TOKEN,
            card_v1.replace("批准", "拒绝").as_bytes()
        ),
        Err(CryptoError::Mismatch)
    );
}

#[test]
fn the_sdks_dispatcher_accepts_a_callback_the_hub_encrypts_and_signs() {
    let Some(python) = common::python() else {
        return;
    };
    let body = json!({"encrypt": crypto::encrypt(KEY, &card_action("approve"), iv(3))}).to_string();
    let signature = crypto::event_signature(TS, NONCE, KEY, body.as_bytes());
    let case = |sig: &str, body: &str| json!({"key": KEY, "token": TOKEN, "timestamp": TS, "nonce": NONCE, "signature": sig, "body": body});
    let other = json!({"encrypt": crypto::encrypt(KEY, &card_action("reject"), iv(4))}).to_string();
    let reply = reference(
        &python,
        &json!({"dispatch": [case(&signature, &body), case(&signature, &other)]}),
    );
    let [accepted, refused] = &reply["dispatched"].as_array().unwrap()[..] else {
        panic!("two answers: {reply}")
    };
    assert_eq!(accepted["status"], 200, "{accepted}");
    assert_eq!(
        accepted["action"],
        json!({"request": "r-1", "decision": "approve", "note": "同意部署 ✓"})
    );
    assert_eq!(refused["status"], 500, "{refused}");
    assert!(refused["action"].is_null());
    assert!(
        refused["body"]
            .as_str()
            .unwrap()
            .contains("signature verification failed"),
        "{refused}"
    );
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
