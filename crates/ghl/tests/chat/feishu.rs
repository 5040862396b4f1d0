//! A fake Feishu Open Platform (open.feishu.cn/open-apis): `tenant_access_token/internal`
//! checked against the app's id and secret, `im/v1/messages` (send; the card is a JSON
//! *string* in `content`) and `PATCH im/v1/messages/:id` (only for cards sent with
//! `update_multi: true`), answering `{code, msg, data}` as the platform does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

use super::fake::{Call, Fake};

pub const APP_ID: &str = "cli_a1b2c3d4e5";
pub const APP_SECRET: &str = "feishu-app-secret";
pub const ENCRYPT_KEY: &str = "test key";
pub const VERIFICATION_TOKEN: &str = "feishu-verification-token";
const TOKEN: &str = "t-g1044qeGEDXTB6NDJOGV4JQCYDGHRBARFTGT1234";

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
