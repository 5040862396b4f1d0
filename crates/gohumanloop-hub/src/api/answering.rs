//! `/api/v1/requests…`: the hub's own API for the humans' side — list and read requests, and
//! answer them. Every answer is a [`Decision`] for [`Hub::decide`]; the first valid answer wins
//! and a later one gets HTTP 409 naming the winner; a refused one gets 422 saying why.
//!
//! Answers take the original mock server's shapes (see [`crate::core::decision`]); a
//! `response` field in the body replaces that with any JSON.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gohumanloop::model::{LoopType, Status};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ok, ApiError, JsonBody, OptionalJsonBody, PathParam, QueryParams};
use super::paged::{chunk_size, ListReply, MAX_REPLY_BYTES};
use crate::core::verdict::winner_words;
use crate::core::{Action, Actor, Decision, Hub, Verdict};
use crate::record::{rfc3339_to_ms, RequestFilter, RequestRecord};
use crate::store::Cursor;

/// The most requests one list returns.
const MAX_LIMIT: u32 = 1_000;

/// The most conversation turns a request's reply holds.
pub(crate) const HISTORY_TURNS: u32 = 100;

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
                .parse::<Cursor>()
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
) -> Result<(Vec<RequestRecord>, Option<Cursor>), ApiError> {
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
    let decision = Decision::new(Action::Approve, b.reason.as_deref().unwrap_or_default());
    decide(&hub, &caller, &id, decision, b.response, b.feedback).await
}

/// `POST /api/v1/requests/{id}/reject` (any request: the human declines, with a reason).
pub async fn reject(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    OptionalJsonBody(b): OptionalJsonBody<DecisionBody>,
) -> Result<Response, ApiError> {
    let decision = Decision::new(Action::Reject, b.reason.as_deref().unwrap_or_default());
    decide(&hub, &caller, &id, decision, b.response, b.feedback).await
}

/// `POST /api/v1/requests/{id}/answer` (information requests).
pub async fn answer(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(b): JsonBody<TextBody>,
) -> Result<Response, ApiError> {
    let decision = Decision::new(Action::Answer, b.text.as_deref().unwrap_or_default());
    decide(&hub, &caller, &id, decision, b.response, b.feedback).await
}

/// `POST /api/v1/requests/{id}/reply` (conversation requests; `complete` ends the dialogue).
pub async fn reply(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(b): JsonBody<TextBody>,
) -> Result<Response, ApiError> {
    let action = if b.complete {
        Action::Complete
    } else {
        Action::Reply
    };
    let decision = Decision::new(action, b.text.as_deref().unwrap_or_default());
    decide(&hub, &caller, &id, decision, b.response, b.feedback).await
}

/// `POST /api/v1/requests/{id}/cancel`.
pub async fn cancel(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    let decision = Decision::new(Action::Cancel, "");
    decide(&hub, &caller, &id, decision, None, None).await
}

async fn decide(
    hub: &Hub,
    caller: &Caller,
    id: &str,
    decision: Decision,
    response: Option<Value>,
    feedback: Option<Value>,
) -> Result<Response, ApiError> {
    let request = resolve(hub, caller, id).await?;
    let decision = decision.with_response(response).with_feedback(feedback);
    let actor = Actor::new(CHANNEL, caller.name.clone());
    let verdict = hub.decide_on(&request, decision, &actor).await?;
    verdict_reply(verdict, id)
}

/// The answer to a decision: 200 with the request, 409 naming the winner, 422 saying why it
/// was refused, 404.
pub(crate) fn verdict_reply(verdict: Verdict, id: &str) -> Result<Response, ApiError> {
    match verdict {
        Verdict::Changed { record, .. } => Ok(ok(json!({ "request": record }))),
        Verdict::NotFound => Err(ApiError::not_found(id)),
        Verdict::Refused(why) => Err(ApiError::invalid(format!("request {id}: {why}"))),
        Verdict::Conflict(winner) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("request {id} is already {}", winner_words(&winner)),
        )
        .with("status", winner.status.as_str())
        .with("responded_by", winner.responded_by.clone())
        .with("responded_at", winner.responded_at.clone())),
    }
}
