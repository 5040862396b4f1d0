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
use crate::core::verdict::{tally_words, winner_words};
use crate::core::{Action, Actor, Decision, Hub, Verdict};
use crate::policy::grant::GrantScope;
use crate::record::{now_ms, rfc3339_to_ms, RequestFilter, RequestRecord};
use crate::store::Cursor;

/// The most requests one list returns.
const MAX_LIMIT: u32 = 1_000;

/// The most conversation turns a request's reply holds.
pub(crate) const HISTORY_TURNS: u32 = 100;

/// The audit channel of answers given through this API.
const CHANNEL: &str = "api";

/// Filters of `GET /api/v1/requests`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses, e.g. `pending,inprogress`.
    #[param(example = "pending,inprogress")]
    status: Option<String>,
    /// `approval`, `information` or `conversation`.
    #[param(value_type = Option<super::schemas::LoopTypeName>)]
    loop_type: Option<LoopType>,
    /// Only this platform.
    platform: Option<String>,
    /// Only this task.
    task_id: Option<String>,
    /// Only this conversation.
    conversation_id: Option<String>,
    /// Created at or after this RFC 3339 time.
    #[param(format = DateTime)]
    created_after: Option<String>,
    /// Created before this RFC 3339 time.
    #[param(format = DateTime)]
    created_before: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Skip this many.
    offset: Option<u32>,
    /// The `next` of an earlier reply: continue after it.
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
#[utoipa::path(
    get,
    path = "/api/v1/requests",
    operation_id = "list_requests",
    tag = "answering",
    summary = "List requests (answering API)",
    description = "Newest first, fetched and streamed a chunk at a time: at most `limit` requests and, after the first, at most 4 MiB of them per reply. `next` continues the list (`before=`), `null` once it is known to be complete.",
    params(ListParams),
    responses(
        (status = 200, description = "Requests", body = super::schemas::RequestList),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn list(
    State(hub): State<Hub>,
    caller: Caller,
    QueryParams(q): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let (mut filter, before) = list_filter(q)?;
    let limit = filter.limit;
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

/// The filter and the `before` cursor of a list's query, checked (422 saying what is wrong).
pub(crate) fn list_filter(q: ListParams) -> Result<(RequestFilter, Option<String>), ApiError> {
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
    let filter = RequestFilter {
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
    Ok((filter, before))
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
#[utoipa::path(
    get,
    path = "/api/v1/requests/{id}",
    operation_id = "get_request",
    tag = "answering",
    summary = "One request and its conversation's turns",
    description = "The request and the newest turns of its conversation, oldest first: at most 100 turns and 4 MiB. When `history_before` is not `null`, `GET /api/v1/requests?conversation_id=…&before=…` lists the older turns.",
    params(("id" = String, Path, description = "The hub's id of the request, or the client's `request_id` when it names one request")),
    responses(
        (status = 200, description = "The request", body = super::schemas::RequestDetail),
        (status = 404, description = "No such request", body = super::schemas::ErrorBody),
        (status = 409, description = "The request_id names several requests; use the hub's id", body = super::schemas::ErrorBody),
    )
)]
pub async fn get(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    let request = resolve(&hub, &caller, &id).await?;
    let spent = to_json(&request).len();
    let (history, older) = newest_turns(&hub, &caller, &request.conversation_id, spent).await?;
    let older = older.map(|position| position.to_string());
    let mut reply = json!({"request": request, "history": history, "history_before": older});
    if request.plan.is_some() {
        reply["votes"] = json!(hub.store().ballots(&request.id).await?);
    }
    Ok(ok(reply))
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
#[utoipa::path(
    get,
    path = "/api/v1/requests/{id}/audit",
    operation_id = "request_audit",
    tag = "answering",
    summary = "The request's audit entries",
    description = "Oldest first. Each entry's hash covers the previous one (`ghl audit verify` checks the chain).",
    params(("id" = String, Path, description = "The hub's id of the request, or the client's `request_id` when it names one request")),
    responses(
        (status = 200, description = "Entries", body = super::schemas::AuditReply),
        (status = 404, description = "No such request", body = super::schemas::ErrorBody),
        (status = 409, description = "The request_id names several requests; use the hub's id", body = super::schemas::ErrorBody),
    )
)]
pub async fn audit(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    let request = resolve(&hub, &caller, &id).await?;
    let entries = hub.store().audit_trail(caller.tenant, &request.id).await?;
    Ok(ok(json!({"entries": entries})))
}

/// Body of approve / reject (a rejection needs a non-empty `reason`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Decision, example = json!({"reason": "Looks safe"}))]
pub struct DecisionBody {
    /// Why: optional to approve, required (non-empty) to reject.
    reason: Option<String>,
    /// Any JSON: replaces the default response.
    response: Option<Value>,
    /// Extra remarks, any JSON.
    feedback: Option<Value>,
    /// Approve only: the arguments as the approver edited them (a JSON object), returned to
    /// the agent in the response's `arguments`.
    arguments: Option<Value>,
    /// Approve only, where the request's policy rule allows grants: also give a grant. `{}`:
    /// for this exact call (as approved, edited arguments included), once; `{"function":
    /// "glob", "arguments": {"/pointer": matcher}, "duration_secs": 3600}`: for every call the
    /// pattern covers, for that long.
    #[schema(value_type = Option<Object>)]
    grant: Option<GrantBody>,
}

/// A grant asked for with an approval: its pattern (`None`: this exact call, once) and how
/// long it lasts (seconds).
pub(crate) type GrantAsked = (Option<GrantScope>, Option<u64>);

impl DecisionBody {
    /// The decision this body makes with `action` (approve or reject): its reason, edited
    /// arguments, response and feedback.
    pub(crate) fn decision(self, action: Action) -> Decision {
        Decision::new(action, self.reason.as_deref().unwrap_or_default())
            .with_arguments(self.arguments)
            .with_response(self.response)
            .with_feedback(self.feedback)
    }

    /// The grant asked for with the approval, if any: its pattern (`None`: this exact call,
    /// once) and how long it lasts; refused as the approve handler refuses it.
    pub(crate) fn grant_scope(&self) -> Option<Result<GrantAsked, ApiError>> {
        let grant = self.grant.as_ref()?;
        let pattern = grant.function.clone().map(|function| GrantScope::Pattern {
            function,
            arguments: grant.arguments.clone().unwrap_or_default(),
        });
        if pattern.is_some() && grant.duration_secs.is_none() {
            return Some(Err(ApiError::invalid(
                "grant: a pattern grant needs duration_secs",
            )));
        }
        Some(Ok((pattern, grant.duration_secs)))
    }
}

/// What a grant given with an approval covers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// A glob over function names: a pattern grant (absent: this exact call, once).
    function: Option<String>,
    /// The pattern's argument constraints (JSON pointer → matcher).
    arguments: Option<serde_json::Map<String, Value>>,
    /// How long the grant lasts (seconds); required for a pattern grant.
    duration_secs: Option<u64>,
}

