//! One `[[policy.rule]]`: read, checked, and turned into its `when` and its [`Plan`].

use toml::{Table, Value};

use super::config::Groups;
use super::duration;
use super::escalate;
use super::plan::DEFAULT_REPEAT_WINDOW_SECS;
use super::plan::{AtDeadline, AutoDecision, OnRepeat, Plan, Quorum, RejectionRule};
use super::read::{strings, unknown_keys, word, Lines};
use super::when::When;
use gohumanloop::model::LoopType;

const KEYS: [&str; 12] = [
    "name",
    "when",
    "decide",
    "reason",
    "approvers",
    "deadline",
    "at_deadline",
    "escalate",
    "quorum",
    "grants",
    "on_repeat",
    "repeat_window",
];

/// The parts of a rule that make a human decide; none may go with `decide`.
const HUMAN_PART: [&str; 4] = ["approvers", "quorum", "escalate", "at_deadline"];

/// A checked rule: when it applies, and the plan it gives.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub(super) when: When,
    pub(super) plan: Plan,
}

/// Reads the rule `name` (already checked) from its table; problems go to `lines`.
pub(super) fn parse(name: &str, table: &Table, groups: &Groups, lines: &mut Lines<'_>) -> Rule {
    unknown_keys(table, &KEYS, "", lines);
    let when = When::parse(table.get("when"), lines);
    let decide = decision(table, lines);
    let written = table
        .get("approvers")
        .and_then(|v| strings(v).map_err(|e| lines.push("approvers", e)).ok())
        .unwrap_or_default();
    let approvers = expand(&written, groups);
    let deadline_secs = table
        .get("deadline")
        .and_then(|v| secs("deadline", v, lines));
    let at_deadline = table
        .get("at_deadline")
        .and_then(|v| {
            let words = [
                ("expire", AtDeadline::Expire),
                ("approve", AtDeadline::Approve),
                ("reject", AtDeadline::Reject),
            ];
            word(v, &words)
                .map_err(|e| lines.push("at_deadline", e))
                .ok()
        })
        .unwrap_or_default();
    let escalation = escalate::parse(
        table.get("escalate"),
        &written,
        deadline_secs,
        groups,
        lines,
    );
    let quorum = table
        .get("quorum")
        .and_then(|v| quorum(v, approvers.len(), lines));
    let grants = match table.get("grants") {
        None => false,
        Some(Value::Boolean(b)) => *b,
        Some(_) => {
            lines.push("grants", "must be true or false");
            false
        }
    };
    let on_repeat = table
        .get("on_repeat")
        .and_then(|v| {
            let words = [
                ("ask", OnRepeat::Ask),
                ("refuse", OnRepeat::Refuse),
                ("escalate", OnRepeat::Escalate),
            ];
            word(v, &words).map_err(|e| lines.push("on_repeat", e)).ok()
        })
        .unwrap_or_default();
    let repeat_window_secs = table
        .get("repeat_window")
        .and_then(|v| secs("repeat_window", v, lines))
        .unwrap_or(DEFAULT_REPEAT_WINDOW_SECS);
    if table.contains_key("decide") {
        for key in HUMAN_PART.iter().filter(|k| table.contains_key(**k)) {
            lines.push(
                key,
                "an auto-decided rule (decide) has no human part; remove it or decide",
            );
        }
    }
    check_defaults(&when, decide.as_ref(), at_deadline, lines);
    let plan = Plan {
        rule: name.to_owned(),
        decide,
        approvers,
        deadline_secs,
        at_deadline,
        escalation,
        quorum,
        grants,
        on_repeat,
        repeat_window_secs,
    };
    Rule { when, plan }
}

/// The people of `names`: a group's members, or the name itself as a person; sorted, unique.
pub(super) fn expand(names: &[String], groups: &Groups) -> Vec<String> {
    let mut people: Vec<String> = names
        .iter()
        .flat_map(|name| match groups.get(name) {
            Some(members) => members.clone(),
            None => vec![name.clone()],
        })
        .collect();
    people.sort();
    people.dedup();
    people
}

