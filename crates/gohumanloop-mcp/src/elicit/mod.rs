//! The elicitation bridge: while the hub's channels show a question, the client's own user is
//! asked too (a form), and the first answer from either side wins — it goes through the hub's
//! decision path either way, so a late answer from the other side is refused there.
//!
//! - Clients up to protocol 2025-11-25 get an `elicitation/create` request during the call;
//!   when the hub's side answers first, that request is withdrawn (`notifications/cancelled`).
//! - Clients on 2026-07-28, where a server may not send requests, get an `input_required`
//!   result whose `requestState` is the request's ids under an HMAC seal; their retry carries
//!   the user's answer (or none), and the call then reports the request's outcome.

use std::collections::BTreeMap;
use std::time::Duration;

use gohumanloop::LoopType;
use rmcp::model::{
    ClientResult, ElicitRequest, ElicitResult, ElicitationAction, ErrorData, InputRequest,
    InputRequests, InputRequiredResult, ProtocolVersion, ServerRequest,
};
use rmcp::service::{PeerRequestOptions, RequestContext};
use rmcp::RoleServer;
use serde_json::Value;

pub(crate) mod form;
mod state;

pub(crate) use state::{Sealed, StateCodec};

use gohumanloop::model::wire::StatusResponse;
use gohumanloop::providers::hub::HubError;

use crate::humans::{Humans, Ids};

/// The key of the one input request this bridge makes.
const ANSWER: &str = "answer";

/// How the client's user can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Not at all: only the hub's channels.
    None,
    /// `elicitation/create` during the call (protocol ≤ 2025-11-25).
    Request,
    /// `input_required` and a retry (protocol 2026-07-28).
    InputRequired,
}

impl Mode {
    /// What this call's client supports (none when `enabled` is false, or when the call does
    /// not wait at all).
    pub(crate) fn of(context: &RequestContext<RoleServer>, enabled: bool, wait: Duration) -> Self {
        let can_form = context
            .client_capabilities()
            .and_then(|c| c.elicitation)
            .is_some_and(|e| e.form.is_some() || e.url.is_none());
        if !enabled || !can_form || wait.is_zero() {
            return Self::None;
        }
        let stateless = context
            .protocol_version()
            .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
        if stateless {
            Self::InputRequired
        } else {
            Self::Request
        }
    }
}

/// What a wait came to.
pub(crate) enum Waited {
    /// The hub's word on the request (settled, or still `pending` when the wait ended).
    Reply(Result<StatusResponse, HubError>),
    /// The client must ask its user and retry the call (protocol 2026-07-28).
    Ask(InputRequiredResult),
}

/// Waits up to `wait` for the first answer to `ids`, asking the client's user as `mode` allows.
pub(crate) async fn wait(
    humans: &Humans,
    ids: &Ids,
    message: &str,
    wait: Duration,
    mode: Mode,
    state: &StateCodec,
    context: &RequestContext<RoleServer>,
) -> Result<Waited, ErrorData> {
    let loop_type = ids.loop_type.unwrap_or(LoopType::Approval);
    match mode {
        Mode::None => Ok(Waited::Reply(humans.follow(ids, wait, &context.ct).await)),
        Mode::InputRequired => {
            // Settled already (e.g. by a rule)? Then there is nothing to ask.
            let now = humans.follow(ids, Duration::ZERO, &context.ct).await;
            if now
                .as_ref()
                .map_or(true, |r| r.status != gohumanloop::Status::Pending)
            {
                return Ok(Waited::Reply(now));
            }
            let mut requests = InputRequests::new();
            let params = form::params(loop_type, message);
            requests.insert(
                ANSWER.into(),
                InputRequest::Elicitation(ElicitRequest::new(params)),
            );
            let result = InputRequiredResult::new(Some(requests), Some(state.seal(ids, wait)?));
            Ok(Waited::Ask(result))
        }
        Mode::Request => Ok(Waited::Reply(
            race(humans, ids, message, wait, context).await,
        )),
    }
}

/// The retry of an `input_required` call: records the user's answer, if they gave one, then
/// reports (waiting up to `wait` when nobody has answered yet).
pub(crate) async fn resumed(
    humans: &Humans,
    sealed: Sealed,
    responses: &BTreeMap<String, Value>,
    context: &RequestContext<RoleServer>,
) -> Result<StatusResponse, HubError> {
    let Sealed { ids, wait_secs } = sealed;
    let wait = Duration::from_secs(wait_secs);
    let loop_type = ids.loop_type.unwrap_or(LoopType::Approval);
    let reply = responses
        .get(ANSWER)
        .and_then(|r| serde_json::from_value::<ElicitResult>(r.clone()).ok());
    if let Some(answer) = reply.as_ref().and_then(|r| accepted(loop_type, r)) {
        humans.record(&ids, &answer).await?;
        return humans.follow(&ids, Duration::ZERO, &context.ct).await;
    }
    humans.follow(&ids, wait, &context.ct).await
}

/// Asks the client's user while following the hub; the first answer wins.
async fn race(
    humans: &Humans,
    ids: &Ids,
    message: &str,
    wait: Duration,
    context: &RequestContext<RoleServer>,
) -> Result<StatusResponse, HubError> {
    let loop_type = ids.loop_type.unwrap_or(LoopType::Approval);
    let request =
        ServerRequest::ElicitRequest(ElicitRequest::new(form::params(loop_type, message)));
    let follow = humans.follow(ids, wait, &context.ct);
    tokio::pin!(follow);
    let mut handle = match context
        .peer
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
    {
        Ok(handle) => handle,
        Err(e) => {
            tracing::debug!("cannot elicit, waiting for the hub only: {e}");
            return follow.await;
        }
    };
    tokio::select! {
        reply = &mut follow => {
            // The hub's side answered (or the wait ended): withdraw the form.
            let _ = handle.cancel(Some("answered elsewhere".into())).await;
            reply
        }
        elicited = &mut handle.rx => {
            let answer = match elicited {
                Ok(Ok(ClientResult::ElicitResult(result))) => accepted(loop_type, &result),
                _ => None,
            };
            match answer {
                Some(answer) => {
                    humans.record(ids, &answer).await?;
                    humans.follow(ids, Duration::ZERO, &context.ct).await
                }
                // Declined, dismissed or unreadable: the hub's channels may still answer.
                None => follow.await,
            }
        }
    }
}

/// The answer in an accepted form; `None` for a declined or cancelled one.
fn accepted(loop_type: LoopType, result: &ElicitResult) -> Option<crate::humans::Answer> {
    if result.action != ElicitationAction::Accept {
        return None;
    }
    form::answer(loop_type, result.content.as_ref()?)
}