/// Body of answer / reply.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TextAnswer, example = json!({"text": "42", "complete": false}))]
pub struct TextBody {
    /// The answer or message.
    text: Option<String>,
    /// Any JSON: replaces the default response.
    response: Option<Value>,
    /// Extra remarks, any JSON.
    feedback: Option<Value>,
    /// reply only: this turn ends the conversation (`completed`), else it goes on (`inprogress`).
    #[serde(default)]
    complete: bool,
}

impl TextBody {
    /// The decision this body makes with `action` (answer): its text, response and feedback.
    pub(crate) fn decision(self, action: Action) -> Decision {
        Decision::new(action, self.text.as_deref().unwrap_or_default())
            .with_response(self.response)
            .with_feedback(self.feedback)
    }

    /// The decision of a reply: `complete` ends the conversation, else it goes on.
    pub(crate) fn reply(self) -> Decision {
        let action = if self.complete {
            Action::Complete
        } else {
            Action::Reply
        };
        self.decision(action)
    }
}

/// `POST /api/v1/requests/{id}/approve` (approval requests).
#[utoipa::path(
    post,
    path = "/api/v1/requests/{id}/approve",
    operation_id = "approve_request",
    tag = "answering",
    summary = "Approve (approval requests)",
    description = "Response `{decision: approved, reason}` (with the approver's edited `arguments`, when given) unless `response` is given; the body may be empty. Goes through the hub's single conditional write: the first valid answer wins; a later one gets 409 naming the winner, a refused one 422 saying why.",
    params(("id" = String, Path, description = "The hub's id of the request, or the client's `request_id` when it names one request")),
    request_body = Option<DecisionBody>,
    responses(
        (status = 200, description = "Recorded", body = super::schemas::Recorded),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 404, description = "No such request", body = super::schemas::ErrorBody),
        (status = 409, description = "Someone answered first: `status`, `responded_by`, `responded_at` name the winner", body = super::schemas::ConflictBody),
        (status = 422, description = "Refused, or unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn approve(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    OptionalJsonBody(b): OptionalJsonBody<DecisionBody>,
) -> Result<Response, ApiError> {
    let Some(scope) = b.grant_scope() else {
        return decide(&hub, &caller, &id, b.decision(Action::Approve)).await;
    };
    let request = resolve(&hub, &caller, &id).await?;
    let (pattern, duration_secs) = scope?;
    // Refused before the approval is recorded: a bad grant changes nothing.
    if let Err(why) = hub.may_grant(&request, pattern.as_ref(), b.arguments.as_ref()) {
        return Err(ApiError::invalid(format!("grant: {why}")));
    }
    let decision = b.decision(Action::Approve);
    let actor = Actor::new(CHANNEL, caller.name.clone());
    let verdict = hub.decide_on(&request, decision, &actor).await?;
    let record = match verdict {
        Verdict::Changed { record, .. } => record,
        Verdict::Voted { record, tally } => {
            let mut reply = voted(&record, &tally);
            reply["grant_refused"] = json!(
                "a grant comes with the approval that decides the request; this one was a vote \
                 toward its quorum"
            );
            return Ok(ok(reply));
        }
        other => return verdict_reply(other, &id),
    };
    let expires_at = duration_secs.map(|secs| {
        now_ms().saturating_add(i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX))
    });
    let given = hub.grant_with(&record, pattern, expires_at, &actor).await?;
    match given {
        Ok(grant) => Ok(ok(json!({ "request": record, "grant": grant }))),
        Err(why) => Ok(ok(json!({ "request": record, "grant_refused": why }))),
    }
}

