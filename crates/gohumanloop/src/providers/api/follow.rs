//! Following one request on the server until it ends: long-poll where the server offers it
//! (an answer arrives within milliseconds), else poll every `poll_interval` as the original.
//! Unlike the original's poll thread, a failing server never leaves a request `pending`
//! forever: the local deadline still fires, and failures that last `give_up_after` end the
//! request with `error`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::client::Client;
use super::ApiOptions;
use crate::model::wire::StatusQuery;
use crate::model::Status;
use crate::provider::{Answer, Ledger};

/// How long one long-poll waits at the server.
const LONG_POLL: Duration = Duration::from_secs(25);

/// What one status reply means.
#[derive(Debug, PartialEq)]
pub(super) enum Reading {
    /// The server still waits for a human.
    Pending,
    /// The request moved on.
    Moved(Box<Answer>),
}

/// Reads a status reply leniently (extra keys ignored; Go services' string answers and zero
/// times accepted); `Err` for a reply that says nothing usable.
pub(super) fn interpret(body: &Value) -> Result<Reading, String> {
    if body.get("success") != Some(&Value::Bool(true)) {
        let error = body.get("error").and_then(Value::as_str);
        return Err(error
            .unwrap_or("the server did not report the request's status")
            .to_owned());
    }
    let text = body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("pending");
    let status: Status = text
        .parse()
        .map_err(|_| format!("the server reported an unknown status '{text}'"))?;
    if status == Status::Pending {
        return Ok(Reading::Pending);
    }
    let present = |key: &str| body.get(key).filter(|v| !v.is_null()).cloned();
    let mut answer = Answer::new(status);
    if let Some(response) = present("response") {
        answer = answer.response(response);
    }
    if let Some(feedback) = present("feedback") {
        answer = answer.feedback(feedback);
    }
    if let Some(Value::String(who)) = present("responded_by") {
        answer = answer.by(who);
    }
    // Go services send a zero time while nobody answered.
    if let Some(Value::String(at)) = present("responded_at") {
        if !at.starts_with("0001-01-01") {
            answer = answer.at(at);
        }
    }
    if let Some(Value::String(error)) = present("error") {
        answer.error = Some(error);
    }
    Ok(Reading::Moved(Box::new(answer)))
}

/// Follows one request until it ends locally (answered, cancelled, expired) or is superseded by
/// a newer turn of its conversation.
pub(super) async fn follow(
    client: Arc<Client>,
    options: Arc<ApiOptions>,
    ledger: Ledger,
    query: StatusQuery,
) {
    let (cid, rid) = (query.conversation_id.clone(), query.request_id.clone());
    let Ok(mut local) = ledger.subscribe(&cid, &rid) else {
        return;
    };
    let mut long_polls = true;
    let mut failing_since: Option<(Instant, String)> = None;
    loop {
        // Forgotten here (the conversation was dropped): nothing left to follow.
        let Some(current) = ledger.get(&cid, &rid) else {
            return;
        };
        let now = current.status;
        if now.is_terminal() || (now == Status::InProgress && superseded(&ledger, &cid, &rid)) {
            return;
        }
        let wait = (long_polls && now == Status::Pending).then_some(LONG_POLL);
        let reply = tokio::select! {
            reply = client.status(&query, wait) => reply,
            // Cancelled or expired here meanwhile (or forgotten): look again from the top.
            _ = local.wait_for(|r| r.status != now) => continue,
        };
        let outcome = reply.and_then(|reply| {
            long_polls = reply.long_polls;
            interpret(&reply.body)
        });
        match outcome {
            Ok(reading) => {
                failing_since = None;
                if let Reading::Moved(answer) = reading {
                    if answer.status != now {
                        // A local change may have won the race; the first change stands.
                        let _ = ledger.resolve(&cid, &rid, *answer);
                    }
                }
            }
            Err(error) => {
                tracing::debug!(request = %rid, %error, "cannot read the request's status");
                let since = failing_since.get_or_insert_with(|| (Instant::now(), String::new()));
                since.1 = error;
                if since.0.elapsed() >= options.give_up_after {
                    let message = format!(
                        "Lost track of the request at the server for {} s: {}",
                        options.give_up_after.as_secs(),
                        since.1
                    );
                    tracing::warn!(request = %rid, "{message}");
                    let _ = ledger.resolve(&cid, &rid, Answer::error(message));
                    return;
                }
            }
        }
        let quick =
            failing_since.is_none() && long_polls && local.borrow().status == Status::Pending;
        if !quick {
            tokio::select! {
                _ = tokio::time::sleep(options.poll_interval) => {}
                changed = local.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Whether the conversation has a turn newer than this one.
fn superseded(ledger: &Ledger, conversation_id: &str, request_id: &str) -> bool {
    ledger
        .history(conversation_id)
        .last()
        .is_some_and(|latest| latest.request_id != request_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replies_are_read_as_the_original_client_reads_them() {
        assert_eq!(
            interpret(&json!({"success": true, "status": "pending"})),
            Ok(Reading::Pending)
        );
        assert_eq!(interpret(&json!({"success": true})), Ok(Reading::Pending));
        let Ok(Reading::Moved(a)) = interpret(&json!({
            "success": true, "status": "approved", "response": {"decision": "approved"},
            "responded_by": "alice", "responded_at": "2026-01-01T00:00:00Z", "extra": 1
        })) else {
            panic!("an answer")
        };
        assert_eq!(a.status, Status::Approved);
        assert_eq!(a.response, json!({"decision": "approved"}));
        assert_eq!(a.responded_by.as_deref(), Some("alice"));
        assert_eq!(a.responded_at.as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn go_services_strings_and_zero_times_are_accepted() {
        let Ok(Reading::Moved(a)) = interpret(&json!({
            "success": true, "status": "rejected", "response": "too risky",
            "feedback": "", "responded_at": "0001-01-01T00:00:00Z"
        })) else {
            panic!("an answer")
        };
        assert_eq!(a.response, json!("too risky"));
        assert_eq!(a.responded_at, None);
    }

    #[test]
    fn soft_failures_and_unknown_statuses_are_errors() {
        assert_eq!(
            interpret(
                &json!({"success": false, "error": "Request not found: r1", "status": "pending"})
            ),
            Err("Request not found: r1".to_owned())
        );
        assert!(interpret(&json!({"detail": "Request not found"})).is_err());
        assert!(interpret(&json!({"success": true, "status": "maybe"}))
            .unwrap_err()
            .contains("unknown status 'maybe'"));
    }
}
