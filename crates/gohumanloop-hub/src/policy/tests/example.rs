//! The example of the module's documentation, parsed into the expected plans.

use gohumanloop::model::LoopType;
use serde_json::{json, Value};

use super::load;
use crate::policy::{
    AtDeadline, AutoDecision, Escalation, OnRepeat, Plan, Quorum, RejectionRule, Subject,
};

pub(super) const EXAMPLE: &str = r#"
[policy.groups]
finance = ["alice", "bob", "carol"]
oncall  = ["dave", "erin"]

[[policy.rule]]
name = "deny-rm-rf-root"              # required, unique
when.function = "shell*"              # glob on context.function.function_name
when.arguments = { "/command" = "rm -rf /*" }   # JSON pointer -> matcher
decide = "reject"                     # auto-decision: "approve" | "reject"
reason = "recursive deletes of / are never allowed"   # required with decide

[[policy.rule]]
name = "read-only"
when.function = ["get_*", "list_*", "read_*"]   # a glob or a list of globs (any)
when.loop_type = "approval"           # added: "approve" needs exactly this
decide = "approve"
reason = "read-only calls need no human"

[[policy.rule]]
name = "large-payments"
when.tenant = "acme"                  # glob or list, on the tenant's name
when.platform = "prod-*"              # glob or list
when.loop_type = "approval"           # one or a list of approval|information|conversation
when.function = "pay_*"
when.arguments = { "/amount" = { gt = 1000 }, "/currency" = ["EUR", "USD"] }
when.metadata = { "/env" = "prod" }
approvers = ["finance"]               # group names or people; empty/absent = anyone may decide
deadline = "30m"                      # the deadline the plan gives when the request has none
at_deadline = "reject"                # "expire" (default) | "approve" | "reject"
escalate = [ { after = "10m", to = ["oncall"] } ]   # steps; after strictly increasing
quorum = { approvals = 2, rejection = "veto" }      # N distinct eligible approvers; "veto" (default) | "majority"
grants = true                         # may a live grant approve it at once (default false)
on_repeat = "refuse"                  # after a human rejected the same call: "ask" (default) | "refuse" | "escalate"
repeat_window = "1h"                  # how long "just rejected" lasts (default "1h")
"#;

fn auto(rule: &str, approve: bool, reason: &str) -> Plan {
    Plan {
        rule: rule.into(),
        decide: Some(AutoDecision {
            approve,
            reason: reason.into(),
        }),
        approvers: vec![],
        deadline_secs: None,
        at_deadline: AtDeadline::Expire,
        escalation: vec![],
        quorum: None,
        grants: false,
        on_repeat: OnRepeat::Ask,
        repeat_window_secs: 3_600,
    }
}

fn payments() -> Plan {
    Plan {
        rule: "large-payments".into(),
        decide: None,
        approvers: vec!["alice".into(), "bob".into(), "carol".into()],
        deadline_secs: Some(1_800),
        at_deadline: AtDeadline::Reject,
        escalation: vec![Escalation {
            after_secs: 600,
            to: vec!["oncall".into()],
            people: vec!["dave".into(), "erin".into()],
        }],
        quorum: Some(Quorum {
            approvals: 2,
            rejection: RejectionRule::Veto,
        }),
        grants: true,
        on_repeat: OnRepeat::Refuse,
        repeat_window_secs: 3_600,
    }
}

fn plan(
    tenant: &str,
    platform: &str,
    loop_type: LoopType,
    function: &str,
    args: Value,
    metadata: Value,
) -> Option<Plan> {
    let policy = load(EXAMPLE).ok()?;
    let context = json!({"function": {"function_name": function, "arguments": args}});
    policy.plan_for(&Subject {
        tenant,
        platform,
        loop_type,
        context: &context,
        metadata: &metadata,
    })
}

#[test]
fn the_example_loads_with_its_groups() {
    let policy = load(EXAMPLE);
    assert!(policy.is_ok(), "{policy:?}");
    let Ok(policy) = policy else { return };
    assert_eq!(policy.len(), 3);
    assert_eq!(
        policy.group("oncall"),
        Some(&["dave".to_owned(), "erin".to_owned()][..])
    );
    assert_eq!(policy.group("nobody"), None);
}

