//! The Feishu Open Platform calls the channel makes: `tenant_access_token` (cached, renewed
//! before it ends), sending a card, patching it, creating an approval instance. Answers are
//! `{code, msg, data}`; a rate limit (99991400, HTTP 429) and an expired token pass, other codes
//! are permanent and named.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::channels::chat::token::TokenCache;
use crate::channels::http::{call_raw, http_failure};
use crate::channels::DeliveryError;

/// Renew the token when it has less than this left (Feishu gives 2 hours and hands out a new
/// one in the last 30 minutes).
const RENEW_BEFORE: Duration = Duration::from_secs(30 * 60);

/// Codes that say the token is no longer valid: fetch a new one and try again.
const TOKEN_CODES: [i64; 4] = [99_991_661, 99_991_663, 99_991_668, 99_991_671];

/// A Feishu app's API client.
pub(super) struct FeishuApi {
    pub http: reqwest::Client,
    pub base: String,
    pub app_id: String,
    pub app_secret: String,
    token: TokenCache,
}

impl FeishuApi {
    /// A client of the app `app_id` at `base`.
    pub fn new(http: reqwest::Client, base: String, app_id: String, app_secret: String) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            app_id,
            app_secret,
            token: TokenCache::new(RENEW_BEFORE),
        }
    }

    /// The tenant access token (cached).
    async fn token(&self) -> Result<String, DeliveryError> {
        self.token.get(self.fetch_token()).await
    }

    /// A new tenant access token, and how long it lasts.
    async fn fetch_token(&self) -> Result<(String, Duration), DeliveryError> {
        let what = "Feishu tenant_access_token";
        let url = format!(
            "{}/open-apis/auth/v3/tenant_access_token/internal",
            self.base
        );
        let body = json!({"app_id": self.app_id, "app_secret": self.app_secret});
        let answer = read(what, call_raw(what, self.http.post(url).json(&body)).await?)?;
        let token = answer["tenant_access_token"]
            .as_str()
            .ok_or_else(|| DeliveryError::Retry(format!("{what}: no token")))?
            .to_owned();
        Ok((
            token,
            Duration::from_secs(answer["expire"].as_u64().unwrap_or(7200)),
        ))
    }

    /// Calls `path` with the token; an expired token is dropped (the retry fetches another).
    pub async fn call(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Value, DeliveryError> {
        let token = self.token().await?;
        let url = format!("{}{path}", self.base);
        let request = self.http.request(method, url).bearer_auth(token).json(body);
        let answered = read(what, call_raw(what, request).await?);
        if let Err(DeliveryError::Retry(why)) = &answered {
            if why.contains("token") {
                self.token.forget().await;
            }
        }
        answered.map(|answer| answer.get("data").cloned().unwrap_or(Value::Null))
    }
}

/// A Feishu answer: its `data`-bearing body when `code` is 0, else the error it names.
fn read(
    what: &str,
    (status, answer): (reqwest::StatusCode, Option<Value>),
) -> Result<Value, DeliveryError> {
    let Some(answer) = answer else {
        return Err(http_failure(what, status));
    };
    let code = answer["code"].as_i64().unwrap_or(-1);
    if code == 0 && status.is_success() {
        return Ok(answer);
    }
    let msg = answer["msg"].as_str().unwrap_or("");
    let why = format!("{what}: code {code} {msg}");
    if code == 99_991_400 || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(DeliveryError::Retry(format!("{why} (rate limited)")));
    }
    if TOKEN_CODES.contains(&code) {
        return Err(DeliveryError::Retry(format!("{why} (token expired)")));
    }
    if status.is_server_error() {
        return Err(DeliveryError::Retry(why));
    }
    Err(DeliveryError::Permanent(why))
}

/// How Feishu names a recipient: `type:id`, or guessed from the id's shape (`oc_` a chat,
/// `ou_` an open id, `on_` a union id, an address an email, anything else a user id).
pub(super) fn receive_id(recipient: &str) -> (&str, &str) {
    const TYPES: [&str; 5] = ["chat_id", "open_id", "union_id", "email", "user_id"];
    if let Some((kind, id)) = recipient.split_once(':') {
        if TYPES.contains(&kind) {
            return (kind, id);
        }
    }
    let kind = if recipient.starts_with("oc_") {
        "chat_id"
    } else if recipient.starts_with("ou_") {
        "open_id"
    } else if recipient.starts_with("on_") {
        "union_id"
    } else if recipient.contains('@') {
        "email"
    } else {
        "user_id"
    };
    (kind, recipient)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_name_their_id_type() {
        assert_eq!(receive_id("oc_1"), ("chat_id", "oc_1"));
        assert_eq!(receive_id("ou_1"), ("open_id", "ou_1"));
        assert_eq!(receive_id("a@b.c"), ("email", "a@b.c"));
        assert_eq!(receive_id("u123"), ("user_id", "u123"));
        assert_eq!(receive_id("user_id:ou_x"), ("user_id", "ou_x"));
    }

    #[test]
    fn codes_pass_or_are_permanent() {
        let ok = read(
            "x",
            (
                reqwest::StatusCode::OK,
                Some(json!({"code": 0, "data": {}})),
            ),
        );
        assert!(ok.is_ok());
        let limited = read(
            "x",
            (
                reqwest::StatusCode::BAD_REQUEST,
                Some(json!({"code": 99991400})),
            ),
        );
        assert!(matches!(limited, Err(DeliveryError::Retry(_))));
        let token = read(
            "x",
            (reqwest::StatusCode::OK, Some(json!({"code": 99991663}))),
        );
        assert!(matches!(token, Err(DeliveryError::Retry(why)) if why.contains("token")));
        let refused = read(
            "x",
            (
                reqwest::StatusCode::BAD_REQUEST,
                Some(json!({"code": 230002, "msg": "no bot in chat"})),
            ),
        );
        assert!(matches!(refused, Err(DeliveryError::Permanent(why)) if why.contains("230002")));
    }
}
