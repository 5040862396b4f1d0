//! MCP Tasks (extension `io.modelcontextprotocol/tasks`): for a client that declares it, an
//! asking call that has no answer yet becomes a task the client polls (`tasks/get`) or cancels
//! (`tasks/cancel`) instead of a call that holds its connection. The task is the hub's request:
//! its id names the request, so any process of this server (or a restarted one) serves it.

use gohumanloop::model::wire::StatusResponse;
use gohumanloop::providers::hub::HubError;
use gohumanloop::{LoopType, Status};
use rmcp::model::{
    CreateTaskResult, DetailedTask, ErrorData, GetTaskResult, Task, TaskPayload, TaskStatus,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::humans::Ids;
use crate::outcome::Outcome;

/// How often clients should poll, in milliseconds.
const POLL_MS: u64 = 2_000;

/// The task id of a request: `LOOP_TYPE:CREATED_MS:CONVERSATION_ID:REQUEST_ID` (the ids this
/// server mints are UUIDs, which hold no `:`).
pub(crate) fn id(ids: &Ids, created_ms: i128) -> String {
    let loop_type = ids.loop_type.map_or("unknown", LoopType::as_str);
    format!(
        "{loop_type}:{created_ms}:{}:{}",
        ids.conversation_id, ids.request_id
    )
}

/// The request a task id names, and when the task began (ms since the epoch).
pub(crate) fn parse(task_id: &str) -> Result<(Ids, i128), ErrorData> {
    let bad = || ErrorData::invalid_params(format!("no task '{task_id}' here"), None);
    let mut parts = task_id.splitn(4, ':');
    let (Some(kind), Some(created), Some(conversation_id), Some(request_id)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let created_ms = created.parse().map_err(|_| bad())?;
    let loop_type = LoopType::ALL.into_iter().find(|t| t.as_str() == kind);
    if conversation_id.is_empty() || request_id.is_empty() {
        return Err(bad());
    }
    let ids = Ids {
        conversation_id: conversation_id.to_owned(),
        request_id: request_id.to_owned(),
        loop_type,
    };
    Ok((ids, created_ms))
}

/// The task just made for `ids`.
pub(crate) fn created(ids: &Ids) -> CreateTaskResult {
    let now = now_ms();
    let task = Task::new(
        id(ids, now),
        TaskStatus::Working,
        rfc3339(now),
        rfc3339(now),
    )
    .with_status_message("waiting for a human")
    .with_poll_interval_ms(POLL_MS);
    CreateTaskResult::new(task)
}

/// The task's state from the hub's word on its request.
pub(crate) fn state(
    task_id: &str,
    ids: &Ids,
    created_ms: i128,
    reply: Result<StatusResponse, HubError>,
) -> Result<GetTaskResult, ErrorData> {
    let reply = reply.map_err(|e| ErrorData::internal_error(format!("the hub: {e}"), None))?;
    let now = now_ms();
    let task = Task::new(
        task_id,
        TaskStatus::Working,
        rfc3339(created_ms),
        rfc3339(now),
    )
    .with_poll_interval_ms(POLL_MS);
    let payload = if reply.status == Status::Pending {
        TaskPayload::Working
    } else if reply.status == Status::Cancelled {
        TaskPayload::Cancelled
    } else {
        let result = serde_json::to_value(Outcome::new(ids, reply).result())
            .ok()
            .and_then(|v| match v {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            })
            .unwrap_or_default();
        TaskPayload::Completed { result }
    };
    Ok(GetTaskResult::new(DetailedTask::new(task, payload)))
}

fn now_ms() -> i128 {
    OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000
}

fn rfc3339(ms: i128) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_id_names_its_request_and_nothing_else_parses() {
        let ids = Ids {
            conversation_id: "c-1".into(),
            request_id: "r-1".into(),
            loop_type: Some(LoopType::Information),
        };
        let (back, created) = parse(&id(&ids, 1_700_000_000_000)).expect("parses");
        assert_eq!((back, created), (ids, 1_700_000_000_000));
        for bad in [
            "",
            "approval",
            "approval:x:c:r",
            "approval:1::r",
            "approval:1:c:",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
