//! What the policy costs a create: `Policy::plan_for` over 1, 100 and 1,000 rules, where only the
//! last rule matches (the worst case: every rule is tried), for a request with a function call
//! and a few arguments. `cargo bench -p gohumanloop-hub --bench policy`.

// criterion's macros define public functions without documentation.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use gohumanloop::model::LoopType;
use gohumanloop_hub::policy::{Policy, Subject};
use serde_json::json;

/// `rules` rules: each but the last names a function this request does not call, with an
/// argument condition; the last one matches.
fn policy(rules: usize) -> Policy {
    let mut text = String::from("[policy.groups]\nfinance = [\"alice\", \"bob\"]\n");
    for n in 0..rules.saturating_sub(1) {
        text.push_str(&format!(
            "[[policy.rule]]\nname = \"r{n}\"\nwhen.function = \"tool_{n}_*\"\n\
             when.loop_type = \"approval\"\nwhen.arguments = {{ \"/amount\" = {{ gt = {n} }} }}\n\
             approvers = [\"finance\"]\n"
        ));
    }
    text.push_str(
        "[[policy.rule]]\nname = \"payments\"\nwhen.function = \"pay_*\"\n\
         when.arguments = { \"/amount\" = { gt = 1000 }, \"/currency\" = [\"EUR\", \"USD\"] }\n\
         approvers = [\"finance\"]\nquorum = { approvals = 2 }\n",
    );
    let file: toml::Value = toml::from_str(&text).expect("valid TOML");
    Policy::from_toml(&file["policy"]).expect("a valid policy")
}

fn plan_for(c: &mut Criterion) {
    let context = json!({
        "question": "Pay?",
        "function": {"function_name": "pay_invoice",
                     "arguments": {"invoice": "INV-7", "amount": 1200, "currency": "EUR"}},
    });
    let metadata = json!({"env": "prod"});
    let subject = Subject {
        tenant: "acme",
        platform: "prod-agents",
        loop_type: LoopType::Approval,
        context: &context,
        metadata: &metadata,
    };
    for rules in [1, 100, 1_000] {
        let policy = policy(rules);
        assert_eq!(
            policy.plan_for(&subject).map(|p| p.rule),
            Some("payments".to_owned())
        );
        c.bench_function(&format!("plan_for/{rules}_rules"), |b| {
            b.iter(|| black_box(policy.plan_for(black_box(&subject))))
        });
    }
}

criterion_group!(benches, plan_for);
criterion_main!(benches);
