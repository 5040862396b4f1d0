//! The Slack Web API methods the channel calls: `chat.postMessage`, `conversations.open`,
//! `chat.update`, `chat.postEphemeral` and `views.open`, JSON bodies with the bot token.

use serde_json::{json, Value};

use crate::channels::http::{call, post_json};
use crate::channels::DeliveryError;

/// Slack's error codes that pass (tried again later); every other one is permanent.
const PASSING: [&str; 5] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// A Slack app's bot, calling the Web API.
pub(super) struct SlackApi {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl SlackApi {
    /// Calls `method` with `body`; Slack's `ok: false` becomes an error naming its code.
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, DeliveryError> {
        let url = format!("{}/{method}", self.base.trim_end_matches('/'));
        let what = format!("Slack {method}");
        let answer = call(&what, post_json(&self.http, &url, &self.token, body)).await?;
        if answer.get("ok").and_then(Value::as_bool) == Some(true) {
            return Ok(answer);
        }
        let code = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no error code")
            .to_owned();
        let why = format!("{what}: {code}");
        Err(if PASSING.contains(&code.as_str()) {
            DeliveryError::Retry(why)
        } else {
            DeliveryError::Permanent(why)
        })
    }

    /// The conversation to post to for `recipient`: a user (`U…`, `W…`) gets their DM, opened
    /// first (chat.update needs the DM's id, not the user's); anything else is a channel id.
    pub async fn conversation(&self, recipient: &str) -> Result<String, DeliveryError> {
        if !(recipient.starts_with('U') || recipient.starts_with('W')) {
            return Ok(recipient.to_owned());
        }
        let opened = self
            .call("conversations.open", &json!({"users": recipient}))
            .await?;
        opened["channel"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                DeliveryError::Retry("Slack conversations.open: no channel id in the answer".into())
            })
    }

    /// Tells `user` something in `channel` that only they see.
    pub async fn ephemeral(&self, channel: &str, user: &str, text: &str) {
        let body = json!({"channel": channel, "user": user, "text": text});
        if let Err(e) = self.call("chat.postEphemeral", &body).await {
            tracing::warn!("could not tell a Slack user why: {e}");
        }
    }
}
