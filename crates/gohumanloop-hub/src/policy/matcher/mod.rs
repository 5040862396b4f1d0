//! Matchers on JSON values (`when.arguments`, `when.metadata`, a grant's `arguments`) and
//! the globs used everywhere in a policy. One parser over `serde_json::Value` serves both the
//! policy file (converted from TOML first) and grants given over the API.

mod conditions;
mod convert;
mod pointer;

pub(crate) use conditions::Conditions;
pub(crate) use convert::toml_to_json;

use convert::json_eq;
use glob::Pattern;
use serde_json::Value;

/// The keys a matcher table may have.
const TABLE_KEYS: &str = "gt, ge, lt, le, glob, equals, absent";

/// One matcher, checked and with its globs compiled.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// A glob on a string value.
    Glob(Pattern),
    /// Equal to this number (as `f64`).
    Number(f64),
    /// Equal to this boolean.
    Bool(bool),
    /// Any of these.
    Any(Vec<Matcher>),
    /// All of the given conditions.
    Table(Box<Table>),
}

/// A matcher table: every condition given must hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    gt: Option<f64>,
    ge: Option<f64>,
    lt: Option<f64>,
    le: Option<f64>,
    glob: Option<Pattern>,
    equals: Option<Value>,
    absent: Option<bool>,
}

/// Compiles a glob (`*`, `?`, `[..]`; case-sensitive); None after pushing a line `path: …`.
pub(crate) fn glob(text: &str, path: &str, problems: &mut Vec<String>) -> Option<Pattern> {
    match Pattern::new(text) {
        Ok(pattern) => Some(pattern),
        Err(e) => {
            problems.push(format!("{path}: invalid glob '{text}': {}", e.msg));
            None
        }
    }
}

impl Matcher {
    /// Reads a matcher from JSON; None after pushing one line per problem, each `path: …`.
    pub(crate) fn parse(value: &Value, path: &str, problems: &mut Vec<String>) -> Option<Matcher> {
        match value {
            Value::String(text) => glob(text, path, problems).map(Matcher::Glob),
            Value::Number(n) => n.as_f64().map(Matcher::Number),
            Value::Bool(b) => Some(Matcher::Bool(*b)),
            Value::Array(items) => {
                let before = problems.len();
                let parsed: Vec<Matcher> = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| Matcher::parse(item, &format!("{path}[{i}]"), problems))
                    .collect();
                (problems.len() == before).then_some(Matcher::Any(parsed))
            }
            Value::Object(map) => parse_table(map, path, problems),
            Value::Null => {
                problems.push(format!("{path}: null is not a matcher"));
                None
            }
        }
    }

    /// Whether the value the pointer found (None: nothing) matches.
    pub(crate) fn matches(&self, found: Option<&Value>) -> bool {
        match self {
            Matcher::Table(table) => table.matches(found),
            Matcher::Any(items) => items.iter().any(|m| m.matches(found)),
            _ => found.is_some_and(|value| self.matches_value(value)),
        }
    }

    fn matches_value(&self, value: &Value) -> bool {
        match self {
            Matcher::Glob(pattern) => value.as_str().is_some_and(|s| pattern.matches(s)),
            Matcher::Number(n) => value.as_f64() == Some(*n),
            Matcher::Bool(b) => value.as_bool() == Some(*b),
            Matcher::Any(_) | Matcher::Table(_) => self.matches(Some(value)),
        }
    }
}

fn parse_table(
    map: &serde_json::Map<String, Value>,
    path: &str,
    problems: &mut Vec<String>,
) -> Option<Matcher> {
    let before = problems.len();
    if map.is_empty() {
        problems.push(format!(
            "{path}: an empty table matches nothing; give any of {TABLE_KEYS}"
        ));
    }
    let mut table = Table::default();
    for (key, value) in map {
        let at = format!("{path}.{key}");
        let number = || {
            value
                .as_f64()
                .ok_or_else(|| format!("{at}: must be a number"))
        };
        let result = match key.as_str() {
            "gt" => number().map(|n| table.gt = Some(n)),
            "ge" => number().map(|n| table.ge = Some(n)),
            "lt" => number().map(|n| table.lt = Some(n)),
            "le" => number().map(|n| table.le = Some(n)),
            "glob" => match value.as_str() {
                Some(text) => {
                    table.glob = glob(text, &at, problems);
                    Ok(())
                }
                None => Err(format!("{at}: must be a string")),
            },
            "equals" => {
                table.equals = Some(value.clone());
                Ok(())
            }
            "absent" => value
                .as_bool()
                .map(|b| table.absent = Some(b))
                .ok_or_else(|| format!("{at}: must be true or false")),
            _ => Err(format!("{at}: unknown matcher key (expected {TABLE_KEYS})")),
        };
        if let Err(line) = result {
            problems.push(line);
        }
    }
    (problems.len() == before).then(|| Matcher::Table(Box::new(table)))
}

impl Table {
    fn matches(&self, found: Option<&Value>) -> bool {
        if let Some(absent) = self.absent {
            if absent != found.is_none() {
                return false;
            }
        }
        let number = found.and_then(Value::as_f64);
        let bound = |limit: Option<f64>, holds: fn(f64, f64) -> bool| {
            limit.is_none_or(|l| number.is_some_and(|n| holds(n, l)))
        };
        bound(self.gt, |n, l| n > l)
            && bound(self.ge, |n, l| n >= l)
            && bound(self.lt, |n, l| n < l)
            && bound(self.le, |n, l| n <= l)
            && self
                .glob
                .as_ref()
                .is_none_or(|p| found.and_then(Value::as_str).is_some_and(|s| p.matches(s)))
            && self
                .equals
                .as_ref()
                .is_none_or(|e| found.is_some_and(|v| json_eq(e, v)))
    }
}
