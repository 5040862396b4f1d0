//! `GET /tasks` and `GET /tasks/{tenant}/{task_id}`: the task snapshots the original client's
//! manager uploads (`tasks/sync`), with their conversations and requests, linked to the hub's
//! own copies of those requests.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use gohumanloop::model::wire::TaskSync;

use super::error::WebError;
use super::pages::{self, Chrome};
use super::session::Approver;
use super::view::short_time;
use crate::hub::Hub;
use crate::record::RequestFilter;

/// A line of the task list.
pub struct TaskLine {
    /// The tenant's name.
    pub tenant: String,
    /// The task.
    pub task_id: String,
    /// How many conversations the snapshot has.
    pub conversations: usize,
    /// How many requests.
    pub requests: usize,
    /// How many uploads were merged.
    pub updates: i64,
    /// When the last one arrived.
    pub received: String,
}

/// The task list.
#[derive(Template)]
#[template(path = "tasks.html")]
pub struct TasksPage {
    /// The frame.
    pub chrome: Chrome,
    /// The tasks, most recently synced first.
    pub tasks: Vec<TaskLine>,
}

/// A request inside a task snapshot.
pub struct SyncedRequest {
    /// The client's request id.
    pub request_id: String,
    /// Wire type.
    pub loop_type: &'static str,
    /// Type in the approver's language.
    pub type_label: &'static str,
    /// Wire status.
    pub status: &'static str,
    /// Status in the approver's language.
    pub status_label: &'static str,
    /// Who answered.
    pub responded_by: String,
    /// The hub's id of the same request, when the hub has it.
    pub hub_id: Option<String>,
}

/// A conversation inside a task snapshot.
pub struct SyncedConversation {
    /// The conversation.
    pub conversation_id: String,
    /// The provider it is pinned to.
    pub provider_id: String,
    /// Its requests.
    pub requests: Vec<SyncedRequest>,
}

/// One task.
#[derive(Template)]
#[template(path = "task.html")]
pub struct TaskPage {
    /// The frame.
    pub chrome: Chrome,
    /// The tenant's name.
    pub tenant: String,
    /// The task.
    pub task_id: String,
    /// When the last upload arrived.
    pub received: String,
    /// The snapshot's conversations.
    pub conversations: Vec<SyncedConversation>,
}

/// `GET /tasks`.
pub async fn list(State(hub): State<Hub>, approver: Approver) -> Result<Response, WebError> {
    let mut tasks = Vec::new();
    for tenant in &approver.user.tenants {
        let stored = hub
            .store()
            .tasks(tenant.id)
            .await
            .map_err(|e| WebError::Store(approver.lang, e))?;
        for task in stored {
            let snapshot = serde_json::from_value::<TaskSync>(task.data).ok();
            let conversations = snapshot.as_ref().map_or(0, |s| s.conversations.len());
            let requests = snapshot.as_ref().map_or(0, |s| {
                s.conversations.iter().map(|c| c.requests.len()).sum()
            });
            tasks.push(TaskLine {
                tenant: tenant.name.clone(),
                task_id: task.task_id,
                conversations,
                requests,
                updates: task.updates,
                received: task.received_at,
            });
        }
    }
    tasks.sort_by(|a, b| b.received.cmp(&a.received));
    for task in &mut tasks {
        task.received = short_time(&task.received);
    }
    let page = TasksPage {
        chrome: approver.chrome("tasks"),
        tasks,
    };
    Ok(pages::render(&page))
}

/// `GET /tasks/{tenant}/{task_id}`.
pub async fn page(
    State(hub): State<Hub>,
    approver: Approver,
    Path((tenant_name, task_id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let lang = approver.lang;
    let t = lang.texts();
    let tenant = approver
        .user
        .tenants
        .iter()
        .find(|t| t.name == tenant_name)
        .ok_or(WebError::NotFound(lang))?;
    let store_error = |e| WebError::Store(lang, e);
    let task = hub
        .store()
        .task(tenant.id, &task_id)
        .await
        .map_err(store_error)?;
    // The hub's own requests of this task, to link the snapshot's entries to them.
    let filter = RequestFilter {
        task_id: Some(task_id.clone()),
        limit: 1_000,
        ..RequestFilter::default()
    };
    let known = hub
        .store()
        .list(tenant.id, &filter)
        .await
        .map_err(store_error)?;
    let snapshot = task
        .as_ref()
        .and_then(|task| serde_json::from_value::<TaskSync>(task.data.clone()).ok());
    if task.is_none() && known.is_empty() {
        return Err(WebError::NotFound(lang));
    }
    let conversations = match snapshot {
        Some(s) => s
            .conversations
            .into_iter()
            .map(|c| SyncedConversation {
                requests: c
                    .requests
                    .into_iter()
                    .map(|r| SyncedRequest {
                        hub_id: known
                            .iter()
                            .find(|k| {
                                k.request_id == r.request_id
                                    && k.conversation_id == c.conversation_id
                            })
                            .map(|k| k.id.clone()),
                        loop_type: r.loop_type.as_str(),
                        type_label: t.type_name(r.loop_type),
                        status: r.status.as_str(),
                        status_label: t.status_name(r.status),
                        responded_by: r.responded_by.unwrap_or_default(),
                        request_id: r.request_id,
                    })
                    .collect(),
                conversation_id: c.conversation_id,
                provider_id: c.provider_id.unwrap_or_default(),
            })
            .collect(),
        // No snapshot yet: the hub's own requests of the task, by conversation.
        None => {
            let mut by_conversation: Vec<SyncedConversation> = Vec::new();
            for k in known.iter().rev() {
                let line = SyncedRequest {
                    request_id: k.request_id.clone(),
                    loop_type: k.loop_type.as_str(),
                    type_label: t.type_name(k.loop_type),
                    status: k.status.as_str(),
                    status_label: t.status_name(k.status),
                    responded_by: k.responded_by.clone().unwrap_or_default(),
                    hub_id: Some(k.id.clone()),
                };
                match by_conversation
                    .iter_mut()
                    .find(|c| c.conversation_id == k.conversation_id)
                {
                    Some(c) => c.requests.push(line),
                    None => by_conversation.push(SyncedConversation {
                        conversation_id: k.conversation_id.clone(),
                        provider_id: k.platform.clone(),
                        requests: vec![line],
                    }),
                }
            }
            by_conversation
        }
    };
    let page = TaskPage {
        chrome: approver.chrome("tasks"),
        tenant: tenant.name.clone(),
        received: task
            .map(|t| short_time(&t.received_at))
            .unwrap_or_else(|| "—".into()),
        task_id,
        conversations,
    };
    Ok(pages::render(&page))
}
