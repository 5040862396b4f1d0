//! The manager: a registry of providers, the task → conversation → request bookkeeping, callbacks
//! and waits that are woken by the provider (no polling).

mod blocking;
mod book;
mod callback;
mod loop_request;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::model::{new_id, HistoryEntry, HumanLoopRequest, HumanLoopResult, LoopType, Status};
use crate::provider::Provider;

pub use blocking::SyncManager;
pub use callback::HumanLoopCallback;
pub use loop_request::{LoopRequest, Ticket};

use book::Book;

type Key = (String, String);

/// A request with hooks: its callback, and the states already handed to those hooks.
struct Tracked {
    callback: Arc<dyn HumanLoopCallback>,
    delivered: watch::Receiver<HumanLoopResult>,
}

#[derive(Default)]
struct Registry {
    providers: Vec<(String, Arc<dyn Provider>)>,
    default: Option<String>,
}

#[derive(Default)]
struct Inner {
    registry: RwLock<Registry>,
    book: Mutex<Book>,
    tracked: Mutex<HashMap<Key, Tracked>>,
}

/// Asks humans through registered providers and waits for their answers.
///
/// Cheap to clone; clones share everything. The first registered provider is the default. A
/// conversation stays with the provider that started it.
#[derive(Clone, Default)]
pub struct Manager {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps stay consistent between statements, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Manager {
    /// A manager with no providers.
    pub fn new() -> Self {
        Self::default()
    }

    /// A manager with one provider, registered under its name (and so the default).
    pub fn with_provider(provider: Arc<dyn Provider>) -> Result<Self> {
        let manager = Self::new();
        manager.register(provider)?;
        Ok(manager)
    }

    /// Registers a provider under its own name; returns that id.
    pub fn register(&self, provider: Arc<dyn Provider>) -> Result<String> {
        let id = provider.name().to_owned();
        self.register_as(provider, id)
    }

    /// Registers a provider under `id`; the first one registered becomes the default.
    pub fn register_as(
        &self,
        provider: Arc<dyn Provider>,
        id: impl Into<String>,
    ) -> Result<String> {
        let id = id.into();
        let mut registry = self.registry_mut();
        if registry.providers.iter().any(|(i, _)| *i == id) {
            return Err(Error::DuplicateProvider(id));
        }
        registry.providers.push((id.clone(), provider));
        registry.default.get_or_insert_with(|| id.clone());
        Ok(id)
    }

    fn registry(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.inner
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn registry_mut(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.inner
            .registry
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The provider registered under `id`.
    pub fn provider(&self, id: &str) -> Option<Arc<dyn Provider>> {
        let registry = self.registry();
        registry
            .providers
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, p)| p.clone())
    }

    /// The registered ids, in registration order.
    pub fn provider_ids(&self) -> Vec<String> {
        self.registry()
            .providers
            .iter()
            .map(|(i, _)| i.clone())
            .collect()
    }

    /// The default provider's id.
    pub fn default_provider_id(&self) -> Option<String> {
        self.registry().default.clone()
    }

    /// Makes `id` the default provider.
    pub fn set_default_provider(&self, id: &str) -> Result<()> {
        let mut registry = self.registry_mut();
        if !registry.providers.iter().any(|(i, _)| i == id) {
            return Err(Error::ProviderNotFound(id.to_owned()));
        }
        registry.default = Some(id.to_owned());
        Ok(())
    }

    /// Picks the provider for a conversation: its pinned one, else `wanted`, else the default.
    fn pick(
        &self,
        conversation_id: &str,
        wanted: Option<&str>,
    ) -> Result<(String, Arc<dyn Provider>)> {
        let pinned = lock(&self.inner.book).provider_of(conversation_id).cloned();
        let id = match (pinned, wanted) {
            (Some(pinned), Some(wanted)) if pinned != wanted => {
                return Err(Error::ConversationPinned {
                    conversation_id: conversation_id.to_owned(),
                    pinned,
                    requested: wanted.to_owned(),
                })
            }
            (Some(pinned), _) => pinned,
            (None, Some(wanted)) => wanted.to_owned(),
            (None, None) => self
                .default_provider_id()
                .ok_or_else(|| Error::ProviderNotFound("default".into()))?,
        };
        let provider = self
            .provider(&id)
            .ok_or_else(|| Error::ProviderNotFound(id.clone()))?;
        Ok((id, provider))
    }

    fn provider_for(&self, conversation_id: &str) -> Result<Arc<dyn Provider>> {
        let id = lock(&self.inner.book)
            .provider_of(conversation_id)
            .cloned()
            .ok_or_else(|| Error::ConversationNotFound(conversation_id.to_owned()))?;
        self.provider(&id).ok_or(Error::ProviderNotFound(id))
    }

