//! `tasks/sync`: merging the task snapshots GoHumanLoopManager uploads again and again.
//!
//! A merge is idempotent: conversations are merged by `conversation_id`, requests by
//! `request_id`, and what the newest upload says about a request replaces what an older one
//! said. It takes time linear in the stored snapshot plus the upload (maps by id), runs on a
//! blocking thread, not on the store's writer, and is stored only if the stored snapshot is
//! still the version it was merged from (else it is merged again from the newer one). Re-sending
//! the last upload unchanged is recognised by its digest: then only the snapshot's timestamp and
//! metadata are written.
//!
//! Limits: a task snapshot holds at most [`MAX_CONVERSATIONS`] conversations and
//! [`MAX_SNAPSHOT_BYTES`] bytes of conversations (as JSON); an upload that would take it past
//! either is refused, and the stored snapshot stays as it was.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use gohumanloop::model::wire::{SyncConversation, TaskSync};
use serde_json::{json, Value};

use crate::audit::sha256_hex;
use crate::record::{TaskWrite, TenantId};
use crate::store::{Store, StoreError};

/// The most conversations one task snapshot holds.
pub const MAX_CONVERSATIONS: usize = 10_000;

/// The most bytes of conversations (as JSON) one task snapshot holds.
pub const MAX_SNAPSHOT_BYTES: usize = 2 * 1024 * 1024;

/// How often a merge is retried when other uploads of the same task keep coming first.
const MAX_ATTEMPTS: usize = 16;

/// Why an upload was not merged.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The merged snapshot would hold too many conversations.
    #[error(
        "task '{task_id}' would hold {count} conversations; a task holds at most \
         {MAX_CONVERSATIONS}"
    )]
    TooManyConversations {
        /// The task.
        task_id: String,
        /// How many it would hold.
        count: usize,
    },
    /// The merged snapshot would be too large.
    #[error(
        "task '{task_id}' would hold {bytes} bytes of conversations; a task holds at most \
         {MAX_SNAPSHOT_BYTES}"
    )]
    TooLarge {
        /// The task.
        task_id: String,
        /// How large it would be.
        bytes: usize,
    },
    /// Other uploads of the same task kept coming first.
    #[error("task '{0}' is being changed by other uploads at the same time; send it again")]
    Contended(String),
    /// The merge did not finish (it panicked or the hub is stopping).
    #[error("the merge was interrupted: {0}")]
    Interrupted(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Merges `upload` into the tenant's snapshot of its task; `true` if the task was known before.
pub async fn sync(
    store: &dyn Store,
    tenant: TenantId,
    upload: TaskSync,
) -> Result<bool, SyncError> {
    let upload = std::sync::Arc::new(upload);
    let digest = {
        let upload = upload.clone();
        off_the_runtime(move || Ok(digest(&upload.conversations))).await?
    };
    let metadata = serde_json::to_string(&upload.metadata).unwrap_or_else(|_| "null".into());
    for _ in 0..MAX_ATTEMPTS {
        let version = store.task_version(tenant, &upload.task_id).await?;
        let (base, conversations) = match version {
            Some(version) if version.digest == digest => (Some(version.updates), None),
            Some(_) => {
                let Some((version, stored)) =
                    store.task_conversations(tenant, &upload.task_id).await?
                else {
                    continue;
                };
                let merging = upload.clone();
                let merged = off_the_runtime(move || merge(Some(&stored), &merging)).await?;
                tracing::debug!(task = %upload.task_id, steps = merged.steps, "merged an upload");
                (Some(version.updates), Some(merged.conversations))
            }
            None => {
                let upload = upload.clone();
                let merged = off_the_runtime(move || merge(None, &upload)).await?;
                (None, Some(merged.conversations))
            }
        };
        let write = TaskWrite {
            task_id: upload.task_id.clone(),
            base,
            conversations,
            digest: digest.clone(),
            timestamp: upload.timestamp.clone(),
            metadata: metadata.clone(),
        };
        if store.put_task(tenant, write).await? {
            return Ok(base.is_some());
        }
    }
    Err(SyncError::Contended(upload.task_id.clone()))
}

/// Runs CPU-heavy work (hashing, parsing and merging megabytes) on a blocking thread.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SyncError::Interrupted(e.to_string()))?
}

