//! The WeCom server API calls the channel makes: `gettoken` (cached, renewed before it
//! ends), `message/send` and `message/update_template_card`. Answers carry `errcode`: busy
//! (-1), rate limits (45009, 45033) and an expired token (40014, 42001) pass; anything else
//! (60020: the hub's IP is not trusted; 42014: a task id used twice) is permanent and named.

use std::time::Duration;

use serde_json::Value;

use crate::channels::chat::token::TokenCache;
use crate::channels::http::call;
use crate::channels::DeliveryError;

/// Renew the token when it has less than this left (WeCom gives 2 hours).
const RENEW_BEFORE: Duration = Duration::from_secs(10 * 60);
/// Codes that pass.
const PASSING: [i64; 3] = [-1, 45_009, 45_033];
/// Codes that say the token is no longer valid.
const TOKEN_CODES: [i64; 3] = [40_001, 40_014, 42_001];

/// A WeCom app's API client.
pub(super) struct WecomApi {
    pub http: reqwest::Client,
    pub base: String,
    pub corp_id: String,
    pub secret: String,
    token: TokenCache,
}

impl WecomApi {
    /// A client of the app with this secret at `base`.
    pub fn new(http: reqwest::Client, base: &str, corp_id: String, secret: String) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            corp_id,
            secret,
            token: TokenCache::new(RENEW_BEFORE),
        }
    }

    /// The access token (cached).
    async fn token(&self) -> Result<String, DeliveryError> {
        self.token.get(self.fetch_token()).await
    }

    /// A new access token, and how long it lasts.
    async fn fetch_token(&self) -> Result<(String, Duration), DeliveryError> {
        let url = format!("{}/cgi-bin/gettoken", self.base);
        let request = self
            .http
            .get(url)
            .query(&[("corpid", &self.corp_id), ("corpsecret", &self.secret)]);
        let answer = read("WeCom gettoken", call("WeCom gettoken", request).await?)?;
        let token = answer["access_token"]
            .as_str()
            .ok_or_else(|| DeliveryError::Retry("WeCom gettoken: no access_token".into()))?
            .to_owned();
        Ok((
            token,
            Duration::from_secs(answer["expires_in"].as_u64().unwrap_or(7200)),
        ))
    }

    /// POSTs `body` to `path` with the access token.
    pub async fn post(&self, what: &str, path: &str, body: &Value) -> Result<Value, DeliveryError> {
        let token = self.token().await?;
        let url = format!("{}{path}", self.base);
        let request = self
            .http
            .post(url)
            .query(&[("access_token", token)])
            .json(body);
        let answered = read(what, call(what, request).await?);
        if let Err(DeliveryError::Retry(why)) = &answered {
            if why.contains("token") {
                self.token.forget().await;
            }
        }
        answered
    }
}

/// A WeCom answer: itself when `errcode` is 0, else the error it names.
fn read(what: &str, answer: Value) -> Result<Value, DeliveryError> {
    let code = answer["errcode"].as_i64().unwrap_or(0);
    if code == 0 {
        return Ok(answer);
    }
    let why = format!(
        "{what}: errcode {code} {}",
        answer["errmsg"].as_str().unwrap_or("")
    );
    if TOKEN_CODES.contains(&code) {
        return Err(DeliveryError::Retry(format!("{why} (token expired)")));
    }
    if PASSING.contains(&code) {
        return Err(DeliveryError::Retry(why));
    }
    Err(DeliveryError::Permanent(why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_pass_or_are_permanent() {
        assert!(read("x", json!({"errcode": 0, "errmsg": "ok"})).is_ok());
        assert!(matches!(
            read("x", json!({"errcode": 45009})),
            Err(DeliveryError::Retry(_))
        ));
        assert!(matches!(read("x", json!({"errcode": 42001})),
            Err(DeliveryError::Retry(why)) if why.contains("token")));
        assert!(
            matches!(read("x", json!({"errcode": 60020, "errmsg": "not allow to access from your ip"})),
            Err(DeliveryError::Permanent(why)) if why.contains("60020"))
        );
    }
}
