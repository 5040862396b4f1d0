//! The HTTP side of [`super::ApiProvider`]: one call to a server of the protocol, with the
//! original client's rules — JSON bodies both ways, an `error` message or `API request failed:
//! <status>` for HTTP failures, up to `max_retries` attempts 1 s, 2 s, … apart.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::ApiOptions;
use crate::model::wire::{StatusQuery, LONG_POLL_HEADER};

/// A connection to one server.
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
    request_timeout: Duration,
    max_retries: u32,
}

/// What `GET …/status` said.
pub(super) struct StatusReply {
    /// The JSON body.
    pub body: Value,
    /// Whether the server honours `wait` (it sent [`LONG_POLL_HEADER`]).
    pub long_polls: bool,
}

impl Client {
    pub(crate) fn new(options: &ApiOptions) -> Result<Self, String> {
        let base = options.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "the API base URL must start with http:// or https://, got '{}'",
                options.base_url
            ));
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            http,
            base,
            key: options.api_key.clone(),
            request_timeout: options.request_timeout,
            max_retries: options.max_retries.max(1),
        })
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/v1/humanloop/{endpoint}", self.base)
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// `POST <endpoint>` with retries; the reply's JSON when the HTTP status is below 400.
    pub(crate) async fn post(
        &self,
        endpoint: &str,
        body: &impl Serialize,
    ) -> Result<Value, String> {
        let mut last = String::new();
        for attempt in 0..self.max_retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
            let request = self
                .authorized(self.http.post(self.url(endpoint)))
                .timeout(self.request_timeout)
                .json(body);
            match read(request.send().await).await {
                Ok((body, _)) => return Ok(body),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// One `GET status` (the caller decides when to try again); with `wait`, a long-poll.
    pub(super) async fn status(
        &self,
        query: &StatusQuery,
        wait: Option<Duration>,
    ) -> Result<StatusReply, String> {
        let mut request = self
            .authorized(self.http.get(self.url("status")))
            .query(query)
            .timeout(self.request_timeout + wait.unwrap_or_default());
        if let Some(wait) = wait {
            request = request.query(&[("wait", wait.as_secs())]);
        }
        let (body, long_polls) = read(request.send().await).await?;
        Ok(StatusReply { body, long_polls })
    }
}

/// The JSON of a reply (read before its status, as the original), or why it failed.
async fn read(sent: Result<reqwest::Response, reqwest::Error>) -> Result<(Value, bool), String> {
    let response = sent.map_err(describe)?;
    let status = response.status();
    let long_polls = response.headers().contains_key(LONG_POLL_HEADER);
    let body: Value = match response.json().await {
        Ok(body) => body,
        Err(_) => {
            return Err(format!(
                "API request failed: {status} (the reply is not JSON)"
            ))
        }
    };
    if status.as_u16() >= 400 || !body.is_object() {
        return Err(failure(status, &body));
    }
    Ok((body, long_polls))
}

fn failure(status: StatusCode, body: &Value) -> String {
    body.get("error")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("API request failed: {status}"))
}

fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "API request timed out".to_owned()
    } else if e.is_connect() {
        format!("cannot reach the server: {e}")
    } else {
        format!("API request failed: {e}")
    }
}
