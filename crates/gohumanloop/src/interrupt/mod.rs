//! Durable interrupt / resume: a step asks a human and, instead of holding its process until the
//! answer comes, stops with a [`Token`]; any process can later [`Interrupts::resume`] it and get
//! the answer (or wait for it).
//!
//! - Nothing is global: an [`Interrupts`] is a value, and any number of interrupts may be open
//!   at once.
//! - Each interrupt is resumed **once**: the first [`Interrupts::resume`] after the answer gets
//!   [`Resumed::Answered`]; every later one, in this process or another, gets
//!   [`Resumed::AlreadyResumed`], so the step's follow-up (the approved tool call) runs at most
//!   once. With the hub the claim is made by the hub itself (`POST /api/v1/humanloop/resume`),
//!   so it holds across processes and hub nodes.
//! - Asking again with the same ids is harmless: a step that is re-run before its answer came
//!   (as LangGraph re-runs an interrupted node) files no second request.
//!
//! Backends implement [`Resumable`]: [`Local`] over any [`Provider`](crate::Provider) (the
//! terminal, in-process: resumable while this process lives) and, with the `hub` feature,
//! [`Hub`] (durable: the hub keeps the request and the claim).

#[cfg(feature = "hub")]
mod hub;
mod local;
mod token;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::manager::LoopRequest;
use crate::model::{new_id, HumanLoopRequest, HumanLoopResult};
use crate::provider::ProviderError;
use crate::{Error, Result};

#[cfg(feature = "hub")]
pub use hub::Hub;
pub use local::Local;
pub use token::Token;

/// What a backend found when asked to resume.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// Where the request stands (with the human's answer once there is one).
    pub result: HumanLoopResult,
    /// Whether this call claimed the resume: `true` once, for the first call after the answer.
    pub claimed: bool,
}

/// A way of asking humans whose requests can be found again by their ids, and whose resumes
/// can be claimed once.
///
/// Contract: [`Resumable::ask`] accepts a repeat of the same ids (a re-run step) without filing
/// a second request; [`Resumable::claim`] waits up to `wait` for the request to leave
/// `pending`, and reports `claimed: true` for exactly one call once it has; an unknown request
/// is an error.
#[async_trait]
pub trait Resumable: Send + Sync + 'static {
    /// The name written into tokens; a token names the backend that can resume it.
    fn name(&self) -> &str;

    /// The platform requests are filed under, where the backend keys requests by it.
    fn platform(&self) -> Option<&str> {
        None
    }

    /// Files the request (a new one, or the next turn of its conversation when `continues`).
    async fn ask(&self, request: &HumanLoopRequest, continues: bool) -> Result<(), ProviderError>;

    /// Waits up to `wait` for an answer, then claims the resume.
    async fn claim(&self, token: &Token, wait: Duration) -> Result<Claim, ProviderError>;

    /// Where the request stands after waiting up to `wait` for it to leave `pending` (at once
    /// when it does), without claiming anything.
    async fn follow(&self, token: &Token, wait: Duration)
        -> Result<HumanLoopResult, ProviderError>;
}

/// What [`Interrupts::resume`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Resumed {
    /// The human answered (or the request ended: expired, cancelled) and this call claimed the
    /// resume: act on `result`.
    Answered {
        /// The request's outcome.
        result: HumanLoopResult,
        /// The caller's state from the token.
        state: Value,
    },
    /// No answer yet: resume again later (nothing was claimed).
    Pending(HumanLoopResult),
    /// The interrupt was resumed before, here or by another process: do nothing.
    AlreadyResumed(HumanLoopResult),
}

/// Interrupts on one backend.
#[derive(Clone)]
pub struct Interrupts {
    backend: Arc<dyn Resumable>,
}

impl Interrupts {
    /// Interrupts asked and resumed through `backend`.
    pub fn new(backend: Arc<dyn Resumable>) -> Self {
        Self { backend }
    }

    /// The backend's name (the `provider` of its tokens).
    pub fn name(&self) -> &str {
        self.backend.name()
    }

    /// Asks a human and returns the token to resume with. The request's ids are the caller's
    /// when set (a re-run step asking again with the same ids files nothing new), else fresh;
    /// the manager-only fields of `request` (`provider_id`, `callback`) are not used.
    pub async fn interrupt(&self, request: LoopRequest, state: Value) -> Result<Token> {
        self.file(request, state, false).await
    }

    /// Asks the next turn of the conversation `request.conversation_id` names.
    pub async fn interrupt_turn(&self, request: LoopRequest, state: Value) -> Result<Token> {
        if request.conversation_id.is_none() {
            return Err(Error::ConversationNotFound(String::new()));
        }
        self.file(request, state, true).await
    }

    async fn file(&self, request: LoopRequest, state: Value, continues: bool) -> Result<Token> {
        let mut asked = HumanLoopRequest::new(
            request.task_id.unwrap_or_else(new_id),
            request.conversation_id.unwrap_or_else(new_id),
            request.loop_type,
            request.context,
        );
        asked.metadata = request.metadata;
        asked.request_id = Some(request.request_id.unwrap_or_else(new_id));
        asked.timeout = request.timeout;
        asked.created_at = Some(time::OffsetDateTime::now_utc());
        self.backend.ask(&asked, continues).await?;
        let platform = asked
            .metadata
            .get("platform")
            .and_then(Value::as_str)
            .or(self.backend.platform())
            .map(str::to_owned);
        Ok(Token {
            provider: self.backend.name().to_owned(),
            request_id: asked.request_id.unwrap_or_default(),
            task_id: asked.task_id,
            conversation_id: asked.conversation_id,
            loop_type: asked.loop_type,
            platform,
            state,
        })
    }

    /// Resumes: waits up to `wait` for the answer, then claims it (see [`Resumed`]).
    pub async fn resume(&self, token: &Token, wait: Duration) -> Result<Resumed> {
        self.check(token)?;
        let claim = self.backend.claim(token, wait).await?;
        Ok(if claim.result.status == crate::Status::Pending {
            Resumed::Pending(claim.result)
        } else if claim.claimed {
            Resumed::Answered {
                result: claim.result,
                state: token.state.clone(),
            }
        } else {
            Resumed::AlreadyResumed(claim.result)
        })
    }

    /// Where the interrupted request stands, after waiting up to `wait` for an answer —
    /// without resuming it (e.g. to wait for several answers before claiming any).
    pub async fn follow(&self, token: &Token, wait: Duration) -> Result<HumanLoopResult> {
        self.check(token)?;
        Ok(self.backend.follow(token, wait).await?)
    }

    fn check(&self, token: &Token) -> Result<()> {
        if token.provider == self.backend.name() {
            Ok(())
        } else {
            Err(Error::BadToken(format!(
                "the token was made by provider '{}', not '{}'",
                token.provider,
                self.backend.name()
            )))
        }
    }
}