#[test]
fn the_example_gives_its_three_plans() {
    let approval = LoopType::Approval;
    assert_eq!(
        plan(
            "t",
            "p",
            approval,
            "shell_exec",
            json!({"command": "rm -rf /etc"}),
            json!({})
        ),
        Some(auto(
            "deny-rm-rf-root",
            false,
            "recursive deletes of / are never allowed"
        ))
    );
    assert_eq!(
        plan("t", "p", approval, "list_files", json!({}), json!({})),
        Some(auto("read-only", true, "read-only calls need no human"))
    );
    let big = json!({"amount": 1500, "currency": "EUR"});
    let prod = json!({"env": "prod"});
    assert_eq!(
        plan(
            "acme",
            "prod-eu",
            approval,
            "pay_invoice",
            big.clone(),
            prod.clone()
        ),
        Some(payments())
    );
}

#[test]
fn the_contract_example_as_written_is_refused_only_for_read_only() {
    let as_written = EXAMPLE.replace(
        "when.loop_type = \"approval\"           # added: \"approve\" needs exactly this\n",
        "",
    );
    let lines = load(&as_written).err().unwrap_or_default();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with("policy.rule 'read-only': decide: \"approve\" needs"),
        "{lines:#?}"
    );
}

#[test]
fn read_only_is_no_auto_approval_of_other_types() {
    assert_eq!(
        plan(
            "t",
            "p",
            LoopType::Information,
            "list_files",
            json!({}),
            json!({})
        ),
        None
    );
    let deny = plan(
        "t",
        "p",
        LoopType::Conversation,
        "shell",
        json!({"command": "rm -rf /"}),
        json!({}),
    );
    assert_eq!(deny.map(|p| p.rule), Some("deny-rm-rf-root".to_owned()));
}

#[test]
fn every_condition_of_large_payments_must_hold() {
    let approval = LoopType::Approval;
    let big = json!({"amount": 1500, "currency": "EUR"});
    let prod = json!({"env": "prod"});
    let misses = [
        plan(
            "other",
            "prod-eu",
            approval,
            "pay_invoice",
            big.clone(),
            prod.clone(),
        ),
        plan(
            "acme",
            "staging",
            approval,
            "pay_invoice",
            big.clone(),
            prod.clone(),
        ),
        plan(
            "acme",
            "prod-eu",
            LoopType::Conversation,
            "pay_invoice",
            big.clone(),
            prod.clone(),
        ),
        plan(
            "acme",
            "prod-eu",
            approval,
            "refund",
            big.clone(),
            prod.clone(),
        ),
        plan(
            "acme",
            "prod-eu",
            approval,
            "pay_invoice",
            json!({"amount": 1000, "currency": "EUR"}),
            prod.clone(),
        ),
        plan(
            "acme",
            "prod-eu",
            approval,
            "pay_invoice",
            json!({"amount": 1500, "currency": "GBP"}),
            prod.clone(),
        ),
        plan(
            "acme",
            "prod-eu",
            approval,
            "pay_invoice",
            big.clone(),
            json!({"env": "dev"}),
        ),
        plan("acme", "prod-eu", approval, "pay_invoice", big, json!({})),
    ];
    for (i, miss) in misses.iter().enumerate() {
        assert_eq!(miss, &None, "case {i}");
    }
    assert_eq!(
        plan(
            "t",
            "p",
            approval,
            "shell",
            json!({"command": "ls"}),
            json!({})
        ),
        None
    );
}

#[test]
fn a_request_without_a_function_matches_no_function_rule() {
    let Ok(policy) = load(EXAMPLE) else {
        panic!("the example loads")
    };
    let context = json!({"message": "hello"});
    let subject = Subject {
        tenant: "acme",
        platform: "prod",
        loop_type: LoopType::Approval,
        context: &context,
        metadata: &json!({}),
    };
    assert_eq!(policy.plan_for(&subject), None);
}

#[test]
fn plans_round_trip_as_json() {
    for plan in [payments(), auto("r", true, "ok")] {
        let json = serde_json::to_value(&plan).unwrap_or_default();
        assert_eq!(
            json["at_deadline"],
            if plan.decide.is_some() {
                "expire"
            } else {
                "reject"
            }
        );
        assert_eq!(serde_json::from_value::<Plan>(json).ok(), Some(plan));
    }
    let minimal = serde_json::from_value::<Plan>(json!({"rule": "r"})).ok();
    assert_eq!(
        minimal.map(|p| (p.repeat_window_secs, p.on_repeat)),
        Some((3_600, OnRepeat::Ask))
    );
}