    /// Asks a human and returns at once with the request's [`Ticket`].
    pub async fn request(&self, request: LoopRequest) -> Result<Ticket> {
        self.submit(request, false).await
    }

    /// Asks a human and waits until the request leaves `pending`.
    pub async fn request_and_wait(&self, request: LoopRequest) -> Result<HumanLoopResult> {
        let ticket = self.submit(request, false).await?;
        self.wait(&ticket.conversation_id, &ticket.request_id).await
    }

    /// Adds a turn to an existing conversation and returns at once.
    pub async fn continue_conversation(&self, request: LoopRequest) -> Result<Ticket> {
        self.submit(request, true).await
    }

    /// Adds a turn to an existing conversation and waits until it leaves `pending`.
    pub async fn continue_and_wait(&self, request: LoopRequest) -> Result<HumanLoopResult> {
        let ticket = self.submit(request, true).await?;
        self.wait(&ticket.conversation_id, &ticket.request_id).await
    }

    async fn submit(&self, request: LoopRequest, is_continue: bool) -> Result<Ticket> {
        let conversation_id = request.conversation_id.clone().unwrap_or_else(new_id);
        let (provider_id, provider) =
            self.pick(&conversation_id, request.provider_id.as_deref())?;
        let known_task = lock(&self.inner.book).task_of(&conversation_id).cloned();
        let task_id = match (is_continue, known_task, request.task_id) {
            (true, Some(known), _) => known,
            (_, _, Some(given)) => given,
            (_, Some(known), None) => known,
            (_, None, None) if is_continue => String::new(),
            (_, None, None) => new_id(),
        };
        let loop_type = if is_continue {
            LoopType::Conversation
        } else {
            request.loop_type
        };
        let asked = HumanLoopRequest {
            task_id: task_id.clone(),
            conversation_id: conversation_id.clone(),
            loop_type,
            context: request.context,
            metadata: request.metadata,
            request_id: request.request_id,
            timeout: request.timeout,
            created_at: Some(OffsetDateTime::now_utc()),
        };
        let outcome = if is_continue {
            provider.continue_conversation(asked.clone()).await
        } else {
            provider.request(asked.clone()).await
        };
        let accepted = match outcome {
            Ok(result) => result,
            Err(e) => {
                if let Some(cb) = &request.callback {
                    cb.on_error(provider.as_ref(), &e).await;
                }
                return Err(e.into());
            }
        };
        if accepted.request_id.is_empty() {
            return Err(if is_continue {
                Error::ContinueFailed(conversation_id)
            } else {
                Error::RequestFailed(conversation_id)
            });
        }
        let request_id = accepted.request_id.clone();
        lock(&self.inner.book).record(&task_id, &conversation_id, &request_id, &provider_id);
        if let Some(callback) = request.callback {
            let seen = HumanLoopRequest {
                request_id: Some(request_id.clone()),
                ..asked
            };
            callback.on_request(provider.as_ref(), &seen).await;
            self.track(provider, callback, &conversation_id, &request_id)?;
        }
        Ok(Ticket {
            task_id,
            conversation_id,
            request_id,
            provider_id,
        })
    }

    /// Starts the task that hands each new state of a request to its callback.
    fn track(
        &self,
        provider: Arc<dyn Provider>,
        callback: Arc<dyn HumanLoopCallback>,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<()> {
        let mut states = provider.subscribe(conversation_id, request_id)?;
        let (delivered_tx, delivered) = watch::channel(states.borrow().clone());
        let key = (conversation_id.to_owned(), request_id.to_owned());
        lock(&self.inner.tracked).insert(
            key.clone(),
            Tracked {
                callback: callback.clone(),
                delivered,
            },
        );
        let inner = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut last_status = Status::Pending;
            loop {
                let current = states.borrow_and_update().clone();
                if current.status != last_status {
                    last_status = current.status;
                    callback.on_update(provider.as_ref(), &current).await;
                    if current.status == Status::Expired {
                        callback.on_timeout(provider.as_ref(), &current).await;
                    }
                }
                let finished = current.status.is_terminal();
                delivered_tx.send_replace(current);
                if finished || states.changed().await.is_err() {
                    break;
                }
            }
            // Every hook has run; later waits read the provider directly.
            if let Some(inner) = inner.upgrade() {
                lock(&inner.tracked).remove(&key);
            }
        });
        Ok(())
    }

