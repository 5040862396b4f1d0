//! [`Verdict`]: what a human's answer means for a gated tool call — the one place this adapter
//! maps a request's outcome to what happens to the call (the hook and the wrapper both use it).

use gohumanloop::guard::{approved_arguments, binding, rejection_reason, Binding};
use gohumanloop::{HumanLoopResult, Status};
use serde_json::Value;

/// What happens to a gated tool call once its request has ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Run the call as the model made it.
    Run,
    /// Run the call with the approver's edited arguments (a JSON object).
    RunWith(Value),
    /// Do not run the call; the model is told why and the run goes on.
    Skip(String),
    /// Do not run the call, and stop the run with this reason.
    Abort(String),
}

/// What a request that expired (nobody answered in time) does to its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnExpiry {
    /// The call is skipped and the model is told that nobody answered (the default).
    #[default]
    Skip,
    /// The run stops.
    Abort,
}

/// The verdict on a call of `tool` with `asked` arguments whose request ended as `result`:
///
/// | outcome | verdict |
/// |---|---|
/// | approved | run (with the approver's arguments when edited); skipped when the approval names another tool, is bound to another call (`call_hash`), or edits the arguments into something that is not a JSON object |
/// | rejected | skipped, with the approver's reason |
/// | expired | skipped (or the run stops: [`OnExpiry::Abort`]) |
/// | cancelled | the run stops: someone withdrew the request |
/// | error, or any other status | the run stops (fail closed) |
pub fn verdict(
    tool: &str,
    asked: &Value,
    result: &HumanLoopResult,
    on_expiry: OnExpiry,
) -> Verdict {
    match result.status {
        Status::Approved => approved(tool, asked, result),
        Status::Rejected => Verdict::Skip(format!(
            "A human rejected this call of `{tool}`, so it was not made. Their reason: {}",
            rejection_reason(result)
        )),
        Status::Expired => {
            let text = format!(
                "No human answered before the request to call `{tool}` expired, so the call was \
                 not made."
            );
            match on_expiry {
                OnExpiry::Skip => Verdict::Skip(text),
                OnExpiry::Abort => Verdict::Abort(text),
            }
        }
        Status::Cancelled => Verdict::Abort(format!(
            "the request to call `{tool}` was cancelled{}",
            result
                .responded_by
                .as_deref()
                .map(|who| format!(" by {who}"))
                .unwrap_or_default()
        )),
        Status::Error => Verdict::Abort(format!(
            "asking a human about `{tool}` failed: {}",
            result.error.as_deref().unwrap_or("no error message")
        )),
        other => Verdict::Abort(format!(
            "the request about `{tool}` ended as `{other}`, which decides nothing about a call"
        )),
    }
}

/// The answer to an information request the model asked ([`AskHuman`](crate::AskHuman)):
/// the human's text when they gave it, else why not — skipped (rejected: they declined;
/// expired as [`OnExpiry`] says) or aborted (cancelled, failed).
pub fn information(result: &HumanLoopResult, on_expiry: OnExpiry) -> Result<String, Verdict> {
    match result.status {
        Status::Completed => Ok(result.response_text()),
        Status::Rejected => Err(Verdict::Skip(format!(
            "The human declined to answer: {}",
            result.response_text()
        ))),
        Status::Expired => {
            let text = "No human answered the question before it expired.".to_owned();
            Err(match on_expiry {
                OnExpiry::Skip => Verdict::Skip(text),
                OnExpiry::Abort => Verdict::Abort(text),
            })
        }
        Status::Cancelled => Err(Verdict::Abort("the question was cancelled".into())),
        other => Err(Verdict::Abort(format!(
            "the question ended as `{other}`{}",
            result
                .error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ))),
    }
}

