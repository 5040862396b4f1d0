//! A function's arguments on the request page: the key/value table in the agent's order, the
//! editor's per-field inputs (`arg.<key>`, each keeping its argument's type), the arguments
//! rebuilt from what was posted, and the diff of edited arguments against the agent's.

use serde_json::{Map, Value};

use super::super::view::shorten;
use crate::html::i18n::Texts;
use crate::json_view::{Budget, Markup};

/// The prefix of the per-field inputs' names.
pub(crate) const FIELD_PREFIX: &str = "arg.";

/// The most arguments shown as a table, or edited field by field.
pub(crate) const MAX_FIELDS: usize = 200;

/// The longest value a diff shows, in characters.
const DIFF_CHARS: usize = 1_000;

/// One row of the arguments table.
pub(crate) struct ArgRow {
    /// The argument's name.
    pub key: String,
    /// `text` (a string, shown as text), `scalar` (a number, boolean or null, as JSON) or
    /// `nested` (an array or object, as folded JSON).
    pub shape: &'static str,
    /// The value as escaped HTML.
    pub html: String,
    /// A nested value's one-line preview (the fold's label).
    pub preview: String,
}

/// The rows of an arguments object, in the agent's order; `None` past [`MAX_FIELDS`].
pub(crate) fn rows(arguments: &Map<String, Value>, budget: &mut Budget) -> Option<Vec<ArgRow>> {
    if arguments.len() > MAX_FIELDS {
        return None;
    }
    Some(
        arguments
            .iter()
            .map(|(key, value)| {
                let (shape, html, preview) = match value {
                    Value::String(text) => ("text", budget.text(text), String::new()),
                    Value::Array(_) | Value::Object(_) => (
                        "nested",
                        budget.json(value, Markup::Highlight),
                        shorten(&value.to_string(), 60),
                    ),
                    scalar => ("scalar", budget.text(&scalar.to_string()), String::new()),
                };
                ArgRow {
                    key: key.clone(),
                    shape,
                    html,
                    preview,
                }
            })
            .collect(),
    )
}

/// One input of the argument editor.
pub(crate) struct ArgField {
    /// The argument's name (the input is named `arg.<key>`).
    pub key: String,
    /// `text` (a one-line string), `lines` (a string with line breaks or a long one),
    /// `number`, `bool`, `null` or `json` (an array or object).
    pub kind: &'static str,
    /// What the input shows now: what was typed, else [`ArgField::initial`].
    pub value: String,
    /// What it showed first: the agent's value (for the reset).
    pub initial: String,
    /// The agent's value as JSON (for the live diff).
    pub original: String,
}

impl ArgField {
    /// The name of the input.
    pub(crate) fn name(&self) -> String {
        format!("{FIELD_PREFIX}{}", self.key)
    }
}

/// The editor's text of an argument's value.
fn field_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => {
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        }
        scalar => scalar.to_string(),
    }
}

/// The editor's inputs for `arguments`, showing what was `typed` (`arg.<key>`, value) where
/// there is some.
pub(crate) fn fields(arguments: &Map<String, Value>, typed: &[(String, String)]) -> Vec<ArgField> {
    arguments
        .iter()
        .map(|(key, value)| {
            let kind = match value {
                Value::String(text) if text.contains('\n') || text.chars().count() > 80 => "lines",
                Value::String(_) => "text",
                Value::Number(_) => "number",
                Value::Bool(_) => "bool",
                Value::Null => "null",
                Value::Array(_) | Value::Object(_) => "json",
            };
            let initial = field_text(value);
            ArgField {
                key: key.clone(),
                kind,
                value: typed_value(typed, key).map_or_else(|| initial.clone(), str::to_owned),
                initial,
                original: value.to_string(),
            }
        })
        .collect()
}

/// What was posted for the argument `key` (the last `arg.<key>`).
fn typed_value<'a>(typed: &'a [(String, String)], key: &str) -> Option<&'a str> {
    typed
        .iter()
        .rev()
        .find(|(name, _)| name.strip_prefix(FIELD_PREFIX) == Some(key))
        .map(|(_, value)| value.as_str())
}

/// What a refused field should have held.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Wanted {
    /// A number (the argument was one).
    Number,
    /// `true` or `false` (the argument was a boolean).
    Bool,
    /// JSON (the argument was an array or object); the parser's words.
    Json(String),
}

/// A refused field: which argument, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BadField {
    /// The argument's name.
    pub key: String,
    /// Why.
    pub why: Wanted,
}

impl BadField {
    /// The refusal in the approver's language: `amount: is not a number`.
    pub(crate) fn words(&self, t: &Texts) -> String {
        match &self.why {
            Wanted::Number => format!("{}: {}", self.key, t.not_a_number),
            Wanted::Bool => format!("{}: {}", self.key, t.not_a_bool),
            Wanted::Json(e) => format!("{}: {}: {e}", self.key, t.not_json),
        }
    }
}

