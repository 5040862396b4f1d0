//! `/channels/wecom/{name}/callback`, the app's callback URL: `GET` for WeCom's URL check
//! (the `echostr` verified and decrypted, its plaintext echoed exactly); `POST` for events:
//! verify (`msg_signature` over the `Encrypt` field, our five-minute window on `timestamp`,
//! each signature used once, the receive id inside the ciphertext), parse
//! ([`super::xml::parse_event`]), decide (the chat channels' one decide step), render (an
//! encrypted passive reply that turns the clicking user's buttons into the outcome).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use gohumanloop::providers::email::EmailLanguage;
use serde::Deserialize;
use serde_json::Value;

use super::api::WecomApi;
use super::crypto::WecomCrypto;
use super::render::{cut, template_card, REPLACE_NAME};
use super::xml::{
    parse_envelope, parse_event, passive_card_update, ApprovalEvent, CardEvent, Event,
};
use crate::channels::chat::act::{Acted, ChatInbound, Interaction};
use crate::channels::chat::card::{card, closing};
use crate::core::{Action, Actor};
use crate::record::{now_ms, RequestRecord};
use crate::server::{json_error, store_unavailable};
use crate::store::StoreError;

/// The largest callback read.
const MAX_BODY: usize = 64 * 1024;
/// How far a callback's timestamp may be from now.
const WINDOW_SECS: i64 = 300;

/// What the route needs of its channel.
pub(super) struct WecomInbound {
    pub chat: ChatInbound,
    pub api: WecomApi,
    pub crypto: WecomCrypto,
    pub path_name: String,
    pub corp_id: String,
    pub reasons: Vec<String>,
    pub language: EmailLanguage,
}

impl WecomInbound {
    /// The `template_card` of `record` as it is now.
    pub(super) fn template_card(&self, record: &RequestRecord, task_id: &str) -> Value {
        let reason_title = match self.language {
            EmailLanguage::En => "Reason",
            EmailLanguage::Zh => "拒绝原因",
        };
        template_card(
            &card(record, self.language, &self.chat.directory),
            &record.id,
            task_id,
            &self.reasons,
            reason_title,
        )
    }
}

/// The callback URL's path of the WeCom channel `name`.
pub fn callback_path(name: &str) -> String {
    format!("/channels/wecom/{name}/callback")
}

/// The channel's route.
pub(super) fn routes(inbound: Arc<WecomInbound>) -> Router {
    Router::new()
        .route(
            &callback_path(&inbound.path_name),
            get(url_check).post(event),
        )
        .with_state(inbound)
}

/// The query WeCom signs its callbacks with.
#[derive(Debug, Deserialize)]
pub(crate) struct Signed {
    pub(crate) msg_signature: String,
    pub(crate) timestamp: String,
    pub(crate) nonce: String,
    pub(crate) echostr: Option<String>,
}

/// Whether a callback's `timestamp` is within [`WINDOW_SECS`] of `now_secs`.
pub(crate) fn fresh(timestamp: &str, now_secs: i64) -> bool {
    // `abs_diff`: a timestamp near `i64::MIN` overflowed `now - t` (a panic with overflow
    // checks on).
    timestamp
        .parse::<i64>()
        .is_ok_and(|t| now_secs.abs_diff(t) <= WINDOW_SECS.unsigned_abs())
}

fn unauthorized(why: &str) -> Response {
    json_error(StatusCode::UNAUTHORIZED, why)
}