fn approved(tool: &str, asked: &Value, result: &HumanLoopResult) -> Verdict {
    if let Some(named) = named_tool(&result.response).filter(|named| *named != tool) {
        return Verdict::Skip(format!(
            "The approval names the tool `{named}`, but this call is to `{tool}`: an approval \
             cannot change which tool runs, so the call was not made."
        ));
    }
    let arguments = approved_arguments(result, asked);
    if !arguments.is_object() {
        return Verdict::Skip(format!(
            "The approver's edited arguments for `{tool}` are not a JSON object, so the call \
             was not made."
        ));
    }
    if let Binding::Mismatch { approved, .. } = binding(tool, asked, result) {
        return Verdict::Skip(format!(
            "The approval is for another call (call_hash {approved}), not this call of \
             `{tool}`, so the call was not made."
        ));
    }
    if arguments == *asked {
        Verdict::Run
    } else {
        Verdict::RunWith(arguments)
    }
}

/// The tool an approval's response names, if it names one (`function_name`, `tool_name`,
/// `tool`, or `function.function_name`).
fn named_tool(response: &Value) -> Option<&str> {
    ["function_name", "tool_name", "tool"]
        .iter()
        .find_map(|key| response.get(key).and_then(Value::as_str))
        .or_else(|| {
            response
                .get("function")
                .and_then(|f| f.get("function_name"))
                .and_then(Value::as_str)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohumanloop::model::call_hash;
    use gohumanloop::LoopType;
    use serde_json::json;

    fn ended(status: Status, response: Value) -> HumanLoopResult {
        let mut result = HumanLoopResult::pending("c", "r", LoopType::Approval);
        result.status = status;
        result.response = response;
        result
    }

    #[test]
    fn every_outcome_has_its_verdict() {
        let asked = json!({"path": "/tmp/a"});
        let v = |status, response| verdict("rm", &asked, &ended(status, response), OnExpiry::Skip);
        assert_eq!(
            v(Status::Approved, json!({"decision": "approved"})),
            Verdict::Run
        );
        let edited = json!({"path": "/tmp/b"});
        assert_eq!(
            v(
                Status::Approved,
                json!({"arguments": edited, "call_hash": call_hash("rm", &edited)})
            ),
            Verdict::RunWith(edited)
        );
        let Verdict::Skip(why) = v(Status::Rejected, json!("not that folder")) else {
            panic!("a rejection skips")
        };
        assert!(why.contains("not that folder"), "{why}");
        assert!(
            matches!(v(Status::Expired, Value::Null), Verdict::Skip(w) if w.contains("expired"))
        );
        assert!(matches!(
            verdict(
                "rm",
                &asked,
                &ended(Status::Expired, Value::Null),
                OnExpiry::Abort
            ),
            Verdict::Abort(_)
        ));
        assert!(
            matches!(v(Status::Cancelled, Value::Null), Verdict::Abort(w) if w.contains("cancelled"))
        );
        assert!(matches!(v(Status::Error, Value::Null), Verdict::Abort(_)));
        assert!(matches!(
            v(Status::Completed, json!("x")),
            Verdict::Abort(_)
        ));
    }

    #[test]
    fn an_approval_cannot_change_the_tool_or_approve_another_call() {
        let asked = json!({"path": "/tmp/a"});
        let v = |response| {
            verdict(
                "rm",
                &asked,
                &ended(Status::Approved, response),
                OnExpiry::Skip,
            )
        };
        for renamed in [
            json!({"function_name": "rm_rf"}),
            json!({"tool": "rm_rf"}),
            json!({"function": {"function_name": "rm_rf", "arguments": {}}}),
        ] {
            assert!(matches!(v(renamed), Verdict::Skip(w) if w.contains("cannot change")));
        }
        // Naming the same tool is fine.
        assert_eq!(v(json!({"function_name": "rm"})), Verdict::Run);
        assert!(matches!(
            v(json!({"call_hash": call_hash("rm", &json!({"path": "/"}))})),
            Verdict::Skip(w) if w.contains("another call")
        ));
        assert!(
            matches!(v(json!({"arguments": [1, 2]})), Verdict::Skip(w) if w.contains("not a JSON object"))
        );
    }
}
