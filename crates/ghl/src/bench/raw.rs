//! The benchmark's own HTTP client: raw calls with JSON bodies built by hand, so that what is
//! timed is the wire call itself (and `tasks/sync` uploads of any shape can be sent). The
//! commands use the library's typed [`gohumanloop::providers::hub::HubClient`].
//!
//! Every call must succeed: a reply that is not 2xx, or whose body says `success:false` (the
//! original protocol's soft failure, HTTP 200), is an error naming the call, the status and the
//! body, and fails the benchmark — a figure measured over refused calls measures nothing.

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

/// At most this much of a body goes into an error message.
const SHOWN: usize = 300;

/// `text`, cut to [`SHOWN`] bytes (on a character boundary) for an error message.
pub fn shown(text: &str) -> String {
    if text.len() <= SHOWN {
        return text.to_owned();
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// The hub's `ghl_waiters` gauge (agents parked in a long-poll on this node) in a `/metrics`
/// text, or `None` if the text has no such line.
pub fn waiters_gauge(metrics: &str) -> Option<u64> {
    let value: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("ghl_waiters "))?
        .trim()
        .parse()
        .ok()?;
    (value >= 0.0 && value.fract() == 0.0).then_some(value as u64)
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

    /// Sends one call; `path` starts with `/api/…`. An error unless the reply is 2xx with a
    /// JSON body that has `success:true`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let what = if query.is_empty() {
            format!("{method} {path}")
        } else {
            let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{method} {path}?{}", query.join("&"))
        };
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
            .with_context(|| format!("{what}: cannot reach the hub at {}", self.base))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("{what}: HTTP {status}, the body did not arrive"))?;
        if !status.is_success() {
            bail!("{what}: HTTP {status}: {}", shown(&text));
        }
        let Ok(body) = serde_json::from_str::<Value>(&text) else {
            bail!(
                "{what}: HTTP {status} without a JSON body: {}",
                shown(&text)
            );
        };
        if body.get("success") != Some(&Value::Bool(true)) {
            bail!(
                "{what}: HTTP {status} but not success:true: {}",
                shown(&text)
            );
        }
        Ok(Reply { status, body })
    }

    /// How many agents the hub holds parked in a long-poll now: its `ghl_waiters` gauge
    /// (`GET /metrics`). Once the gauge counts an agent, an answer is sure to wake it. An
    /// error if the hub serves no metrics (`--no-metrics`) or the gauge is missing.
    pub async fn parked(&self) -> anyhow::Result<u64> {
        let url = format!("{}/metrics", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET /metrics: cannot reach the hub at {}", self.base))?;
        let status = response.status();
        let text = response.text().await.context("GET /metrics")?;
        if !status.is_success() {
            bail!(
                "GET /metrics: HTTP {status} (the benchmark reads the ghl_waiters gauge to know \
                 the agents are parked; is the hub run with --no-metrics?): {}",
                shown(&text)
            );
        }
        waiters_gauge(&text).with_context(|| {
            format!(
                "GET /metrics: no ghl_waiters gauge in the reply: {}",
                shown(&text)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_waiters_gauge() {
        let text = "# TYPE ghl_waiters gauge\nghl_waiters 12\nghl_waiters_other 3\n";
        assert_eq!(waiters_gauge(text), Some(12));
        assert_eq!(waiters_gauge("ghl_waiters -1\n"), None);
        assert_eq!(waiters_gauge("ghl_waiters_total 1\n"), None);
        assert_eq!(waiters_gauge(""), None);
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let long = "é".repeat(400);
        let cut = shown(&long);
        assert!(cut.ends_with("… (800 bytes)"), "{cut}");
        assert_eq!(shown("short"), "short");
    }
}