/// The value typed as `text` for an argument that was `old`, of the same type: a string as
/// typed (the browser's `\r\n` line breaks back to `\n`), a number parsed (the same number
/// written another way is `old`), a boolean, JSON for a nested value; a `null` stays `null`
/// while empty, else is read as JSON, else as text.
fn typed_as(old: &Value, text: &str) -> Result<Value, Wanted> {
    match old {
        Value::String(was) => Ok(Value::String(if was.contains('\r') {
            text.to_owned()
        } else {
            text.replace("\r\n", "\n")
        })),
        Value::Number(was) => match serde_json::from_str::<Value>(text.trim()) {
            Ok(Value::Number(n)) if n.as_f64() == was.as_f64() => Ok(old.clone()),
            Ok(Value::Number(n)) => Ok(Value::Number(n)),
            _ => Err(Wanted::Number),
        },
        Value::Bool(_) => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Wanted::Bool),
        },
        Value::Null => match text.trim() {
            "" | "null" => Ok(Value::Null),
            json => Ok(serde_json::from_str(json).unwrap_or_else(|_| Value::String(text.into()))),
        },
        Value::Array(_) | Value::Object(_) => {
            serde_json::from_str(text).map_err(|e| Wanted::Json(e.to_string()))
        }
    }
}

/// The arguments rebuilt from the posted per-field inputs (`arg.<key>`, value): the agent's
/// keys in the agent's order, each of its original type, an argument without an input kept
/// as it was. `None` when nothing changed (an unedited approval).
pub(crate) fn rebuild(
    original: &Map<String, Value>,
    posted: &[(String, String)],
) -> Result<Option<Value>, BadField> {
    let mut rebuilt = Map::new();
    for (key, old) in original {
        let new = match typed_value(posted, key) {
            Some(text) => typed_as(old, text).map_err(|why| BadField {
                key: key.clone(),
                why,
            })?,
            None => old.clone(),
        };
        rebuilt.insert(key.clone(), new);
    }
    Ok((rebuilt != *original).then_some(Value::Object(rebuilt)))
}

/// One changed argument: its value before and after (`None`: absent).
pub(crate) struct DiffRow {
    /// The argument's name.
    pub key: String,
    /// The agent's value (a string as it is, anything else as JSON).
    pub old: Option<String>,
    /// The approved value.
    pub new: Option<String>,
}

/// A value as a diff shows it.
fn diff_text(value: &Value) -> String {
    match value {
        Value::String(text) => shorten(text, DIFF_CHARS),
        other => shorten(&other.to_string(), DIFF_CHARS),
    }
}

