//! `/api/v1/humanloop/*`: the original servers' API, key for key (protocol reference §8), with
//! their bugs fixed: unknown requests on `/status` get HTTP 200 `success:false` (never 404),
//! `continue` creates the next `conversation` request, cancelling is idempotent.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use gohumanloop::model::wire::{
    CancelConversationBody, CancelRequestBody, ContinueRequestBody, CreateRequestBody,
    StatusResponse, LONG_POLL_HEADER,
};
use gohumanloop::model::{LoopType, Status};
use serde::Deserialize;
use serde_json::Value;

use super::auth::Caller;
use super::error::{ok_empty, ApiError, JsonBody, QueryParams};
use crate::core::intake::Ask;
use crate::core::{Action, Actor, Decision, Hub, Verdict};
use crate::record::{CreateOutcome, NewRequest, Outcome, RequestKey};

/// The longest `wait=` a status check may ask for.
pub(crate) const MAX_WAIT_SECS: f64 = 300.0;

/// The audit channel of everything that comes through this API.
const CHANNEL: &str = "api";

/// `POST /api/v1/humanloop/request`.
#[utoipa::path(
    post,
    path = "/api/v1/humanloop/request",
    operation_id = "create_request",
    tag = "original",
    summary = "Create a request (original protocol)",
    description = "Idempotent for an identical repeat; the same ids with different content fail with `success:false`. `timeout` (top level) or `metadata.timeout` set a deadline held by the hub.",
    request_body = super::schemas::CreateRequest,
    responses(
        (status = 200, description = "`success:true`, or HTTP 200 with `success:false` and `error` for soft failures (the original protocol)", body = super::schemas::GenericReply),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn create(
    State(hub): State<Hub>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateRequestBody>,
) -> Result<Response, ApiError> {
    let ask = Ask {
        task_id: body.task_id,
        conversation_id: body.conversation_id,
        request_id: body.request_id,
        platform: body.platform,
        loop_type: body.loop_type,
        context: body.context,
        metadata: body.metadata,
        timeout: body.timeout,
        continues: false,
    };
    finish_create(hub.create(admit(ask, &caller)?).await?)
}

/// `POST /api/v1/humanloop/continue`: the next turn of a known conversation, always of type
/// `conversation` (the original hub failed every continue, bug #3).
#[utoipa::path(
    post,
    path = "/api/v1/humanloop/continue",
    operation_id = "continue_conversation",
    tag = "original",
    summary = "Next turn of a conversation (original protocol)",
    description = "Stores a new `conversation` request in a conversation the tenant already has; an unknown conversation gets `success:false`.",
    request_body = super::schemas::ContinueRequest,
    responses(
        (status = 200, description = "`success:true`, or HTTP 200 with `success:false` and `error` for soft failures (the original protocol)", body = super::schemas::GenericReply),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn continue_conversation(
    State(hub): State<Hub>,
    caller: Caller,
    JsonBody(body): JsonBody<ContinueRequestBody>,
) -> Result<Response, ApiError> {
    let conversation_id = body.conversation_id.clone();
    let ask = Ask {
        task_id: body.task_id,
        conversation_id: body.conversation_id,
        request_id: body.request_id,
        platform: body.platform,
        loop_type: LoopType::Conversation,
        context: body.context,
        metadata: body.metadata,
        timeout: body.timeout,
        continues: true,
    };
    match hub.create(admit(ask, &caller)?).await? {
        CreateOutcome::UnknownConversation => Err(ApiError::soft(format!(
            "Conversation not found: {conversation_id}"
        ))),
        outcome => finish_create(outcome),
    }
}

/// The caller's request, checked by the core's intake (422 naming the field otherwise).
fn admit(ask: Ask, caller: &Caller) -> Result<NewRequest, ApiError> {
    let actor = Actor::new(CHANNEL, caller.name.clone());
    ask.admit(caller.tenant, &actor)
        .map_err(|why| ApiError::invalid(why.to_string()))
}

fn finish_create(outcome: CreateOutcome) -> Result<Response, ApiError> {
    match outcome {
        CreateOutcome::Created(_) | CreateOutcome::AlreadyExists(_) => Ok(ok_empty()),
        CreateOutcome::Conflict(existing) => Err(ApiError::soft(format!(
            "Request {} already exists in conversation {} with different content",
            existing.request_id, existing.conversation_id
        ))),
        CreateOutcome::UnknownConversation => Err(ApiError::soft("Conversation not found")),
    }
}

/// The query of `GET /api/v1/humanloop/status`, plus our optional long-poll `wait`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StatusParams {
    /// The conversation.
    conversation_id: String,
    /// The client's request id.
    request_id: String,
    /// The platform.
    platform: String,
    /// Seconds (0–300) to wait for the request to leave `pending` before answering.
    #[serde(default)]
    #[param(minimum = 0, maximum = 300)]
    pub(crate) wait: Option<f64>,
}

/// `GET /api/v1/humanloop/status[?wait=SECONDS]`.
#[utoipa::path(
    get,
    path = "/api/v1/humanloop/status",
    operation_id = "request_status",
    tag = "original",
    summary = "Status of a request (original protocol)",
    description = "Unknown requests get HTTP 200 with `success:false` and `status: pending` (never 404). With `wait`, the reply comes as soon as the request leaves `pending`, or when the wait ends; the `x-ghl-long-poll: 1` header says `wait` is honoured.",
    params(StatusParams),
    responses(
        (status = 200, description = "The status", body = super::schemas::StatusReply,
            headers(("x-ghl-long-poll" = String, description = "`1`: `wait` is honoured"))),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn status(
    State(hub): State<Hub>,
    caller: Caller,
    QueryParams(q): QueryParams<StatusParams>,
) -> Result<([(HeaderName, HeaderValue); 1], axum::Json<StatusResponse>), ApiError> {
    let wait = checked_wait(q.wait)?;
    let key = RequestKey {
        tenant: caller.tenant,
        conversation_id: q.conversation_id,
        request_id: q.request_id,
        platform: q.platform,
    };
    let Some(o) = outcome_within(&hub, &key, wait).await? else {
        // HTTP 200 with `status: pending`, as the original mock: the client keeps polling and
        // its own timeout still fires (a 404 would kill its poll thread, bug #1).
        return Err(
            ApiError::soft(format!("Request not found: {}", key.request_id))
                .with("status", Status::Pending.as_str())
                .with("response", Value::Null)
                .with("feedback", Value::Null)
                .with("responded_by", Value::Null)
                .with("responded_at", Value::Null),
        );
    };
    Ok(([long_poll_header()], axum::Json(status_body(&o))))
}

/// `wait` (seconds, none = 0) once checked against the long-poll bound.
pub(crate) fn checked_wait(wait: Option<f64>) -> Result<f64, ApiError> {
    match wait {
        None => Ok(0.0),
        Some(w) if (0.0..=MAX_WAIT_SECS).contains(&w) => Ok(w),
        Some(_) => Err(ApiError::invalid(format!(
            "wait must be between 0 and {MAX_WAIT_SECS} seconds"
        ))),
    }
}

/// The request's outcome, after waiting up to `wait` seconds for it to leave `pending`.
pub(super) async fn outcome_within(
    hub: &Hub,
    key: &RequestKey,
    wait: f64,
) -> Result<Option<Arc<Outcome>>, ApiError> {
    Ok(if wait > 0.0 {
        hub.wait(key, Duration::from_secs_f64(wait)).await?
    } else {
        hub.outcome(key).await?
    })
}

/// The original's status body of an outcome.
pub(super) fn status_body(o: &Outcome) -> StatusResponse {
    StatusResponse {
        success: true,
        status: o.status,
        response: o.response.clone(),
        feedback: o.feedback.clone(),
        responded_by: o.responded_by.clone(),
        responded_at: o.responded_at.clone(),
        error: o.error.clone(),
    }
}

/// Tells clients that `/status` honours `wait` (so they may long-poll instead of polling).
fn long_poll_header() -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(LONG_POLL_HEADER),
        HeaderValue::from_static("1"),
    )
}

