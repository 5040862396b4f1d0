//! `POST /channels/feishu/{name}/callback`, the app's callback URL for `card.action.trigger`
//! (and `approval_instance` events): verify (decrypt with the Encrypt Key; the URL
//! verification's token; for everything else `X-Lark-Signature`, checked first, our five-minute window on
//! `X-Lark-Request-Timestamp`, each signature used once, the Verification Token), parse
//! ([`super::parse_callback`]), decide (the chat channels' one decide step), render (a toast
//! and the card in its new state, within Feishu's 3 seconds).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use gohumanloop::providers::email::EmailLanguage;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use super::api::FeishuApi;
use super::crypto;
use super::payload::{encrypted_field, parse_callback, FeishuCallback};
use super::render::card_json;
use crate::channels::chat::act::{Acted, ChatInbound, Interaction};
use crate::channels::chat::card::{card, prompt};
use crate::channels::http::header;
use crate::core::{Action, Actor};
use crate::record::{now_ms, RequestRecord};
use crate::server::{json_error, store_unavailable};
use crate::store::StoreError;

/// The largest callback read.
const MAX_BODY: usize = 256 * 1024;
/// How far a callback's timestamp may be from now.
const WINDOW_SECS: i64 = 300;
/// Why an unsigned callback that is not the URL verification is refused.
const UNSIGNED: &str = "an unsigned callback (only the URL verification comes unsigned)";

/// What the route needs of its channel.
pub(super) struct FeishuInbound {
    pub chat: ChatInbound,
    pub api: FeishuApi,
    pub path_name: String,
    pub encrypt_key: String,
    pub verification_token: String,
    pub language: EmailLanguage,
}

impl FeishuInbound {
    /// The card of `record` as it is now.
    pub(super) fn card(&self, record: &RequestRecord) -> Value {
        let placeholder = match record.loop_type {
            gohumanloop::model::LoopType::Approval => prompt(Action::Reject, self.language).1,
            gohumanloop::model::LoopType::Information => prompt(Action::Answer, self.language).1,
            gohumanloop::model::LoopType::Conversation => prompt(Action::Reply, self.language).1,
        };
        card_json(
            &card(record, self.language, &self.chat.directory),
            &record.id,
            placeholder,
        )
    }

    fn token_ok(&self, token: &str) -> bool {
        bool::from(token.as_bytes().ct_eq(self.verification_token.as_bytes()))
    }
}

/// Whether a callback's `X-Lark-Request-Timestamp` is within [`WINDOW_SECS`] of `now_secs`.
pub(crate) fn fresh(timestamp: &str, now_secs: i64) -> bool {
    // `abs_diff`: a timestamp near `i64::MIN` overflowed `now - t` (a panic with overflow
    // checks on).
    timestamp
        .parse::<i64>()
        .is_ok_and(|t| now_secs.abs_diff(t) <= WINDOW_SECS.unsigned_abs())
}

/// The callback URL's path of the Feishu channel `name`.
pub fn callback_path(name: &str) -> String {
    format!("/channels/feishu/{name}/callback")
}

/// The channel's route.
pub(super) fn routes(inbound: Arc<FeishuInbound>) -> Router {
    Router::new()
        .route(&callback_path(&inbound.path_name), post(callback))
        .with_state(inbound)
}

fn unauthorized(why: &str) -> Response {
    json_error(StatusCode::UNAUTHORIZED, why)
}