/// The arguments that differ between what the agent `asked` and what was approved (`edited`):
/// changed and added keys in the approved order, then the removed ones. Against arguments
/// that were no object (the original client's text), every key is new.
pub(crate) fn diff(asked: Option<&Value>, edited: &Value) -> Vec<DiffRow> {
    let empty = Map::new();
    let before = asked.and_then(Value::as_object).unwrap_or(&empty);
    let after = edited.as_object().unwrap_or(&empty);
    let changed = after
        .iter()
        .filter(|(key, value)| before.get(*key) != Some(*value))
        .map(|(key, value)| DiffRow {
            key: key.clone(),
            old: before.get(key).map(diff_text),
            new: Some(diff_text(value)),
        });
    let removed = before
        .iter()
        .filter(|(key, _)| !after.contains_key(*key))
        .map(|(key, value)| DiffRow {
            key: key.clone(),
            old: Some(diff_text(value)),
            new: None,
        });
    changed.chain(removed).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{FIELD_PREFIX}{k}"), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn fields_keep_each_arguments_type_and_the_agents_order() {
        let asked = object(
            json!({"to": "ACME", "amount": 100, "urgent": false, "memo": null,
            "route": {"bank": "DE"}, "lines": [1, 2]}),
        );
        let rebuilt = rebuild(
            &asked,
            &posted(&[
                ("amount", " 90 "),
                ("urgent", "true"),
                ("route", "{\"bank\": \"FR\"}"),
                ("memo", ""),
                ("lines", "[1,\n 2]"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            rebuilt,
            json!({"to": "ACME", "amount": 90, "urgent": true, "memo": null,
                "route": {"bank": "FR"}, "lines": [1, 2]})
        );
        let keys: Vec<&String> = rebuilt.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["to", "amount", "urgent", "memo", "route", "lines"]);
        // A string stays a string, even when it looks like a number.
        let text = rebuild(&asked, &posted(&[("to", "42")])).unwrap().unwrap();
        assert_eq!(text["to"], json!("42"));
        // A null given a value takes it as JSON, else as text.
        let memo = rebuild(&asked, &posted(&[("memo", "7")])).unwrap().unwrap();
        assert_eq!(memo["memo"], json!(7));
        let memo = rebuild(&asked, &posted(&[("memo", "note")]))
            .unwrap()
            .unwrap();
        assert_eq!(memo["memo"], json!("note"));
    }

    #[test]
    fn nothing_changed_is_no_edit() {
        let asked = object(json!({"to": "a\nb", "amount": 100, "route": {"bank": "DE"}}));
        let same = posted(&[
            ("to", "a\r\nb"),
            ("amount", "100.0"),
            ("route", "{\n  \"bank\": \"DE\"\n}"),
        ]);
        assert_eq!(rebuild(&asked, &same), Ok(None));
        assert_eq!(rebuild(&asked, &[]), Ok(None));
        // Posted fields of no argument are ignored.
        assert_eq!(rebuild(&asked, &posted(&[("extra", "1")])), Ok(None));
    }

    #[test]
    fn a_field_of_the_wrong_type_is_refused_by_name() {
        let asked = object(json!({"amount": 1, "ok": true, "route": {}}));
        let refused = |pairs: &[(&str, &str)]| rebuild(&asked, &posted(pairs)).unwrap_err();
        assert_eq!(
            refused(&[("amount", "ninety")]),
            BadField {
                key: "amount".into(),
                why: Wanted::Number
            }
        );
        assert_eq!(refused(&[("amount", "\"9\"")]).why, Wanted::Number);
        assert_eq!(refused(&[("ok", "yes")]).why, Wanted::Bool);
        let json = refused(&[("route", "{bank: DE}")]);
        assert_eq!(json.key, "route");
        assert!(matches!(json.why, Wanted::Json(_)));
        let words = json.words(crate::html::i18n::Lang::En.texts());
        assert!(words.starts_with("route: is not valid JSON: "), "{words}");
    }

    #[test]
    fn fields_show_what_was_typed_and_remember_the_agents_values() {
        let asked = object(
            json!({"amount": 100, "memo": "line 1\nline 2", "to": "ACME",
            "ok": false, "none": null, "route": {"bank": "DE"}}),
        );
        let shown = fields(&asked, &posted(&[("amount", "nine")]));
        let kinds: Vec<(&str, &str, &str)> = shown
            .iter()
            .map(|f| (f.key.as_str(), f.kind, f.value.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("amount", "number", "nine"),
                ("memo", "lines", "line 1\nline 2"),
                ("to", "text", "ACME"),
                ("ok", "bool", "false"),
                ("none", "null", ""),
                ("route", "json", "{\n  \"bank\": \"DE\"\n}"),
            ]
        );
        assert_eq!(shown[0].initial, "100");
        assert_eq!(shown[0].name(), "arg.amount");
        assert_eq!(shown[2].original, "\"ACME\"");
    }

    #[test]
    fn the_diff_names_changed_added_and_removed_arguments() {
        let asked = json!({"amount": 100, "memo": "invoice 7", "to": "ACME"});
        let edited = json!({"amount": 90, "to": "ACME", "note": {"a": 1}});
        let rows: Vec<(String, Option<String>, Option<String>)> = diff(Some(&asked), &edited)
            .into_iter()
            .map(|r| (r.key, r.old, r.new))
            .collect();
        assert_eq!(
            rows,
            [
                ("amount".into(), Some("100".into()), Some("90".into())),
                ("note".into(), None, Some("{\"a\":1}".into())),
                ("memo".into(), Some("invoice 7".into()), None),
            ]
        );
        assert!(diff(Some(&asked), &asked).is_empty());
        // Against the original client's text, every key is new.
        let text = json!("(100, 'ACME')");
        let keys: Vec<String> = diff(Some(&text), &edited)
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(keys, ["amount", "to", "note"]);
    }

    #[test]
    fn the_table_keeps_the_agents_order_and_folds_nested_values() {
        let args = object(json!({"amount": 1250, "to": "ACME <GmbH>", "route": {"hops": [1, 2]}}));
        let mut budget = Budget::page(crate::json_view::Words::En);
        let shown = rows(&args, &mut budget).unwrap();
        let seen: Vec<(&str, &str)> = shown.iter().map(|r| (r.key.as_str(), r.shape)).collect();
        assert_eq!(
            seen,
            [("amount", "scalar"), ("to", "text"), ("route", "nested")]
        );
        assert_eq!(shown[1].html, "ACME &#60;GmbH&#62;");
        assert_eq!(shown[2].preview, "{\"hops\":[1,2]}");
        let many: Map<String, Value> = (0..=MAX_FIELDS)
            .map(|i| (i.to_string(), json!(i)))
            .collect();
        assert!(rows(&many, &mut budget).is_none());
    }
}
