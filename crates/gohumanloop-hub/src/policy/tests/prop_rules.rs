//! Property: `plan_for` gives the first rule whose conditions all hold, checked against a
//! straightforward evaluator written here (literal globs match only themselves, `*` anything).

use gohumanloop::model::LoopType;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::load;
use crate::policy::Subject;

const WORDS: [&str; 4] = ["a", "b", "ab", "ba"];

#[derive(Debug, Clone)]
enum Glob {
    Literal(&'static str),
    Star,
}

#[derive(Debug, Clone, Copy)]
enum Bound {
    Gt(i64),
    Ge(i64),
    Lt(i64),
    Le(i64),
    Eq(i64),
}

#[derive(Debug, Clone)]
struct Rule {
    tenant: Option<Vec<Glob>>,
    loop_type: Option<Vec<LoopType>>,
    function: Option<Vec<Glob>>,
    amount: Option<Bound>,
    flag: Option<bool>,
}

#[derive(Debug, Clone)]
struct Request {
    tenant: &'static str,
    loop_type: LoopType,
    function: Option<&'static str>,
    amount: Option<i64>,
    flag: Option<bool>,
}

fn word() -> impl Strategy<Value = &'static str> {
    prop::sample::select(WORDS.to_vec())
}

fn globs() -> impl Strategy<Value = Vec<Glob>> {
    let glob = prop_oneof![4 => word().prop_map(Glob::Literal), 1 => Just(Glob::Star)];
    prop::collection::vec(glob, 1..3)
}

fn loop_type() -> impl Strategy<Value = LoopType> {
    prop::sample::select(LoopType::ALL.to_vec())
}

fn bound() -> impl Strategy<Value = Bound> {
    (0..5u8, -3i64..4).prop_map(|(kind, n)| match kind {
        0 => Bound::Gt(n),
        1 => Bound::Ge(n),
        2 => Bound::Lt(n),
        3 => Bound::Le(n),
        _ => Bound::Eq(n),
    })
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::option::weighted(0.3, globs()),
        prop::option::weighted(0.3, prop::collection::vec(loop_type(), 1..3)),
        prop::option::weighted(0.5, globs()),
        prop::option::weighted(0.4, bound()),
        prop::option::weighted(0.3, any::<bool>()),
    )
        .prop_map(|(tenant, loop_type, function, amount, flag)| Rule {
            tenant,
            loop_type,
            function,
            amount,
            flag,
        })
}

fn request() -> impl Strategy<Value = Request> {
    (
        word(),
        loop_type(),
        prop::option::weighted(0.8, word()),
        prop::option::weighted(0.8, -4i64..5),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(tenant, loop_type, function, amount, flag)| Request {
            tenant,
            loop_type,
            function,
            amount,
            flag,
        })
}

/// The rules as a `[policy]` table, named `r0`, `r1`, …
fn render(rules: &[Rule]) -> String {
    let globs = |gs: &[Glob]| {
        let items: Vec<String> = gs
            .iter()
            .map(|g| match g {
                Glob::Literal(w) => format!("\"{w}\""),
                Glob::Star => "\"*\"".to_owned(),
            })
            .collect();
        format!("[{}]", items.join(", "))
    };
    let mut text = String::new();
    for (i, rule) in rules.iter().enumerate() {
        text.push_str(&format!("[[policy.rule]]\nname = \"r{i}\"\n"));
        if let Some(gs) = &rule.tenant {
            text.push_str(&format!("when.tenant = {}\n", globs(gs)));
        }
        if let Some(types) = &rule.loop_type {
            let words: Vec<String> = types
                .iter()
                .map(|t| format!("\"{}\"", t.as_str()))
                .collect();
            text.push_str(&format!("when.loop_type = [{}]\n", words.join(", ")));
        }
        if let Some(gs) = &rule.function {
            text.push_str(&format!("when.function = {}\n", globs(gs)));
        }
        if let Some(bound) = rule.amount {
            let matcher = match bound {
                Bound::Gt(n) => format!("{{ gt = {n} }}"),
                Bound::Ge(n) => format!("{{ ge = {n} }}"),
                Bound::Lt(n) => format!("{{ lt = {n} }}"),
                Bound::Le(n) => format!("{{ le = {n} }}"),
                Bound::Eq(n) => format!("{n}"),
            };
            text.push_str(&format!("when.arguments = {{ \"/amount\" = {matcher} }}\n"));
        }
        if let Some(flag) = rule.flag {
            text.push_str(&format!("when.metadata = {{ \"/flag\" = {flag} }}\n"));
        }
    }
    text
}

fn glob_holds(globs: &[Glob], text: Option<&str>) -> bool {
    text.is_some_and(|t| {
        globs
            .iter()
            .any(|g| matches!(g, Glob::Star) || matches!(g, Glob::Literal(w) if *w == t))
    })
}

/// The straightforward evaluator: every condition given must hold.
fn holds(rule: &Rule, request: &Request) -> bool {
    let amount = |bound: Bound| {
        request.amount.is_some_and(|a| match bound {
            Bound::Gt(n) => a > n,
            Bound::Ge(n) => a >= n,
            Bound::Lt(n) => a < n,
            Bound::Le(n) => a <= n,
            Bound::Eq(n) => a == n,
        })
    };
    rule.tenant
        .as_ref()
        .is_none_or(|gs| glob_holds(gs, Some(request.tenant)))
        && rule
            .loop_type
            .as_ref()
            .is_none_or(|ts| ts.contains(&request.loop_type))
        && rule
            .function
            .as_ref()
            .is_none_or(|gs| glob_holds(gs, request.function))
        && rule.amount.is_none_or(amount)
        && rule.flag.is_none_or(|f| request.flag == Some(f))
}

/// The rule name `plan_for` gives the request under `rules`.
fn planned(rules: &[Rule], request: &Request) -> Result<Option<String>, TestCaseError> {
    let policy = load(&render(rules)).map_err(|lines| TestCaseError::fail(lines.join("\n")))?;
    let mut function = serde_json::Map::new();
    if let Some(name) = request.function {
        function.insert("function_name".into(), json!(name));
    }
    let args = match request.amount {
        Some(a) => json!({"amount": a}),
        None => json!({"other": 1}),
    };
    function.insert("arguments".into(), args);
    let context = json!({"function": Value::Object(function)});
    let metadata = match request.flag {
        Some(f) => json!({"flag": f}),
        None => json!({}),
    };
    let subject = Subject {
        tenant: request.tenant,
        platform: "p",
        loop_type: request.loop_type,
        context: &context,
        metadata: &metadata,
    };
    Ok(policy.plan_for(&subject).map(|plan| plan.rule))
}

proptest! {
    #[test]
    fn plan_for_is_the_first_rule_that_holds(
        rules in prop::collection::vec(rule(), 0..8),
        request in request(),
    ) {
        let expected = rules.iter().position(|r| holds(r, &request)).map(|i| format!("r{i}"));
        prop_assert_eq!(planned(&rules, &request)?, expected);
    }

    #[test]
    fn an_empty_when_placed_first_always_wins(
        rules in prop::collection::vec(rule(), 0..6),
        request in request(),
    ) {
        let mut all = vec![Rule { tenant: None, loop_type: None, function: None, amount: None, flag: None }];
        all.extend(rules);
        prop_assert_eq!(planned(&all, &request)?, Some("r0".to_owned()));
    }
}
