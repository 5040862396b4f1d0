//! A fake Feishu Open Platform (open.feishu.cn/open-apis): `tenant_access_token/internal`
//! checked against the app's id and secret, `im/v1/messages` (send; the card is a JSON
//! *string* in `content`) and `PATCH im/v1/messages/:id` (only for cards sent with
//! `update_multi: true`), and approval v4 `instances` (create; the form a JSON string) and
//! `instances/cancel`, answering `{code, msg, data}` as the platform does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

use super::fake::{Call, Fake};
use super::{approvers_line, now};
use gohumanloop_hub::channels::feishu::crypto::{encrypt, event_signature};

pub const APP_ID: &str = "cli_a1b2c3d4e5";
pub const APP_SECRET: &str = "feishu-app-secret";
pub const ENCRYPT_KEY: &str = "test key";
pub const VERIFICATION_TOKEN: &str = "feishu-verification-token";
/// The tenant_access_token the fake issues.
pub const TOKEN: &str = "t-g1044qeGEDXTB6NDJOGV4JQCYDGHRBARFTGT1234";

/// Starts the fake Feishu.
pub async fn start() -> Fake {
    let next = AtomicU64::new(1);
    let patchable: Mutex<Vec<String>> = Mutex::new(Vec::new());
    Fake::start(move |call: &Call| {
        if call.path == "/open-apis/auth/v3/tenant_access_token/internal" {
            return if call.json["app_id"] == APP_ID && call.json["app_secret"] == APP_SECRET {
                (
                    200,
                    json!({"code": 0, "msg": "ok", "tenant_access_token": TOKEN,
                             "expire": 7200}),
                )
            } else {
                (200, json!({"code": 10014, "msg": "app secret invalid"}))
            };
        }
        if call.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return (
                400,
                json!({"code": 99991663, "msg": "Invalid access token for authorization."}),
            );
        }
        if call.path == "/open-apis/approval/v4/instances" {
            // approval v4 create: the form is a JSON *string* of control values.
            let form: Option<Value> = call.json["form"]
                .as_str()
                .and_then(|f| serde_json::from_str(f).ok());
            let applicant = call.json["open_id"].is_string() || call.json["user_id"].is_string();
            if call.json["approval_code"] != "APPROVAL-CODE-1" || form.is_none() || !applicant {
                return (400, json!({"code": 1390001, "msg": "param is invalid"}));
            }
            let n = next.fetch_add(1, Ordering::Relaxed);
            return (
                200,
                json!({"code": 0, "msg": "success",
                                "data": {"instance_code": format!("INSTANCE-{n}")}}),
            );
        }
        if call.path == "/open-apis/approval/v4/instances/cancel" {
            return (200, json!({"code": 0, "msg": "success", "data": {}}));
        }
        let card: Option<Value> = call.json["content"]
            .as_str()
            .and_then(|c| serde_json::from_str(c).ok());
        let Some(card) = card else {
            return (
                400,
                json!({"code": 230001, "msg": "content is not a card JSON string"}),
            );
        };
        let multi = card["config"]["update_multi"] == true;
        if call.method == "POST" && call.path == "/open-apis/im/v1/messages" {
            if call.json["msg_type"] != "interactive" || call.param("receive_id_type").is_none() {
                return (400, json!({"code": 230001, "msg": "bad request"}));
            }
            let id = format!("om_{}", next.fetch_add(1, Ordering::Relaxed));
            if multi {
                patchable.lock().unwrap().push(id.clone());
            }
            return (
                200,
                json!({"code": 0, "msg": "success",
                "data": {"message_id": id, "msg_type": "interactive",
                         "chat_id": call.json["receive_id"]}}),
            );
        }
        if call.method == "PATCH" {
            let id = call
                .path
                .trim_start_matches("/open-apis/im/v1/messages/")
                .to_owned();
            if !patchable.lock().unwrap().contains(&id) || !multi {
                return (
                    400,
                    json!({"code": 230020, "msg": "this message cannot be updated"}),
                );
            }
            return (200, json!({"code": 0, "msg": "success", "data": {}}));
        }
        (404, json!({"code": 404, "msg": "not found"}))
    })
    .await
}

/// The card a send or a patch carried.
pub fn card_of(call: &Call) -> Value {
    serde_json::from_str(call.json["content"].as_str().unwrap()).unwrap()
}

/// Whether a card still has its form of buttons.
pub fn has_buttons(card: &Value) -> bool {
    card.to_string().contains("\"tag\":\"button\"")
}

/// The `[[feishu]]` table `cn` of a hub using `fake`, routing to `to`.
pub fn table(fake: &Fake, to: &[&str], approvers: &[&str]) -> String {
    format!(
        "\n[[feishu]]\nname = \"cn\"\napp_id = \"{APP_ID}\"\napp_secret = \"{APP_SECRET}\"\nencrypt_key = \"{ENCRYPT_KEY}\"\nverification_token = \"{VERIFICATION_TOKEN}\"\nbase_url = \"{}\"\n[[feishu.route]]\nto = {to:?}\n{}",
        fake.url,
        approvers_line(approvers)
    )
}

/// A `card.action.trigger` callback: `open_id` pressed `action` with `text` in the form.
pub fn click(request: &str, action: &str, open_id: &str, text: &str) -> Value {
    json!({"schema": "2.0",
           "header": {"event_id": format!("ev-{open_id}-{action}-{}", now()),
                      "token": VERIFICATION_TOKEN, "create_time": (now() * 1000).to_string(),
                      "event_type": "card.action.trigger", "tenant_key": "2ed263bf32cf1651",
                      "app_id": APP_ID},
           "event": {"operator": {"tenant_key": "2ed263bf32cf1651", "user_id": "",
                                  "open_id": open_id},
                     "token": "c-295ee57216a5dc9de90fefd0aadb4b1d7d337cc1",
                     "action": {"value": {"request": request, "action": action},
                                "tag": "button", "name": action, "form_value": {"text": text}},
                     "host": "im_message",
                     "context": {"open_message_id": "om_1", "open_chat_id": "oc_ops"}}})
}

/// POSTs a body to the hub's callback URL with these headers: status and JSON answer.
pub async fn send(
    base: &str,
    body: String,
    timestamp: i64,
    nonce: &str,
    signature: &str,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/channels/feishu/cn/callback"))
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

/// Posts `event` as Feishu does: encrypted, and signed unless `signed` is false.
pub async fn post(base: &str, event: &Value, timestamp: i64, signed: bool) -> (u16, Value) {
    let body = json!({"encrypt": encrypt(ENCRYPT_KEY, &event.to_string(), [7; 16])}).to_string();
    let nonce = "13579";
    let signature = if signed {
        event_signature(&timestamp.to_string(), nonce, ENCRYPT_KEY, body.as_bytes())
    } else {
        String::new()
    };
    send(base, body, timestamp, nonce, &signature).await
}

/// An `approval_instance` event (event v1) for `instance` with `status`.
pub fn approval_event(instance: &str, status: &str) -> Value {
    json!({"uuid": format!("u-{instance}-{status}"), "token": VERIFICATION_TOKEN,
           "ts": now().to_string(), "type": "event_callback",
           "event": {"app_id": APP_ID, "approval_code": "APPROVAL-CODE-1",
                     "instance_code": instance, "status": status,
                     "operate_time": (now() * 1000).to_string(), "tenant_key": "t",
                     "type": "approval_instance"}})
}
