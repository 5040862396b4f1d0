//! A rule's `when`: the conditions a request must meet (all of them) for the rule to apply.

use glob::Pattern;
use gohumanloop::model::LoopType;
use serde_json::Value;

use super::matcher::{self, toml_to_json, Conditions};
use super::read::{strings, unknown_keys, Lines};
use super::Subject;

const KEYS: [&str; 6] = [
    "tenant",
    "platform",
    "loop_type",
    "function",
    "arguments",
    "metadata",
];

/// Checked conditions of one rule; an absent condition holds for every request.
#[derive(Debug, Clone, Default)]
pub(super) struct When {
    tenant: Option<Vec<Pattern>>,
    platform: Option<Vec<Pattern>>,
    /// The loop types it applies to, deduplicated (None: all).
    pub(super) loop_types: Option<Vec<LoopType>>,
    function: Option<Vec<Pattern>>,
    arguments: Conditions,
    metadata: Conditions,
}

impl When {
    /// Reads `when` (None: absent); problems go to `lines` as `when.…`.
    pub(super) fn parse(value: Option<&toml::Value>, lines: &mut Lines<'_>) -> When {
        let mut when = When::default();
        let Some(value) = value else { return when };
        let Some(table) = value.as_table() else {
            lines.push("when", "must be a table");
            return when;
        };
        unknown_keys(table, &KEYS, "when", lines);
        when.tenant = table
            .get("tenant")
            .and_then(|v| globs(v, "when.tenant", lines));
        when.platform = table
            .get("platform")
            .and_then(|v| globs(v, "when.platform", lines));
        when.function = table
            .get("function")
            .and_then(|v| globs(v, "when.function", lines));
        when.loop_types = table.get("loop_type").and_then(|v| loop_types(v, lines));
        when.arguments = conditions(table.get("arguments"), "when.arguments", lines);
        when.metadata = conditions(table.get("metadata"), "when.metadata", lines);
        when
    }

    /// Whether every condition holds for `subject` (allocates nothing).
    pub(super) fn matches(&self, subject: &Subject<'_>) -> bool {
        let function = subject.context.get("function");
        self.loop_types
            .as_ref()
            .is_none_or(|types| types.contains(&subject.loop_type))
            && any_glob(self.tenant.as_deref(), Some(subject.tenant))
            && any_glob(self.platform.as_deref(), Some(subject.platform))
            && any_glob(
                self.function.as_deref(),
                function
                    .and_then(|f| f.get("function_name"))
                    .and_then(Value::as_str),
            )
            && self
                .arguments
                .hold(function.and_then(|f| f.get("arguments")))
            && self.metadata.hold(Some(subject.metadata))
    }
}

/// No globs: holds. Globs: the text is there and one of them matches it.
fn any_glob(globs: Option<&[Pattern]>, text: Option<&str>) -> bool {
    globs.is_none_or(|globs| text.is_some_and(|t| globs.iter().any(|g| g.matches(t))))
}

fn globs(value: &toml::Value, key: &str, lines: &mut Lines<'_>) -> Option<Vec<Pattern>> {
    let texts = strings(value).map_err(|e| lines.push(key, e)).ok()?;
    if texts.is_empty() {
        lines.push(key, "an empty list matches nothing");
        return None;
    }
    let before = lines.count();
    let compiled: Vec<Pattern> = lines.nested(|problems| {
        texts
            .iter()
            .filter_map(|t| matcher::glob(t, key, problems))
            .collect()
    });
    (lines.count() == before).then_some(compiled)
}

fn loop_types(value: &toml::Value, lines: &mut Lines<'_>) -> Option<Vec<LoopType>> {
    let key = "when.loop_type";
    let words = strings(value).map_err(|e| lines.push(key, e)).ok()?;
    if words.is_empty() {
        lines.push(key, "an empty list matches nothing");
        return None;
    }
    let mut types = Vec::new();
    for word in &words {
        match LoopType::ALL.into_iter().find(|t| t.as_str() == word) {
            Some(t) if !types.contains(&t) => types.push(t),
            Some(_) => {}
            None => lines.push(
                key,
                format!(
                    "unknown loop type '{word}' (expected approval, information, conversation)"
                ),
            ),
        }
    }
    // With a bad word the policy is refused anyway; the good ones keep the other checks quiet.
    (!types.is_empty()).then_some(types)
}

fn conditions(value: Option<&toml::Value>, key: &str, lines: &mut Lines<'_>) -> Conditions {
    match value.map(toml_to_json) {
        None => Conditions::default(),
        Some(Value::Object(map)) => lines.nested(|problems| Conditions::parse(&map, key, problems)),
        Some(_) => {
            lines.push(key, "must be a table of JSON pointer = matcher");
            Conditions::default()
        }
    }
}
