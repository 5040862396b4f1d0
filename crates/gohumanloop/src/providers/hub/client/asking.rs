//! The agent's side, in the original protocol (`/api/v1/humanloop/…`): create a request and read
//! its status, long-polling where asked. For asking without a [`Manager`](crate::Manager) —
//! one question, one process — e.g. `ghl ask --hub`; an agent with a manager uses
//! [`HubProvider`](super::super::HubProvider).

use std::time::Duration;

use reqwest::Method;

use super::{HubClient, HubError, NO_BODY};
use crate::model::wire::{
    ApiResponse, CancelRequestBody, ContinueRequestBody, CreateRequestBody, ResumeRequestBody,
    ResumeResponse, StatusQuery, StatusResponse,
};

impl HubClient {
    /// `POST /api/v1/humanloop/request`. The hub accepts a create repeated with the same ids and
    /// body once, so a create whose reply was lost may be sent again.
    pub async fn create(&self, body: &CreateRequestBody) -> Result<(), HubError> {
        let request = self.request(Method::POST, &["humanloop", "request"]);
        let _: ApiResponse = self.call(request, Some(body)).await?;
        Ok(())
    }

    /// `POST /api/v1/humanloop/continue`: the next turn of a conversation. Like a create, a
    /// repeat with the same ids and body is accepted once.
    pub async fn continue_conversation(&self, body: &ContinueRequestBody) -> Result<(), HubError> {
        let request = self.request(Method::POST, &["humanloop", "continue"]);
        let _: ApiResponse = self.call(request, Some(body)).await?;
        Ok(())
    }

    /// `POST /api/v1/humanloop/cancel`: the asker withdraws its own request (it becomes
    /// `cancelled` unless a human answered first).
    pub async fn withdraw(&self, body: &CancelRequestBody) -> Result<(), HubError> {
        let request = self.request(Method::POST, &["humanloop", "cancel"]);
        let _: ApiResponse = self.call(request, Some(body)).await?;
        Ok(())
    }

    /// `POST /api/v1/humanloop/resume`: waits up to `body.wait` seconds for an answer, then
    /// claims the request's one resume (`claimed` is `true` for the first caller only, in any
    /// process). An unknown request is [`HubError::Failed`].
    pub async fn resume(&self, body: &ResumeRequestBody) -> Result<ResumeResponse, HubError> {
        let request = self.request(Method::POST, &["humanloop", "resume"]);
        self.call(request, Some(body)).await
    }

    /// `GET /api/v1/humanloop/status`: where the request stands; with `wait`, the hub answers
    /// as soon as it leaves `pending`, or after `wait` (whole seconds) with `pending`. An
    /// unknown request is the original protocol's soft failure ([`HubError::Failed`] with a
    /// 2xx status).
    pub async fn status(
        &self,
        query: &StatusQuery,
        wait: Option<Duration>,
    ) -> Result<StatusResponse, HubError> {
        let mut request = self
            .request(Method::GET, &["humanloop", "status"])
            .query(query);
        if let Some(wait) = wait {
            request = request.query(&[("wait", wait.as_secs())]);
        }
        self.call(request, NO_BODY).await
    }
}
