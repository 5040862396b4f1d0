//! `LoopRequest`: what a caller hands the manager; `Ticket`: what identifies the request after.

use std::sync::Arc;

use serde_json::Value;

use super::HumanLoopCallback;
use crate::model::{JsonObject, LoopType};

/// One request (or conversation turn) as a caller hands it to the [`Manager`](super::Manager).
///
/// Task and conversation ids are fresh UUIDs unless set; a continue takes the conversation's
/// own task. The provider is the conversation's own, else the one named, else the default.
#[derive(Clone)]
pub struct LoopRequest {
    /// What kind of interaction.
    pub loop_type: LoopType,
    /// What the human sees.
    pub context: JsonObject,
    /// Routing data for the provider.
    pub metadata: JsonObject,
    /// The task; a fresh id when `None` (or the conversation's task, for a continue).
    pub task_id: Option<String>,
    /// The conversation; a fresh id when `None`.
    pub conversation_id: Option<String>,
    /// The request id; minted by the provider when `None`.
    pub request_id: Option<String>,
    /// Seconds until the request expires; `None` or `0` means never.
    pub timeout: Option<u64>,
    /// The provider to ask; the default when `None`.
    pub provider_id: Option<String>,
    /// Hooks around this request.
    pub callback: Option<Arc<dyn HumanLoopCallback>>,
}

impl LoopRequest {
    /// A request of `loop_type` showing `context`.
    pub fn new(loop_type: LoopType, context: JsonObject) -> Self {
        Self {
            loop_type,
            context,
            metadata: JsonObject::new(),
            task_id: None,
            conversation_id: None,
            request_id: None,
            timeout: None,
            provider_id: None,
            callback: None,
        }
    }

    /// An approval request.
    pub fn approval(context: JsonObject) -> Self {
        Self::new(LoopType::Approval, context)
    }

    /// An information request.
    pub fn information(context: JsonObject) -> Self {
        Self::new(LoopType::Information, context)
    }

    /// A conversation turn.
    pub fn conversation(context: JsonObject) -> Self {
        Self::new(LoopType::Conversation, context)
    }

    /// A context holding only `{"message": message}`.
    pub fn message_context(message: impl Into<String>) -> JsonObject {
        let mut context = JsonObject::new();
        context.insert("message".into(), Value::String(message.into()));
        context
    }

    /// Sets the task id.
    pub fn task_id(mut self, id: impl Into<String>) -> Self {
        self.task_id = Some(id.into());
        self
    }

    /// Sets the conversation id.
    pub fn conversation_id(mut self, id: impl Into<String>) -> Self {
        self.conversation_id = Some(id.into());
        self
    }

    /// Sets the request id (normally minted by the provider).
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the metadata.
    pub fn metadata(mut self, metadata: JsonObject) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets the timeout in seconds.
    pub fn timeout(mut self, seconds: u64) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// Asks this provider instead of the default.
    pub fn provider(mut self, id: impl Into<String>) -> Self {
        self.provider_id = Some(id.into());
        self
    }

    /// Sets the hooks.
    pub fn callback(mut self, callback: Arc<dyn HumanLoopCallback>) -> Self {
        self.callback = Some(callback);
        self
    }
}

/// Identifies a request the manager accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// The task.
    pub task_id: String,
    /// The conversation.
    pub conversation_id: String,
    /// The request (the real id, as the provider recorded it).
    pub request_id: String,
    /// The provider it was asked through.
    pub provider_id: String,
}
