//! `GET /api/v1/events`: the key's tenant's request events, as server-sent events.

use reqwest::Method;
use serde_json::Value;

use super::{refusal, HubClient, HubError};

/// An open event stream. Every change made after [`HubClient::events`] returned is on it.
#[derive(Debug)]
pub struct EventStream {
    response: reqwest::Response,
}

impl HubClient {
    /// Opens the event stream. A hub that is not listening is [`HubError::Unreachable`]; one
    /// that cannot serve it now answers 5xx ([`HubError::is_transient`]).
    pub async fn events(&self) -> Result<EventStream, HubError> {
        let response = self.send(self.request(Method::GET, &["events"])).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(EventStream { response });
        }
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Err(refusal(status, &body))
    }
}

impl EventStream {
    /// Waits until the hub sends something — an event, or the keep-alive it sends every 15 s:
    /// `true`; `false` once the stream has ended (the hub stopped, or the key was revoked) or
    /// broke.
    pub async fn next_activity(&mut self) -> bool {
        matches!(self.response.chunk().await, Ok(Some(_)))
    }
}