    /// Waits until a request leaves `pending` (woken by the provider) and returns that state.
    ///
    /// With a callback on the request, the hooks for that state have run when this returns.
    pub async fn wait(&self, conversation_id: &str, request_id: &str) -> Result<HumanLoopResult> {
        let provider = self.provider_for(conversation_id)?;
        let key = (conversation_id.to_owned(), request_id.to_owned());
        let tracked = lock(&self.inner.tracked)
            .get(&key)
            .map(|t| t.delivered.clone());
        let mut states = match tracked {
            Some(delivered) => delivered,
            None => provider.subscribe(conversation_id, request_id)?,
        };
        let outcome = states
            .wait_for(|r| r.status != Status::Pending)
            .await
            .map(|r| r.clone());
        match outcome {
            Ok(result) => Ok(result),
            // The provider dropped the request (forgotten); its last word is what it reports now.
            Err(_) => Ok(provider
                .check_request_status(conversation_id, request_id)
                .await?),
        }
    }

    fn callback_of(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Option<Arc<dyn HumanLoopCallback>> {
        let key = (conversation_id.to_owned(), request_id.to_owned());
        lock(&self.inner.tracked)
            .get(&key)
            .map(|t| t.callback.clone())
    }

    /// The current state of a request, as its provider reports it.
    pub async fn check_request_status(
        &self,
        conversation_id: &str,
        request_id: &str,
    ) -> Result<HumanLoopResult> {
        let provider = self.provider_for(conversation_id)?;
        match provider
            .check_request_status(conversation_id, request_id)
            .await
        {
            Ok(result) => Ok(result),
            Err(e) => {
                if let Some(cb) = self.callback_of(conversation_id, request_id) {
                    cb.on_error(provider.as_ref(), &e).await;
                }
                Err(e.into())
            }
        }
    }

    /// The state of a conversation's latest request.
    pub async fn check_conversation_status(
        &self,
        conversation_id: &str,
    ) -> Result<HumanLoopResult> {
        let provider = self.provider_for(conversation_id)?;
        Ok(provider.check_conversation_status(conversation_id).await?)
    }

    /// Cancels one request (and drops it from its conversation's list); `true` when it is now
    /// cancelled.
    pub async fn cancel_request(&self, conversation_id: &str, request_id: &str) -> Result<bool> {
        let provider = self.provider_for(conversation_id)?;
        lock(&self.inner.book).remove_request(conversation_id, request_id);
        Ok(provider.cancel_request(conversation_id, request_id).await?)
    }

    /// Cancels every live request of a conversation and detaches it from its task (it stays
    /// pinned to its provider, so its status can still be checked).
    pub async fn cancel_conversation(&self, conversation_id: &str) -> Result<bool> {
        let provider = self.provider_for(conversation_id)?;
        lock(&self.inner.book).remove_conversation(conversation_id, true);
        Ok(provider.cancel_conversation(conversation_id).await?)
    }

    /// Every turn of a conversation, oldest first.
    pub async fn conversation_history(&self, conversation_id: &str) -> Result<Vec<HistoryEntry>> {
        let provider = self.provider_for(conversation_id)?;
        Ok(provider.conversation_history(conversation_id).await?)
    }

    /// Drops everything this manager and the conversation's provider keep about it.
    pub async fn forget_conversation(&self, conversation_id: &str) {
        let provider = self.provider_for(conversation_id).ok();
        lock(&self.inner.book).remove_conversation(conversation_id, false);
        lock(&self.inner.tracked).retain(|(cid, _), _| cid != conversation_id);
        if let Some(provider) = provider {
            provider.forget_conversation(conversation_id).await;
        }
    }

    /// Every task with a conversation in the books.
    pub fn task_ids(&self) -> Vec<String> {
        lock(&self.inner.book).task_ids()
    }

    /// The conversations of a task, in the order they started.
    pub fn task_conversations(&self, task_id: &str) -> Vec<String> {
        lock(&self.inner.book).task_conversations(task_id)
    }

    /// The requests of a conversation, in order.
    pub fn conversation_requests(&self, conversation_id: &str) -> Vec<String> {
        lock(&self.inner.book).conversation_requests(conversation_id)
    }

    /// The task a request belongs to.
    pub fn request_task(&self, conversation_id: &str, request_id: &str) -> Option<String> {
        lock(&self.inner.book).request_task(conversation_id, request_id)
    }

    /// The provider a conversation is pinned to.
    pub fn conversation_provider(&self, conversation_id: &str) -> Option<String> {
        lock(&self.inner.book).provider_of(conversation_id).cloned()
    }

    /// Whether the task holds the conversation and the conversation has at least one request.
    pub fn conversation_exists(&self, task_id: &str, conversation_id: &str) -> bool {
        let book = lock(&self.inner.book);
        book.task_conversations(task_id)
            .iter()
            .any(|c| c == conversation_id)
            && !book.conversation_requests(conversation_id).is_empty()
    }
}
