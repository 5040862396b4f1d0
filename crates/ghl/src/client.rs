//! A small HTTP client for the hub, used by `ghl ask --hub`, `ghl inbox` and `ghl respond`.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

/// Where the hub is and which key to use; both default to the environment.
#[derive(Args, Clone)]
pub struct HubArgs {
    /// The hub's base URL (`http://HOST:PORT`; a trailing `/api` is accepted too).
    #[arg(long, env = "GHL_HUB", value_name = "URL")]
    pub hub: Option<String>,
    /// The API key.
    #[arg(long, env = "GHL_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub key: Option<String>,
}

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
pub struct HubClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl HubClient {
    /// A client for `args`, or an error naming what is missing.
    pub fn new(args: &HubArgs) -> anyhow::Result<Self> {
        let hub = args
            .hub
            .as_deref()
            .ok_or_else(|| anyhow!("no hub given: use --hub URL or set GHL_HUB"))?;
        let key = args
            .key
            .clone()
            .ok_or_else(|| anyhow!("no API key given: use --key KEY or set GHL_API_KEY"))?;
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

    /// Opens the tenant's event stream (`GET /api/v1/events`). Once this returns, every later
    /// change is on the stream. A hub that cannot be reached is `Ok(None)`, so that the caller
    /// can try again; a refusal (a bad key) is an error.
    pub async fn open_events(&self) -> anyhow::Result<Option<reqwest::Response>> {
        let sent = self
            .http
            .get(format!("{}/api/v1/events", self.base))
            .bearer_auth(&self.key)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Ok(None),
            Err(e) => return Err(e).context("cannot open the hub's event stream"),
        };
        let status = response.status();
        if status.is_server_error() {
            return Ok(None);
        }
        if !status.is_success() {
            let body = response.json::<Value>().await.unwrap_or(Value::Null);
            bail!("{}", Reply { status, body }.error());
        }
        Ok(Some(response))
    }
}

/// Paces the retries of a call that the hub could not take (not listening yet, restarting,
/// answering 5xx): 100 ms after the first failure, twice as long after each next one (at most
/// 1 s), and no more tries once failures have lasted [`Retry::PATIENCE`].
pub struct Retry {
    delay: Duration,
    failing_since: Option<Instant>,
}

impl Retry {
    /// How long failures in a row are ridden out: long enough for a hub to restart.
    pub const PATIENCE: Duration = Duration::from_secs(30);
    const FIRST_DELAY: Duration = Duration::from_millis(100);
    const MAX_DELAY: Duration = Duration::from_secs(1);

    /// A call went through: the next failure starts a fresh budget.
    pub fn succeeded(&mut self) {
        *self = Self::default();
    }

    /// Waits before the next try, or returns `false` (at once) when the budget is spent.
    pub async fn wait(&mut self) -> bool {
        let now = Instant::now();
        let since = *self.failing_since.get_or_insert(now);
        if now.duration_since(since) >= Self::PATIENCE {
            return false;
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(Self::MAX_DELAY);
        true
    }
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            delay: Self::FIRST_DELAY,
            failing_since: None,
        }
    }
}

/// The text of an answer: a string as is; the hub's answer shapes (`information`, `message`,
/// `reason`, `text`) by their text; anything else as compact JSON.
pub fn answer_text(response: &Value) -> String {
    match response {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Object(map) => ["information", "message", "reason", "text"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if map.is_empty() {
                    String::new()
                } else {
                    response.to_string()
                }
            }),
        other => other.to_string(),
    }
}
