//! The Feishu and Slack channels' crypto and signatures against the platforms' own SDKs from
//! PyPI (`lark-oapi`, `slack_sdk`, in the venv `scripts/test.sh` makes): what the platform
//! encrypts and signs (by its published scheme), the hub opens and accepts; what the hub's
//! fakes encrypt and sign, the SDKs open and accept; a stale or changed one is refused by both.
//! WeCom's is checked against wechatpy in `wecom_crypto.rs`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use gohumanloop_hub::channels::feishu::crypto;
use gohumanloop_hub::channels::slack::signature;
use serde_json::{json, Value};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/chat/reference.py");

fn reference(python: &str, cases: &Value) -> Vec<Value> {
    let mut child = Command::new(python)
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the venv's python runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(cases.to_string().as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "reference.py failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

const TEXTS: [&str; 4] = [
    "hello world",
    "",
    r#"{"schema":"2.0","header":{"event_type":"card.action.trigger"},"event":{"action":{"value":{"request":"r1","action":"approve"}}}}"#,
    "批准部署到生产环境吗？✓ — 0123456789abcdef",
];

#[test]
fn feishu_ciphertexts_open_both_ways() {
    let Some(python) = common::python() else {
        return;
    };
    let key = "6YezwdTZnkkei0lTgsMyMc2PJBTuc7JW";
    let samples = [
        "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=",
        "AAAA",
        "not base64!",
    ];
    // One run of the SDK (it loads slowly): ours to open, the platform's to make (Feishu's
    // scheme, pycryptodome), and the published sample and garbage to read.
    let mut cases: Vec<Value> = Vec::new();
    for (n, text) in TEXTS.iter().enumerate() {
        cases.push(json!({"op": "feishu_decrypt", "key": key,
                          "encrypted": crypto::encrypt(key, text, [n as u8; 16])}));
        cases.push(
            json!({"op": "feishu_encrypt", "key": key, "plaintext": text,
                          "iv_hex": format!("{:032x}", n + 7)}),
        );
    }
    for sample in samples {
        cases.push(json!({"op": "feishu_decrypt", "key": "test key", "encrypted": sample}));
    }
    let got = reference(&python, &json!(cases));
    for (n, text) in TEXTS.iter().enumerate() {
        assert_eq!(
            got[2 * n]["plaintext"],
            *text,
            "lark-oapi opens ours: {}",
            got[2 * n]
        );
        let theirs = got[2 * n + 1]["encrypted"].as_str().unwrap();
        assert_eq!(crypto::decrypt(key, theirs).as_deref(), Ok(*text));
        assert!(crypto::decrypt("another key", theirs).as_deref() != Ok(*text));
    }
    for (sample, read) in samples.iter().zip(&got[2 * TEXTS.len()..]) {
        match crypto::decrypt("test key", sample) {
            Ok(text) => assert_eq!(read["plaintext"], text),
            Err(_) => assert!(read.get("error").is_some(), "{sample}: {read}"),
        }
    }
}

#[test]
fn feishu_signatures_agree_with_lark_oapi() {
    let Some(python) = common::python() else {
        return;
    };
    let key = "6YezwdTZnkkei0lTgsMyMc2PJBTuc7JW";
    let body =
        r#"{"encrypt":"FIAfJPGRmFZWkaxPQ1XrJZVbv2JwdjfLk4jx0k/U1deAqYK3AXOZ5zcHt/cC4ZNTqYw="}"#;
    let ours = crypto::event_signature("1700000000", "nonce-1", key, body.as_bytes());
    let cases = json!([
        {"op": "feishu_verify", "key": key, "timestamp": "1700000000", "nonce": "nonce-1", "signature": ours, "body": body},
        {"op": "feishu_verify", "key": key, "timestamp": "1700000001", "nonce": "nonce-1", "signature": ours, "body": body},
        {"op": "feishu_sign", "key": key, "timestamp": "1700000000", "nonce": "nonce-2", "body": "{\"encrypt\":\"批准\"}"},
    ]);
    let got = reference(&python, &cases);
    assert_eq!(got[0]["valid"], true, "lark-oapi accepts ours");
    assert_eq!(
        got[1]["valid"], false,
        "and refuses it for another timestamp"
    );
    let theirs = got[2]["signature"].as_str().unwrap();
    assert_eq!(
        crypto::verify_event_signature(
            theirs,
            "1700000000",
            "nonce-2",
            key,
            "{\"encrypt\":\"批准\"}".as_bytes()
        ),
        Ok(())
    );
    assert!(crypto::verify_event_signature(
        theirs,
        "1700000000",
        "nonce-3",
        key,
        "{\"encrypt\":\"批准\"}".as_bytes()
    )
    .is_err());
}

#[test]
fn slack_signatures_agree_with_slack_sdk() {
    let Some(python) = common::python() else {
        return;
    };
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let body =
        "payload=%7B%22type%22%3A%22block_actions%22%2C%22text%22%3A%22%E6%89%B9%E5%87%86%22%7D";
    let now = 1_700_000_000_i64;
    let ts = now.to_string();
    let ours = signature::sign(secret, &ts, body.as_bytes());
    let cases = json!([
        {"op": "slack_verify", "secret": secret, "timestamp": ts, "signature": ours, "body": body, "now": now + 10},
        {"op": "slack_verify", "secret": secret, "timestamp": ts, "signature": ours, "body": body, "now": now + 301},
        {"op": "slack_verify", "secret": secret, "timestamp": ts, "signature": ours, "body": format!("{body}x"), "now": now},
        {"op": "slack_sign", "secret": secret, "timestamp": ts, "body": body},
    ]);
    let got = reference(&python, &cases);
    assert_eq!(got[0]["valid"], true, "slack_sdk accepts ours");
    assert_eq!(got[1]["valid"], false, "not when stale");
    assert_eq!(got[2]["valid"], false, "not for another body");
    let theirs = got[3]["signature"].as_str().unwrap();
    assert_eq!(theirs, ours);
    assert_eq!(
        signature::verify(secret, &ts, theirs, body.as_bytes(), now + 10),
        Ok(())
    );
    assert_eq!(
        signature::verify(secret, &ts, theirs, body.as_bytes(), now + 301),
        Err(signature::SignatureError::Stale)
    );
}
