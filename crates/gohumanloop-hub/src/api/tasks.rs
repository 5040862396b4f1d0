//! `tasks/sync`, `tasks`, `tasks/{task_id}`: the snapshots GoHumanLoopManager uploads, merged
//! per tenant (the original hub keyed them by `task_id` alone, across users: bug #13).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gohumanloop::model::wire::TaskSync;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ok, ApiError, LargeJsonBody, PathParam, QueryParams};
use super::paged::ListReply;
use crate::core::Hub;
use crate::record::TaskRecord;
use crate::tasks::{self, SyncError};

/// `POST /api/v1/humanloop/tasks/sync`: an idempotent merge; 201 as the original hub. A merge
/// that would take the task past its limits gets 413, and the stored snapshot is unchanged.
#[utoipa::path(
    post,
    path = "/api/v1/humanloop/tasks/sync",
    operation_id = "sync_task",
    tag = "original",
    summary = "Upload a task snapshot (GoHumanLoopManager)",
    description = "Merged per tenant, idempotent: conversations by id, requests by id; repeats are harmless. A task holds at most 10,000 conversations and 2 MiB of conversations JSON: an upload that would pass either gets 413 and changes nothing. Re-sending the last upload unchanged only records its timestamp and metadata.",
    request_body = super::schemas::TaskSyncBody,
    responses(
        (status = 201, description = "Merged", body = super::schemas::SyncReply),
        (status = 400, description = "Malformed JSON", body = super::schemas::ErrorBody),
        (status = 409, description = "Other uploads of the same task kept coming first; send it again", body = super::schemas::ErrorBody),
        (status = 413, description = "The upload (or the task it would make) is over a limit", body = super::schemas::ErrorBody),
        (status = 422, description = "Well-formed but unacceptable input (e.g. an empty `task_id`)", body = super::schemas::ErrorBody),
    )
)]
pub async fn sync(
    State(hub): State<Hub>,
    caller: Caller,
    LargeJsonBody(snapshot): LargeJsonBody<TaskSync>,
) -> Result<Response, ApiError> {
    if snapshot.task_id.is_empty() {
        return Err(ApiError::invalid("task_id must not be empty"));
    }
    let task_id = snapshot.task_id.clone();
    let updated = tasks::sync(hub.store().as_ref(), caller.tenant, snapshot)
        .await
        .map_err(refused)?;
    let mut reply = ok(json!({"data": {"task_id": task_id, "updated": updated}}));
    *reply.status_mut() = StatusCode::CREATED;
    Ok(reply)
}

fn refused(e: SyncError) -> ApiError {
    let status = match &e {
        SyncError::TooManyConversations { .. } | SyncError::TooLarge { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        SyncError::Contended(_) => StatusCode::CONFLICT,
        SyncError::Interrupted(_) => StatusCode::INTERNAL_SERVER_ERROR,
        SyncError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    match e {
        SyncError::Store(e) => e.into(),
        e => ApiError::new(status, e.to_string()),
    }
}

fn task_json(task: TaskRecord) -> Value {
    json!({"data": task.data, "received_at": task.received_at, "updates": task.updates})
}

/// Query of `GET /api/v1/humanloop/tasks`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `next` of an earlier reply: continue after it.
    after: Option<String>,
}

/// `GET /api/v1/humanloop/tasks`: `{"success":true,"tasks":{task_id: {data, received_at,
/// updates}},"count":n,"next":…}`, by task id, at most
/// [`MAX_REPLY_BYTES`](super::paged::MAX_REPLY_BYTES) of snapshots per reply; `next`, when not
/// `null`, continues with `?after=…`.
#[utoipa::path(
    get,
    path = "/api/v1/humanloop/tasks",
    operation_id = "list_tasks",
    tag = "original",
    summary = "The tenant's task snapshots",
    description = "`tasks` maps task_id to `{data, received_at, updates}`, by task id, streamed; at most 4 MiB of snapshots per reply (the first is sent whole). `next`, when not `null`, continues with `after=`.",
    params(ListParams),
    responses(
        (status = 200, description = "Snapshots", body = super::schemas::TaskList),
        (status = 422, description = "Well-formed but unacceptable input", body = super::schemas::ErrorBody),
    )
)]
pub async fn list(
    State(hub): State<Hub>,
    caller: Caller,
    QueryParams(q): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let store = hub.store().clone();
    let tenant = caller.tenant;
    let reply = ListReply {
        key: "tasks",
        object: true,
        limit: usize::MAX,
    };
    reply
        .stream(q.after, move |after, wanted| {
            let store = store.clone();
            async move {
                let tasks = store
                    .task_page(tenant, after.as_deref(), wanted as u32)
                    .await?;
                Ok(tasks
                    .into_iter()
                    .map(|task| {
                        let id = task.task_id.clone();
                        let entry = format!("{}:{}", Value::from(id.as_str()), task_json(task));
                        (entry.into_bytes(), id)
                    })
                    .collect())
            }
        })
        .await
}

/// `GET /api/v1/humanloop/tasks/{task_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/humanloop/tasks/{task_id}",
    operation_id = "get_task",
    tag = "original",
    summary = "One task snapshot",
    description = "Unknown: HTTP 200 with `success:false`.",
    params(("task_id" = String, Path, description = "The task")),
    responses(
        (status = 200, description = "The snapshot, or `success:false`", body = super::schemas::TaskReply),
        (status = 400, description = "Unreadable path", body = super::schemas::ErrorBody),
    )
)]
pub async fn get(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(task_id): PathParam<String>,
) -> Result<Response, ApiError> {
    match hub.store().task(caller.tenant, &task_id).await? {
        Some(task) => Ok(ok(json!({ "task": task_json(task) }))),
        None => Err(ApiError::soft(format!("Task not found: {task_id}"))),
    }
}
