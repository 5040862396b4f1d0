//! Small readers shared by the policy's checks: problem lines with a prefix, unknown keys,
//! strings or lists of strings, and words from a fixed set.

use toml::{Table, Value};

/// Collects problem lines, each `prefix: key: message`.
pub(super) struct Lines<'a> {
    prefix: String,
    problems: &'a mut Vec<String>,
}

impl<'a> Lines<'a> {
    /// Lines with this prefix (e.g. `policy.rule 'payments'`), pushed onto `problems`.
    pub(super) fn new(prefix: String, problems: &'a mut Vec<String>) -> Self {
        Lines { prefix, problems }
    }

    /// Pushes `prefix: key: message`.
    pub(super) fn push(&mut self, key: &str, message: impl std::fmt::Display) {
        self.problems
            .push(format!("{}: {key}: {message}", self.prefix));
    }

    /// Runs `read` with a list where its lines are written as `prefix: …` (for the matcher
    /// parser, which writes `path: message` itself).
    pub(super) fn nested<T>(&mut self, read: impl FnOnce(&mut Vec<String>) -> T) -> T {
        let mut inner = Vec::new();
        let out = read(&mut inner);
        let prefix = &self.prefix;
        self.problems
            .extend(inner.into_iter().map(|line| format!("{prefix}: {line}")));
        out
    }

    /// How many problems so far (all prefixes).
    pub(super) fn count(&self) -> usize {
        self.problems.len()
    }
}

/// Pushes `path.key: unknown key (expected …)` for every key of `table` not in `allowed`
/// (`path` may be empty).
pub(super) fn unknown_keys(table: &Table, allowed: &[&str], path: &str, lines: &mut Lines<'_>) {
    for key in table.keys().filter(|k| !allowed.contains(&k.as_str())) {
        let at = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        lines.push(
            &at,
            format!("unknown key (expected {})", allowed.join(", ")),
        );
    }
}

/// A string, or an array of strings (Err: a line's message).
pub(super) fn strings(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| "must be a string or an array of strings".to_owned()),
        _ => Err("must be a string or an array of strings".to_owned()),
    }
}

/// One of a fixed set of words (Err: a line's message naming them).
pub(super) fn word<T: Copy>(value: &Value, choices: &[(&str, T)]) -> Result<T, String> {
    let names = || {
        choices
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(text) = value.as_str() else {
        return Err(format!("must be a string, one of {}", names()));
    };
    choices
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("unknown word '{text}' (expected {})", names()))
}
