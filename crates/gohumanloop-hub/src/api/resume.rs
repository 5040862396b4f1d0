//! `POST /api/v1/humanloop/resume`: the one resume of an answered request. An agent that
//! stopped at a question (a durable interrupt) may be resumed by any process, any number of
//! times over; the hub lets exactly one of them act on the answer. The claim is a single-use
//! mark in the store ([`crate::store::Links`]), so it holds across processes and hub nodes.

use axum::extract::State;
use gohumanloop::model::wire::{ResumeRequestBody, ResumeResponse};
use gohumanloop::model::Status;
use serde_json::Value;

use super::auth::Caller;
use super::compat::{checked_wait, outcome_within, status_body};
use super::error::{ApiError, JsonBody};
use crate::core::Hub;
use crate::record::RequestKey;
use crate::store::LinkUse;

/// The single-use mark of a request's resume (beside the links' marks, which are hashes).
fn resume_mark(hub_id: &str) -> String {
    format!("resume:{hub_id}")
}

/// `POST /api/v1/humanloop/resume`.
#[utoipa::path(
    post,
    path = "/api/v1/humanloop/resume",
    operation_id = "resume_request",
    tag = "original",
    summary = "Claim the one resume of an answered request",
    description = "Waits up to `wait` seconds (0–300) for the request to leave `pending`, then claims its resume: `claimed:true` for the first call after the answer, `false` for every later one (and while the request is pending). An agent resumes only when `claimed` is true, so an interrupted step runs its follow-up exactly once, whichever process resumes it. Unknown requests get HTTP 200 with `success:false`.",
    request_body = super::schemas::ResumeRequest,
    responses(
        (status = 200, description = "The request's state and whether this call claimed its resume", body = super::schemas::ResumeReply),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn resume(
    State(hub): State<Hub>,
    caller: Caller,
    JsonBody(body): JsonBody<ResumeRequestBody>,
) -> Result<axum::Json<ResumeResponse>, ApiError> {
    let wait = checked_wait(body.wait.map(|w| w as f64))?;
    let key = RequestKey {
        tenant: caller.tenant,
        conversation_id: body.conversation_id,
        request_id: body.request_id,
        platform: body.platform,
    };
    let Some(o) = outcome_within(&hub, &key, wait).await? else {
        return Err(
            ApiError::soft(format!("Request not found: {}", key.request_id))
                .with("status", Status::Pending.as_str())
                .with("claimed", false)
                .with("response", Value::Null),
        );
    };
    let claimed = o.status != Status::Pending
        && hub.store().use_link(&resume_mark(&o.id), &o.id).await? == LinkUse::First;
    Ok(axum::Json(ResumeResponse {
        state: status_body(&o),
        claimed,
    }))
}
