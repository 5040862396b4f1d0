//! The exit-code contract of `ghl ask`, and the words it adds about who decided.

use gohumanloop::guard::{decider, Decider};
use gohumanloop::{HumanLoopResult, Status};
use serde_json::Value;

/// Approved, or answered (information given, a conversation turn answered or ended).
pub const ANSWERED: i32 = 0;
/// Rejected.
pub const REJECTED: i32 = 1;
/// Expired or cancelled: nobody decided.
pub const UNDECIDED: i32 = 2;
/// Anything went wrong (usage error, end of input, provider failure).
pub const ERROR: i32 = 3;

/// The exit code for a final status.
pub fn exit_code(status: Status) -> i32 {
    match status {
        Status::Approved | Status::Completed | Status::InProgress => ANSWERED,
        Status::Rejected => REJECTED,
        Status::Expired | Status::Cancelled => UNDECIDED,
        Status::Error | Status::Pending => ERROR,
    }
}

/// What `ghl ask` says about who decided, when not a human: "rejected by policy at the
/// deadline (rule X)", "rejected by policy (rule X): reason", "approved by policy (rule X)",
/// "approved by grant G"; and, when the approver edited the call's arguments, "approved with
/// edited arguments (keys): JSON". Empty for a human's plain decision.
pub fn decision_notes(result: &HumanLoopResult) -> Vec<String> {
    let response = &result.response;
    let reason = response
        .get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty());
    // The hub's own sentence already says what the note says; add only other reasons.
    let own_reason = reason.filter(|r| !r.contains("by policy"));
    let with_reason = |note: String| match own_reason {
        Some(reason) => format!("{note}: {reason}"),
        None => note,
    };
    let mut notes = Vec::new();
    match (result.status, decider(response)) {
        (Status::Rejected, Some(Decider::Policy { rule, when })) => {
            notes.push(with_reason(if when == Some("at_deadline") {
                format!("rejected by policy at the deadline (rule {rule})")
            } else {
                format!("rejected by policy (rule {rule})")
            }))
        }
        (Status::Approved, Some(Decider::Policy { rule, .. })) => {
            notes.push(format!("approved by policy (rule {rule})"))
        }
        (Status::Approved, Some(Decider::Grant { grant_id })) => {
            notes.push(format!("approved by grant {grant_id}"))
        }
        (Status::Rejected, Some(Decider::Grant { grant_id })) => {
            notes.push(with_reason(format!("rejected by grant {grant_id}")))
        }
        _ => {}
    }
    if result.status == Status::Approved {
        if let Some(arguments) = response.get("arguments").filter(|a| !a.is_null()) {
            let keys: Vec<&str> = response
                .get("edited_keys")
                .and_then(Value::as_array)
                .map(|keys| keys.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let keys = if keys.is_empty() {
                String::new()
            } else {
                format!(" ({})", keys.join(", "))
            };
            notes.push(format!("approved with edited arguments{keys}: {arguments}"));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use gohumanloop::LoopType;
    use serde_json::json;

    use super::*;

    fn decided(status: Status, response: Value) -> Vec<String> {
        let mut result = HumanLoopResult::pending("c", "r", LoopType::Approval);
        result.status = status;
        result.response = response;
        decision_notes(&result)
    }

    #[test]
    fn policy_and_grant_decisions_are_named() {
        assert_eq!(
            decided(
                Status::Rejected,
                json!({"decision": "rejected", "decided_by": "policy", "rule": "large-payments",
                       "when": "at_deadline",
                       "reason": "rejected by policy at the deadline (rule large-payments)"})
            ),
            ["rejected by policy at the deadline (rule large-payments)"]
        );
        assert_eq!(
            decided(
                Status::Rejected,
                json!({"decided_by": "policy", "rule": "large-payments", "when": "at_deadline"})
            ),
            ["rejected by policy at the deadline (rule large-payments)"]
        );
        assert_eq!(
            decided(
                Status::Rejected,
                json!({"decision": "rejected", "decided_by": "policy", "rule": "no-prod",
                       "when": "at_create", "reason": "prod is frozen"})
            ),
            ["rejected by policy (rule no-prod): prod is frozen"]
        );
        assert_eq!(
            decided(
                Status::Approved,
                json!({"decision": "approved", "decided_by": "policy", "rule": "small",
                       "when": "at_create"})
            ),
            ["approved by policy (rule small)"]
        );
        assert_eq!(
            decided(
                Status::Approved,
                json!({"decision": "approved", "decided_by": "grant", "grant_id": "g-7"})
            ),
            ["approved by grant g-7"]
        );
    }

    #[test]
    fn a_human_decision_adds_nothing_but_edited_arguments() {
        assert!(decided(Status::Approved, json!({"decision": "approved"})).is_empty());
        assert!(decided(
            Status::Rejected,
            json!({"decision": "rejected", "reason": "not on a Friday"})
        )
        .is_empty());
        assert!(decided(Status::Rejected, json!("no")).is_empty());
        // An expiry is nobody's decision, whatever the response says.
        assert!(decided(
            Status::Expired,
            json!({"decided_by": "policy", "rule": "x", "when": "at_deadline"})
        )
        .is_empty());
        assert_eq!(
            decided(
                Status::Approved,
                json!({"decision": "approved", "arguments": {"amount": 5}, "edited": true,
                       "edited_keys": ["amount"]})
            ),
            [r#"approved with edited arguments (amount): {"amount":5}"#]
        );
    }

    #[test]
    fn every_status_has_its_documented_code() {
        let expected = [
            (Status::Pending, ERROR),
            (Status::Approved, ANSWERED),
            (Status::Rejected, REJECTED),
            (Status::Expired, UNDECIDED),
            (Status::Error, ERROR),
            (Status::Completed, ANSWERED),
            (Status::InProgress, ANSWERED),
            (Status::Cancelled, UNDECIDED),
        ];
        for (status, code) in expected {
            assert_eq!(exit_code(status), code, "{status}");
        }
    }
}
