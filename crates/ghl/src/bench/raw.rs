//! The benchmark's own HTTP client: raw calls with JSON bodies built by hand, so that what is
//! timed is the wire call itself (and `tasks/sync` uploads of any shape can be sent). The
//! commands use the library's typed [`gohumanloop::providers::hub::HubClient`].

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::client::HubArgs;

/// What the hub said: the HTTP status and the JSON body.
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body (always a JSON object from the hub).
    pub body: Value,
}

impl Reply {
    /// The body's `error` text, or the status.
    pub fn error(&self) -> String {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {}", self.status))
    }

    /// Whether the call succeeded (2xx and `success:true`).
    pub fn succeeded(&self) -> bool {
        self.status.is_success() && self.body.get("success") == Some(&Value::Bool(true))
    }
}

/// A connection to one hub with one key.
pub struct RawClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl RawClient {
    /// A client for `args`, or an error naming what is missing.
    pub fn new(args: &HubArgs) -> anyhow::Result<Self> {
        let (hub, key) = args.hub_and_key()?;
        let key = key.to_owned();
        let base = hub.trim_end_matches('/');
        let base = base.strip_suffix("/api").unwrap_or(base).to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("the hub URL must start with http:// or https://, got '{hub}'");
        }
        let http = reqwest::Client::builder()
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self { http, base, key })
    }

    /// The hub's base URL (`http://HOST:PORT`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one call; `path` starts with `/api/…`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach the hub at {}", self.base))?;
        let status = response.status();
        let body = response
            .json::<Value>()
            .await
            .with_context(|| format!("the hub answered HTTP {status} without JSON"))?;
        Ok(Reply { status, body })
    }
}
