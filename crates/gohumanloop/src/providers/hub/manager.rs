//! `HubManager`: a [`Manager`] whose default provider is the hub, and which uploads a snapshot of
//! every task to the hub's `tasks/sync` — every `sync_interval`, whenever one of its requests
//! changes status, and at shutdown (the original `GoHumanLoopManager`, §1.12). Uploads are
//! idempotent at the hub, so repeats do no harm.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::snapshot::{snapshot, Cancelled, Remembered};
use super::HubProvider;
use crate::error::Result;
use crate::manager::{LoopRequest, Manager, Ticket};
use crate::model::{HumanLoopResult, Status};
use crate::providers::api::client::Client;
use crate::providers::api::{ApiOptions, ApiProvider};

/// How often every task is uploaded when nothing else triggers it (the original's default).
pub const SYNC_INTERVAL: Duration = Duration::from_secs(60);

/// What one round of uploads did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    /// Tasks the hub took.
    pub uploaded: Vec<String>,
    /// Tasks it did not take, with why.
    pub failed: Vec<(String, String)>,
}

struct Shared {
    manager: Manager,
    client: Client,
    cancelled: Mutex<Cancelled>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Uploads the snapshots of these tasks (all known tasks when `None`).
    async fn upload(&self, tasks: Option<Vec<String>>) -> SyncReport {
        let cancelled = lock(&self.cancelled).clone();
        let tasks = tasks.unwrap_or_else(|| {
            let mut all: Vec<String> = self.manager.task_ids();
            all.extend(cancelled.keys().cloned());
            all.sort();
            all.dedup();
            all
        });
        let mut report = SyncReport::default();
        for task in tasks {
            let gone = cancelled.get(&task).map(Vec::as_slice).unwrap_or_default();
            let body = snapshot(&self.manager, &task, gone).await;
            let sent = self.client.post("tasks/sync", &body).await;
            match sent {
                Ok(reply) if reply.get("success") == Some(&Value::Bool(true)) => {
                    report.uploaded.push(task)
                }
                Ok(reply) => {
                    let why = reply
                        .get("error")
                        .and_then(Value::as_str)
                        .unwrap_or("refused");
                    report.failed.push((task, why.to_owned()));
                }
                Err(e) => report.failed.push((task, e)),
            }
        }
        report
    }
}

/// A manager that keeps the hub's copy of its tasks up to date.
pub struct HubManager {
    shared: Arc<Shared>,
    changed: mpsc::UnboundedSender<String>,
    stop: watch::Sender<bool>,
    syncer: Mutex<Option<JoinHandle<()>>>,
}

impl std::ops::Deref for HubManager {
    type Target = Manager;

    fn deref(&self) -> &Manager {
        &self.shared.manager
    }
}

impl HubManager {
    /// The hub from `GOHUMANLOOP_API_BASE_URL` / `GOHUMANLOOP_API_KEY` as the default provider
    /// (named `GoHumanLoop`), syncing every [`SYNC_INTERVAL`]. Call inside a Tokio runtime.
    pub fn from_env() -> Result<Self> {
        Self::new(HubProvider::options_from_env()?, SYNC_INTERVAL)
    }

    /// A hub manager for the hub `options` name (their default platform is the hub's), syncing
    /// every `sync_interval`. Call inside a Tokio runtime.
    pub fn new(options: ApiOptions, sync_interval: Duration) -> Result<Self> {
        let client = Client::new(&options).map_err(crate::ProviderError::Failed)?;
        let provider = ApiProvider::connect(super::HUB_PROVIDER, options)?;
        let manager = Manager::with_provider(Arc::new(provider))?;
        let shared = Arc::new(Shared {
            manager,
            client,
            cancelled: Mutex::default(),
        });
        let (changed, changes) = mpsc::unbounded_channel();
        let (stop, stopped) = watch::channel(false);
        let syncer = tokio::spawn(run(shared.clone(), changes, stopped, sync_interval));
        Ok(Self {
            shared,
            changed,
            stop,
            syncer: Mutex::new(Some(syncer)),
        })
    }

    /// The manager underneath (also reachable through `Deref`).
    pub fn manager(&self) -> &Manager {
        &self.shared.manager
    }