/// A duration under `key`; None after a line.
pub(super) fn secs(key: &str, value: &Value, lines: &mut Lines<'_>) -> Option<u64> {
    duration::from_toml(value)
        .map_err(|e| lines.push(key, e))
        .ok()
}

fn decision(table: &Table, lines: &mut Lines<'_>) -> Option<AutoDecision> {
    let approve = table.get("decide").and_then(|v| {
        word(v, &[("approve", true), ("reject", false)])
            .map_err(|e| lines.push("decide", e))
            .ok()
    });
    let reason = match table.get("reason") {
        None => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(_) => {
            lines.push("reason", "must be a non-empty string");
            None
        }
    };
    match (table.contains_key("decide"), table.contains_key("reason")) {
        (true, false) => lines.push("decide", "needs a reason (reason = \"…\")"),
        (false, true) => lines.push("reason", "only goes with decide"),
        _ => {}
    }
    Some(AutoDecision {
        approve: approve?,
        reason: reason?,
    })
}

/// A decision without a human must fit the loop types the rule applies to: `"approve"` (decide
/// or at_deadline) only approvals; `at_deadline = "reject"` no conversation.
fn check_defaults(
    when: &When,
    decide: Option<&AutoDecision>,
    at_deadline: AtDeadline,
    lines: &mut Lines<'_>,
) {
    let only_approval = when.loop_types.as_deref() == Some(&[LoopType::Approval]);
    let conversation = when
        .loop_types
        .as_ref()
        .is_none_or(|types| types.contains(&LoopType::Conversation));
    let defaults = [
        ("decide", decide.map(|d| d.approve)),
        (
            "at_deadline",
            match at_deadline {
                AtDeadline::Expire => None,
                AtDeadline::Approve => Some(true),
                AtDeadline::Reject => Some(false),
            },
        ),
    ];
    for (key, approve) in defaults {
        match approve {
            Some(true) if !only_approval => lines.push(
                key,
                "\"approve\" needs when.loop_type = \"approval\" (only an approval can be approved)",
            ),
            // `decide = "reject"` is fine on any type (the lead's example denies `rm -rf /`
            // whatever the loop type): only a default at the deadline may not reject a dialogue.
            Some(false) if conversation && key == "at_deadline" => lines.push(
                key,
                "\"reject\" would be a default decision on a conversation; set when.loop_type without \"conversation\"",
            ),
            _ => {}
        }
    }
}

fn quorum(value: &Value, people: usize, lines: &mut Lines<'_>) -> Option<Quorum> {
    let Some(table) = value.as_table() else {
        lines.push(
            "quorum",
            "must be a table { approvals = N, rejection = \"veto\" }",
        );
        return None;
    };
    unknown_keys(table, &["approvals", "rejection"], "quorum", lines);
    let rejection = table
        .get("rejection")
        .and_then(|v| {
            let words = [
                ("veto", RejectionRule::Veto),
                ("majority", RejectionRule::Majority),
            ];
            word(v, &words)
                .map_err(|e| lines.push("quorum.rejection", e))
                .ok()
        })
        .unwrap_or_default();
    if people == 0 {
        lines.push("quorum", "quorum needs approvers");
    }
    let approvals = match table.get("approvals") {
        None => {
            lines.push("quorum.approvals", "missing");
            return None;
        }
        Some(Value::Integer(0)) => {
            lines.push("quorum.approvals", "must be at least 1");
            return None;
        }
        Some(Value::Integer(n)) => match u32::try_from(*n) {
            Ok(n) => n,
            Err(_) => {
                lines.push(
                    "quorum.approvals",
                    format!("{n} is not a positive whole number"),
                );
                return None;
            }
        },
        Some(_) => {
            lines.push("quorum.approvals", "must be a whole number");
            return None;
        }
    };
    if people > 0 && approvals as usize > people {
        lines.push(
            "quorum.approvals",
            format!("{approvals} is more than the {people} people of its groups"),
        );
    }
    Some(Quorum {
        approvals,
        rejection,
    })
}
