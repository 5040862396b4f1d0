//! Where the hub is and which key to use (`--hub`/`GHL_HUB`, `--key`/`GHL_API_KEY`) for
//! `ghl ask --hub`, `ghl inbox` and `ghl respond`, which talk to it through the library's typed
//! [`HubClient`]; how they ride out a hub that is starting or restarting; and how they print an
//! answer.

use std::time::Duration;

use anyhow::anyhow;
use clap::Args;
use gohumanloop::providers::hub::HubClient;
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

impl HubArgs {
    /// The hub's URL and the key, or an error naming what is missing.
    pub fn hub_and_key(&self) -> anyhow::Result<(&str, &str)> {
        let hub = self
            .hub
            .as_deref()
            .ok_or_else(|| anyhow!("no hub given: use --hub URL or set GHL_HUB"))?;
        let key = self
            .key
            .as_deref()
            .ok_or_else(|| anyhow!("no API key given: use --key KEY or set GHL_API_KEY"))?;
        Ok((hub, key))
    }

    /// A client of the hub with the key.
    pub fn client(&self) -> anyhow::Result<HubClient> {
        let (hub, key) = self.hub_and_key()?;
        Ok(HubClient::new(hub, key)?)
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
