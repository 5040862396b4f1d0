//! `GET /tasks` and `GET /tasks/{tenant}/{task_id}`: the task snapshots the original client's
//! manager uploads (`tasks/sync`), with their conversations and requests, linked to the hub's
//! own copies of those requests. Both pages list only what fits the page's
//! [`Budget`] and say how many tasks, conversations or requests they leave out.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use gohumanloop::model::wire::TaskSync;

use super::session::Approver;
use super::view::short_time;
use crate::core::Hub;
use crate::html::error::WebError;
use crate::html::pages::{self, Chrome};
use crate::json_view::{html_len, Budget, Unit};
use crate::record::RequestFilter;

/// A line of the task list.
pub(crate) struct TaskLine {
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
pub(crate) struct TasksPage {
    /// The frame.
    pub chrome: Chrome,
    /// The tasks, most recently synced first.
    pub tasks: Vec<TaskLine>,
    /// How many tasks the list leaves out, as a notice.
    pub more: Option<String>,
}

/// About the HTML of a task line, without its texts.
const TASK_ROW: usize = 300;

/// How many tasks of each tenant the list reads at most (far more than a page shows).
const LISTED_PER_TENANT: u32 = 5_000;
/// About the HTML of a conversation's heading, without its texts.
const CONVERSATION_ROW: usize = 250;
/// About the HTML of a request's line, without its texts.
const REQUEST_ROW: usize = 450;

/// A request inside a task snapshot.
pub(crate) struct SyncedRequest {
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
pub(crate) struct SyncedConversation {
    /// The conversation.
    pub conversation_id: String,
    /// The provider it is pinned to.
    pub provider_id: String,
    /// Its requests.
    pub requests: Vec<SyncedRequest>,
    /// How many requests the page leaves out, as a notice.
    pub more: Option<String>,
}

/// One task.
#[derive(Template)]
#[template(path = "task.html")]
pub(crate) struct TaskPage {
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
    /// How many conversations the page leaves out, as a notice.
    pub more: Option<String>,
}

/// `GET /tasks`.
pub async fn list(State(hub): State<Hub>, approver: Approver) -> Result<Response, WebError> {
    let mut tasks = Vec::new();
    let mut total = 0;
    for tenant in &approver.user.tenants {
        let (summaries, count) = hub
            .store()
            .task_summaries(tenant.id, LISTED_PER_TENANT)
            .await
            .map_err(|e| WebError::Store(approver.lang, e))?;
        total += count as usize;
        tasks.extend(summaries.into_iter().map(|task| TaskLine {
            tenant: tenant.name.clone(),
            task_id: task.task_id,
            conversations: task.conversations as usize,
            requests: task.requests as usize,
            updates: task.updates,
            received: task.received_at,
        }));
    }
    tasks.sort_by(|a, b| b.received.cmp(&a.received));
    let mut budget = Budget::page(approver.lang.words());
    // Links carry the names URL-encoded: up to three bytes for one.
    let shown = tasks
        .iter()
        .take_while(|t| {
            let text = |s: &str| html_len(s) * 2 + s.len() * 3;
            budget.row(TASK_ROW + text(&t.task_id) + text(&t.tenant))
        })
        .count();
    let more = (shown < total).then(|| budget.words().more(total - shown, Unit::Tasks));
    tasks.truncate(shown);
    for task in &mut tasks {
        task.received = short_time(&task.received);
    }
    let page = TasksPage {
        chrome: approver.chrome("tasks"),
        tasks,
        more,
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
    if task.is_none() && known.is_empty() {
        return Err(WebError::NotFound(lang));
    }
    let received = task.as_ref().map(|t| short_time(&t.received_at));
    let snapshot = task.and_then(|task| serde_json::from_value::<TaskSync>(task.data).ok());
    let hub_ids: HashMap<(&str, &str), &str> = known
        .iter()
        .map(|k| {
            let key = (k.conversation_id.as_str(), k.request_id.as_str());
            (key, k.id.as_str())
        })
        .collect();
    let conversations = match snapshot {
        Some(s) => s
            .conversations
            .into_iter()
            .map(|c| SyncedConversation {
                requests: c
                    .requests
                    .into_iter()
                    .map(|r| SyncedRequest {
                        hub_id: hub_ids
                            .get(&(c.conversation_id.as_str(), r.request_id.as_str()))
                            .map(|id| (*id).to_owned()),
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
                more: None,
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
                        more: None,
                    }),
                }
            }
            by_conversation
        }
    };
    let mut budget = Budget::page(lang.words());
    let (conversations, more) = fit(conversations, &mut budget);
    let page = TaskPage {
        chrome: approver.chrome("tasks"),
        tenant: tenant.name.clone(),
        received: received.unwrap_or_else(|| "—".into()),
        task_id,
        conversations,
        more,
    };
    Ok(pages::render(&page))
}

/// The conversations and requests that fit `budget`, in order, with notices of what is left.
fn fit(
    mut conversations: Vec<SyncedConversation>,
    budget: &mut Budget,
) -> (Vec<SyncedConversation>, Option<String>) {
    let words = budget.words();
    let total = conversations.len();
    let mut shown = 0;
    for c in &mut conversations {
        let heading = CONVERSATION_ROW + html_len(&c.conversation_id) + html_len(&c.provider_id);
        if !budget.row(heading) {
            break;
        }
        shown += 1;
        let fits = c
            .requests
            .iter()
            .take_while(|r| {
                budget.row(REQUEST_ROW + html_len(&r.request_id) + html_len(&r.responded_by))
            })
            .count();
        if fits < c.requests.len() {
            c.more = Some(words.more(c.requests.len() - fits, Unit::Requests));
            c.requests.truncate(fits);
            break;
        }
    }
    conversations.truncate(shown);
    let more = (shown < total).then(|| words.more(total - shown, Unit::Conversations));
    (conversations, more)
}