/// `POST /api/v1/requests/{id}/reject` (any request: the human declines, with a reason).
#[utoipa::path(
    post,
    path = "/api/v1/requests/{id}/reject",
    operation_id = "reject_request",
    tag = "answering",
    summary = "Reject (any request, with a reason)",
    description = "Response `{decision: rejected, reason}` unless `response` is given. A rejection needs a non-empty `reason` (422 otherwise). Goes through the hub's single conditional write: the first valid answer wins; a later one gets 409 naming the winner, a refused one 422 saying why.",
    params(("id" = String, Path, description = "The hub's id of the request, or the client's `request_id` when it names one request")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Recorded", body = super::schemas::Recorded),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 404, description = "No such request", body = super::schemas::ErrorBody),
        (status = 409, description = "Someone answered first: `status`, `responded_by`, `responded_at` name the winner", body = super::schemas::ConflictBody),
        (status = 422, description = "Refused (e.g. a rejection without a `reason`), or unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn reject(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    OptionalJsonBody(b): OptionalJsonBody<DecisionBody>,
) -> Result<Response, ApiError> {
    decide(&hub, &caller, &id, b.decision(Action::Reject)).await
}

/// `POST /api/v1/requests/{id}/answer` (information requests).
#[utoipa::path(
    post,
    path = "/api/v1/requests/{id}/answer",
    operation_id = "answer_request",
    tag = "answering",
    summary = "Answer (information requests) → completed",
    description = "Response `{information: text}` unless `response` is given. Goes through the hub's single conditional write: the first valid answer wins; a later one gets 409 naming the winner, a refused one 422 saying why.",
    params(("id" = String, Path, description = "The hub's id of the request, or the client's `request_id` when it names one request")),
    request_body = TextBody,
    responses(
        (status = 200, description = "Recorded", body = super::schemas::Recorded),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 404, description = "No such request", body = super::schemas::ErrorBody),
        (status = 409, description = "Someone answered first: `status`, `responded_by`, `responded_at` name the winner", body = super::schemas::ConflictBody),
        (status = 422, description = "Refused, or unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn answer(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(b): JsonBody<TextBody>,
) -> Result<Response, ApiError> {
    decide(&hub, &caller, &id, b.decision(Action::Answer)).await
}

/// `POST /api/v1/requests/{id}/reply` (conversation requests; `complete` ends the dialogue).
#[utoipa::path(
    post,
    path = "/api/v1/requests/{id}/reply",
    operation_id = "reply_request",
    tag = "answering",
    summary = "Reply (conversation requests)",
    description = "Response `{message: text}`; `complete` ends the conversation (`completed`), else the turn is `inprogress`. Goes through the hub's single conditional write: the first valid answer wins; a later one gets 409 naming the winner, a refused one 422 saying why.",
    params(("id" = String, Path, description = "The hub's id of the request, or the client's `request_id` when it names one request")),
    request_body = TextBody,
    responses(
        (status = 200, description = "Recorded", body = super::schemas::Recorded),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = super::schemas::ErrorBody),
        (status = 404, description = "No such request", body = super::schemas::ErrorBody),
        (status = 409, description = "Someone answered first: `status`, `responded_by`, `responded_at` name the winner", body = super::schemas::ConflictBody),
        (status = 422, description = "Refused, or unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn reply(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    JsonBody(b): JsonBody<TextBody>,
) -> Result<Response, ApiError> {
    decide(&hub, &caller, &id, b.reply()).await
}

/// `POST /api/v1/requests/{id}/cancel`.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{id}/cancel",
    operation_id = "cancel_request_by_id",
    tag = "answering",
    summary = "Cancel",
    description = "Ends the request without an answer (`cancelled`). Goes through the hub's single conditional write: the first valid answer wins; a later one gets 409 naming the winner, a refused one 422 saying why.",
    params(("id" = String, Path, description = "The hub's id of the request, or the client's `request_id` when it names one request")),
    responses(
        (status = 200, description = "Recorded", body = super::schemas::Recorded),
        (status = 404, description = "No such request", body = super::schemas::ErrorBody),
        (status = 409, description = "Someone answered first: `status`, `responded_by`, `responded_at` name the winner", body = super::schemas::ConflictBody),
        (status = 422, description = "Refused, or unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn cancel(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    decide(&hub, &caller, &id, Decision::new(Action::Cancel, "")).await
}

async fn decide(
    hub: &Hub,
    caller: &Caller,
    id: &str,
    decision: Decision,
) -> Result<Response, ApiError> {
    let request = resolve(hub, caller, id).await?;
    let actor = Actor::new(CHANNEL, caller.name.clone());
    let verdict = hub.decide_on(&request, decision, &actor).await?;
    verdict_reply(verdict, id)
}

/// The answer to a decision: 200 with the request, 409 naming the winner, 422 saying why it
/// was refused, 404.
pub(crate) fn verdict_reply(verdict: Verdict, id: &str) -> Result<Response, ApiError> {
    match verdict {
        Verdict::Changed { record, .. } => Ok(ok(json!({ "request": record }))),
        Verdict::Voted { record, tally } => Ok(ok(voted(&record, &tally))),
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

/// The reply to a vote that left the request pending: the request, the count, in words too.
fn voted(record: &RequestRecord, tally: &crate::policy::Tally) -> Value {
    json!({"request": record, "vote": tally, "message": tally_words(tally)})
}
