//! `/api/v1/requests…`: the hub's own API for the humans' side — list and read requests, and
//! answer them. Every answer goes through [`Hub::transition`]; the first valid answer wins and
//! a later one gets HTTP 409 naming the winner.
//!
//! Answers take the original mock server's shapes, which the original examples read:
//! approve/reject → `{"decision", "reason"}`, answer → `{"information"}`, reply →
//! `{"message"}`; a `response` field in the body replaces that with any JSON.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gohumanloop::model::{LoopType, Status};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ok, ApiError, JsonBody, OptionalJsonBody, PathParam, QueryParams};
use super::paged::{chunk_size, ListReply, MAX_REPLY_BYTES};
use crate::hub::Hub;
use crate::record::{rfc3339_to_ms, RequestFilter, RequestRecord, Transition, TransitionOutcome};

/// The most requests one list returns.
const MAX_LIMIT: u32 = 1_000;

/// The most conversation turns a request's reply holds.
pub const HISTORY_TURNS: u32 = 100;

/// The audit channel of answers given through this API.
const CHANNEL: &str = "api";

/// Filters of `GET /api/v1/requests`.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    /// Comma-separated statuses.
    status: Option<String>,
    loop_type: Option<LoopType>,
    platform: Option<String>,
    task_id: Option<String>,
    conversation_id: Option<String>,
    /// RFC 3339.
    created_after: Option<String>,
    /// RFC 3339.
    created_before: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
    /// Continue after an earlier reply: its `next`.
    before: Option<String>,
}

fn parse_time(name: &str, value: Option<String>) -> Result<Option<i64>, ApiError> {
    value
        .map(|text| {
            rfc3339_to_ms(&text).ok_or_else(|| {
                ApiError::invalid(format!(
                    "{name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z"
                ))
            })
        })
        .transpose()
}

/// `GET /api/v1/requests`: newest first.
pub async fn list(
    State(hub): State<Hub>,
    caller: Caller,
    QueryParams(q): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let statuses = match q.status.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| s.trim().parse::<Status>())
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::invalid(e.to_string()))?,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let before = q
        .before
        .map(|cursor| {
            cursor
                .parse::<i64>()
                .map(|_| cursor)
                .map_err(|_| ApiError::invalid("before must be the `next` of an earlier reply"))
        })
        .transpose()?;
    let mut filter = RequestFilter {
        statuses,
        loop_type: q.loop_type,
        platform: q.platform,
        task_id: q.task_id,
        conversation_id: q.conversation_id,
        created_after: parse_time("created_after", q.created_after)?,
        created_before: parse_time("created_before", q.created_before)?,
        limit,
        offset: q.offset.unwrap_or(0),
        ..RequestFilter::default()
    };
    let store = hub.store().clone();
    let tenant = caller.tenant;
    let reply = ListReply {
        key: "requests",
        object: false,
        limit: limit as usize,
    };
    reply
        .stream(before, move |before, wanted| {
            let chunk = RequestFilter {
                limit: wanted as u32,
                ..filter.clone()
            };
            // The offset counts from the start only.
            filter.offset = 0;
            let store = store.clone();
            async move {
                let before = before.and_then(|cursor| cursor.parse().ok());
                let page = store.page(tenant, &chunk, before).await?;
                Ok(page
                    .into_iter()
                    .map(|(position, record)| (to_json(&record), position.to_string()))
                    .collect())
            }
        })
        .await
}

/// A record as JSON text (serialising a record cannot fail).
fn to_json(record: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_else(|_| b"null".to_vec())
}

/// Finds a request by the hub's id or, when unambiguous, by the client's `request_id`.
async fn resolve(hub: &Hub, caller: &Caller, id: &str) -> Result<RequestRecord, ApiError> {
    let mut found = hub.store().get(caller.tenant, id).await?;
    match found.len() {
        0 => Err(ApiError::not_found(id)),
        1 => Ok(found.remove(0)),
        _ => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("request_id {id} names several requests; use the hub's id"),
        )),
    }
}

/// `GET /api/v1/requests/{id}`: the request and the newest turns of its conversation (oldest
/// first): at most [`HISTORY_TURNS`] and [`MAX_REPLY_BYTES`] of them. `history_before`, when not
/// `null`, lists the older turns: `GET /api/v1/requests?conversation_id=…&before=…`.
pub async fn get(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    let request = resolve(&hub, &caller, &id).await?;
    let spent = to_json(&request).len();
    let (history, older) = newest_turns(&hub, &caller, &request.conversation_id, spent).await?;
    let older = older.map(|position| position.to_string());
    Ok(ok(
        json!({"request": request, "history": history, "history_before": older}),
    ))
}

/// The newest turns of a conversation, oldest first, that fit beside `spent` bytes in a reply
/// (at most [`HISTORY_TURNS`]), and where the older ones continue, if any.
async fn newest_turns(
    hub: &Hub,
    caller: &Caller,
    conversation_id: &str,
    spent: usize,
) -> Result<(Vec<RequestRecord>, Option<i64>), ApiError> {
    let mut history = Vec::new();
    let mut bytes = 0;
    let mut before = None;
    loop {
        let left = HISTORY_TURNS as usize - history.len();
        let chunk = RequestFilter {
            conversation_id: Some(conversation_id.to_owned()),
            limit: chunk_size(history.len(), bytes, left) as u32,
            ..RequestFilter::default()
        };
        let page = hub.store().page(caller.tenant, &chunk, before).await?;
        let complete = page.len() < chunk.limit as usize;
        for (position, turn) in page {
            let size = to_json(&turn).len();
            if history.len() == HISTORY_TURNS as usize || spent + bytes + size > MAX_REPLY_BYTES {
                history.reverse();
                return Ok((history, before));
            }
            bytes += size;
            history.push(turn);
            before = Some(position);
        }
        if complete || history.len() == HISTORY_TURNS as usize {
            let older = if complete { None } else { before };
            history.reverse();
            return Ok((history, older));
        }
    }
}

