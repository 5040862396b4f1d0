//! [`Hub`]: durable interrupts — the hub keeps the request and claims its one resume.

use std::time::Duration;

use async_trait::async_trait;

use super::{Claim, Resumable, Token};
use crate::model::wire::{
    ContinueRequestBody, CreateRequestBody, ResumeRequestBody, StatusQuery, StatusResponse,
};
use crate::model::{HumanLoopRequest, HumanLoopResult};
use crate::provider::ProviderError;
use crate::providers::hub::{HubClient, HubError, HUB_PLATFORM};

/// The longest single wait asked of the hub (it allows 300 s; shorter waits survive proxies).
const POLL: Duration = Duration::from_secs(60);

/// Interrupts asked through the hub's API: any process with a key of the same tenant can
/// resume them, and the hub lets exactly one resume claim each answer.
pub struct Hub {
    client: HubClient,
    name: String,
    platform: String,
}

impl Hub {
    /// Interrupts through the hub `client` calls, named `hub`, filed under the platform
    /// [`HUB_PLATFORM`].
    pub fn new(client: HubClient) -> Self {
        Self {
            client,
            name: "hub".into(),
            platform: HUB_PLATFORM.into(),
        }
    }

    /// Files requests under `platform` instead (unless a request's `metadata.platform` says).
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = platform.into();
        self
    }

    fn platform_of(&self, token: &Token) -> String {
        token
            .platform
            .clone()
            .unwrap_or_else(|| self.platform.clone())
    }
}

/// The next wait to ask of the hub before `until`, in whole seconds (it waits whole seconds:
/// rounded up, so that a short wait still waits), at most [`POLL`].
fn next_poll(until: tokio::time::Instant) -> u64 {
    let left = until.saturating_duration_since(tokio::time::Instant::now());
    left.min(POLL).as_secs_f64().ceil() as u64
}

fn failed(e: HubError) -> ProviderError {
    ProviderError::Failed(e.to_string())
}

fn result_of(token: &Token, state: StatusResponse) -> HumanLoopResult {
    let mut result =
        HumanLoopResult::pending(&token.conversation_id, &token.request_id, token.loop_type);
    result.status = state.status;
    if let Some(response) = state.response {
        result.response = response;
    }
    if let Some(feedback) = state.feedback {
        result.feedback = feedback;
    }
    result.responded_by = state.responded_by;
    result.responded_at = state.responded_at;
    result.error = state.error;
    result
}

#[async_trait]
impl Resumable for Hub {
    fn name(&self) -> &str {
        &self.name
    }

    fn platform(&self) -> Option<&str> {
        Some(&self.platform)
    }

    async fn ask(&self, request: &HumanLoopRequest, continues: bool) -> Result<(), ProviderError> {
        let platform = request
            .metadata
            .get("platform")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(&self.platform)
            .to_owned();
        let request_id = request.request_id.clone().unwrap_or_default();
        // The hub accepts an identical repeat of the same ids once: a re-run step files nothing.
        let sent = if continues {
            self.client
                .continue_conversation(&ContinueRequestBody {
                    conversation_id: request.conversation_id.clone(),
                    request_id,
                    task_id: request.task_id.clone(),
                    context: request.context.clone(),
                    platform,
                    metadata: request.metadata.clone(),
                    timeout: request.timeout,
                })
                .await
        } else {
            self.client
                .create(&CreateRequestBody {
                    task_id: request.task_id.clone(),
                    conversation_id: request.conversation_id.clone(),
                    request_id,
                    loop_type: request.loop_type,
                    context: request.context.clone(),
                    platform,
                    metadata: request.metadata.clone(),
                    timeout: request.timeout,
                })
                .await
        };
        sent.map_err(failed)
    }

    async fn claim(&self, token: &Token, wait: Duration) -> Result<Claim, ProviderError> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let poll = next_poll(until);
            let reply = self
                .client
                .resume(&ResumeRequestBody {
                    conversation_id: token.conversation_id.clone(),
                    request_id: token.request_id.clone(),
                    platform: self.platform_of(token),
                    wait: (poll > 0).then_some(poll),
                })
                .await
                .map_err(failed)?;
            let answered = reply.state.status != crate::Status::Pending;
            if answered || poll == 0 || tokio::time::Instant::now() >= until {
                return Ok(Claim {
                    claimed: reply.claimed,
                    result: result_of(token, reply.state),
                });
            }
        }
    }

    async fn follow(
        &self,
        token: &Token,
        wait: Duration,
    ) -> Result<HumanLoopResult, ProviderError> {
        let query = StatusQuery {
            conversation_id: token.conversation_id.clone(),
            request_id: token.request_id.clone(),
            platform: self.platform_of(token),
        };
        let until = tokio::time::Instant::now() + wait;
        loop {
            let poll = next_poll(until);
            let wait = (poll > 0).then(|| Duration::from_secs(poll));
            let state = self.client.status(&query, wait).await.map_err(failed)?;
            if state.status != crate::Status::Pending || tokio::time::Instant::now() >= until {
                return Ok(result_of(token, state));
            }
        }
    }
}
