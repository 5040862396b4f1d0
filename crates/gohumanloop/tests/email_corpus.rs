//! The reply parser against real clients' replies (`tests/email_corpus/*.eml`, expectations in
//! `cases.json`): Gmail, Outlook, Apple Mail, Foxmail/QQ, NetEase, Thunderbird, mutt; top- and
//! bottom-posting, HTML-only, base64, quoted-printable, GBK/GB18030/GB2312, ISO-8859-1.

use std::path::PathBuf;

use gohumanloop::model::LoopType;
use gohumanloop::providers::email::reply::{read, Reading, ReplyMail};
use serde_json::Value;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/email_corpus")
}

fn loop_type(kind: &str) -> LoopType {
    match kind {
        "approval" => LoopType::Approval,
        "information" => LoopType::Information,
        "conversation" => LoopType::Conversation,
        other => panic!("unknown kind {other}"),
    }
}

/// What the parser makes of one case, in the shape of `cases.json`.
fn outcome(case: &Value) -> Value {
    let file = case["file"].as_str().unwrap();
    let raw = std::fs::read(corpus().join(file)).unwrap();
    let mail = ReplyMail::parse(&raw).unwrap_or_else(|| panic!("{file}: not a mail"));
    let expected_token = case["token"].as_str();
    let token = mail.tokens().into_iter().next();
    let recipient = case["recipient"].as_str().unwrap();
    let accepted = token.is_some() && mail.is_from_one_of(&[recipient]);
    let mut out = serde_json::json!({
        "token": token,
        "accepted": accepted,
    });
    let kind = case["kind"].as_str().unwrap();
    let reading = if accepted && token.as_deref() == expected_token {
        read(&mail, loop_type(kind)).ok()
    } else {
        None
    };
    let fields = match (kind, reading) {
        ("approval", Some(Reading::Approved(reason))) => {
            serde_json::json!({"decision": "approved", "reason": reason})
        }
        ("approval", Some(Reading::Rejected(reason))) => {
            serde_json::json!({"decision": "rejected", "reason": reason})
        }
        ("approval", _) => serde_json::json!({"decision": null, "reason": ""}),
        ("information", Some(Reading::Information(text))) => {
            serde_json::json!({ "information": text })
        }
        ("information", _) => serde_json::json!({ "information": null }),
        ("conversation", Some(Reading::Said { content, ended })) => {
            serde_json::json!({"content": content, "ended": ended})
        }
        ("conversation", _) => serde_json::json!({"content": null, "ended": false}),
        (kind, reading) => panic!("{file}: {kind} read as {reading:?}"),
    };
    out.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    out
}

#[test]
fn every_reply_in_the_corpus_reads_as_expected() {
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(corpus().join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 30, "the corpus shrank to {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = outcome(case);
        let mut wanted: serde_json::Map<String, Value> = got
            .as_object()
            .unwrap()
            .keys()
            .map(|k| (k.clone(), case[k].clone()))
            .collect();
        // An undecided reply is never applied, so no reason of it is ever recorded.
        if case["kind"] == "approval" && case["decision"].is_null() {
            wanted.insert("reason".into(), Value::from(""));
        }
        if got != Value::Object(wanted.clone()) {
            failures.push(format!(
                "{} ({}):\n  wanted {}\n  got    {}",
                case["file"],
                case["client"],
                Value::Object(wanted),
                got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_client_and_encoding_is_covered() {
    let names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for client in [
        "gmail",
        "outlook",
        "applemail",
        "foxmail",
        "netease163",
        "htmlonly",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(client)),
            "no {client} reply"
        );
    }
    let raw: String = names
        .iter()
        .filter(|n| n.ends_with(".eml"))
        .map(|n| String::from_utf8_lossy(&std::fs::read(corpus().join(n)).unwrap()).to_lowercase())
        .collect();
    for encoding in [
        "base64",
        "quoted-printable",
        "8bit",
        "gbk",
        "gb18030",
        "gb2312",
        "iso-8859-1",
    ] {
        assert!(raw.contains(encoding), "no {encoding} mail");
    }
}
