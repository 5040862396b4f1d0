//! `InProcessProvider`: a provider that the program itself answers — for tests, benchmarks and
//! applications that show requests in their own UI.

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::{mpsc, Mutex};

use crate::model::{HumanLoopRequest, HumanLoopResult, Status};
use crate::provider::{Answer, Delivery, Ledger, LocalProvider, ProviderError};

/// `responded_by` of the convenience answers ([`InProcessProvider::approve`] and friends).
pub const IN_PROCESS_USER: &str = "in_process_user";

type Responder = Box<dyn Fn(&HumanLoopRequest) -> Answer + Send + Sync>;

/// The delivery of an [`InProcessProvider`]: a queue of asked requests, or an answering function.
pub struct InProcess {
    queue_tx: mpsc::UnboundedSender<HumanLoopRequest>,
    queue_rx: Mutex<mpsc::UnboundedReceiver<HumanLoopRequest>>,
    responder: Option<Responder>,
}

/// A provider answered by the program: take requests with
/// [`next_request`](InProcessProvider::next_request), answer with
/// [`answer`](InProcessProvider::answer), or answer everything at once with a function.
pub type InProcessProvider = LocalProvider<InProcess>;

impl InProcess {
    fn new(responder: Option<Responder>) -> Self {
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        Self {
            queue_tx,
            queue_rx: Mutex::new(queue_rx),
            responder,
        }
    }
}

#[async_trait]
impl Delivery for InProcess {
    async fn deliver(
        &self,
        request: HumanLoopRequest,
        ledger: Ledger,
    ) -> Result<(), ProviderError> {
        match &self.responder {
            Some(respond) => {
                let answer = respond(&request);
                let rid = request.request_id.as_deref().unwrap_or_default();
                ledger.resolve(&request.conversation_id, rid, answer)?;
            }
            // The receiver lives as long as `self`, so the send cannot fail here.
            None => {
                let _ = self.queue_tx.send(request);
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "In-process Provider".into()
    }
}

impl LocalProvider<InProcess> {
    /// A provider whose requests wait in a queue until the program answers them.
    pub fn new(name: impl Into<String>) -> Self {
        Self::with_delivery(name, InProcess::new(None))
    }

    /// A provider that answers every request at once with `respond`.
    pub fn answering(
        name: impl Into<String>,
        respond: impl Fn(&HumanLoopRequest) -> Answer + Send + Sync + 'static,
    ) -> Self {
        Self::with_delivery(name, InProcess::new(Some(Box::new(respond))))
    }

    /// The next asked request that is still pending, waiting for one if none is queued.
    ///
    /// `None` never happens in practice: the queue's sender lives as long as the provider.
    pub async fn next_request(&self) -> Option<HumanLoopRequest> {
        let mut rx = self.delivery().queue_rx.lock().await;
        while let Some(request) = rx.recv().await {
            let rid = request.request_id.as_deref().unwrap_or_default();
            if self
                .ledger()
                .get(&request.conversation_id, rid)
                .is_some_and(|r| r.status == Status::Pending)
            {
                return Some(request);
            }
        }
        None
    }

    /// Every request still waiting for an answer.
    pub fn pending(&self) -> Vec<HumanLoopRequest> {
        self.ledger().pending()
    }

    /// Answers one request (the first answer wins; a second one is an `InvalidTransition`).
    pub fn answer(
        &self,
        request: &HumanLoopRequest,
        answer: Answer,
    ) -> Result<HumanLoopResult, ProviderError> {
        let rid = request.request_id.as_deref().unwrap_or_default();
        self.ledger().resolve(&request.conversation_id, rid, answer)
    }

    /// Approves.
    pub fn approve(&self, request: &HumanLoopRequest) -> Result<HumanLoopResult, ProviderError> {
        self.answer(request, Answer::approved().by(IN_PROCESS_USER))
    }

    /// Rejects with a reason.
    pub fn reject(
        &self,
        request: &HumanLoopRequest,
        reason: impl Into<Value>,
    ) -> Result<HumanLoopResult, ProviderError> {
        self.answer(request, Answer::rejected(reason).by(IN_PROCESS_USER))
    }

    /// Completes (information given, or a conversation ended) with a response.
    pub fn complete(
        &self,
        request: &HumanLoopRequest,
        response: impl Into<Value>,
    ) -> Result<HumanLoopResult, ProviderError> {
        self.answer(request, Answer::completed(response).by(IN_PROCESS_USER))
    }

    /// Replies to a conversation turn and keeps the dialogue going (`inprogress`).
    pub fn reply(
        &self,
        request: &HumanLoopRequest,
        response: impl Into<Value>,
    ) -> Result<HumanLoopResult, ProviderError> {
        self.answer(request, Answer::in_progress(response).by(IN_PROCESS_USER))
    }
}