fn plain(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

async fn url_check(State(inbound): State<Arc<WecomInbound>>, Query(q): Query<Signed>) -> Response {
    let Some(echostr) = q.echostr else {
        return json_error(StatusCode::BAD_REQUEST, "no echostr");
    };
    match inbound
        .crypto
        .open(&q.msg_signature, &q.timestamp, &q.nonce, &echostr)
    {
        Ok(plaintext) => plain(plaintext),
        Err(e) => unauthorized(&e.to_string()),
    }
}

async fn event(
    State(inbound): State<Arc<WecomInbound>>,
    Query(q): Query<Signed>,
    body: Bytes,
) -> Response {
    if body.len() > MAX_BODY {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, "callback too large");
    }
    let Ok(body) = std::str::from_utf8(&body) else {
        return json_error(StatusCode::BAD_REQUEST, "the callback is not UTF-8");
    };
    let envelope = match parse_envelope(body) {
        Ok(envelope) => envelope,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let crypto = &inbound.crypto;
    if let Err(e) = crypto.verify(&q.msg_signature, &q.timestamp, &q.nonce, &envelope.encrypt) {
        return unauthorized(&e.to_string());
    }
    if !fresh(&q.timestamp, now_ms() / 1000) {
        return unauthorized("the callback's timestamp is more than five minutes away");
    }
    let plaintext = match crypto.decrypt(&envelope.encrypt) {
        Ok(plaintext) => plaintext,
        Err(e) => return unauthorized(&e.to_string()),
    };
    let click = match parse_event(&plaintext) {
        Ok(Event::CardClicked(click)) => click,
        Ok(Event::ApprovalChanged(change)) => {
            return approval_changed(&inbound, &q.msg_signature, &change)
                .await
                .unwrap_or_else(unavailable);
        }
        Ok(_) => return plain(String::new()),
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let Some((action, request_id)) = click
        .event_key
        .split_once(':')
        .and_then(|(a, id)| Some((a.parse::<Action>().ok()?, id.to_owned())))
    else {
        return plain(String::new());
    };
    match inbound.chat.first_use(&q.msg_signature, &request_id).await {
        Ok(true) => {}
        Ok(false) => return unauthorized("this signed callback was received before (a replay)"),
        Err(e) => return unavailable(e),
    }
    match clicked(&inbound, &click, action, request_id).await {
        Ok(label) => {
            let reply =
                passive_card_update(&click.from_user, &inbound.corp_id, now_ms() / 1000, &label);
            let random = *uuid::Uuid::new_v4().as_bytes();
            plain(crypto.seal_reply(&reply, &q.timestamp, &q.nonce, random))
        }
        Err(e) => unavailable(e),
    }
}

fn unavailable(e: StoreError) -> Response {
    store_unavailable("WeCom callback", &e)
}

/// An application of the OA mode changed: its decision, through the one decision path, as
/// the approver who acted.
async fn approval_changed(
    inbound: &WecomInbound,
    signature: &str,
    change: &ApprovalEvent,
) -> Result<Response, StoreError> {
    let chat = &inbound.chat;
    let store = chat.hub.store();
    let Some(delivery) = store
        .delivery_by_reference(&chat.channel, &change.sp_no)
        .await?
    else {
        return Ok(plain(String::new()));
    };
    let zh = inbound.language == EmailLanguage::Zh;
    let Some((decision, approver)) = super::approval::decision(change, zh) else {
        return Ok(plain(String::new()));
    };
    if !chat.first_use(signature, &delivery.request_id).await? {
        return Ok(unauthorized(
            "this signed callback was received before (a replay)",
        ));
    }
    let Some(record) = store.by_id(&delivery.request_id).await? else {
        return Ok(plain(String::new()));
    };
    let who = approver.unwrap_or_else(|| format!("approval {}", change.sp_no));
    let person = chat.person(&who, None);
    let mut actor = Actor::new(chat.channel.clone(), person.identity);
    if let Some(name) = person.display_name {
        actor = actor.named(name);
    }
    chat.hub.decide_on(&record, decision, &actor).await?;
    Ok(plain(String::new()))
}

/// Decides a click; the label the clicking user's buttons turn into.
async fn clicked(
    inbound: &WecomInbound,
    click: &CardEvent,
    action: Action,
    request_id: String,
) -> Result<String, StoreError> {
    let text = if action == Action::Reject {
        let picked = click
            .selected
            .iter()
            .find(|(question, _)| question == "reason")
            .and_then(|(_, ids)| ids.first())
            .and_then(|id| id.strip_prefix('r')?.parse::<usize>().ok())
            .unwrap_or(0);
        inbound.reasons.get(picked).cloned().unwrap_or_default()
    } else {
        String::new()
    };
    let acted = inbound
        .chat
        .act(Interaction {
            request_id,
            action,
            text,
            user_id: click.from_user.clone(),
            user_name: None,
        })
        .await?;
    let zh = inbound.language == EmailLanguage::Zh;
    let label = match &acted {
        Acted::Decided(record) | Acted::Conflict(record) => {
            closing(record, inbound.language, &inbound.chat.directory)
        }
        Acted::NotAllowed(_) if zh => "无权处理".into(),
        Acted::NotAllowed(_) => "Not allowed".into(),
        Acted::NotFound if zh => "已失效".into(),
        other => other.notice(),
    };
    Ok(cut(&label, REPLACE_NAME))
}
