//! Which rule a request gets: the first whose `when` holds, every key of `when` must hold.

use gohumanloop::model::LoopType;
use serde_json::{json, Value};

use super::load;
use crate::policy::Subject;

/// The rule `policy` (TOML) plans for a request, by name.
fn rule_for(
    policy: &str,
    tenant: &str,
    loop_type: LoopType,
    context: Value,
    metadata: Value,
) -> Option<String> {
    let Ok(policy) = load(policy) else {
        panic!("policy should load:\n{policy}")
    };
    let subject = Subject {
        tenant,
        platform: "slack",
        loop_type,
        context: &context,
        metadata: &metadata,
    };
    policy.plan_for(&subject).map(|plan| plan.rule)
}

fn call(function: &str, arguments: Value) -> Value {
    json!({"function": {"function_name": function, "arguments": arguments}})
}

#[test]
fn first_matching_rule_wins() {
    let policy = "[[policy.rule]]\nname = \"pay\"\nwhen.function = \"pay*\"\n[[policy.rule]]\nname = \"all\"\n[[policy.rule]]\nname = \"never\"\n";
    assert_eq!(
        rule_for(
            policy,
            "t",
            LoopType::Approval,
            call("pay", json!({})),
            json!({})
        )
        .as_deref(),
        Some("pay")
    );
    assert_eq!(
        rule_for(
            policy,
            "t",
            LoopType::Approval,
            call("rm", json!({})),
            json!({})
        )
        .as_deref(),
        Some("all")
    );
    assert_eq!(
        rule_for(policy, "t", LoopType::Conversation, json!({}), json!(null)).as_deref(),
        Some("all")
    );
}

#[test]
fn lists_are_any_of() {
    let policy = "[[policy.rule]]\nname = \"r\"\nwhen.tenant = [\"acme\", \"beta-*\"]\nwhen.loop_type = [\"information\", \"conversation\"]\n";
    let ok = |tenant: &str, loop_type| {
        rule_for(policy, tenant, loop_type, json!({}), json!({})).is_some()
    };
    assert!(ok("acme", LoopType::Information));
    assert!(ok("beta-1", LoopType::Conversation));
    assert!(!ok("acme", LoopType::Approval));
    assert!(!ok("gamma", LoopType::Information));
    assert!(
        !ok("ACME", LoopType::Information),
        "globs are case-sensitive"
    );
}

#[test]
fn function_conditions_need_a_function() {
    let policy = "[[policy.rule]]\nname = \"r\"\nwhen.function = \"*\"\n";
    assert!(rule_for(
        policy,
        "t",
        LoopType::Approval,
        call("x", json!(null)),
        json!({})
    )
    .is_some());
    assert!(rule_for(
        policy,
        "t",
        LoopType::Approval,
        json!({"message": "hi"}),
        json!({})
    )
    .is_none());
    assert!(rule_for(
        policy,
        "t",
        LoopType::Approval,
        json!({"function": {"function_name": 3}}),
        json!({})
    )
    .is_none());
}

#[test]
fn arguments_and_metadata_are_pointed_into() {
    let policy = "[[policy.rule]]\nname = \"r\"\nwhen.arguments = { \"/to/0\" = \"ops@*\", \"/dry_run\" = { absent = true } }\nwhen.metadata = { \"/env\" = [\"prod\", \"staging\"], \"/risk\" = { ge = 0.5 } }\n";
    let meta = json!({"env": "prod", "risk": 0.5});
    let hit = |args: Value, meta: Value| {
        rule_for(policy, "t", LoopType::Approval, call("mail", args), meta).is_some()
    };
    assert!(hit(json!({"to": ["ops@acme"]}), meta.clone()));
    assert!(!hit(
        json!({"to": ["ops@acme"], "dry_run": false}),
        meta.clone()
    ));
    assert!(!hit(json!({"to": ["dev@acme"]}), meta.clone()));
    assert!(
        !hit(json!("('ops@acme',)"), meta.clone()),
        "a Python argument string has no /to/0"
    );
    assert!(!hit(
        json!({"to": ["ops@acme"]}),
        json!({"env": "prod", "risk": 0.4})
    ));
    assert!(!hit(
        json!({"to": ["ops@acme"]}),
        json!({"env": "dev", "risk": 0.9})
    ));
}

#[test]
fn argument_conditions_without_arguments_fail_unless_absent() {
    let policy = "[[policy.rule]]\nname = \"absent\"\nwhen.arguments = { \"/x\" = { absent = true } }\n[[policy.rule]]\nname = \"present\"\nwhen.arguments = { \"/x\" = { absent = false } }\n";
    assert_eq!(
        rule_for(policy, "t", LoopType::Approval, json!({}), json!({})).as_deref(),
        Some("absent")
    );
    assert_eq!(
        rule_for(
            policy,
            "t",
            LoopType::Approval,
            call("f", json!({"x": 0})),
            json!({})
        )
        .as_deref(),
        Some("present")
    );
}

#[test]
fn a_thousand_rules_are_fast() {
    let mut text = String::new();
    for i in 0..1_000 {
        text.push_str(&format!(
            "[[policy.rule]]\nname = \"r{i}\"\nwhen.tenant = \"t{i}*\"\nwhen.function = [\"f{i}_*\", \"g{i}\"]\nwhen.arguments = {{ \"/a/b\" = {{ gt = {i} }} }}\n"
        ));
    }
    let Ok(policy) = load(&text) else {
        panic!("1,000 rules load")
    };
    let context = call("nothing", json!({"a": {"b": 5}}));
    let metadata = json!({});
    let subject = Subject {
        tenant: "t999",
        platform: "p",
        loop_type: LoopType::Approval,
        context: &context,
        metadata: &metadata,
    };
    let start = std::time::Instant::now();
    let rounds = 100;
    for _ in 0..rounds {
        assert!(policy.plan_for(&subject).is_none());
    }
    let each = start.elapsed() / rounds;
    // Unoptimised test builds are slow; the target (well under 1 ms) is for release builds.
    assert!(
        each < std::time::Duration::from_millis(5),
        "{each:?} per request"
    );
}