    /// Asks and returns at once; the task is uploaded whenever the request changes.
    pub async fn request(&self, request: LoopRequest) -> Result<Ticket> {
        let ticket = self.shared.manager.request(request).await?;
        self.watch(&ticket);
        Ok(ticket)
    }

    /// Asks and waits until the request leaves `pending`.
    pub async fn request_and_wait(&self, request: LoopRequest) -> Result<HumanLoopResult> {
        let ticket = self.request(request).await?;
        self.shared
            .manager
            .wait(&ticket.conversation_id, &ticket.request_id)
            .await
    }

    /// Adds a turn to a conversation and returns at once.
    pub async fn continue_conversation(&self, request: LoopRequest) -> Result<Ticket> {
        let ticket = self.shared.manager.continue_conversation(request).await?;
        self.watch(&ticket);
        Ok(ticket)
    }

    /// Adds a turn and waits until it leaves `pending`.
    pub async fn continue_and_wait(&self, request: LoopRequest) -> Result<HumanLoopResult> {
        let ticket = self.continue_conversation(request).await?;
        self.shared
            .manager
            .wait(&ticket.conversation_id, &ticket.request_id)
            .await
    }

    /// Cancels a conversation; it stays in its own task's snapshots (as `cancelled`).
    pub async fn cancel_conversation(&self, conversation_id: &str) -> Result<bool> {
        let manager = &self.shared.manager;
        let task = manager
            .conversation_requests(conversation_id)
            .first()
            .and_then(|rid| manager.request_task(conversation_id, rid));
        if let Some(task) = &task {
            let remembered = Remembered {
                conversation_id: conversation_id.to_owned(),
                provider_id: manager
                    .conversation_provider(conversation_id)
                    .unwrap_or_else(|| super::HUB_PROVIDER.to_owned()),
                request_ids: manager.conversation_requests(conversation_id),
            };
            lock(&self.shared.cancelled)
                .entry(task.clone())
                .or_default()
                .push(remembered);
        }
        let cancelled = manager.cancel_conversation(conversation_id).await?;
        if let Some(task) = task {
            let _ = self.changed.send(task);
        }
        Ok(cancelled)
    }

    /// Uploads every task now.
    pub async fn sync_now(&self) -> SyncReport {
        self.shared.upload(None).await
    }

    /// Stops the periodic uploads and uploads every task one last time.
    pub async fn shutdown(&self) -> SyncReport {
        self.stop.send_replace(true);
        let syncer = lock(&self.syncer).take();
        if let Some(syncer) = syncer {
            let _ = syncer.await;
        }
        self.shared.upload(None).await
    }

    /// Uploads the request's task whenever its status changes (until it ends).
    fn watch(&self, ticket: &Ticket) {
        let Some(provider) = self.shared.manager.provider(&ticket.provider_id) else {
            return;
        };
        let Ok(mut states) = provider.subscribe(&ticket.conversation_id, &ticket.request_id) else {
            return;
        };
        let (task, changed) = (ticket.task_id.clone(), self.changed.clone());
        tokio::spawn(async move {
            let mut last = states.borrow().status;
            while states.changed().await.is_ok() {
                let now = states.borrow().status;
                if now != last && now != Status::Pending {
                    if changed.send(task.clone()).is_err() {
                        return;
                    }
                    last = now;
                }
                if now.is_terminal() {
                    return;
                }
            }
        });
    }
}

impl Drop for HubManager {
    fn drop(&mut self) {
        // Ends the upload loop (without a last upload: call `shutdown` for that).
        self.stop.send_replace(true);
    }
}

/// The upload loop: changed tasks at once (coalesced), every task every `interval`.
async fn run(
    shared: Arc<Shared>,
    mut changes: mpsc::UnboundedReceiver<String>,
    mut stop: watch::Receiver<bool>,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {
                shared.upload(None).await;
            }
            Some(task) = changes.recv() => {
                let mut tasks = HashSet::from([task]);
                while let Ok(more) = changes.try_recv() {
                    tasks.insert(more);
                }
                shared.upload(Some(tasks.into_iter().collect())).await;
            }
        }
    }
}
