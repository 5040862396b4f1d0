//! A task as `tasks/sync` uploads it (protocol reference §4.3), built from the manager's books.
//! Unlike the original, a cancelled conversation appears only in its own task's snapshot, and
//! `provider_id` is never null.

use std::collections::HashMap;

use crate::manager::Manager;
use crate::model::now_rfc3339;
use crate::model::wire::{SyncConversation, SyncMetadata, SyncRequest, TaskSync};

/// A conversation the manager no longer lists (it was cancelled), remembered for its task.
#[derive(Debug, Clone)]
pub(super) struct Remembered {
    pub conversation_id: String,
    pub provider_id: String,
    pub request_ids: Vec<String>,
}

/// Cancelled conversations by task.
pub(super) type Cancelled = HashMap<String, Vec<Remembered>>;

/// The snapshot of one task: its live conversations, then its cancelled ones.
pub(super) async fn snapshot(
    manager: &Manager,
    task_id: &str,
    cancelled: &[Remembered],
) -> TaskSync {
    let default_provider = manager.default_provider_id().unwrap_or_default();
    let mut conversations = Vec::new();
    let live = manager
        .task_conversations(task_id)
        .into_iter()
        .map(|cid| Remembered {
            provider_id: manager
                .conversation_provider(&cid)
                .unwrap_or_else(|| default_provider.clone()),
            request_ids: manager.conversation_requests(&cid),
            conversation_id: cid,
        });
    for conversation in live.chain(cancelled.iter().cloned()) {
        let mut requests = Vec::new();
        for request_id in &conversation.request_ids {
            let Ok(r) = manager
                .check_request_status(&conversation.conversation_id, request_id)
                .await
            else {
                continue;
            };
            requests.push(SyncRequest {
                request_id: r.request_id,
                status: r.status,
                loop_type: r.loop_type,
                response: r.response,
                feedback: Some(r.feedback).filter(|f| !f.is_null()),
                responded_by: r.responded_by,
                responded_at: r.responded_at,
                error: r.error,
            });
        }
        conversations.push(SyncConversation {
            conversation_id: conversation.conversation_id,
            provider_id: Some(conversation.provider_id),
            requests,
        });
    }
    TaskSync {
        task_id: task_id.to_owned(),
        conversations,
        timestamp: now_rfc3339(),
        metadata: metadata(),
    }
}

/// Where the snapshot comes from. The original finds its IP address with a UDP "connect" to a
/// public resolver; this client does not touch the network for it and reports loopback.
fn metadata() -> SyncMetadata {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|r| r.trim().to_owned())
        .unwrap_or_default();
    SyncMetadata {
        source: format!("gohumanloop-rs-{}", env!("CARGO_PKG_VERSION")),
        client_ip: "127.0.0.1".to_owned(),
        user_agent: format!("{} {release}", std::env::consts::OS)
            .trim()
            .to_owned(),
    }
}
