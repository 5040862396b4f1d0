//! Entry points for the fuzz targets in `fuzz/` (crate `gohumanloop-fuzz`) and for the test
//! that replays their corpora: each forwards to the crate-private step the hub's handlers run
//! on what the network sends, so that a target exercises the same code as a request, below
//! the router and without a store. Not an API: nothing else should call these.

use axum::http::{HeaderMap, Uri};
use gohumanloop::model::wire::TaskSync;
use gohumanloop::model::LoopType;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::answering::{DecisionBody, TextBody};
use crate::api::error::ApiError;
use crate::channels::webhook::WebhookSecret;
use crate::core::Action;
use crate::record::RequestFilter;

/// A request body as the `JsonBody` extractor reads it: 400 for malformed JSON, 422 for
/// wrong or missing fields.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    crate::api::error::parse_json(bytes)
}

/// A request body as the `OptionalJsonBody` extractor reads it (blank: `T::default()`).
pub fn optional_json_body<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    crate::api::error::parse_optional_json(bytes)
}

/// A URI's query as the `QueryParams` extractor reads it (422 when it does not fit `T`).
pub fn query<T: DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    crate::api::error::parse_query(uri)
}

/// `GET /api/v1/humanloop/status`'s query, read and checked as the handler does: the
/// long-poll wait it asks for, in seconds.
pub fn status_query(uri: &Uri) -> Result<f64, ApiError> {
    let params: crate::api::compat::StatusParams = query(uri)?;
    crate::api::compat::checked_wait(params.wait)
}

/// A `wait` (seconds) checked against the long-poll bound, as `/status` and `/resume` do.
pub fn checked_wait(wait: Option<f64>) -> Result<f64, ApiError> {
    crate::api::compat::checked_wait(wait)
}

/// `GET /api/v1/requests`' query, read and checked as the handler does: the store's filter
/// and the `before` cursor.
pub fn requests_query(uri: &Uri) -> Result<(RequestFilter, Option<String>), ApiError> {
    crate::api::answering::list_filter(query(uri)?)
}

/// The decision an approve (`approve: true`) or reject body makes, as the answering API's
/// handlers build it, with the grant it asks for checked as `approve` checks it.
pub fn decision_body(body: DecisionBody, approve: bool) -> Result<crate::core::Decision, ApiError> {
    if approve {
        if let Some(scope) = body.grant_scope() {
            scope?;
        }
    }
    let action = if approve {
        Action::Approve
    } else {
        Action::Reject
    };
    Ok(body.decision(action))
}

/// The decision an answer (`reply: false`) or reply body makes, as the handlers build it.
pub fn text_body(body: TextBody, reply: bool) -> crate::core::Decision {
    if reply {
        body.reply()
    } else {
        body.decision(Action::Answer)
    }
}

/// The table's verdict on `decision` for a request of `loop_type` whose call was asked with
/// `asked`: the new status and response (as JSON), or the refusal's words.
pub fn resolve(
    loop_type: LoopType,
    asked: Option<&Value>,
    decision: &crate::core::Decision,
) -> Result<(gohumanloop::model::Status, Option<Value>), String> {
    crate::core::decision::resolve_for(loop_type, asked, decision)
        .map(|r| (r.to, r.response))
        .map_err(|why| why.to_string())
}

/// `POST /api/v1/humanloop/tasks/sync` without the store: the handler's check, then the
/// merge of `upload` into the `stored` conversations (a JSON array); the merged array.
pub fn task_sync(stored: Option<&str>, upload: &TaskSync) -> Result<String, String> {
    if upload.task_id.is_empty() {
        return Err("task_id must not be empty".into());
    }
    crate::tasks::merge(stored, upload)
        .map(|merged| merged.conversations)
        .map_err(|e| e.to_string())
}

/// `POST /channels/webhook/{name}/decisions` before the store: the Standard Webhooks headers
/// checked against the body at `now` (Unix seconds), then the body read as a decision. The
/// message id and the decision's action.
pub fn webhook_decision(
    secrets: &[WebhookSecret],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(String, Action), String> {
    let id = crate::channels::webhook::signature::verify_headers(secrets, headers, body, now)
        .map_err(|e| e.to_string())?;
    let decision: crate::channels::webhook::DecisionBody =
        serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let action = decision.action().map_err(|e| e.to_string())?;
    Ok((id, action))
}

/// Whether a Feishu callback's `X-Lark-Request-Timestamp` is fresh at `now_secs`.
pub fn feishu_fresh(timestamp: &str, now_secs: i64) -> bool {
    crate::channels::feishu::fresh(timestamp, now_secs)
}

/// Whether a WeCom callback's `timestamp` is fresh at `now_secs`.
pub fn wecom_fresh(timestamp: &str, now_secs: i64) -> bool {
    crate::channels::wecom::fresh(timestamp, now_secs)
}

/// The query a WeCom callback is signed with, read as its handlers read it (axum's `Query`):
/// `msg_signature`, `timestamp`, `nonce` and the URL check's `echostr`.
pub fn wecom_query(uri: &Uri) -> Option<(String, String, String, Option<String>)> {
    let axum::extract::Query(q) =
        axum::extract::Query::<crate::channels::wecom::Signed>::try_from_uri(uri).ok()?;
    Some((q.msg_signature, q.timestamp, q.nonce, q.echostr))
}
