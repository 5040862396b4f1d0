//! The manager's bookkeeping: task → conversations → requests, and conversation → provider.

use std::collections::HashMap;

/// Plain maps; the manager keeps them behind one lock.
#[derive(Default)]
pub(super) struct Book {
    task_conversations: HashMap<String, Vec<String>>,
    conversation_task: HashMap<String, String>,
    conversation_requests: HashMap<String, Vec<String>>,
    conversation_provider: HashMap<String, String>,
}

impl Book {
    pub(super) fn record(
        &mut self,
        task_id: &str,
        conversation_id: &str,
        request_id: &str,
        provider_id: &str,
    ) {
        let conversations = self
            .task_conversations
            .entry(task_id.to_owned())
            .or_default();
        if !conversations.iter().any(|c| c == conversation_id) {
            conversations.push(conversation_id.to_owned());
        }
        self.conversation_task
            .entry(conversation_id.to_owned())
            .or_insert_with(|| task_id.to_owned());
        self.conversation_requests
            .entry(conversation_id.to_owned())
            .or_default()
            .push(request_id.to_owned());
        self.conversation_provider
            .entry(conversation_id.to_owned())
            .or_insert_with(|| provider_id.to_owned());
    }

    pub(super) fn provider_of(&self, conversation_id: &str) -> Option<&String> {
        self.conversation_provider.get(conversation_id)
    }

    pub(super) fn task_of(&self, conversation_id: &str) -> Option<&String> {
        self.conversation_task.get(conversation_id)
    }

    pub(super) fn task_ids(&self) -> Vec<String> {
        self.task_conversations.keys().cloned().collect()
    }

    pub(super) fn task_conversations(&self, task_id: &str) -> Vec<String> {
        self.task_conversations
            .get(task_id)
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn conversation_requests(&self, conversation_id: &str) -> Vec<String> {
        self.conversation_requests
            .get(conversation_id)
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn request_task(&self, conversation_id: &str, request_id: &str) -> Option<String> {
        let requests = self.conversation_requests.get(conversation_id)?;
        requests
            .iter()
            .any(|r| r == request_id)
            .then(|| self.conversation_task.get(conversation_id).cloned())
            .flatten()
    }

    pub(super) fn remove_request(&mut self, conversation_id: &str, request_id: &str) {
        if let Some(requests) = self.conversation_requests.get_mut(conversation_id) {
            requests.retain(|r| r != request_id);
        }
    }

    /// Drops every entry of a conversation, and its task's entry when that becomes empty;
    /// `keep_pin` keeps the conversation → provider link.
    pub(super) fn remove_conversation(&mut self, conversation_id: &str, keep_pin: bool) {
        self.conversation_requests.remove(conversation_id);
        if !keep_pin {
            self.conversation_provider.remove(conversation_id);
        }
        if let Some(task_id) = self.conversation_task.remove(conversation_id) {
            if let Some(conversations) = self.task_conversations.get_mut(&task_id) {
                conversations.retain(|c| c != conversation_id);
                if conversations.is_empty() {
                    self.task_conversations.remove(&task_id);
                }
            }
        }
    }
}
