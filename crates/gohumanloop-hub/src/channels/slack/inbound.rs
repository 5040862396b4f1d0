//! `POST /channels/slack/{name}/interactions`, Slack's interactivity request URL: verify
//! (the v0 signature over the raw body, five minutes, each signature used once), parse
//! ([`super::parse_interaction`]), decide (the chat channels' one decide step), render
//! (nothing for Slack to show when it was recorded — every message of the request is updated
//! by the dispatcher; a modal for a reason; an ephemeral notice or the modal's error when not).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use gohumanloop::providers::email::EmailLanguage;
use serde_json::json;

use super::api::SlackApi;
use super::blocks::{message, modal};
use super::payload::{parse_interaction, SlackInteraction, SlackUser};
use super::signature;
use crate::channels::chat::act::{Acted, ChatInbound, Interaction};
use crate::channels::chat::card::{card, prompt};
use crate::channels::http::header;
use crate::record::now_ms;
use crate::server::{json_error, store_unavailable};
use crate::store::StoreError;

/// The largest interaction read.
const MAX_BODY: usize = 256 * 1024;

/// What the route needs of its channel.
pub(super) struct SlackInbound {
    pub chat: ChatInbound,
    pub api: SlackApi,
    pub path_name: String,
    pub signing_secret: String,
    pub language: EmailLanguage,
}

/// The interactivity request URL's path of the Slack channel `name`.
pub fn interactions_path(name: &str) -> String {
    format!("/channels/slack/{name}/interactions")
}

/// The channel's route.
pub(super) fn routes(inbound: Arc<SlackInbound>) -> Router {
    Router::new()
        .route(&interactions_path(&inbound.path_name), post(interactions))
        .with_state(inbound)
}

fn unavailable(e: StoreError) -> Response {
    store_unavailable("Slack interaction", &e)
}

async fn interactions(
    State(inbound): State<Arc<SlackInbound>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > MAX_BODY {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, "interaction too large");
    }
    let sent_signature = header(&headers, "x-slack-signature");
    let verified = signature::verify(
        &inbound.signing_secret,
        header(&headers, "x-slack-request-timestamp"),
        sent_signature,
        &body,
        now_ms() / 1000,
    );
    if let Err(e) = verified {
        return json_error(StatusCode::UNAUTHORIZED, e.to_string());
    }
    let interaction = match parse_interaction(&body) {
        Ok(interaction) => interaction,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let request_id = match &interaction {
        SlackInteraction::Click { request_id, .. }
        | SlackInteraction::Submission { request_id, .. } => request_id.clone(),
        SlackInteraction::Other => return StatusCode::OK.into_response(),
    };
    match inbound.chat.first_use(sent_signature, &request_id).await {
        Ok(true) => {}
        Ok(false) => {
            return json_error(
                StatusCode::UNAUTHORIZED,
                "this signed interaction was received before (a replay)",
            )
        }
        Err(e) => return unavailable(e),
    }
    let answered = match interaction {
        SlackInteraction::Click {
            action,
            request_id,
            user,
            trigger_id,
            message,
        } => click(&inbound, action, request_id, user, trigger_id, message).await,
        SlackInteraction::Submission {
            action,
            request_id,
            text,
            user,
        } => submission(&inbound, action, request_id, text, user).await,
        SlackInteraction::Other => Ok(StatusCode::OK.into_response()),
    };
    answered.unwrap_or_else(unavailable)
}

fn interaction(
    action: crate::core::Action,
    request_id: String,
    text: String,
    user: SlackUser,
) -> Interaction {
    Interaction {
        request_id,
        action,
        text,
        user_id: user.id,
        user_name: user.name.or(user.username),
    }
}

/// A button: approve at once; open the modal for a text (before anything slow: the trigger
/// lives 3 seconds); tell the clicker why not.
async fn click(
    inbound: &SlackInbound,
    action: crate::core::Action,
    request_id: String,
    user: SlackUser,
    trigger_id: Option<String>,
    message_at: Option<(String, String)>,
) -> Result<Response, StoreError> {
    let chat = &inbound.chat;
    let Some(record) = chat.request(&request_id).await? else {
        // A polite final card: the request is gone, or was never this channel's.
        if let Some((channel, ts)) = &message_at {
            let body = json!({"channel": channel, "ts": ts,
                "text": Acted::NotFound.notice(), "blocks": []});
            if let Err(e) = inbound.api.call("chat.update", &body).await {
                tracing::warn!("could not close a Slack message: {e}");
            }
        }
        return Ok(StatusCode::OK.into_response());
    };
    let person = chat.person(&user.id, user.name.as_deref().or(user.username.as_deref()));
    if let Some(refused) = chat.precheck(&record, &person) {
        if let Some((channel, ts)) = &message_at {
            inbound
                .api
                .ephemeral(channel, &user.id, &refused.notice())
                .await;
            if let Acted::Conflict(winner) = &refused {
                let mut body =
                    message(&card(winner, inbound.language, &chat.directory), &winner.id);
                body["channel"] = json!(channel);
                body["ts"] = json!(ts);
                if let Err(e) = inbound.api.call("chat.update", &body).await {
                    tracing::warn!("could not close a Slack message: {e}");
                }
            }
        }
        return Ok(StatusCode::OK.into_response());
    }
    if action != crate::core::Action::Approve {
        let Some(trigger_id) = trigger_id else {
            return Ok(json_error(
                StatusCode::BAD_REQUEST,
                "no trigger_id to ask for a text",
            ));
        };
        let view = modal(action, &request_id, prompt(action, inbound.language));
        let body = json!({"trigger_id": trigger_id, "view": view});
        if let Err(e) = inbound.api.call("views.open", &body).await {
            tracing::warn!("could not open a Slack modal: {e}");
        }
        return Ok(StatusCode::OK.into_response());
    }
    let acted = chat
        .act(interaction(action, request_id, String::new(), user.clone()))
        .await?;
    if !matches!(acted, Acted::Decided(_)) {
        if let Some((channel, _)) = &message_at {
            inbound
                .api
                .ephemeral(channel, &user.id, &acted.notice())
                .await;
        }
    }
    Ok(StatusCode::OK.into_response())
}

/// A modal's text: recorded (the modal closes), or the reason shown under the input.
async fn submission(
    inbound: &SlackInbound,
    action: crate::core::Action,
    request_id: String,
    text: String,
    user: SlackUser,
) -> Result<Response, StoreError> {
    let acted = inbound
        .chat
        .act(interaction(action, request_id, text, user))
        .await?;
    Ok(match acted {
        Acted::Decided(_) => StatusCode::OK.into_response(),
        refused => Json(json!({"response_action": "errors",
            "errors": {"text": refused.notice()}}))
        .into_response(),
    })
}
