//! The hub as the MCP side sees it: ask a question, follow it (long-polling, so an answer
//! arrives as soon as it is given), withdraw it, or record an answer that came in by MCP
//! elicitation. Every answer, from any channel, goes through the hub's one decision path.

use std::time::Duration;

use gohumanloop::model::wire::{
    CancelRequestBody, ContinueRequestBody, CreateRequestBody, StatusQuery, StatusResponse,
};
use gohumanloop::model::JsonObject;
use gohumanloop::providers::hub::{HubClient, HubError};
use gohumanloop::{LoopType, Status};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// The platform of requests asked through MCP.
pub const PLATFORM: &str = "MCP";

/// The longest single long-poll (the hub caps waits at 300 s; a shorter poll survives proxies).
const POLL: Duration = Duration::from_secs(60);

/// A request's ids: all a later call (in any process) needs to follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ids {
    pub(crate) conversation_id: String,
    pub(crate) request_id: String,
    /// Known when this side asked; `None` for a request named by a caller.
    pub(crate) loop_type: Option<LoopType>,
}

impl Ids {
    /// A request a caller named (its loop type unknown here).
    pub(crate) fn named(conversation_id: String, request_id: String) -> Self {
        Self {
            conversation_id,
            request_id,
            loop_type: None,
        }
    }
}

/// One question for the hub.
#[derive(Debug, Clone)]
pub(crate) struct Question {
    pub(crate) loop_type: LoopType,
    /// What the human sees (`message`, `question`, `function`, …: the original's keys).
    pub(crate) context: JsonObject,
    /// Routing and pass-through data (e.g. `channels`).
    pub(crate) metadata: JsonObject,
    /// Seconds until the hub expires the request.
    pub(crate) timeout: Option<u64>,
    /// The conversation to continue, for a later turn.
    pub(crate) conversation_id: Option<String>,
}

/// What a human (by elicitation) answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Approve(Option<String>),
    Reject(String),
    Inform(String),
    Reply { text: String, complete: bool },
}

/// How recording an answer went.
#[derive(Debug)]
pub(crate) enum Recorded {
    /// It was the first answer: it decided the request.
    First,
    /// Someone (or the deadline) settled the request first; this answer was not taken.
    Late,
}

/// The hub, reached over its HTTP API with one key.
#[derive(Clone, Debug)]
pub(crate) struct Humans {
    client: HubClient,
}

impl Humans {
    pub(crate) fn new(client: HubClient) -> Self {
        Self { client }
    }

    /// Creates the request (ids minted here, UUID v4 as the original's clients do).
    pub(crate) async fn ask(&self, question: Question) -> Result<Ids, HubError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        match question.conversation_id {
            Some(conversation_id) => {
                let body = ContinueRequestBody {
                    conversation_id: conversation_id.clone(),
                    request_id: request_id.clone(),
                    task_id: TASK.into(),
                    context: question.context,
                    platform: PLATFORM.into(),
                    metadata: question.metadata,
                    timeout: question.timeout,
                };
                self.client.continue_conversation(&body).await?;
                Ok(Ids {
                    conversation_id,
                    request_id,
                    loop_type: Some(LoopType::Conversation),
                })
            }
            None => {
                let conversation_id = uuid::Uuid::new_v4().to_string();
                let body = CreateRequestBody {
                    task_id: TASK.into(),
                    conversation_id: conversation_id.clone(),
                    request_id: request_id.clone(),
                    loop_type: question.loop_type,
                    context: question.context,
                    platform: PLATFORM.into(),
                    metadata: question.metadata,
                    timeout: question.timeout,
                };
                self.client.create(&body).await?;
                Ok(Ids {
                    conversation_id,
                    request_id,
                    loop_type: Some(question.loop_type),
                })
            }
        }
    }

    /// Where the request stands, waiting up to `wait` for it to leave `pending` (and returning
    /// at once when it does, or when `stop` fires: a client that cancelled its call).
    pub(crate) async fn follow(
        &self,
        ids: &Ids,
        wait: Duration,
        stop: &CancellationToken,
    ) -> Result<StatusResponse, HubError> {
        let query = StatusQuery {
            conversation_id: ids.conversation_id.clone(),
            request_id: ids.request_id.clone(),
            platform: PLATFORM.into(),
        };
        let until = tokio::time::Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            // The hub waits whole seconds: round up so a short wait still waits.
            let poll = Duration::from_secs(left.min(POLL).as_secs_f64().ceil() as u64);
            let wait = (!poll.is_zero()).then_some(poll);
            let reply = tokio::select! {
                reply = self.client.status(&query, wait) => reply?,
                () = stop.cancelled() => return self.client.status(&query, None).await,
            };
            if reply.status != Status::Pending || poll.is_zero() || left <= poll {
                return Ok(reply);
            }
        }
    }

    /// The asker withdraws its request (`cancelled`, unless a human answered first).
    pub(crate) async fn withdraw(&self, ids: &Ids) -> Result<(), HubError> {
        let body = CancelRequestBody {
            conversation_id: ids.conversation_id.clone(),
            request_id: ids.request_id.clone(),
            platform: PLATFORM.into(),
        };
        self.client.withdraw(&body).await
    }

    /// Records an answer given by elicitation, through the hub's decision path: the first
    /// answer from any channel wins.
    pub(crate) async fn record(&self, ids: &Ids, answer: &Answer) -> Result<Recorded, HubError> {
        let id = ids.request_id.as_str();
        let decided = match answer {
            Answer::Approve(reason) => self.client.approve(id, reason.as_deref()).await,
            Answer::Reject(reason) => self.client.reject(id, reason).await,
            Answer::Inform(text) => self.client.answer(id, text).await,
            Answer::Reply { text, complete } => self.client.reply(id, text, *complete).await,
        };
        match decided {
            Ok(_) => Ok(Recorded::First),
            Err(HubError::Conflict(_)) => Ok(Recorded::Late),
            Err(e) => Err(e),
        }
    }
}

/// The task id of requests asked through MCP.
const TASK: &str = "mcp";