/// `GET /api/v1/requests/{id}/audit`: the request's audit entries, oldest first.
pub async fn audit(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    let request = resolve(&hub, &caller, &id).await?;
    let entries = hub.store().audit_trail(caller.tenant, &request.id).await?;
    Ok(ok(json!({"entries": entries})))
}

/// Body of approve / reject.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    reason: Option<String>,
    response: Option<Value>,
    feedback: Option<Value>,
}

/// Body of answer / reply.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    text: Option<String>,
    response: Option<Value>,
    feedback: Option<Value>,
    /// reply only: this turn ends the conversation (`completed`), else it goes on (`inprogress`).
    #[serde(default)]
    complete: bool,
}

/// `POST /api/v1/requests/{id}/approve` (approval requests).
pub async fn approve(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    OptionalJsonBody(b): OptionalJsonBody<DecisionBody>,
) -> Result<Response, ApiError> {
    decision(
        &hub,
        &caller,
        &id,
        Status::Approved,
        &[LoopType::Approval],
        b,
    )
    .await
}

/// `POST /api/v1/requests/{id}/reject` (any request: the human declines).
pub async fn reject(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    OptionalJsonBody(b): OptionalJsonBody<DecisionBody>,
) -> Result<Response, ApiError> {
    decision(&hub, &caller, &id, Status::Rejected, &LoopType::ALL, b).await
}

/// `POST /api/v1/requests/{id}/answer` (information requests).
pub async fn answer(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(b): JsonBody<TextBody>,
) -> Result<Response, ApiError> {
    let response = text_response(b.response, b.text, "information")?;
    let answer = Answer {
        to: Status::Completed,
        response,
        feedback: b.feedback,
    };
    decide(&hub, &caller, &id, &[LoopType::Information], answer).await
}

/// `POST /api/v1/requests/{id}/reply` (conversation requests; `complete` ends the dialogue).
pub async fn reply(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(b): JsonBody<TextBody>,
) -> Result<Response, ApiError> {
    let to = if b.complete {
        Status::Completed
    } else {
        Status::InProgress
    };
    let response = text_response(b.response, b.text, "message")?;
    let answer = Answer {
        to,
        response,
        feedback: b.feedback,
    };
    decide(&hub, &caller, &id, &[LoopType::Conversation], answer).await
}

/// `POST /api/v1/requests/{id}/cancel`.
pub async fn cancel(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    let request = resolve(&hub, &caller, &id).await?;
    let change = Transition::cancel(caller.tenant, request.id, &caller.name, CHANNEL);
    finish(hub.transition(change).await?, &id)
}

/// Approve or reject: the response is `{"decision", "reason"}` unless the body gives one.
async fn decision(
    hub: &Hub,
    caller: &Caller,
    id: &str,
    to: Status,
    accepts: &[LoopType],
    body: DecisionBody,
) -> Result<Response, ApiError> {
    let response = body.response.unwrap_or_else(
        || json!({"decision": to.as_str(), "reason": body.reason.unwrap_or_default()}),
    );
    let answer = Answer {
        to,
        response,
        feedback: body.feedback,
    };
    decide(hub, caller, id, accepts, answer).await
}

fn text_response(
    response: Option<Value>,
    text: Option<String>,
    key: &str,
) -> Result<Value, ApiError> {
    match (response, text) {
        (Some(r), _) => Ok(r),
        (None, Some(t)) => Ok(json!({ key: t })),
        (None, None) => Err(ApiError::invalid(
            "give the answer as `text` (or `response`)",
        )),
    }
}

struct Answer {
    to: Status,
    response: Value,
    feedback: Option<Value>,
}

async fn decide(
    hub: &Hub,
    caller: &Caller,
    id: &str,
    accepts: &[LoopType],
    answer: Answer,
) -> Result<Response, ApiError> {
    let request = resolve(hub, caller, id).await?;
    if !accepts.contains(&request.loop_type) {
        return Err(ApiError::invalid(format!(
            "request {id} is of type {}; this action is for {}",
            request.loop_type,
            accepts
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    let change = Transition::answer(
        caller.tenant,
        request.id,
        answer.to,
        answer.response,
        answer.feedback,
        &caller.name,
        CHANNEL,
    );
    finish(hub.transition(change).await?, id)
}

fn finish(outcome: TransitionOutcome, id: &str) -> Result<Response, ApiError> {
    match outcome {
        TransitionOutcome::Changed { record, .. } => Ok(ok(json!({ "request": record }))),
        TransitionOutcome::NotFound => Err(ApiError::not_found(id)),
        TransitionOutcome::Conflict(winner) => {
            let by = winner
                .responded_by
                .as_deref()
                .map(|who| format!(" by {who}"))
                .unwrap_or_default();
            let at = winner
                .responded_at
                .as_deref()
                .unwrap_or(&winner.updated_at)
                .to_owned();
            Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("request {id} is already {}{by} at {at}", winner.status),
            )
            .with("status", winner.status.as_str())
            .with("responded_by", winner.responded_by.clone())
            .with("responded_at", winner.responded_at.clone()))
        }
    }
}
