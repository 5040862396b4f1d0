//! Binding an approval to the call it is for, and reading who (or what) decided it.
//!
//! A hub stamps every approval of a function call with `call_hash`
//! ([`call_hash`](crate::model::call_hash) of the function and the arguments the approval is
//! for: the approver's edited arguments when they edited them, sent back as `arguments`, else
//! the original ones). A decision made by the hub's policy carries `"decided_by": "policy"`,
//! `rule` and `when`; one made by a standing grant carries `"decided_by": "grant"` and
//! `grant_id`. Older hubs and local providers send none of these; their approvals are accepted
//! as before.

use serde_json::Value;

use crate::model::{call_hash, HumanLoopResult};

/// The arguments to run after an approval: the approver's edited `arguments` when the response
/// has them, else `asked` (the arguments the approval was asked for).
///
/// Call it in the callback of [`Guard::require_approval`](super::Guard::require_approval) to
/// run exactly what was approved; the guard has already checked that these arguments match the
/// approval's `call_hash` when it has one.
pub fn approved_arguments(result: &HumanLoopResult, asked: &Value) -> Value {
    result
        .response
        .get("arguments")
        .filter(|a| !a.is_null())
        .cloned()
        .unwrap_or_else(|| asked.clone())
}

/// How an approval relates to the call about to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// The approval's `call_hash` is that of the call to run.
    Bound,
    /// The approval has no `call_hash` (an older hub, a local provider): nothing to check.
    Unbound,
    /// The approval's `call_hash` is that of another call (or is not a hash at all).
    Mismatch {
        /// The hash the approval carries (its JSON text when it is not a string).
        approved: String,
        /// The hash of the call to run.
        expected: String,
    },
}

/// Checks `result`'s `call_hash` against the call of `function` with the arguments to run
/// ([`approved_arguments`] of `result` and `asked`).
pub fn binding(function: &str, asked: &Value, result: &HumanLoopResult) -> Binding {
    let approved = match result.response.get("call_hash") {
        None | Some(Value::Null) => return Binding::Unbound,
        Some(Value::String(hash)) => hash.clone(),
        Some(other) => other.to_string(),
    };
    let expected = call_hash(function, &approved_arguments(result, asked));
    if approved.eq_ignore_ascii_case(&expected) {
        Binding::Bound
    } else {
        Binding::Mismatch { approved, expected }
    }
}

/// Who decided a request instead of a human, as the response says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider<'a> {
    /// The hub's policy.
    Policy {
        /// The rule's name (`""` when the response does not name it).
        rule: &'a str,
        /// When the rule decided: `at_create`, `at_deadline` or `repeat`, if the response says.
        when: Option<&'a str>,
    },
    /// A standing grant.
    Grant {
        /// The grant's id (`""` when the response does not name it).
        grant_id: &'a str,
    },
}

/// Who decided, when the response says a policy or a grant did; `None` for a human's decision
/// (or a response that says nothing about it).
pub fn decider(response: &Value) -> Option<Decider<'_>> {
    let text = |key: &str| response.get(key).and_then(Value::as_str);
    match text("decided_by")? {
        "policy" => Some(Decider::Policy {
            rule: text("rule").unwrap_or_default(),
            when: text("when"),
        }),
        "grant" => Some(Decider::Grant {
            grant_id: text("grant_id").unwrap_or_default(),
        }),
        _ => None,
    }
}

/// The reason of a rejection: the response's `reason` for a policy's rejection (or, when it
/// has none, "rejected by policy at the deadline (rule X)" / "rejected by policy (rule X)");
/// for a human's, the response's `reason` (a hub's answer) or else its text.
pub fn rejection_reason(result: &HumanLoopResult) -> String {
    match decider(&result.response) {
        Some(Decider::Policy { rule, when }) => {
            let reason = result
                .response
                .get("reason")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|r| !r.is_empty());
            match (reason, when) {
                (Some(reason), _) if reason.contains("policy") => reason.to_owned(),
                (Some(reason), _) => format!("rejected by policy (rule {rule}): {reason}"),
                (None, Some("at_deadline")) => {
                    format!("rejected by policy at the deadline (rule {rule})")
                }
                (None, _) => format!("rejected by policy (rule {rule})"),
            }
        }
        // A hub's answer is `{"decision": "rejected", "reason": …}`: the reason is the words.
        _ => result
            .response
            .get("reason")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map_or_else(|| result.response_text(), str::to_owned),
    }
}

/// The `call_hash` of an approval, for messages.
pub(crate) fn approved_hash(result: &HumanLoopResult) -> String {
    match result.response.get("call_hash") {
        Some(Value::String(hash)) => hash.clone(),
        Some(other) => other.to_string(),
        None => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{LoopType, Status};

    fn with(status: Status, response: Value) -> HumanLoopResult {
        let mut result = HumanLoopResult::pending("c", "r", LoopType::Approval);
        result.status = status;
        result.response = response;
        result
    }

    #[test]
    fn edited_arguments_are_the_ones_to_run_and_are_bound_by_their_hash() {
        let asked = json!({"amount": 500});
        let edited = json!({"amount": 50});
        let result = with(
            Status::Approved,
            json!({"arguments": edited, "edited": true, "call_hash": call_hash("pay", &edited)}),
        );
        assert_eq!(approved_arguments(&result, &asked), edited);
        assert_eq!(binding("pay", &asked, &result), Binding::Bound);
        // The same approval does not bind another function.
        assert!(matches!(
            binding("refund", &asked, &result),
            Binding::Mismatch { .. }
        ));
        let plain = with(Status::Approved, json!({"decision": "approved"}));
        assert_eq!(approved_arguments(&plain, &asked), asked);
        assert_eq!(binding("pay", &asked, &plain), Binding::Unbound);
        let odd = with(Status::Approved, json!({"call_hash": 7}));
        assert_eq!(
            binding("pay", &asked, &odd),
            Binding::Mismatch {
                approved: "7".into(),
                expected: call_hash("pay", &asked)
            }
        );
    }

    #[test]
    fn a_policy_rejection_says_so() {
        let at_deadline = with(
            Status::Rejected,
            json!({"decided_by": "policy", "rule": "big", "when": "at_deadline"}),
        );
        assert_eq!(
            rejection_reason(&at_deadline),
            "rejected by policy at the deadline (rule big)"
        );
        let at_create = with(
            Status::Rejected,
            json!({"decided_by": "policy", "rule": "big", "when": "at_create", "reason": "over 1000"}),
        );
        assert_eq!(
            rejection_reason(&at_create),
            "rejected by policy (rule big): over 1000"
        );
        let worded = with(
            Status::Rejected,
            json!({"decided_by": "policy", "rule": "big", "when": "at_deadline",
                   "reason": "rejected by policy at the deadline (rule big)"}),
        );
        assert_eq!(
            rejection_reason(&worded),
            "rejected by policy at the deadline (rule big)"
        );
        let human = with(Status::Rejected, json!("not on a Friday"));
        assert_eq!(rejection_reason(&human), "not on a Friday");
        let through_hub = with(
            Status::Rejected,
            json!({"decision": "rejected", "reason": "not on a Friday"}),
        );
        assert_eq!(rejection_reason(&through_hub), "not on a Friday");
        assert_eq!(decider(&human.response), None);
        assert_eq!(
            decider(&json!({"decided_by": "grant", "grant_id": "g1"})),
            Some(Decider::Grant { grant_id: "g1" })
        );
    }
}
