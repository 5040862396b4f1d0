//! The Feishu channel end to end through `ghl serve --config`, against a local fake of the
//! Feishu Open Platform: the URL verification, the card sent to a chat and to a person, a
//! stranger refused with a toast, an approval in the card answering the waiting agent, every
//! card patched to its final state; unsigned, stale and replayed callbacks refused.

mod chat;
mod common;

use std::time::Duration;

use chat::feishu::{self, card_of, has_buttons, ENCRYPT_KEY, VERIFICATION_TOKEN};
use common::HubProcess;
use gohumanloop_hub::channels::feishu::crypto::{encrypt, event_signature};
use serde_json::{json, Value};

fn config(dir: &std::path::Path, api: &str) -> String {
    let path = dir.join("ghl.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[approver]]
name = "alice"
display_name = "Alice Chen"
feishu = "ou_alice"

[[feishu]]
name = "cn"
app_id = "{}"
app_secret_env = "GHL_TEST_FEISHU_SECRET"
encrypt_key = "{ENCRYPT_KEY}"
verification_token = "{VERIFICATION_TOKEN}"
base_url = "{api}"
[[feishu.route]]
to = ["oc_ops", "ou_alice"]
approvers = ["alice"]
"#,
            feishu::APP_ID
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Posts `event` as Feishu does: encrypted, and (unless it is the challenge) signed.
async fn post(hub: &HubProcess, event: &Value, timestamp: i64, signed: bool) -> (u16, Value) {
    let body = json!({"encrypt": encrypt(ENCRYPT_KEY, &event.to_string(), [7; 16])}).to_string();
    let nonce = "13579";
    let signature = if signed {
        event_signature(&timestamp.to_string(), nonce, ENCRYPT_KEY, body.as_bytes())
    } else {
        "0".repeat(64)
    };
    send(hub, body, timestamp, nonce, &signature).await
}

async fn send(
    hub: &HubProcess,
    body: String,
    timestamp: i64,
    nonce: &str,
    signature: &str,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/channels/feishu/cn/callback", hub.base))
        .header("content-type", "application/json")
        .header("x-lark-request-timestamp", timestamp.to_string())
        .header("x-lark-request-nonce", nonce)
        .header("x-lark-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn click(request: &str, action: &str, open_id: &str, text: &str) -> Value {
    json!({"schema": "2.0",
           "header": {"event_id": format!("ev-{open_id}-{action}-{}", now()), "token": VERIFICATION_TOKEN,
                      "create_time": (now() * 1000).to_string(), "event_type": "card.action.trigger",
                      "tenant_key": "2ed263bf32cf1651", "app_id": feishu::APP_ID},
           "event": {"operator": {"tenant_key": "2ed263bf32cf1651", "user_id": "",
                                  "open_id": open_id},
                     "token": "c-295ee57216a5dc9de90fefd0aadb4b1d7d337cc1",
                     "action": {"value": {"request": request, "action": action},
                                "tag": "button", "name": action, "form_value": {"text": text}},
                     "host": "im_message",
                     "context": {"open_message_id": "om_1", "open_chat_id": "oc_ops"}}})
}

async fn status(hub: &HubProcess, key: &str) -> Value {
    let url = format!(
        "{}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=deploy",
        hub.base
    );
    common::get_json(&url, key).await
}

#[tokio::test]
async fn a_card_is_decided_in_feishu_and_every_copy_is_patched() {
    let fake = feishu::start().await;
    let mut hub = HubProcess::unstarted();
    let file = config(hub.path(), &fake.url);
    hub.set_extra(
        &["--config", &file],
        &[("GHL_TEST_FEISHU_SECRET", feishu::APP_SECRET)],
    );
    hub.spawn("127.0.0.1:0");
    let key = hub.key("a", "agent");

    // The URL verification: the challenge echoed for the right token only.
    let challenge = json!({"challenge": "ajls384kdjx98XX", "token": VERIFICATION_TOKEN,
                           "type": "url_verification"});
    assert_eq!(
        post(&hub, &challenge, now(), false).await,
        (200, json!({"challenge": "ajls384kdjx98XX"}))
    );
    let wrong = json!({"challenge": "x", "token": "not it", "type": "url_verification"});
    assert_eq!(post(&hub, &wrong, now(), false).await.0, 401);

    let body = json!({"task_id": "t", "conversation_id": "c1", "request_id": "r1",
                      "loop_type": "approval", "platform": "deploy", "metadata": {},
                      "context": {"question": "Deploy **v2** to prod?"}});
    let reply = common::post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &body,
    )
    .await;
    assert_eq!(reply["success"], true, "{reply}");
    fake.until("a card to the chat and to Alice", |calls| {
        calls
            .iter()
            .filter(|c| c.method == "POST" && c.path == "/open-apis/im/v1/messages")
            .count()
            == 2
    })
    .await;
    let sends = fake.calls_to("/open-apis/im/v1/messages");
    let mut to: Vec<(String, String)> = sends
        .iter()
        .map(|c| {
            (
                c.param("receive_id_type").unwrap(),
                c.json["receive_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            ("chat_id".into(), "oc_ops".into()),
            ("open_id".into(), "ou_alice".into())
        ]
    );
    let card = card_of(&sends[0]);
    assert_eq!(card["schema"], "2.0");
    assert!(
        card.to_string()
            .contains("Deploy &#42;&#42;v2&#42;&#42; to prod?"),
        "{card}"
    );
    assert!(has_buttons(&card));
    let id = card
        .to_string()
        .split("\"request\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        fake.calls_to("/open-apis/auth/v3/tenant_access_token/internal")
            .len(),
        1,
        "the token is cached"
    );

    let waiting = {
        let (base, key) = (hub.base.clone(), key.clone());
        tokio::spawn(async move {
            let url = format!("{base}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=deploy&wait=30");
            common::get_json(&url, &key).await
        })
    };

    // Unsigned, stale: refused, nothing recorded.
    let approve = click(&id, "approve", "ou_alice", "");
    assert_eq!(post(&hub, &approve, now(), false).await.0, 401);
    assert_eq!(post(&hub, &approve, now() - 301, true).await.0, 401);
    // Encrypted with another key: refused.
    let foreign =
        json!({"encrypt": encrypt("another key", &approve.to_string(), [1; 16])}).to_string();
    let sig = event_signature(&now().to_string(), "n", ENCRYPT_KEY, foreign.as_bytes());
    assert_eq!(send(&hub, foreign, now(), "n", &sig).await.0, 401);
    // Bob is not an approver of the route: a toast, no card change, nothing recorded.
    let (code, answer) = post(&hub, &click(&id, "approve", "ou_bob", ""), now(), true).await;
    assert_eq!(code, 200);
    assert_eq!(answer["toast"]["type"], "error", "{answer}");
    assert!(answer.get("card").is_none());
    assert_eq!(status(&hub, &key).await["status"], "pending");
    // A rejection without a reason: refused with a toast.
    let (_, answer) = post(&hub, &click(&id, "reject", "ou_alice", " "), now(), true).await;
    assert_eq!(answer["toast"]["type"], "error", "{answer}");

    // Alice approves with a note: the answer carries the card in its final state.
    let stamp = now();
    let event = click(&id, "approve", "ou_alice", "ship it");
    let body = json!({"encrypt": encrypt(ENCRYPT_KEY, &event.to_string(), [9; 16])}).to_string();
    let sig = event_signature(&stamp.to_string(), "n1", ENCRYPT_KEY, body.as_bytes());
    let (code, answer) = send(&hub, body.clone(), stamp, "n1", &sig).await;
    assert_eq!(
        (code, &answer["toast"]["type"]),
        (200, &json!("success")),
        "{answer}"
    );
    let shown = answer["card"]["data"].to_string();
    assert!(
        shown.contains("Approved by Alice Chen at") && shown.contains("ship it"),
        "{shown}"
    );
    assert!(!has_buttons(&answer["card"]["data"]));
    let answered = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&answered["status"], &answered["responded_by"]),
        (&json!("approved"), &json!("alice")),
        "{answered}"
    );
    // The same signed callback again: a replay.
    assert_eq!(send(&hub, body, stamp, "n1", &sig).await.0, 401);

    // Both cards are patched to the final state.
    let calls = fake
        .until("both cards patched", |calls| {
            let mut patched: Vec<&str> = calls
                .iter()
                .filter(|c| c.method == "PATCH" && !has_buttons(&card_of(c)))
                .map(|c| c.path.as_str())
                .collect();
            patched.sort();
            patched.dedup();
            patched.len() == 2
        })
        .await;
    for patch in calls.iter().filter(|c| c.method == "PATCH") {
        assert!(card_of(patch)
            .to_string()
            .contains("Approved by Alice Chen"));
    }
    // A late click: told who won, with the final card.
    let (_, answer) = post(
        &hub,
        &click(&id, "reject", "ou_alice", "too late"),
        now(),
        true,
    )
    .await;
    assert_eq!(answer["toast"]["type"], "info");
    assert!(
        answer["toast"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Already approved by alice"),
        "{answer}"
    );
    assert!(answer["card"]["data"]
        .to_string()
        .contains("Approved by Alice Chen"));
    // An unknown request: a polite final card.
    let (_, answer) = post(&hub, &click("nope", "approve", "ou_alice", ""), now(), true).await;
    assert_eq!(
        answer["card"]["data"]["body"]["elements"][0]["content"],
        "This request is no longer available."
    );
}
