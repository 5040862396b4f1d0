//! `Ledger`: a provider's local book of conversations and requests, with forward-only statuses,
//! deadlines and a watch channel per request that wakes waiters on every change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde_json::Value;
use tokio::sync::watch;

use super::ProviderError;
use crate::model::{
    now_rfc3339, HistoryEntry, HumanLoopRequest, HumanLoopResult, LoopType, Status,
};

/// The error text of a request whose deadline passed (the original's wording).
pub const TIMED_OUT: &str = "Request timed out";

/// A human's (or the system's) answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The new status.
    pub status: Status,
    /// The answer itself.
    pub response: Value,
    /// Extra remarks.
    pub feedback: Value,
    /// Who answered; `responded_at` is set to now when this is present (and no time is given).
    pub responded_by: Option<String>,
    /// When they answered, when someone else (a server) knows it; else now.
    pub responded_at: Option<String>,
    /// What went wrong (for `error` and `expired`).
    pub error: Option<String>,
}

impl Answer {
    /// An answer with the given status and no content.
    pub fn new(status: Status) -> Self {
        Self {
            status,
            response: Value::Object(Default::default()),
            feedback: Value::Object(Default::default()),
            responded_by: None,
            responded_at: None,
            error: None,
        }
    }

    /// `approved`.
    pub fn approved() -> Self {
        Self::new(Status::Approved)
    }

    /// `rejected`, with the reason as the response.
    pub fn rejected(reason: impl Into<Value>) -> Self {
        Self::new(Status::Rejected).response(reason)
    }

    /// `completed` (information given, or a conversation ended), with the response.
    pub fn completed(response: impl Into<Value>) -> Self {
        Self::new(Status::Completed).response(response)
    }

    /// `inprogress`: a conversation turn answered, the dialogue goes on.
    pub fn in_progress(response: impl Into<Value>) -> Self {
        Self::new(Status::InProgress).response(response)
    }

    /// `error` with a message.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            error: Some(message.into()),
            ..Self::new(Status::Error)
        }
    }

    /// Sets the response.
    pub fn response(mut self, response: impl Into<Value>) -> Self {
        self.response = response.into();
        self
    }

    /// Sets the feedback.
    pub fn feedback(mut self, feedback: impl Into<Value>) -> Self {
        self.feedback = feedback.into();
        self
    }

    /// Sets who answered.
    pub fn by(mut self, who: impl Into<String>) -> Self {
        self.responded_by = Some(who.into());
        self
    }

    /// Sets when the answer was given (ISO text, as a server reported it).
    pub fn at(mut self, when: impl Into<String>) -> Self {
        self.responded_at = Some(when.into());
        self
    }
}

struct Entry {
    request: HumanLoopRequest,
    request_id: String,
    tx: watch::Sender<HumanLoopResult>,
}

impl Entry {
    fn result(&self) -> HumanLoopResult {
        self.tx.borrow().clone()
    }

    fn status(&self) -> Status {
        self.tx.borrow().status
    }
}

struct Conversation {
    task_id: String,
    entries: Vec<Entry>,
}

impl Conversation {
    fn entry(&self, request_id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.request_id == request_id)
    }
}

type State = HashMap<String, Conversation>;

/// A provider's local book of requests. Cheap to clone (shared state).
#[derive(Clone, Default)]
pub struct Ledger {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (conversations, total, active) = self.counts();
        write!(
            f,
            "conversations={conversations}, total_requests={total}, active_requests={active})"
        )
    }
}