async fn callback(
    State(inbound): State<Arc<FeishuInbound>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > MAX_BODY {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, "callback too large");
    }
    // A signed callback is checked before anything in it is read; only the URL verification
    // comes unsigned (the token inside authenticates it), and every failure of an unsigned
    // one looks the same, so that nothing can probe the decryption.
    let signature = header(&headers, "x-lark-signature");
    if !signature.is_empty() {
        let timestamp = header(&headers, "x-lark-request-timestamp");
        let nonce = header(&headers, "x-lark-request-nonce");
        let key = &inbound.encrypt_key;
        if crypto::verify_event_signature(signature, timestamp, nonce, key, &body).is_err() {
            return unauthorized("the X-Lark-Signature does not match");
        }
        if !fresh(timestamp, now_ms() / 1000) {
            return unauthorized("the callback's timestamp is more than five minutes away");
        }
    }
    let parsed = encrypted_field(&body)
        .ok()
        .and_then(|encrypted| crypto::decrypt(&inbound.encrypt_key, &encrypted).ok())
        .and_then(|plaintext| parse_callback(plaintext.as_bytes()).ok());
    let parsed = match parsed {
        Some(parsed) => parsed,
        None if signature.is_empty() => return unauthorized(UNSIGNED),
        None => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "not an encrypted Feishu callback (set an Encrypt Key in the console)",
            )
        }
    };
    if let FeishuCallback::Challenge { challenge, token } = &parsed {
        if !inbound.token_ok(token) {
            return unauthorized("the Verification Token does not match");
        }
        return Json(json!({"challenge": challenge})).into_response();
    }
    if signature.is_empty() {
        return unauthorized(UNSIGNED);
    }
    match parsed {
        FeishuCallback::CardAction {
            token,
            request_id,
            action,
            text,
            open_id,
            user_id,
        } => {
            if !inbound.token_ok(&token) {
                return unauthorized("the Verification Token does not match");
            }
            match inbound.chat.first_use(signature, &request_id).await {
                Ok(true) => {}
                Ok(false) => {
                    return unauthorized("this signed callback was received before (a replay)")
                }
                Err(e) => return unavailable(e),
            }
            card_action(&inbound, request_id, action, text, open_id, user_id)
                .await
                .unwrap_or_else(unavailable)
        }
        FeishuCallback::Approval {
            token,
            instance_code,
            status,
        } => {
            if !inbound.token_ok(&token) {
                return unauthorized("the Verification Token does not match");
            }
            approval_changed(&inbound, signature, &instance_code, &status)
                .await
                .unwrap_or_else(unavailable)
        }
        _ => Json(json!({})).into_response(),
    }
}

/// How an approval instance's decisions are recorded: `feishu-approval:INSTANCE` (the event
/// does not say which approver acted).
pub(super) const APPROVER_PREFIX: &str = "feishu-approval:";

/// An approval instance of the OA mode changed: its decision, through the one decision path.
async fn approval_changed(
    inbound: &FeishuInbound,
    signature: &str,
    instance_code: &str,
    status: &str,
) -> Result<Response, StoreError> {
    let chat = &inbound.chat;
    let store = chat.hub.store();
    let Some(delivery) = store
        .delivery_by_reference(&chat.channel, instance_code)
        .await?
    else {
        return Ok(Json(json!({})).into_response());
    };
    let zh = inbound.language == EmailLanguage::Zh;
    let Some(decision) = super::approval::decision(status, zh) else {
        return Ok(Json(json!({})).into_response());
    };
    if !chat.first_use(signature, &delivery.request_id).await? {
        return Ok(unauthorized(
            "this signed callback was received before (a replay)",
        ));
    }
    let Some(record) = store.by_id(&delivery.request_id).await? else {
        return Ok(Json(json!({})).into_response());
    };
    let actor = Actor::new(
        chat.channel.clone(),
        format!("{APPROVER_PREFIX}{instance_code}"),
    )
    .named(if zh {
        "飞书审批"
    } else {
        "Feishu approval"
    });
    chat.hub.decide_on(&record, decision, &actor).await?;
    Ok(Json(json!({})).into_response())
}

fn unavailable(e: StoreError) -> Response {
    store_unavailable("Feishu callback", &e)
}

/// Decides a button, and answers with a toast and the card as it is now.
async fn card_action(
    inbound: &FeishuInbound,
    request_id: String,
    action: Action,
    text: String,
    open_id: String,
    user_id: Option<String>,
) -> Result<Response, StoreError> {
    // The approver may be configured by open id or by user id.
    let known = |id: &str| {
        !inbound
            .chat
            .person(id, None)
            .identity
            .starts_with("feishu:")
    };
    let user = match &user_id {
        Some(user_id) if !known(&open_id) && known(user_id) => user_id.clone(),
        _ => open_id,
    };
    let acted = inbound
        .chat
        .act(Interaction {
            request_id,
            action,
            text,
            user_id: user,
            user_name: None,
        })
        .await?;
    let (kind, record) = match &acted {
        Acted::Decided(record) => ("success", Some(record.as_ref())),
        Acted::Conflict(record) => ("info", Some(record.as_ref())),
        Acted::NotFound => ("info", None),
        Acted::Voted(record, _) => ("success", Some(record.as_ref())),
        Acted::Refused(_) | Acted::NotAllowed(_) => ("error", None),
    };
    let mut answer = json!({"toast": {"type": kind, "content": acted.notice()}});
    match (record, &acted) {
        (Some(record), _) => {
            answer["card"] = json!({"type": "raw", "data": inbound.card(record)});
        }
        (None, Acted::NotFound) => {
            let gone = json!({"schema": "2.0", "config": {"update_multi": true},
                "body": {"elements": [{"tag": "markdown", "content": acted.notice()}]}});
            answer["card"] = json!({"type": "raw", "data": gone});
        }
        _ => {}
    }
    Ok(Json(answer).into_response())
}
