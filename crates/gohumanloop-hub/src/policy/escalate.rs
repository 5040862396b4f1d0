//! A rule's `escalate` steps: after some time, more people may decide. Checked for order,
//! the deadline, and cycles (a name that is already among those who may decide).

use toml::Value;

use super::config::Groups;
use super::duration::format;
use super::plan::Escalation;
use super::read::{strings, unknown_keys, Lines};
use super::rule::{expand, secs};

/// Reads `escalate` (None: no steps); `approvers` as written, `deadline` in seconds.
pub(super) fn parse(
    value: Option<&Value>,
    approvers: &[String],
    deadline: Option<u64>,
    groups: &Groups,
    lines: &mut Lines<'_>,
) -> Vec<Escalation> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        lines.push(
            "escalate",
            "must be an array of steps [{ after = \"10m\", to = [\"oncall\"] }]",
        );
        return Vec::new();
    };
    let mut steps: Vec<Escalation> = Vec::with_capacity(items.len());
    let mut previous: Option<u64> = None;
    for (i, item) in items.iter().enumerate() {
        let at = format!("escalate[{i}]");
        let Some(table) = item.as_table() else {
            lines.push(
                &at,
                "must be a table { after = \"10m\", to = [\"oncall\"] }",
            );
            continue;
        };
        unknown_keys(table, &["after", "to"], &at, lines);
        let after_key = format!("{at}.after");
        let after = match table.get("after") {
            Some(v) => secs(&after_key, v, lines),
            None => {
                lines.push(&after_key, "missing");
                None
            }
        };
        if let Some(after) = after {
            check_after(after, previous, deadline, &after_key, lines);
            previous = Some(after);
        }
        let to_key = format!("{at}.to");
        let to = match table.get("to").map(strings) {
            None => {
                lines.push(&to_key, "missing");
                Vec::new()
            }
            Some(Err(e)) => {
                lines.push(&to_key, e);
                Vec::new()
            }
            Some(Ok(to)) if to.is_empty() => {
                lines.push(&to_key, "empty; name a group or a person");
                to
            }
            Some(Ok(to)) => to,
        };
        check_cycles(&to, approvers, &steps, &to_key, lines);
        let people = expand(&to, groups);
        steps.push(Escalation {
            after_secs: after.unwrap_or(0),
            to,
            people,
        });
    }
    steps
}

fn check_after(
    after: u64,
    previous: Option<u64>,
    deadline: Option<u64>,
    key: &str,
    lines: &mut Lines<'_>,
) {
    if let Some(previous) = previous.filter(|p| after <= *p) {
        lines.push(
            key,
            format!(
                "{} is not after the previous step's {}; steps must be in increasing order",
                format(after),
                format(previous)
            ),
        );
    }
    if let Some(deadline) = deadline.filter(|d| after >= *d) {
        lines.push(
            key,
            format!(
                "{} is not before the deadline {}; the step would never be reached",
                format(after),
                format(deadline)
            ),
        );
    }
}

fn check_cycles(
    to: &[String],
    approvers: &[String],
    earlier: &[Escalation],
    key: &str,
    lines: &mut Lines<'_>,
) {
    for (j, name) in to.iter().enumerate() {
        let place = if approvers.contains(name) {
            Some("among the approvers".to_owned())
        } else if let Some(k) = earlier.iter().position(|s| s.to.contains(name)) {
            Some(format!("in escalate[{k}]"))
        } else if to[..j].contains(name) {
            Some("earlier in this step".to_owned())
        } else {
            None
        };
        if let Some(place) = place {
            lines.push(
                key,
                format!("escalation cycle: '{name}' is already {place}"),
            );
        }
    }
}