fn not_found(conversation_id: &str, request_id: &str) -> ProviderError {
    ProviderError::RequestNotFound {
        conversation_id: conversation_id.to_owned(),
        request_id: request_id.to_owned(),
    }
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    // A poisoned lock only means another thread panicked mid-update of plain maps; the data is
    // still consistent enough to read, so recover it rather than propagate the panic.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a new `pending` request (its `request_id` must be set) and arms its deadline.
    pub fn open(&self, request: &HumanLoopRequest) -> Result<HumanLoopResult, ProviderError> {
        let request_id = request
            .request_id
            .clone()
            .ok_or_else(|| ProviderError::Failed("request_id is not set".into()))?;
        let deadline = request.effective_timeout();
        let runtime = match deadline {
            Some(_) => Some(tokio::runtime::Handle::try_current().map_err(|_| {
                ProviderError::Failed("a request with a timeout needs a Tokio runtime".into())
            })?),
            None => None,
        };
        let result = HumanLoopResult::pending(
            request.conversation_id.clone(),
            request_id.clone(),
            request.loop_type,
        );
        {
            let mut state = self.lock();
            let conversation = state
                .entry(request.conversation_id.clone())
                .or_insert_with(|| Conversation {
                    task_id: request.task_id.clone(),
                    entries: Vec::new(),
                });
            if conversation.entry(&request_id).is_some() {
                return Err(ProviderError::DuplicateRequest {
                    conversation_id: request.conversation_id.clone(),
                    request_id,
                });
            }
            conversation.entries.push(Entry {
                request: request.clone(),
                request_id: request_id.clone(),
                tx: watch::Sender::new(result.clone()),
            });
        }
        if let (Some(after), Some(runtime)) = (deadline, runtime) {
            let weak = Arc::downgrade(&self.state);
            let conversation_id = request.conversation_id.clone();
            runtime.spawn(async move {
                tokio::time::sleep(after).await;
                expire(weak, &conversation_id, &request_id);
            });
        }
        Ok(result)
    }

    /// The task a conversation belongs to.
    pub fn task_of(&self, conversation_id: &str) -> Option<String> {
        self.lock().get(conversation_id).map(|c| c.task_id.clone())
    }

    /// The request as it was asked.
    pub fn request(&self, conversation_id: &str, request_id: &str) -> Option<HumanLoopRequest> {
        let state = self.lock();
        let entry = state.get(conversation_id)?.entry(request_id)?;
        Some(entry.request.clone())
    }

    /// The current state of one request.
    pub fn get(&self, conversation_id: &str, request_id: &str) -> Option<HumanLoopResult> {
        let state = self.lock();
        Some(state.get(conversation_id)?.entry(request_id)?.result())
    }

    /// The current state of one request, or the original's `error` result for an unknown one.
    pub fn status(&self, conversation_id: &str, request_id: &str) -> HumanLoopResult {
        self.get(conversation_id, request_id).unwrap_or_else(|| {
            HumanLoopResult::error(
                conversation_id,
                request_id,
                LoopType::Conversation,
                not_found(conversation_id, request_id).to_string(),
            )
        })
    }

    /// The state of a conversation's latest request, or an `error` result with an empty id.
    pub fn conversation_status(&self, conversation_id: &str) -> HumanLoopResult {
        let state = self.lock();
        match state.get(conversation_id).and_then(|c| c.entries.last()) {
            Some(entry) => entry.result(),
            None => HumanLoopResult::error(
                conversation_id,
                "",
                LoopType::Conversation,
                ProviderError::ConversationNotFound(conversation_id.to_owned()).to_string(),
            ),
        }
    }

    /// Applies an answer if the request's status may move to it; wakes every subscriber.
    pub fn resolve(
        &self,
        conversation_id: &str,
        request_id: &str,
        answer: Answer,
    ) -> Result<HumanLoopResult, ProviderError> {
        let state = self.lock();
        let entry = state
            .get(conversation_id)
            .and_then(|c| c.entry(request_id))
            .ok_or_else(|| not_found(conversation_id, request_id))?;
        let from = entry.status();
        if !entry.request.loop_type.allows(from, answer.status) {
            return Err(ProviderError::InvalidTransition {
                request_id: request_id.to_owned(),
                from,
                to: answer.status,
            });
        }
        entry.tx.send_modify(|r| {
            r.status = answer.status;
            r.response = answer.response;
            r.feedback = answer.feedback;
            r.responded_at = answer
                .responded_at
                .or_else(|| answer.responded_by.as_ref().map(|_| now_rfc3339()));
            r.responded_by = answer.responded_by;
            r.error = answer.error;
        });
        Ok(entry.result())
    }

    /// Cancels one request; `true` when it is (now) cancelled, `false` when unknown or finished.
    pub fn cancel(&self, conversation_id: &str, request_id: &str) -> bool {
        match self.resolve(conversation_id, request_id, Answer::new(Status::Cancelled)) {
            Ok(_) => true,
            Err(_) => self
                .get(conversation_id, request_id)
                .is_some_and(|r| r.status == Status::Cancelled),
        }
    }

    /// Cancels every live request of a conversation; the ids it cancelled, `None` if unknown.
    pub fn cancel_conversation(&self, conversation_id: &str) -> Option<Vec<String>> {
        let ids: Vec<String> = {
            let state = self.lock();
            let conversation = state.get(conversation_id)?;
            conversation
                .entries
                .iter()
                .filter(|e| !e.status().is_terminal())
                .map(|e| e.request_id.clone())
                .collect()
        };
        Some(
            ids.into_iter()
                .filter(|rid| self.cancel(conversation_id, rid))
                .collect(),
        )
    }

    /// Every turn of a conversation, oldest first (empty when unknown).
    pub fn history(&self, conversation_id: &str) -> Vec<HistoryEntry> {
        let state = self.lock();
        let Some(conversation) = state.get(conversation_id) else {
            return Vec::new();
        };
        conversation
            .entries
            .iter()
            .map(|e| {
                let r = e.result();
                HistoryEntry {
                    request_id: e.request_id.clone(),
                    status: r.status,
                    context: e.request.context.clone(),
                    response: r.response,
                    responded_by: r.responded_by,
                    responded_at: r.responded_at,
                }
            })
            .collect()
    }

    /// A receiver of every state change of one request.
    pub fn subscribe(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<watch::Receiver<HumanLoopResult>, ProviderError> {
        let state = self.lock();
        let entry = state
            .get(conversation_id)
            .and_then(|c| c.entry(request_id))
            .ok_or_else(|| not_found(conversation_id, request_id))?;
        Ok(entry.tx.subscribe())
    }

    /// Every request still waiting for its first answer, oldest conversation turn first.
    pub fn pending(&self) -> Vec<HumanLoopRequest> {
        let state = self.lock();
        let mut out: Vec<HumanLoopRequest> = state
            .values()
            .flat_map(|c| c.entries.iter())
            .filter(|e| e.status() == Status::Pending)
            .map(|e| e.request.clone())
            .collect();
        out.sort_by_key(|r| r.created_at);
        out
    }

    /// Drops a conversation and its requests (subscribers keep their last value).
    pub fn forget(&self, conversation_id: &str) {
        self.lock().remove(conversation_id);
    }

    /// (conversations, total requests, active requests), as the original's `__str__` reports.
    pub fn counts(&self) -> (usize, usize, usize) {
        let state = self.lock();
        let total = state.values().map(|c| c.entries.len()).sum();
        let active = state
            .values()
            .flat_map(|c| c.entries.iter())
            .filter(|e| !e.status().is_terminal())
            .count();
        (state.len(), total, active)
    }
}

fn expire(state: Weak<Mutex<State>>, conversation_id: &str, request_id: &str) {
    if let Some(state) = state.upgrade() {
        let ledger = Ledger { state };
        if ledger.get(conversation_id, request_id).map(|r| r.status) == Some(Status::Pending) {
            // Losing the race to a human's answer is fine: the first answer wins.
            let _ = ledger.resolve(
                conversation_id,
                request_id,
                Answer {
                    error: Some(TIMED_OUT.to_owned()),
                    ..Answer::new(Status::Expired)
                },
            );
        }
    }
}
