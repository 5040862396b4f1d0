//! `LocalProvider`: a full [`Provider`] made of a [`Ledger`] and a [`Delivery`].

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::watch;

use super::{Ledger, Provider, ProviderError};
use crate::model::{new_id, HistoryEntry, HumanLoopRequest, HumanLoopResult, LoopType};

/// How a provider puts a question before a human. The answer comes back later, from anywhere,
/// through [`Ledger::resolve`] on the ledger it is handed.
#[async_trait]
pub trait Delivery: Send + Sync + 'static {
    /// Puts `request` (already recorded as `pending`, with its id set) before a human.
    /// An error here turns the request into an `error` result.
    async fn deliver(&self, request: HumanLoopRequest, ledger: Ledger)
        -> Result<(), ProviderError>;

    /// Puts the next turn of a conversation before a human. Default: as [`Delivery::deliver`];
    /// a delivery that talks to a server overrides it (the protocol has a separate `continue`).
    async fn deliver_continue(
        &self,
        request: HumanLoopRequest,
        ledger: Ledger,
    ) -> Result<(), ProviderError> {
        self.deliver(request, ledger).await
    }

    /// Called after a request was cancelled locally (to tell a server, say). Default: nothing.
    async fn cancelled(&self, _request: HumanLoopRequest, _ledger: Ledger) {}

    /// Called after a whole conversation was cancelled locally, with the requests it cancelled
    /// (oldest first). Default: [`Delivery::cancelled`] for each.
    async fn conversation_cancelled(&self, requests: Vec<HumanLoopRequest>, ledger: Ledger) {
        for request in requests {
            self.cancelled(request, ledger.clone()).await;
        }
    }

    /// A line describing the delivery for `Display` (e.g. `Terminal Provider`).
    fn describe(&self) -> String;
}

/// A provider that keeps its requests in a [`Ledger`] and asks through a [`Delivery`].
pub struct LocalProvider<D> {
    name: String,
    ledger: Ledger,
    delivery: D,
}

impl<D: Delivery> LocalProvider<D> {
    /// A provider called `name` that asks through `delivery`.
    pub fn with_delivery(name: impl Into<String>, delivery: D) -> Self {
        Self {
            name: name.into(),
            ledger: Ledger::new(),
            delivery,
        }
    }

    /// The provider's book of requests (answer requests through [`Ledger::resolve`]).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The delivery.
    pub fn delivery(&self) -> &D {
        &self.delivery
    }

    /// The delivery, to configure it before the provider is shared.
    pub fn delivery_mut(&mut self) -> &mut D {
        &mut self.delivery
    }

    async fn open_and_deliver(
        &self,
        mut request: HumanLoopRequest,
        continues: bool,
    ) -> Result<HumanLoopResult, ProviderError> {
        let request_id = request.request_id.get_or_insert_with(new_id).clone();
        request
            .created_at
            .get_or_insert_with(OffsetDateTime::now_utc);
        let pending = self.ledger.open(&request)?;
        let conversation_id = request.conversation_id.clone();
        let ledger = self.ledger.clone();
        let delivered = if continues {
            self.delivery.deliver_continue(request, ledger).await
        } else {
            self.delivery.deliver(request, ledger).await
        };
        if let Err(e) = delivered {
            return self.ledger.resolve(
                &conversation_id,
                &request_id,
                super::Answer::error(e.to_string()),
            );
        }
        Ok(self
            .ledger
            .get(&conversation_id, &request_id)
            .unwrap_or(pending))
    }

    async fn after_cancel(&self, conversation_id: &str, request_ids: &[String]) {
        let requests: Vec<HumanLoopRequest> = request_ids
            .iter()
            .filter_map(|rid| self.ledger.request(conversation_id, rid))
            .collect();
        self.delivery
            .conversation_cancelled(requests, self.ledger.clone())
            .await;
    }
}

impl<D: Delivery> std::fmt::Display for LocalProvider<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}: {}", self.delivery.describe(), self.name)?;
        write!(f, "{:?}", self.ledger)
    }
}

#[async_trait]
impl<D: Delivery> Provider for LocalProvider<D> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn request(&self, request: HumanLoopRequest) -> Result<HumanLoopResult, ProviderError> {
        self.open_and_deliver(request, false).await
    }

    async fn continue_conversation(
        &self,
        mut request: HumanLoopRequest,
    ) -> Result<HumanLoopResult, ProviderError> {
        request.loop_type = LoopType::Conversation;
        if request.task_id.is_empty() {
            request.task_id = self
                .ledger
                .task_of(&request.conversation_id)
                .unwrap_or_default();
        }
        self.open_and_deliver(request, true).await
    }

    async fn check_request_status(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<HumanLoopResult, ProviderError> {
        Ok(self.ledger.status(conversation_id, request_id))
    }

    async fn check_conversation_status(
        &self,
        conversation_id: &str,
    ) -> Result<HumanLoopResult, ProviderError> {
        Ok(self.ledger.conversation_status(conversation_id))
    }

    async fn cancel_request(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<bool, ProviderError> {
        let was_live = self
            .ledger
            .get(conversation_id, request_id)
            .is_some_and(|r| !r.status.is_terminal());
        let cancelled = self.ledger.cancel(conversation_id, request_id);
        if cancelled && was_live {
            if let Some(request) = self.ledger.request(conversation_id, request_id) {
                self.delivery.cancelled(request, self.ledger.clone()).await;
            }
        }
        Ok(cancelled)
    }

    async fn cancel_conversation(&self, conversation_id: &str) -> Result<bool, ProviderError> {
        match self.ledger.cancel_conversation(conversation_id) {
            Some(ids) => {
                self.after_cancel(conversation_id, &ids).await;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn conversation_history(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<HistoryEntry>, ProviderError> {
        Ok(self.ledger.history(conversation_id))
    }

    fn subscribe(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<watch::Receiver<HumanLoopResult>, ProviderError> {
        self.ledger.subscribe(conversation_id, request_id)
    }

    async fn forget_conversation(&self, conversation_id: &str) {
        self.ledger.forget(conversation_id);
    }
}
