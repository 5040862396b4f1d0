//! `POST /channels/webhook/{name}/decisions`: a receiver (an internal tool, a bot) posts a
//! decision, signed as the events it receives are. Nothing is read from the body before the
//! signature, the timestamp window and the message id are checked; a replayed id is refused.
//! The decision goes through [`crate::Hub::decide`] like any other.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use gohumanloop::model::Status;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::signature::{self, WebhookSecret};
use crate::core::verdict::winner_words;
use crate::core::{Action, Actor, Decision, Hub, Verdict};
use crate::record::schema_names::StatusName;
use crate::record::{now_ms, RequestRecord, TenantId};
use crate::server::{json_error, store_unavailable};
use crate::store::{LinkUse, StoreError};

/// The largest decision body read.
const MAX_BODY: usize = 64 * 1024;

/// What the route needs of its channel.
pub(super) struct Inbound {
    pub hub: Hub,
    pub name: String,
    pub secrets: Vec<WebhookSecret>,
    pub tenant: Option<TenantId>,
}

/// The path of a webhook channel's decisions.
pub fn decisions_path(name: &str) -> String {
    format!("/channels/webhook/{name}/decisions")
}

/// The channel's route.
pub(super) fn routes(inbound: Arc<Inbound>) -> Router {
    Router::new()
        .route(&decisions_path(&inbound.name), post(decide))
        .with_state(inbound)
}

/// A decision as a receiver posts it, signed as the events are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WebhookDecision, example = json!({"request_id": "r1", "decision": "reject",
    "text": "not now", "actor": "bob", "actor_name": "Bob Smith"}))]
pub(crate) struct DecisionBody {
    /// The hub's id of the request, or the client's `request_id` (with a tenant set).
    request_id: String,
    /// `approve`, `reject`, `answer`, `reply`, `complete` or `cancel`.
    #[schema(example = "approve")]
    decision: String,
    /// The reason or the answer (default empty; a rejection needs a non-empty reason: 422
    /// otherwise).
    #[serde(default)]
    text: String,
    /// Approve only: edited arguments.
    arguments: Option<Value>,
    /// Who decided, as the receiver knows them (`responded_by`; default: the channel's name).
    actor: Option<String>,
    /// How people know them (kept in the audit entry), if it differs from `actor`.
    actor_name: Option<String>,
}

impl DecisionBody {
    /// The decision's action, or why its word is not one.
    pub(crate) fn action(&self) -> Result<Action, crate::core::decision::UnknownAction> {
        self.decision.parse()
    }
}

/// 200 of a webhook decision.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDecided)]
pub(crate) struct Decided {
    /// `true`.
    success: bool,
    /// The request's status now.
    #[schema(value_type = StatusName)]
    status: Status,
    /// The request after the decision.
    request: RequestRecord,
}

fn unavailable(e: StoreError) -> Response {
    store_unavailable("webhook decision", &e)
}

async fn decide(State(inbound): State<Arc<Inbound>>, headers: HeaderMap, body: Bytes) -> Response {
    if body.len() > MAX_BODY {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a decision is at most {MAX_BODY} bytes"),
        );
    }
    let verified = signature::verify_headers(&inbound.secrets, &headers, &body, now_ms() / 1000);
    let id = match verified {
        Ok(id) => id,
        Err(e) => return json_error(StatusCode::UNAUTHORIZED, e.to_string()),
    };
    let body: DecisionBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, format!("not a decision: {e}")),
    };
    let action = match body.action() {
        Ok(action) => action,
        Err(e) => return json_error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let record = match find(&inbound, &body.request_id).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            return json_error(
                StatusCode::NOT_FOUND,
                format!("Request not found: {}", body.request_id),
            )
        }
        Err(e) => return unavailable(e),
    };
    // Each signed message decides once: a replay of it is refused before it decides.
    let seen = format!("webhook:{}:{id}", inbound.name);
    match inbound.hub.store().use_link(&seen, &record.id).await {
        Ok(LinkUse::First) => {}
        Ok(LinkUse::Again) => {
            return json_error(
                StatusCode::UNAUTHORIZED,
                format!("message {id} was received before (a replay)"),
            )
        }
        Err(e) => return unavailable(e),
    }
    let decision = Decision::new(action, &body.text).with_arguments(body.arguments);
    let who = body.actor.unwrap_or_else(|| inbound.name.clone());
    let mut actor = Actor::new(format!("webhook:{}", inbound.name), who);
    if let Some(name) = body.actor_name {
        actor = actor.named(name);
    }
    match inbound.hub.decide_on(&record, decision, &actor).await {
        Ok(Verdict::Changed { record, .. }) => (
            StatusCode::OK,
            Json(Decided {
                success: true,
                status: record.status,
                request: *record,
            }),
        )
            .into_response(),
        Ok(Verdict::Conflict(winner)) => (
            StatusCode::CONFLICT,
            Json(json!({
                "success": false,
                "error": format!("request {} is already {}", winner.id, winner_words(&winner)),
                "status": winner.status,
                "responded_by": winner.responded_by,
                "responded_at": winner.responded_at,
            })),
        )
            .into_response(),
        Ok(Verdict::Refused(why)) => json_error(StatusCode::UNPROCESSABLE_ENTITY, why.to_string()),
        Ok(Verdict::Voted { record, tally }) => (
            StatusCode::ACCEPTED,
            Json(json!({
                "success": true,
                "status": record.status,
                "vote": tally,
                "message": crate::core::verdict::tally_words(&tally),
            })),
        )
            .into_response(),
        Ok(Verdict::NotFound) => json_error(
            StatusCode::NOT_FOUND,
            format!("Request not found: {}", body.request_id),
        ),
        Err(e) => unavailable(e),
    }
}

/// The request a decision names: by the hub's id; by the client's `request_id` too when the
/// channel has a tenant (ids are only unique within one). Another tenant's is not found.
async fn find(inbound: &Inbound, id: &str) -> Result<Option<RequestRecord>, StoreError> {
    let store = inbound.hub.store();
    match inbound.tenant {
        Some(tenant) => {
            let mut found = store.get(tenant, id).await?;
            Ok((found.len() == 1).then(|| found.remove(0)))
        }
        None => store.by_id(id).await,
    }
}