/// `POST /api/v1/humanloop/cancel`: idempotent; a request already answered stays answered.
#[utoipa::path(
    post,
    path = "/api/v1/humanloop/cancel",
    operation_id = "cancel_request",
    tag = "original",
    summary = "Cancel a request (original protocol)",
    description = "Idempotent; an answered request stays answered (`success:false` says so).",
    request_body = super::schemas::CancelRequest,
    responses(
        (status = 200, description = "`success:true`, or HTTP 200 with `success:false` and `error` for soft failures (the original protocol)", body = super::schemas::GenericReply),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn cancel(
    State(hub): State<Hub>,
    caller: Caller,
    JsonBody(body): JsonBody<CancelRequestBody>,
) -> Result<Response, ApiError> {
    let key = RequestKey {
        tenant: caller.tenant,
        conversation_id: body.conversation_id,
        request_id: body.request_id,
        platform: body.platform,
    };
    let Some(current) = hub.outcome(&key).await? else {
        return Err(ApiError::soft(format!(
            "Request not found: {}",
            key.request_id
        )));
    };
    let actor = Actor::new(CHANNEL, caller.name.clone());
    let cancel = Decision::new(Action::Cancel, "");
    match hub
        .decide(caller.tenant, &current.id, cancel, &actor)
        .await?
    {
        // A cancellation is never a vote; a vote leaves the request pending.
        Verdict::Changed { .. } | Verdict::Voted { .. } => Ok(ok_empty()),
        Verdict::Conflict(r) if r.status == Status::Cancelled => Ok(ok_empty()),
        Verdict::Conflict(r) => Err(ApiError::soft(format!(
            "Request {} is already {}; it cannot be cancelled",
            r.request_id, r.status
        ))),
        Verdict::Refused(why) => Err(ApiError::soft(why.to_string())),
        Verdict::NotFound => Err(ApiError::soft(format!(
            "Request not found: {}",
            key.request_id
        ))),
    }
}

/// `POST /api/v1/humanloop/cancel_conversation` (and the Go services' `cancel_converstation`):
/// cancels every open request of the conversation; succeeds again when nothing is left open.
#[utoipa::path(
    post,
    path = "/api/v1/humanloop/cancel_conversation",
    operation_id = "cancel_conversation",
    tag = "original",
    summary = "Cancel a conversation's open requests (original protocol)",
    description = "Idempotent: succeeds again when nothing is left open. Also served as the Go services' misspelt `cancel_converstation`.",
    request_body = super::schemas::CancelConversation,
    responses(
        (status = 200, description = "`success:true`, or HTTP 200 with `success:false` and `error` for soft failures (the original protocol)", body = super::schemas::GenericReply),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn cancel_conversation(
    State(hub): State<Hub>,
    caller: Caller,
    JsonBody(body): JsonBody<CancelConversationBody>,
) -> Result<Response, ApiError> {
    match hub
        .cancel_conversation(
            caller.tenant,
            &body.conversation_id,
            &Actor::new(CHANNEL, caller.name.clone()),
        )
        .await?
    {
        Some(_) => Ok(ok_empty()),
        None => Err(ApiError::soft(format!(
            "Conversation not found: {}",
            body.conversation_id
        ))),
    }
}
