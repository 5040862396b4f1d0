//! Reading and checking the `[policy]` table into a [`Policy`], and finding the plan for one
//! request.

use std::collections::{BTreeMap, HashMap};

use toml::Value;

use super::plan::Plan;
use super::read::Lines;
use super::rule::{self, Rule};
use super::Subject;

/// Groups by name: their people, as written.
pub(super) type Groups = BTreeMap<String, Vec<String>>;

/// A checked policy: rules in file order, groups expanded.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    rules: Vec<Rule>,
    groups: Groups,
}

impl Policy {
    /// Reads and checks the `[policy]` table's value (a toml::Value::Table). Every problem is
    /// one line, prefixed `policy.…` e.g. `policy.rule 'payments': quorum.approvals: 3 is more
    /// than the 2 people of its groups`. Err has ALL problems found, not just the first.
    pub fn from_toml(value: &Value) -> Result<Policy, Vec<String>> {
        let Some(table) = value.as_table() else {
            return Err(vec!["policy: must be a table".to_owned()]);
        };
        let mut problems = Vec::new();
        for key in table
            .keys()
            .filter(|k| !matches!(k.as_str(), "groups" | "rule"))
        {
            problems.push(format!("policy.{key}: unknown key (expected groups, rule)"));
        }
        let groups = table
            .get("groups")
            .map(|v| groups(v, &mut problems))
            .unwrap_or_default();
        let rules = match table.get("rule") {
            None => Vec::new(),
            Some(Value::Array(items)) => rules(items, &groups, &mut problems),
            Some(_) => {
                problems
                    .push("policy.rule: must be an array of tables ([[policy.rule]])".to_owned());
                Vec::new()
            }
        };
        if problems.is_empty() {
            Ok(Policy { rules, groups })
        } else {
            Err(problems)
        }
    }

    /// No rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The plan of the FIRST rule whose `when` matches (None: no rule matches → the hub acts as
    /// today). Allocates nothing for rules that do not match.
    pub fn plan_for(&self, subject: &Subject<'_>) -> Option<Plan> {
        self.rules
            .iter()
            .find(|rule| rule.when.matches(subject))
            .map(|rule| rule.plan.clone())
    }

    /// The people of a group (None: no such group).
    pub fn group(&self, name: &str) -> Option<&[String]> {
        self.groups.get(name).map(Vec::as_slice)
    }
}

fn groups(value: &Value, problems: &mut Vec<String>) -> Groups {
    let Some(table) = value.as_table() else {
        problems.push("policy.groups: must be a table of name = [people]".to_owned());
        return Groups::new();
    };
    let mut groups = Groups::new();
    for (name, members) in table {
        let people = members.as_array().and_then(|items| {
            items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        });
        match people {
            None => problems.push(format!("policy.groups.{name}: must be an array of strings")),
            Some(people) if people.is_empty() => problems.push(format!(
                "policy.groups.{name}: empty; a group of nobody would let anyone decide"
            )),
            Some(people) => {
                groups.insert(name.clone(), people);
            }
        }
    }
    groups
}

fn rules(items: &[Value], groups: &Groups, problems: &mut Vec<String>) -> Vec<Rule> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rules = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let number = i + 1;
        let Some(table) = item.as_table() else {
            problems.push(format!("policy.rule #{number}: must be a table"));
            continue;
        };
        let name = match table.get("name") {
            Some(Value::String(name)) if !name.trim().is_empty() => Some(name.clone()),
            Some(_) => {
                problems.push(format!(
                    "policy.rule #{number}: name: must be a non-empty string"
                ));
                None
            }
            None => {
                problems.push(format!("policy.rule #{number}: name: missing"));
                None
            }
        };
        let prefix = match &name {
            Some(name) => format!("policy.rule '{name}'"),
            None => format!("policy.rule #{number}"),
        };
        if let Some(name) = &name {
            if let Some(first) = seen.insert(name.clone(), number) {
                problems.push(format!(
                    "{prefix}: name: duplicate (rule #{first} has it too)"
                ));
                seen.insert(name.clone(), first);
            }
        }
        let mut lines = Lines::new(prefix, problems);
        rules.push(rule::parse(
            name.as_deref().unwrap_or(""),
            table,
            groups,
            &mut lines,
        ));
    }
    rules
}
