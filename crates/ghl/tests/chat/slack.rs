//! A fake Slack Web API (https://api.slack.com/methods): bearer token checked, `ok: false`
//! with Slack's error codes, `chat.postMessage` answering the channel and a new `ts`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use super::fake::{Call, Fake};
use super::{approvers_line, form_encoded};
use gohumanloop_hub::channels::slack::signature::sign;

pub const BOT_TOKEN: &str = "xoxb-test-token";
pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// Starts the fake Slack.
pub async fn start() -> Fake {
    start_failing(|_| None).await
}

/// Starts the fake Slack, which answers a call (once its token is checked) with Slack's error
/// `{"ok": false, "error": CODE}` and that HTTP status where `fail` gives `(status, CODE)` for
/// it, and as [`start`]'s fake does otherwise.
pub async fn start_failing(
    fail: impl Fn(&Call) -> Option<(u16, &'static str)> + Send + Sync + 'static,
) -> Fake {
    let next_ts = AtomicU64::new(1);
    Fake::start(move |call: &Call| {
        if call.header("authorization") != Some(&format!("Bearer {BOT_TOKEN}")) {
            return (200, json!({"ok": false, "error": "invalid_auth"}));
        }
        if let Some((status, code)) = fail(call) {
            return (status, json!({"ok": false, "error": code}));
        }
        let body = &call.json;
        match call.path.as_str() {
            "/api/conversations.open" => match body["users"].as_str() {
                Some(user) => (
                    200,
                    json!({"ok": true, "channel": {"id": format!("D{user}")}}),
                ),
                None => (200, json!({"ok": false, "error": "users_not_found"})),
            },
            "/api/chat.postMessage" => {
                let ts = format!("1700000000.{:06}", next_ts.fetch_add(1, Ordering::Relaxed));
                match body["channel"].as_str() {
                    Some(channel) if channel.starts_with('C') || channel.starts_with('D') => (
                        200,
                        json!({"ok": true, "channel": channel, "ts": ts,
                                     "message": {"text": body["text"]}}),
                    ),
                    _ => (200, json!({"ok": false, "error": "channel_not_found"})),
                }
            }
            "/api/chat.update" => (
                200,
                json!({"ok": true, "channel": body["channel"],
                                               "ts": body["ts"]}),
            ),
            "/api/chat.postEphemeral" => (200, json!({"ok": true, "message_ts": "1.1"})),
            "/api/views.open" => match body["trigger_id"].as_str() {
                Some(_) => (200, json!({"ok": true, "view": {"id": "V1"}})),
                None => (200, json!({"ok": false, "error": "invalid_trigger"})),
            },
            _ => (404, json!({"ok": false, "error": "unknown_method"})),
        }
    })
    .await
}

/// The text of every block of a message, joined.
pub fn text_of(message: &Value) -> String {
    message["blocks"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The hub's id of the request a message's buttons decide.
pub fn request_id_of(message: &Value) -> String {
    let actions = message["blocks"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "actions"));
    let id = actions.and_then(|a| a["elements"][0]["value"].as_str());
    id.unwrap_or_else(|| panic!("no buttons in {message}"))
        .to_owned()
}

/// Whether a message still has buttons.
pub fn has_buttons(message: &Value) -> bool {
    message["blocks"]
        .as_array()
        .is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "actions"))
}

/// The `[[slack]]` table `ops` of a hub using `fake`, routing to `to`.
pub fn table(fake: &Fake, to: &[&str], approvers: &[&str]) -> String {
    format!(
        "\n[[slack]]\nname = \"ops\"\nbot_token = \"{BOT_TOKEN}\"\nsigning_secret = \"{SIGNING_SECRET}\"\napi_base = \"{}/api\"\n[[slack.route]]\nto = {to:?}\n{}",
        fake.url,
        approvers_line(approvers)
    )
}

/// A button pressed in the message `ts` of `channel`.
pub fn click(action: &str, request: &str, user: &str, channel: &str, ts: &str) -> Value {
    json!({"type": "block_actions", "user": {"id": user, "username": user.to_lowercase()},
           "trigger_id": "13345224609.738474920.8088930838d88f008e0",
           "container": {"type": "message", "channel_id": channel, "message_ts": ts},
           "actions": [{"action_id": action, "block_id": "ghl", "value": request,
                        "type": "button"}]})
}

/// A payload as Slack POSTs it: the form, and its signature at `timestamp`.
pub fn signed_form(payload: &Value, timestamp: i64) -> (String, String) {
    let body = format!("payload={}", form_encoded(&payload.to_string()));
    let signature = sign(SIGNING_SECRET, &timestamp.to_string(), body.as_bytes());
    (body, signature)
}

/// POSTs a form to the hub's interactivity URL with these headers: status and body.
pub async fn send(base: &str, body: String, timestamp: i64, signature: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{base}/channels/slack/ops/interactions"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", timestamp.to_string())
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts `payload` as Slack does, signed at `timestamp`.
pub async fn interact(base: &str, payload: &Value, timestamp: i64) -> (u16, String) {
    let (body, signature) = signed_form(payload, timestamp);
    send(base, body, timestamp, &signature).await
}
