//! `tasks/sync`, `tasks`, `tasks/{task_id}`: the snapshots GoHumanLoopManager uploads, merged
//! per tenant (the original hub keyed them by `task_id` alone, across users: bug #13).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Continue after an earlier reply: its `next`.
    after: Option<String>,
}

/// `GET /api/v1/humanloop/tasks`: `{"success":true,"tasks":{task_id: {data, received_at,
/// updates}},"count":n,"next":…}`, by task id, at most
/// [`MAX_REPLY_BYTES`](super::paged::MAX_REPLY_BYTES) of snapshots per reply; `next`, when not
/// `null`, continues with `?after=…`.
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

/// `GET /health` (no key needed): `{"status":"ok"}`, or 503 `{"status":"unavailable"}` while
/// the database does not take writes (the last write failed).
pub async fn health(State(hub): State<Hub>) -> Response {
    if hub.store().writable() {
        axum::Json(json!({"status": "ok"})).into_response()
    } else {
        let body = json!({
            "status": "unavailable",
            "success": false,
            "error": "the hub cannot write to its database; its log says why",
        });
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    }
}
