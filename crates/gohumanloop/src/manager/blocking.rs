//! `SyncManager`: the manager for code that is not async.

use std::future::Future;
use std::sync::Arc;

use super::{LoopRequest, Manager, Ticket};
use crate::error::{Error, Result};
use crate::model::{HistoryEntry, HumanLoopResult};
use crate::provider::Provider;

/// A [`Manager`] driven from plain, non-async code, on a runtime of its own.
///
/// Every method blocks the calling thread. Called from inside an async runtime it returns
/// [`Error::InsideAsyncRuntime`] instead of blocking (or panicking, or deadlocking) that runtime;
/// use [`SyncManager::manager`] and `.await` there.
pub struct SyncManager {
    manager: Manager,
    runtime: tokio::runtime::Runtime,
}

impl SyncManager {
    /// A facade over `manager`, with a one-thread runtime that keeps deadlines and callbacks
    /// running between calls.
    pub fn new(manager: Manager) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gohumanloop")
            .enable_time()
            .build()
            .map_err(|e| Error::Runtime(e.to_string()))?;
        Ok(Self { manager, runtime })
    }

    /// The async manager behind this facade.
    pub fn manager(&self) -> &Manager {
        &self.manager
    }

    fn block<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::InsideAsyncRuntime);
        }
        self.runtime.block_on(work)
    }

    /// See [`Manager::register`].
    pub fn register(&self, provider: Arc<dyn Provider>) -> Result<String> {
        self.manager.register(provider)
    }

    /// See [`Manager::request`].
    pub fn request(&self, request: LoopRequest) -> Result<Ticket> {
        self.block(self.manager.request(request))
    }

    /// See [`Manager::request_and_wait`].
    pub fn request_and_wait(&self, request: LoopRequest) -> Result<HumanLoopResult> {
        self.block(self.manager.request_and_wait(request))
    }

    /// See [`Manager::continue_conversation`].
    pub fn continue_conversation(&self, request: LoopRequest) -> Result<Ticket> {
        self.block(self.manager.continue_conversation(request))
    }

    /// See [`Manager::continue_and_wait`].
    pub fn continue_and_wait(&self, request: LoopRequest) -> Result<HumanLoopResult> {
        self.block(self.manager.continue_and_wait(request))
    }

    /// See [`Manager::wait`].
    pub fn wait(&self, conversation_id: &str, request_id: &str) -> Result<HumanLoopResult> {
        self.block(self.manager.wait(conversation_id, request_id))
    }

    /// See [`Manager::check_request_status`].
    pub fn check_request_status(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<HumanLoopResult> {
        self.block(
            self.manager
                .check_request_status(conversation_id, request_id),
        )
    }

    /// See [`Manager::check_conversation_status`].
    pub fn check_conversation_status(&self, conversation_id: &str) -> Result<HumanLoopResult> {
        self.block(self.manager.check_conversation_status(conversation_id))
    }

    /// See [`Manager::cancel_request`].
    pub fn cancel_request(&self, conversation_id: &str, request_id: &str) -> Result<bool> {
        self.block(self.manager.cancel_request(conversation_id, request_id))
    }

    /// See [`Manager::cancel_conversation`].
    pub fn cancel_conversation(&self, conversation_id: &str) -> Result<bool> {
        self.block(self.manager.cancel_conversation(conversation_id))
    }

    /// See [`Manager::conversation_history`].
    pub fn conversation_history(&self, conversation_id: &str) -> Result<Vec<HistoryEntry>> {
        self.block(self.manager.conversation_history(conversation_id))
    }
}