/// The digest of an upload's conversations: equal digests, equal uploads.
fn digest(conversations: &[SyncConversation]) -> String {
    // Serialising typed values cannot fail; an empty text would only cost a full merge.
    sha256_hex(&serde_json::to_vec(conversations).unwrap_or_default())
}

/// A merged snapshot's conversations, and the work it took.
#[derive(Debug)]
pub(crate) struct Merged {
    /// The conversations, as a JSON array.
    pub(crate) conversations: String,
    /// Conversations and requests visited, map lookups included: the measure of a merge's
    /// work (it must grow linearly with the snapshot and the upload).
    pub(crate) steps: u64,
}

/// Merges `upload` into the stored conversations (a JSON array), within the limits.
pub(crate) fn merge(stored: Option<&str>, upload: &TaskSync) -> Result<Merged, SyncError> {
    let mut steps = 0;
    let mut conversations: Vec<Value> = match stored {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("stored task snapshot: {e}")))?,
        None => Vec::new(),
    };
    let mut by_id: HashMap<String, usize> = HashMap::with_capacity(conversations.len());
    for (slot, conversation) in conversations.iter().enumerate() {
        steps += 1;
        if let Some(id) = conversation.get("conversation_id").and_then(Value::as_str) {
            by_id.insert(id.to_owned(), slot);
        }
    }
    // Each conversation's requests are indexed once, when the upload first touches it.
    let mut request_slots: HashMap<usize, HashMap<String, usize>> = HashMap::new();
    for incoming in &upload.conversations {
        steps += 1;
        let slot = match by_id.entry(incoming.conversation_id.clone()) {
            Entry::Occupied(entry) => {
                let slot = *entry.get();
                if let Some(provider) = &incoming.provider_id {
                    conversations[slot]["provider_id"] = Value::String(provider.clone());
                }
                slot
            }
            Entry::Vacant(entry) => {
                conversations.push(json!({
                    "conversation_id": incoming.conversation_id,
                    "provider_id": incoming.provider_id,
                    "requests": [],
                }));
                *entry.insert(conversations.len() - 1)
            }
        };
        let index = match request_slots.entry(slot) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(index_requests(&conversations[slot], &mut steps)),
        };
        let conversation = &mut conversations[slot];
        if !conversation.get("requests").is_some_and(Value::is_array) {
            conversation["requests"] = json!([]);
            index.clear();
        }
        let Some(requests) = conversation["requests"].as_array_mut() else {
            continue;
        };
        for request in &incoming.requests {
            steps += 1;
            let value =
                serde_json::to_value(request).map_err(|e| SyncError::Interrupted(e.to_string()))?;
            match index.entry(request.request_id.clone()) {
                Entry::Occupied(entry) => requests[*entry.get()] = value,
                Entry::Vacant(entry) => {
                    entry.insert(requests.len());
                    requests.push(value);
                }
            }
        }
    }
    if conversations.len() > MAX_CONVERSATIONS {
        return Err(SyncError::TooManyConversations {
            task_id: upload.task_id.clone(),
            count: conversations.len(),
        });
    }
    let conversations =
        serde_json::to_string(&conversations).map_err(|e| SyncError::Interrupted(e.to_string()))?;
    if conversations.len() > MAX_SNAPSHOT_BYTES {
        return Err(SyncError::TooLarge {
            task_id: upload.task_id.clone(),
            bytes: conversations.len(),
        });
    }
    Ok(Merged {
        conversations,
        steps,
    })
}

/// Where each of a stored conversation's requests is, by `request_id`.
fn index_requests(conversation: &Value, steps: &mut u64) -> HashMap<String, usize> {
    let requests = conversation.get("requests").and_then(Value::as_array);
    let mut index = HashMap::new();
    for (slot, request) in requests.into_iter().flatten().enumerate() {
        *steps += 1;
        if let Some(id) = request.get("request_id").and_then(Value::as_str) {
            index.insert(id.to_owned(), slot);
        }
    }
    index
}

#[cfg(test)]
mod tests;
